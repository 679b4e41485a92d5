"""Who answered: the API itself, or a layer in front of it (an API gateway, a CDN, a proxy, a cache).

A deployment is rarely the API alone. A gateway answers some requests itself (a route it does not
know, a throttle, a quota, an integration that failed), a CDN or a stage cache may serve an answer
made for somebody else. A violation seen in such an answer is a finding about that layer's
configuration, not about the API, and a vendor must be told which one to fix. This module is the one
place that knows the layers: :data:`LAYERS` lists each product with the response headers and body
shapes its documentation gives it, :func:`identify` names the layer that made an answer (or that the
answer passed through), and :func:`cache_evidence` what says an answer came from a cache.

Sources (each product's public documentation):

- AWS API Gateway (REST APIs): every gateway response carries ``x-amzn-ErrorType`` (e.g.
  ``MissingAuthenticationTokenException`` for a route or method that is not configured,
  ``TooManyRequestsException`` for a throttle, ``LimitExceededException`` for a usage-plan quota,
  ``InternalServerErrorException``/``IntegrationTimeout`` for a failed or slow integration) and
  ``x-amzn-RequestId``, with a body ``{"message": ...}``; proxied answers carry ``x-amzn-RequestId``
  and ``x-amz-apigw-id`` without ``x-amzn-ErrorType``.
- Kong Gateway: ``X-Kong-Response-Latency`` on answers Kong made itself (a plugin refused the
  request), ``X-Kong-Upstream-Latency``/``X-Kong-Proxy-Latency`` on proxied ones, ``Via: kong/x``,
  ``Server: kong/x``; its own bodies are ``{"message": ...}``.
- Apigee: a policy error is ``{"fault": {"faultstring": ..., "detail": {"errorcode": ...}}}``.
- Azure API Management: its own errors are ``{"statusCode": N, "message": ...}`` (e.g. "Access
  denied due to missing subscription key"); ``Ocp-Apim-Trace-Location``, ``WWW-Authenticate:
  AzureApiManagementKey``.
- Cloudflare: ``CF-RAY`` and ``Server: cloudflare`` on every answer; its own error pages are HTML
  (``error code: 1020``, statuses 520-527 and 530); ``CF-Cache-Status`` says whether the cache served it.
- Amazon CloudFront: ``Via: ... (CloudFront)``, ``X-Amz-Cf-Id``, ``X-Amz-Cf-Pop``; ``X-Cache: Hit from
  cloudfront`` (a cached answer), ``Error from cloudfront`` (an error answer).
- nginx: ``Server: nginx``; its own error pages are HTML with ``<center>nginx</center>``.
- Any HTTP cache (RFC 9111): ``Age`` on an answer served from a cache; ``X-Cache``/``X-Cache-Status``
  (``HIT``) by convention.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

#: Response headers that say who answered and how: kept with the evidence of every violation.
IDENTIFYING_HEADERS = (
    "Server", "Via", "x-amzn-ErrorType", "x-amzn-RequestId", "x-amz-apigw-id", "X-Amz-Cf-Id", "X-Amz-Cf-Pop",
    "X-Cache", "X-Cache-Status", "Age", "CF-RAY", "CF-Cache-Status", "X-Kong-Response-Latency",
    "X-Kong-Upstream-Latency", "X-Kong-Request-Id", "Ocp-Apim-Trace-Location", "ETag",
)


@dataclass(frozen=True)
class Layer:
    """A layer in front of the API that left its mark on one answer."""

    product: str
    #: the header or body that shows it, e.g. ``x-amzn-ErrorType: MissingAuthenticationTokenException``
    evidence: str
    #: the layer made this answer itself (the API never saw the request, or its answer was replaced)
    generated: bool

    def describe(self, status: int | None = None) -> str:
        """``answered by the AWS API Gateway (x-amzn-ErrorType: ...), not by the API``; for a refusal
        the gateway made of its own accord (a 4xx other than a throttle) a configuration finding."""
        if not self.generated:
            return f"passed through {self.product} ({self.evidence})"
        text = f"answered by {self.product} ({self.evidence}), not by the API"
        if status is not None and 400 <= status < 500 and status != 429:
            text += ": a gateway configuration finding"
        return text


@dataclass(frozen=True)
class Signature:
    """How one product shows itself: headers that mean it made the answer, headers that mean the
    answer passed through it, and the bodies it makes."""

    product: str
    generated_headers: tuple[tuple[str, str], ...] = ()  # (header, regex of its value)
    present_headers: tuple[tuple[str, str], ...] = ()
    #: the product's own error body, given the parsed JSON (or None) and the text
    body: Callable[[Any, str], bool] | None = None
    #: statuses only this product produces (Cloudflare's 52x)
    statuses: tuple[int, ...] = ()


def _only_message(body: Any, _text: str) -> bool:
    return isinstance(body, dict) and set(body) == {"message"} and isinstance(body["message"], (str, type(None)))


def _apigee_fault(body: Any, _text: str) -> bool:
    fault = body.get("fault") if isinstance(body, dict) else None
    return isinstance(fault, dict) and "faultstring" in fault


def _azure_error(body: Any, _text: str) -> bool:
    return isinstance(body, dict) and set(body) == {"statusCode", "message"} and isinstance(body["statusCode"], int)


def _cloudflare_page(body: Any, text: str) -> bool:
    return body is None and bool(re.search(r"cloudflare|error code: 1\d{3}|cf-error", text, re.IGNORECASE))


def _nginx_page(body: Any, text: str) -> bool:
    return body is None and "<center>nginx" in text


#: The layers the suite recognises, most specific first.
LAYERS: tuple[Signature, ...] = (
    Signature("the AWS API Gateway", generated_headers=(("x-amzn-ErrorType", r".+"),),
              present_headers=(("x-amz-apigw-id", r".+"), ("x-amzn-RequestId", r".+")), body=_only_message),
    Signature("the Kong gateway", generated_headers=(("X-Kong-Response-Latency", r".*"),),
              present_headers=(("Via", r"(?i)kong/"), ("Server", r"(?i)^kong/"), ("X-Kong-Upstream-Latency", r".*")),
              body=_only_message),
    Signature("the Apigee gateway", body=_apigee_fault),
    Signature("Azure API Management", generated_headers=(("WWW-Authenticate", r"(?i)AzureApiManagementKey"),),
              present_headers=(("Ocp-Apim-Trace-Location", r".+"),), body=_azure_error),
    Signature("the Cloudflare CDN", present_headers=(("CF-RAY", r".+"), ("Server", r"(?i)^cloudflare")),
              body=_cloudflare_page, statuses=(520, 521, 522, 523, 524, 525, 526, 527, 530)),
    Signature("the Amazon CloudFront CDN", generated_headers=(("X-Cache", r"(?i)^Error from cloudfront"),),
              present_headers=(("Via", r"(?i)cloudfront"), ("X-Amz-Cf-Id", r".+"))),
    Signature("an nginx proxy", present_headers=(("Server", r"(?i)^nginx"),), body=_nginx_page),
)


def identify(status: int, headers: Mapping[str, str], body: Any, text: str, *,
             fits_the_api: bool = False) -> Layer | None:
    """The layer that made or passed on an answer, from its headers and body; None when nothing shows
    one. ``fits_the_api``: the body is in the API's own envelope (then a layer's bare-body signature
    says nothing: the API answered, and the layer only passed the answer on)."""
    passed: Layer | None = None
    for sig in LAYERS:
        for name, pattern in sig.generated_headers:
            value = _header(headers, name)
            if value is not None and re.search(pattern, value) and not fits_the_api:
                return Layer(sig.product, f"{name}: {value}" if value else name, True)
        present = next((f"{name}: {_header(headers, name)}" for name, pattern in sig.present_headers
                        if _header(headers, name) is not None and re.search(pattern, _header(headers, name) or "")),
                       None)
        made = not fits_the_api and status >= 400 and (
            (sig.body is not None and sig.body(body, text)) or status in sig.statuses)
        if made and (present or not sig.present_headers or sig.body in (_apigee_fault, _azure_error)):
            what = present or ("its error body " + _excerpt(text))
            return Layer(sig.product, what, True)
        if present and passed is None:
            passed = Layer(sig.product, present, False)
    return passed


def cache_evidence(headers: Mapping[str, str]) -> str | None:
    """What says an answer was served from a cache (``Age``, a HIT in ``X-Cache``/``X-Cache-Status``/
    ``CF-Cache-Status``), or None."""
    age = _header(headers, "Age")
    if age is not None and age.strip().isdigit():
        return f"Age: {age.strip()}"
    for name in ("X-Cache", "X-Cache-Status", "CF-Cache-Status"):
        value = _header(headers, name)
        if value is not None and re.search(r"(?i)\bhit\b", value):
            return f"{name}: {value}"
    return None


#: A refusal whose reset is further away than this (seconds) is a quota, not a throttle to wait out.
QUOTA_HORIZON = 3600
#: The headers that may say when a refused key is served again (seconds, or a Unix time for Reset).
_RESET_HEADERS = ("Retry-After", "RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset")


def quota_signal(status: int, headers: Mapping[str, str], text: str, now: float | None = None) -> str | None:
    """What says a refusal is a spent quota (a usage plan's requests per day or month), which no wait
    within a run will lift, rather than a throttle: the gateway's own words for it, or a reset far in
    the future. None for anything else."""
    if status not in (403, 429):
        return None
    kind = _header(headers, "x-amzn-ErrorType") or ""
    message = _excerpt(text)
    if status == 429 and ("LimitExceeded" in kind or re.search(r'"message"\s*:\s*"Limit Exceeded"', text)):
        return f"429 {kind or 'Limit Exceeded'}: the AWS API Gateway usage plan's quota, {message}"
    if status == 429 and "QuotaViolation" in text:
        return f"429 Apigee quota policy: {message}"
    if status == 403 and re.search(r"(?i)out of call volume quota", text):
        return f"403 Azure API Management quota: {message}"
    if status != 429:
        return None
    for name in ("X-RateLimit-Remaining-Day", "X-RateLimit-Remaining-Month", "RateLimit-Remaining-Day"):
        if (_header(headers, name) or "").strip() == "0":
            return f"429 with {name}: 0 (a daily or monthly limit): {message}"
    for name in _RESET_HEADERS:
        value = (_header(headers, name) or "").strip()
        if not value.isdigit():
            continue
        seconds = int(value)
        if seconds > 1_000_000_000:  # a Unix time
            seconds = int(seconds - (now if now is not None else time.time()))
        if seconds > QUOTA_HORIZON:
            return f"429 with {name}: {value} ({seconds} s from now, past any wait of a run): {message}"
    return None


class SharedBodies:
    """What says a cache serves one key's answers to another: the same 2xx body, byte for byte, for
    the same GET request sent with two different credentials. Only bodies of some size count (an empty
    list may be the same for two tenants by right), and credentials are kept as salted digests."""

    #: bodies shorter than this (bytes) are not evidence: two tenants may both have an empty list
    MIN_BYTES = 120

    def __init__(self) -> None:
        self._salt = os.urandom(16)
        self._lock = threading.Lock()
        self._seen: dict[str, dict[str, set[str]]] = {}  # request -> body digest -> credential digests

    def _digest(self, data: bytes) -> str:
        return hashlib.sha256(self._salt + data).hexdigest()

    def see(self, method: str, url: str, credential: str | None, status: int, content: bytes) -> None:
        if method.upper() != "GET" or not 200 <= status < 300 or len(content) < self.MIN_BYTES:
            return
        who = self._digest((credential or "").encode())
        with self._lock:
            self._seen.setdefault(url, {}).setdefault(self._digest(content), set()).add(who)

    def note(self, method: str, url: str, status: int | None, content: bytes) -> str | None:
        """``the same body was served to another key`` when this answer's body went to two credentials."""
        if method.upper() != "GET" or status is None or not 200 <= status < 300:
            return None
        with self._lock:
            holders = self._seen.get(url, {}).get(self._digest(content), set())
        return "the same body was served to two different keys for this request" if len(holders) > 1 else None


#: The process's record of 2xx bodies per request and credential (fed by the suite's HTTP adapter).
SHARED_BODIES = SharedBodies()


def identifying_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The headers of an answer that say who made it (kept with a violation's evidence)."""
    return tuple((name, value) for name in IDENTIFYING_HEADERS if (value := _header(headers, name)) is not None)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not hasattr(headers, "lower_items"):  # a plain dict: look case-insensitively
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
