"""HTTP access to the deployment under test.

One ``requests.Session`` with keep-alive is shared by the whole suite (schemathesis included). Its
``PoliteAdapter`` takes every request from the run's ``Ledger`` (budget, pace, counts), bounds each
request's time and size, and, outside the rate-limit tests, turns a ``429`` into a bounded wait for
``Retry-After`` and a retry, so a rate-limited deployment gives a slower run, not a false failure.
The rate-limit probe uses a second session whose adapter returns 429s as they are.
"""

from __future__ import annotations

import copy
import http.cookiejar
import json
import os
import shlex
import ssl
import time
from functools import cached_property
from typing import Any, Mapping
from urllib.parse import urlencode, urljoin

import requests
import urllib3
from requests.adapters import HTTPAdapter

from conformance.runtime.budget import CannotJudge, Ledger
from conformance.runtime.redaction import PLACEHOLDER, redact

#: Sentinel: "use the client's own key".
DEFAULT_KEY: Any = object()


class RateLimitedTooLong(CannotJudge):
    """The deployment kept answering 429 beyond the retry budget: the suite cannot judge."""


class DeploymentUnreachable(CannotJudge):
    """No connection to the deployment (refused, DNS, TLS, connect timeout), or it stopped answering."""


class TransportFailure(Exception):
    """One request got no usable HTTP answer (timeout, dropped connection, oversized or endless body)."""


#: Transport failures in a row (no HTTP answer in between) after which the deployment is taken for down.
MAX_CONSECUTIVE_FAILURES = 3

_CONNECT_FAILURES = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.NameResolutionError,
                     urllib3.exceptions.SSLError, urllib3.exceptions.ConnectTimeoutError)


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: requests wraps urllib3's MaxRetryError, which wraps the cause."""
    chain: list[BaseException] = []
    current: Any = exc
    while isinstance(current, BaseException) and current not in chain and len(chain) < 8:
        chain.append(current)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = inner
    return chain


def transport_reason(exc: BaseException, timeout: float) -> str:
    """A one-line account of a transport failure, for a QA engineer (no traceback, no key)."""
    chain = _causes(exc)
    last = chain[-1]
    text = last.args[0] if last.args and isinstance(last.args[0], str) else str(last)
    if "IncompleteRead" in str(last):
        return f"the body was cut short ({_short(text)})"

    def has(*kinds: type) -> bool:
        return any(isinstance(c, kinds) for c in chain)

    if has(urllib3.exceptions.NameResolutionError) or "Name or service not known" in text \
            or "getaddrinfo" in text or "nodename nor servname" in text:
        return "the host name does not resolve (DNS)"
    if has(urllib3.exceptions.SSLError, ssl.SSLError, requests.exceptions.SSLError):
        return f"the TLS handshake failed ({_short(text)})"
    if has(urllib3.exceptions.NewConnectionError):  # (a subclass of ConnectTimeoutError)
        if "refused" in text.lower():
            return "connection refused"
        if "timed out" not in text.lower():
            return f"no connection ({_short(text)})"
    if has(urllib3.exceptions.ConnectTimeoutError, requests.ConnectTimeout):
        return f"no connection within {timeout:g} s"
    if has(requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError):
        return f"no response within {timeout:g} s"
    if has(requests.TooManyRedirects):
        return "too many redirects"
    return f"the connection broke ({_short(text)})"


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _is_connect_failure(exc: BaseException) -> bool:
    return any(isinstance(c, (*_CONNECT_FAILURES, requests.exceptions.SSLError, requests.ConnectTimeout))
               for c in _causes(exc))


class PoliteAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` for a deployment the suite must not harm or hang on.

    Every request is taken from the run's shared ``Ledger`` (budget, pace, counts). The body is read
    with a size cap and a deadline, so an endless or enormous body is a failure of that request, not
    a hung run. A 429 is waited out (``Retry-After``, bounded) and retried unless ``retry_429`` is
    off. A connection that cannot be made, or ``MAX_CONSECUTIVE_FAILURES`` requests in a row without
    an HTTP answer, records that the run cannot judge the deployment, and every later request fails
    at once with that reason instead of waiting for its own timeout."""

    def __init__(self, ledger: Ledger, *, retry_429: bool = True, max_wait: float = 30.0,
                 max_retries_429: int = 8, timeout: float = 5.0, max_bytes: int = 8 * 2**20,
                 retry_after_header: str = "Retry-After", **kwargs: Any) -> None:
        # one quick retry of a refused connection (a restarting pod); a read is never retried
        # (429s are this adapter's business: urllib3 must hand them back, not retry them)
        kwargs.setdefault("max_retries", urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0,
                                                       backoff_factor=0.2, respect_retry_after_header=False,
                                                       raise_on_status=False, raise_on_redirect=False))
        super().__init__(**kwargs)
        self.ledger = ledger
        self.retry_429 = retry_429
        self.max_wait = max_wait
        self.max_retries_429 = max_retries_429
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retry_after_header = retry_after_header  # the spec's name (x-api.rate-limit.retry-after-header)
        self.failures_in_a_row = 0

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,  # type: ignore[override]
             **kwargs: Any) -> requests.Response:
        attempt = 0
        timeout = timeout if timeout is not None else self.timeout
        while True:
            self.ledger.acquire(learned_pace=self.retry_429)  # the probe must be able to outrun the limit
            try:
                response = super().send(request, stream=True, timeout=timeout, **kwargs)
                self._read_body(response)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, TransportFailure) as exc:
                self._failed(request, exc)
            self.failures_in_a_row = 0
            if response.status_code != 429 or not self.retry_429:
                return response
            if attempt >= self.max_retries_429:
                raise RateLimitedTooLong(self.ledger.set_fatal(
                    f"the deployment answered 429 to {request.method} {redact(request.url or '')} "
                    f"{attempt + 1} times in a row, waiting Retry-After each time"))
            attempt += 1
            self.ledger.learn_from_429()
            wait = min(self.max_wait, retry_after_seconds(response, self.retry_after_header) or 1.0)
            time.sleep(wait)
            self.ledger.rate_limited(wait)

    def _read_body(self, response: requests.Response) -> None:
        """Read the whole body now, at most ``max_bytes`` and within ``timeout`` seconds."""
        deadline = time.monotonic() + self.timeout
        chunks, size = [], 0
        try:
            while chunk := response.raw.read1(65536, decode_content=True):
                size += len(chunk)
                if size > self.max_bytes:
                    raise TransportFailure(f"the body exceeds {self.max_bytes // 2**20} MB")
                if time.monotonic() > deadline:
                    raise TransportFailure(f"the body did not arrive within {self.timeout:g} s")
                chunks.append(chunk)
        except BaseException:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
        response.close()

    def _failed(self, request: requests.PreparedRequest, exc: BaseException) -> None:
        self.failures_in_a_row += 1
        reason = str(exc) if isinstance(exc, TransportFailure) else transport_reason(exc, self.timeout)
        what = f"{reason}: {request.method} {redact(request.url or '')}"
        if _is_connect_failure(exc):
            raise DeploymentUnreachable(self.ledger.set_fatal(f"the deployment is unreachable: {what}")) from None
        if self.failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
            raise DeploymentUnreachable(self.ledger.set_fatal(
                f"the deployment stopped answering: {self.failures_in_a_row} requests in a row got no HTTP "
                f"answer, the last: {what}")) from None
        raise TransportFailure(what) from None


def retry_after_seconds(response: requests.Response, header: str = "Retry-After") -> float | None:
    value = response.headers.get(header, "").strip()
    if value.isdigit():
        return float(value)
    return None


def make_session(ledger: Ledger, *, retry_429: bool = True, max_wait: float = 30.0, pool: int = 8,
                 timeout: float = 5.0, max_bytes: int = 8 * 2**20, base_url: str | None = None,
                 retry_after_header: str = "Retry-After") -> requests.Session:
    """A session that sends every request through ``ledger`` (see :class:`PoliteAdapter`).

    The environment (proxies, CA bundle) is read once here for ``base_url`` rather than on every
    request: with ``trust_env`` on, requests scans the proxy variables per request, which cost a
    quarter of the client's time in a profile of the smoke run. ``trust_env`` off also keeps
    ``~/.netrc`` credentials out of requests sent to an unknown deployment.
    """
    session = requests.Session()
    session.trust_env = False
    # No cookie is kept: every request stands on its own credentials (a deployment that set a
    # session cookie would otherwise make the requests sent without a key look authenticated).
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    if base_url:
        session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    adapter = PoliteAdapter(ledger, retry_429=retry_429, max_wait=max_wait, timeout=timeout, max_bytes=max_bytes,
                            retry_after_header=retry_after_header, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "iris-conformance"
    session.max_redirects = 3
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

    @cached_property
    def body(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON (parsed once)."""
        try:
            return self.response.json()
        except ValueError:
            return None

    @cached_property
    def is_json(self) -> bool:
        """Whether the body parses as JSON (whatever its Content-Type says)."""
        try:
            json.loads(self.response.content)
        except ValueError:
            return False
        return True

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
                 api_key_header: str = "x-api-key", bearer_scheme: str = "Bearer", shared: Any = None):
        self.base_url = base_url.rstrip("/") + "/"
        self.key = key
        self.session = session
        self.timeout = timeout
        self.api_key_header = api_key_header
        self.bearer_scheme = bearer_scheme
        #: conformance.runtime.shared_responses.SharedResponses: GETs answered once for every process of the run
        self.shared = shared

    def with_session(self, session: requests.Session) -> "ApiClient":
        return self._but(session=session, shared=None)

    def sharing(self, shared: Any) -> "ApiClient":
        """This client, with its GETs answered from ``shared`` (a
        :class:`~conformance.runtime.shared_responses.SharedResponses`; None: sent as usual). For discovery
        fetches only: inputs that every process derives the same way, never a check's own request."""
        return self._but(shared=shared)

    def _but(self, **changes: Any) -> "ApiClient":
        other = copy.copy(self)
        other.__dict__.update(changes)
        return other

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
        url, query = self.url(path), _encode(params)

        def send() -> requests.Response:
            return self.session.request(method, url, params=query, headers=all_headers, timeout=self.timeout,
                                        allow_redirects=False)

        if self.shared is not None and method.upper() == "GET":
            digest = self.shared.digest(method, f"{url}?{query or ''}", all_headers)
            return Exchange(self.shared.get(digest, send, secret=self.key))
        return Exchange(send())

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


__all__ = ["ApiClient", "CannotJudge", "DeploymentUnreachable", "Exchange", "PLACEHOLDER", "RateLimitedTooLong",
           "TransportFailure", "curl_command", "make_session"]
