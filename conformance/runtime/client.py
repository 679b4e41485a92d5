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
import random
import shlex
import ssl
import threading
import time
from collections import OrderedDict
from functools import cached_property
from typing import Any, Mapping
from urllib.parse import urlencode, urljoin

import requests
import urllib3
from requests.adapters import HTTPAdapter

from conformance.runtime import layers
from conformance.runtime.budget import CannotJudge, Ledger
from conformance.runtime.observed import Observed
from conformance.runtime.redaction import PLACEHOLDER, redact

#: Sentinel: "use the client's own key".
DEFAULT_KEY: Any = object()



#: While the rate-limit probe exhausts the key (``Ledger.provoked``), a request of another test answered
#: 5xx twice waits ``BURST_5XX_PAUSE`` s and is sent again, at most ``BURST_5XX_WAITS`` times: a
#: deployment that answers "over the limit" with a 500 fails RATE-01, not the tests beside the probe.
BURST_5XX_WAITS = 5
BURST_5XX_PAUSE = 1.0

class RateLimitedTooLong(CannotJudge):
    """The deployment kept answering 429 beyond the retry budget: the suite cannot judge."""


class QuotaExhausted(RateLimitedTooLong):
    """The key's quota (a usage plan's requests per day or month) is spent: nothing more can be judged
    until the quota period resets."""


class DeploymentUnreachable(CannotJudge):
    """No connection to the deployment (refused, DNS, TLS, connect timeout), or it stopped answering."""


class TransportFailure(Exception):
    """One request got no usable HTTP answer (timeout, dropped connection, oversized or endless body),
    even when sent a second time."""

    def __init__(self, what: str, request: requests.PreparedRequest | None = None, reason: str = ""):
        super().__init__(what)
        self.request = request
        self.reason = reason or what

    def failure(self) -> Any:
        """TRN-04's typed failure: the deployment left a request the suite sent without an answer."""
        from conformance.checks.failures import Failure

        request = self.request
        evidence = (Observed.lost(request.method or "GET", request.url or "", curl_command(request), self.reason),) \
            if request is not None else ()
        return Failure("TRN-04", "a request the suite sent", expected="an HTTP answer",
                       got=f"no HTTP answer, twice ({self.reason})", kind="no answer", evidence=evidence)


#: Transport failures in a row (no HTTP answer in between) after which the deployment is taken for down.
MAX_CONSECUTIVE_FAILURES = 3
#: The first wait of the backoff for a 429 without Retry-After (seconds; doubled at each attempt).
BACKOFF_BASE = 1.0

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
                 retry_after_header: str = "Retry-After", api_key_header: str = "x-api-key",
                 key_roles: dict[str, str] | None = None, **kwargs: Any) -> None:
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
        self.api_key_header = api_key_header  # the spec's name (x-api.auth.api-key-header)
        #: the run's keys -> their role (primary, other_tenant, revoked, expired): each is counted apart
        self.key_roles = dict(key_roles or {})
        self.failures_in_a_row = 0

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,  # type: ignore[override]
             **kwargs: Any) -> requests.Response:
        timeout = timeout if timeout is not None else self.timeout
        throttled, since = 0, 0.0  # 429s in a row for this request, and when the first came
        first: dict | None = None  # the evidence of a first attempt answered 5xx or not at all
        burst_waits = 0  # 5xx waited out while the rate-limit probe exhausts the key
        while True:
            # the probe must be able to outrun the limit: no learned pace for it
            self.ledger.acquire(learned_pace=self.retry_429, role=self.role_of(request))
            try:
                response = super().send(request, stream=True, timeout=timeout, **kwargs)
                self._read_body(response)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, TransportFailure) as exc:
                lost = self._failed(request, exc)
                if first is None:  # a dropped connection or a timeout may not repeat: sent once more
                    first = Observed.lost(request.method or "GET", request.url or "", curl_command(request),
                                          lost.reason).to_dict()
                    continue
                raise lost from None
            self.failures_in_a_row = 0
            status = response.status_code
            if status >= 500 and first is None:  # one server error is not yet a verdict: sent once more
                first = Observed.of(Exchange(response)).to_dict()
                continue
            if status >= 500 and self.retry_429 and burst_waits < BURST_5XX_WAITS and self.ledger.provoked():
                # the rate-limit probe is exhausting the key and the deployment answers that with 5xx (RATE-01's
                # finding, made by the probe's own requests): another test's request waits, as it would a 429
                burst_waits += 1
                time.sleep(BURST_5XX_PAUSE)
                continue
            if first is not None and status < 500 and status != 429:
                self.ledger.record_transient(first, Observed.of(Exchange(response)).to_dict())
                first = None
            quota = layers.quota_signal(status, response.headers, response.text)
            if quota is not None:
                raise QuotaExhausted(self.ledger.set_fatal(self._quota_reason(request, quota)))
            if status != 429:
                layers.SHARED_BODIES.see(request.method or "GET", request.url or "", self.credential_of(request),
                                         status, response.content)
                return response  # a 5xx that repeated is deterministic: the tests and TRN-04 judge it
            if not self.retry_429:
                return response
            if throttled >= self.max_retries_429:
                raise QuotaExhausted(self.ledger.set_fatal(self._quota_reason(request,
                    f"429 to {request.method} {redact(request.url or '')} {throttled + 1} times in a row, "
                    f"through {time.monotonic() - since:.0f} s of backoff")))
            since = since or time.monotonic()
            throttled += 1
            self.ledger.learn_from_429(self.role_of(request))
            self._wait_out(response, throttled)

    def credential_of(self, request: requests.PreparedRequest) -> str | None:
        """The key a request carries: its key header, else its Authorization token."""
        key = request.headers.get(self.api_key_header)
        if key is None:
            _, _, token = (request.headers.get("Authorization") or "").partition(" ")
            key = token.strip() or None
        return key

    def role_of(self, request: requests.PreparedRequest) -> str:
        """Which of the run's keys a request carries (:data:`~conformance.runtime.budget.KEY_ROLES`)."""
        return self.key_roles.get(self.credential_of(request) or "", "other")

    def _wait_out(self, response: requests.Response, attempt: int) -> None:
        """Wait before sending a throttled request again: its ``Retry-After`` when it has one, else an
        exponential backoff with jitter (a gateway's throttle often sends none); never longer than
        ``--max-retry-wait``."""
        retry_after = retry_after_seconds(response, self.retry_after_header)
        if retry_after is None:
            retry_after = BACKOFF_BASE * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
        wait = min(self.max_wait, retry_after)
        time.sleep(wait)
        self.ledger.rate_limited(wait)

    def _quota_reason(self, request: requests.PreparedRequest, signal: str) -> str:
        totals, role = self.ledger.totals(), self.role_of(request)
        return (f"the {role.replace('_', ' ')} key's quota is exhausted after {totals.by_key.get(role, 0)} requests "
                f"with it ({totals.requests} in all; {signal}); nothing more can be judged until the quota period "
                "resets")

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

    def _failed(self, request: requests.PreparedRequest, exc: BaseException) -> TransportFailure:
        """The transport failure of one attempt (returned), or the run's end when the deployment is
        unreachable or stopped answering (raised)."""
        self.failures_in_a_row += 1
        reason = str(exc) if isinstance(exc, TransportFailure) else transport_reason(exc, self.timeout)
        what = f"{reason}: {request.method} {redact(request.url or '')}"
        if _is_connect_failure(exc):
            raise DeploymentUnreachable(self.ledger.set_fatal(f"the deployment is unreachable: {what}")) from None
        if self.failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
            raise DeploymentUnreachable(self.ledger.set_fatal(
                f"the deployment stopped answering: {self.failures_in_a_row} requests in a row got no HTTP "
                f"answer, the last: {what}")) from None
        return TransportFailure(what, request, reason)


def retry_after_seconds(response: requests.Response, header: str = "Retry-After") -> float | None:
    value = response.headers.get(header, "").strip()
    if value.isdigit():
        return float(value)
    return None


def make_session(ledger: Ledger, *, retry_429: bool = True, max_wait: float = 30.0, pool: int = 8,
                 timeout: float = 5.0, max_bytes: int = 8 * 2**20, base_url: str | None = None,
                 retry_after_header: str = "Retry-After", api_key_header: str = "x-api-key",
                 key_roles: dict[str, str] | None = None) -> requests.Session:
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
                            retry_after_header=retry_after_header, api_key_header=api_key_header,
                            key_roles=key_roles, pool_connections=pool, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "iris-conformance"
    session.max_redirects = 3
    return session


_DEFAULT_HEADERS = {k.lower() for k in ("User-Agent", "Accept-Encoding", "Accept", "Connection", "Content-Length")}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def strict_json(content: bytes | str) -> Any:
    """``content`` parsed as RFC 8259 JSON: ``NaN``, ``Infinity`` and ``-Infinity`` are refused
    (``ValueError``), as a JavaScript or Go client refuses them."""
    return json.loads(content, parse_constant=_no_constant)


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

    @classmethod
    def of(cls, response: Any) -> "Exchange":
        """An exchange of a ``requests`` response, or of schemathesis' own ``Response`` (what
        ``case.call`` returns: its headers map to lists)."""
        if isinstance(response, requests.Response):
            return cls(response)
        converted = requests.Response()
        converted.status_code = response.status_code
        converted.headers = requests.structures.CaseInsensitiveDict(
            {name: ", ".join(values) for name, values in response.headers.items()})
        converted._content = response.content
        converted.encoding = response.encoding
        converted.request = response.request
        return cls(converted)

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
    def _parsed(self) -> tuple[bool, Any]:
        try:
            return True, strict_json(self.response.content)
        except ValueError:
            return False, None

    @property
    def body(self) -> Any:
        """The parsed JSON body, or ``None`` when the body is not JSON (parsed once, strictly)."""
        return self._parsed[1]

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON as RFC 8259 defines it, whatever its Content-Type says: Python's
        ``json`` also reads ``NaN`` and ``Infinity``, which are not JSON and which JSON clients refuse."""
        return self._parsed[0]

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


class AnswerStore:
    """The GET answers of the run in this process, by request (URL with its query, and every header
    the client adds, the credential included): one answer serves every check that can read it, as a
    browser's cache would, and a hypothesis example replayed reads what the first reading saw. The
    least recently used answers go first beyond ``max_bytes`` of bodies. A check that must see a
    fresh answer (the same query twice, PAGE-05; the rate-limit burst) reads through a client that
    has none (:meth:`ApiClient.fresh`)."""

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes = max_bytes
        self._answers: OrderedDict[tuple, requests.Response] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        #: answers served from the store (requests not sent)
        self.hits = 0

    def get(self, key: tuple) -> requests.Response | None:
        with self._lock:
            response = self._answers.get(key)
            if response is not None:
                self._answers.move_to_end(key)
                self.hits += 1
            return response

    def put(self, key: tuple, response: requests.Response) -> None:
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = response
            self._bytes += len(response.content)
            while self._bytes > self.max_bytes and len(self._answers) > 1:
                _, old = self._answers.popitem(last=False)
                self._bytes -= len(old.content)


class ApiClient:
    """GET (and other methods) against the base URL, authenticated the way a test asks."""

    def __init__(self, base_url: str, key: str | None, *, session: requests.Session, timeout: float,
                 api_key_header: str = "x-api-key", bearer_scheme: str = "Bearer", shared: Any = None,
                 store: AnswerStore | None = None):
        self.base_url = base_url.rstrip("/") + "/"
        self.key = key
        self.session = session
        self.timeout = timeout
        self.api_key_header = api_key_header
        self.bearer_scheme = bearer_scheme
        #: conformance.runtime.shared_responses.SharedResponses: GETs answered once for every process of the run
        self.shared = shared
        #: the run's answers in this process: a GET already answered is not sent again
        self.store = store

    def with_session(self, session: requests.Session) -> "ApiClient":
        return self._but(session=session, shared=None, store=None)

    def stored(self, store: AnswerStore | None) -> "ApiClient":
        """This client, its GETs answered from ``store`` once answered there."""
        return self._but(store=store)

    def fresh(self) -> "ApiClient":
        """This client, every request of it sent (no stored answer): for a check that compares two
        answers to the same request, or that must see the deployment's state now."""
        return self._but(shared=None, store=None)

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

        stored = None
        if self.store is not None and method.upper() == "GET":
            stored = (url, query, tuple(sorted(all_headers.items())))
            answer = self.store.get(stored)
            if answer is not None:
                return Exchange(answer)
        if self.shared is not None and method.upper() == "GET":
            digest = self.shared.digest(method, f"{url}?{query or ''}", all_headers)
            response = self.shared.get(digest, send, secret=self.key)
        else:
            response = send()
        if stored is not None:
            self.store.put(stored, response)
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


__all__ = ["ApiClient", "CannotJudge", "DeploymentUnreachable", "Exchange", "PLACEHOLDER", "RateLimitedTooLong",
           "TransportFailure", "curl_command", "make_session"]
