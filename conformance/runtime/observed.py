"""One answer of the deployment as evidence: the request (as a curl, key redacted), the status, an
excerpt of the body, and the headers that say who answered (the API, or a gateway, CDN or cache in
front of it: :mod:`conformance.runtime.layers`). Kept with every failure and every transient error."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from conformance.runtime import layers
from conformance.runtime.redaction import redact

#: the longest excerpt of a body kept as evidence
EXCERPT = 200


@dataclass(frozen=True)
class Observed:
    """One answer, as evidence: the request, the status, an excerpt of the body, and who answered."""

    method: str
    url: str
    curl: str
    #: None when the request got no HTTP answer (timeout, dropped connection)
    status: int | None
    excerpt: str = ""
    #: the answer's headers that say who made it (Server, Via, x-amzn-ErrorType, Age, X-Cache ...)
    headers: tuple[tuple[str, str], ...] = ()
    #: the gateway, CDN or proxy that made the answer (or that it passed through)
    layer: layers.Layer | None = None
    #: what says the answer came from a shared cache (``Age: 12``; the same body served to another key)
    cache: str | None = None

    @classmethod
    def lost(cls, method: str, url: str, curl: str, reason: str) -> "Observed":
        """A request that got no HTTP answer (``reason``: a timeout, a dropped connection)."""
        return cls(method=method.upper(), url=redact(url), curl=curl, status=None, excerpt=redact(reason))

    @classmethod
    def of(cls, exchange: Any, *, fits_the_api: bool | None = None, cache: str | None = None) -> "Observed":
        """The evidence of one :class:`~conformance.runtime.client.Exchange`. ``fits_the_api``: whether
        its body is in the API's own envelope (None: unknown; a bare ``{"message": ...}`` body then
        counts as a layer's)."""
        response = exchange.response
        text = exchange.text or ""
        body = exchange.body
        layer = layers.identify(exchange.status, exchange.headers, body, text, fits_the_api=bool(fits_the_api))
        return cls(method=(exchange.request.method or "GET").upper(), url=redact(exchange.request.url or ""),
                   curl=exchange.curl, status=exchange.status, excerpt=redact(_excerpt(text)),
                   headers=tuple((k, redact(v)) for k, v in layers.identifying_headers(response.headers)),
                   layer=layer, cache=cache or layers.cache_evidence(response.headers) or layers.SHARED_BODIES.note(
                       exchange.request.method or "GET", exchange.request.url or "", exchange.status, response.content))

    def answer(self) -> str:
        """The answer in a few words: ``HTTP 403 {"message":"Missing Authentication Token"}``."""
        if self.status is None:
            return "no HTTP answer" + (f" ({self.excerpt})" if self.excerpt else "")
        return f"HTTP {self.status}" + (f" {self.excerpt}" if self.excerpt else " with an empty body")

    def notes(self) -> list[str]:
        """Who answered and whether a cache did: the parts of a reason a vendor acts on."""
        notes = []
        if self.layer is not None and self.layer.generated:
            notes.append(self.layer.describe(self.status))
        if self.cache:
            notes.append(f"served from a shared cache ({self.cache})")
        return notes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["headers"] = [list(h) for h in self.headers]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Observed":
        data = dict(data)
        data["headers"] = tuple(tuple(h) for h in data.get("headers", ()))
        layer = data.get("layer")
        data["layer"] = layers.Layer(**layer) if isinstance(layer, dict) else None
        return cls(**data)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."
