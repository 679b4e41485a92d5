"""HTTP access to the deployment under test.

One ``requests.Session`` with keep-alive is shared by the whole suite (schemathesis included). Its
``PoliteAdapter`` counts every request and, outside the rate-limit tests, turns a ``429`` into a
bounded wait for ``Retry-After`` and a retry, so a rate-limited deployment gives a slower run, not a
false failure. The rate-limit probe uses a second session whose adapter returns 429s as they are.
"""

from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlencode, urljoin

import requests
from requests.adapters import HTTPAdapter

from conformance.redaction import PLACEHOLDER, redact

#: Sentinel: "use the client's own key".
DEFAULT_KEY: Any = object()


class RateLimitedTooLong(Exception):
    """The deployment kept answering 429 beyond the retry budget: the suite cannot judge."""


@dataclass
class Stats:
    requests: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, *, rate_limited: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.rate_limited += int(rate_limited)

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.waited_seconds += seconds

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.requests / elapsed if elapsed > 0 else 0.0


class PoliteAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that counts requests and waits out 429s (bounded)."""

    def __init__(self, stats: Stats, *, retry_429: bool = True, max_wait: float = 30.0,
                 max_retries_429: int = 8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stats = stats
        self.retry_429 = retry_429
        self.max_wait = max_wait
        self.max_retries_429 = max_retries_429

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        attempt = 0
        while True:
            response = super().send(request, **kwargs)
            self.stats.count(rate_limited=response.status_code == 429)
            if response.status_code != 429 or not self.retry_429:
                return response
            if attempt >= self.max_retries_429:
                raise RateLimitedTooLong(
                    f"the deployment answered 429 to {request.method} {redact(request.url or '')} "
                    f"{attempt + 1} times in a row; the suite cannot judge this request"
                )
            attempt += 1
            wait = min(self.max_wait, retry_after_seconds(response) or 1.0)
            response.close()
            time.sleep(wait)
            self.stats.waited(wait)


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    return None


def make_session(stats: Stats, *, retry_429: bool = True, max_wait: float = 30.0, pool: int = 8) -> requests.Session:
    session = requests.Session()
    adapter = PoliteAdapter(stats, retry_429=retry_429, max_wait=max_wait, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "iris-conformance"
    return session


_DEFAULT_HEADERS = {k.lower() for k in ("User-Agent", "Accept-Encoding", "Accept", "Connection", "Content-Length")}


def curl_command(request: requests.PreparedRequest) -> str:
    """A runnable curl command for ``request``, with every API key replaced by ``iris_***``."""
    parts = ["curl", "-sS", "-i", "-X", request.method or "GET", shlex.quote(request.url or "")]
    for name, value in request.headers.items():
        if name.lower() in _DEFAULT_HEADERS:
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = request.body
    if body:
        parts += ["--data-raw", shlex.quote(body.decode() if isinstance(body, bytes) else str(body))]
    return redact(" ".join(parts))


class Exchange:
    """One request and its response, with what a failure message needs."""

    def __init__(self, response: requests.Response):
        self.response = response
        self.request: requests.PreparedRequest = response.request

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> requests.structures.CaseInsensitiveDict:
        return self.response.headers

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def body(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON."""
        try:
            return self.response.json()
        except ValueError:
            return None

    @property
    def curl(self) -> str:
        return curl_command(self.request)

    def describe(self, limit: int = 1500) -> str:
        text = self.response.text
        if len(text) > limit:
            text = text[:limit] + f"... ({len(self.response.content)} bytes in all)"
        ctype = self.headers.get("Content-Type", "-")
        return redact(
            f"request:  {self.curl}\n"
            f"response: HTTP {self.status} (Content-Type: {ctype})\n"
            f"          {text}"
        )

    def __repr__(self) -> str:
        return redact(f"<{self.request.method} {self.request.url} -> {self.status}>")


class ApiClient:
    """GET (and other methods) against the base URL, authenticated the way a test asks."""

    def __init__(self, base_url: str, key: str | None, *, session: requests.Session, timeout: float,
                 api_key_header: str = "x-api-key", bearer_scheme: str = "Bearer"):
        self.base_url = base_url.rstrip("/") + "/"
        self.key = key
        self.session = session
        self.timeout = timeout
        self.api_key_header = api_key_header
        self.bearer_scheme = bearer_scheme

    def with_session(self, session: requests.Session) -> "ApiClient":
        return ApiClient(self.base_url, self.key, session=session, timeout=self.timeout,
                         api_key_header=self.api_key_header, bearer_scheme=self.bearer_scheme)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def auth_headers(self, key: Any = DEFAULT_KEY, style: str = "header") -> dict[str, str]:
        key = self.key if key is DEFAULT_KEY else key
        if key is None:
            return {}
        if style == "header":
            return {self.api_key_header: key}
        if style == "bearer":
            return {"Authorization": f"{self.bearer_scheme} {key}"}
        raise ValueError(f"unknown auth style {style!r}")

    def request(self, method: str, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None, *,
                key: Any = DEFAULT_KEY, style: str = "header", headers: Mapping[str, str] | None = None) -> Exchange:
        all_headers = self.auth_headers(key, style)
        all_headers.update(headers or {})
        response = self.session.request(method, self.url(path), params=_encode(params), headers=all_headers,
                                        timeout=self.timeout, allow_redirects=False)
        return Exchange(response)

    def get(self, path: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None, **kwargs: Any) -> Exchange:
        return self.request("GET", path, params, **kwargs)


def _encode(params: Mapping[str, Any] | list[tuple[str, Any]] | None) -> str | None:
    """Encode query parameters the way the API documents them (booleans as true/false)."""
    if not params:
        return None
    items = params.items() if isinstance(params, Mapping) else params
    pairs = []
    for name, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        pairs.append((name, str(value)))
    return urlencode(pairs)


__all__ = ["ApiClient", "Exchange", "PLACEHOLDER", "RateLimitedTooLong", "Stats", "curl_command", "make_session"]
