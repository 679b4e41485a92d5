"""Every response is evidence: the requirements that hold for every answer of the deployment, checked
on every exchange of the run, whichever test sent the request.

:class:`ResponseOracle` looks at one exchange and returns typed
:class:`~conformance.checks.failures.Failure` objects, each carrying the requirement it breaks: TRN-01 (JSON content type and body), TRN-04 (no 5xx), ENV-01 (the envelope,
and the error code matching the status by the spec's table), ENV-02 (timestamps) and the response
schema the spec documents for the operation and status (through schemathesis' own validation, its
typed failures attributed by :func:`conformance.checks.schema.requirements_of_failure`), and AUTH-07
(no key the suite holds in any header or body). Names (envelope members, the error table, the
timestamp pattern) come from the spec.

A :class:`Findings` collector keeps the distinct findings (one per requirement, operation and kind of
violation), so a defect seen a thousand times is reported once, with its first request as a curl.
The plugin installs the oracle as a response hook of the suite's one HTTP session.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import requests

from conformance.checks.failures import Failure, Observed
from conformance.runtime.client import Exchange
from conformance.runtime.redaction import SECRETS, redact
from conformance.contract.operations import OperationIndex
from conformance.contract.spec import Spec


_JSON_TYPE = re.compile(r"^application/json\s*(;.*)?$", re.IGNORECASE)


class ResponseOracle:
    """Checks one exchange against the requirements that hold for every response."""

    def __init__(self, spec: Spec, schema: Any = None, base_url: str = ""):
        self.spec = spec
        self.schema = schema  # a schemathesis schema of ``spec`` (response-schema conformance), optional
        self.base_path = urlsplit(base_url).path.rstrip("/")
        api = spec.api_view
        self.envelope = api.envelope
        #: schemathesis' operation labels ("GET /tariffs") -> the spec's operations
        self._operations_by_label = {f"{op.method} {op.path}": op for op in spec.operations.values()}
        self._index = OperationIndex(spec, base_url)
        self.errors: dict[str, int] = {code: int(status) for code, status in api.errors.items()}
        self.timestamp = re.compile(api.timestamp_pattern)

    def check(self, exchange: Exchange) -> list[Failure]:
        findings: list[Failure] = []
        request = exchange.request
        method = (request.method or "GET").upper()
        operation = self._operation_label(method, request.path_url)
        where = operation or f"{method} {request.path_url.split('?')[0]}"
        evidence: list[Observed] = []

        def found(rid: str, kind: str, what: str, expected: str = "") -> None:
            if not evidence:
                evidence.append(Observed.of(exchange, fits_the_api=self.fits_the_api(exchange)))
            findings.append(Failure(rid, f"{where}: {what}", expected=expected, operation=operation,
                                    kind=kind, evidence=tuple(evidence)))

        status = exchange.status
        if status >= 500:
            found("TRN-04", f"status {status}", "every answer", expected="no 5xx")
        if _leaks_a_key(exchange):
            found("AUTH-07", "echo", "the response contains an API key the suite sent (header or body)",
                  expected="no key the suite sent in any header or body")
        if method == "HEAD":
            return findings
        ctype = exchange.headers.get("Content-Type", "")
        if not _JSON_TYPE.match(ctype.strip()):
            found("TRN-01", "content-type", f"Content-Type is {ctype or 'absent'!r}",
                  expected="Content-Type: application/json")
        if not exchange.is_json:
            found("TRN-01", "body", "the body", expected="a JSON body (RFC 8259)")
            return findings
        if not self._index.defines_path(request.path_url, decoded=True):
            return findings  # a path the spec does not define: what it gets is TRN-03's alone, not ENV-01's
        self._envelope(exchange.body, status, operation, found)
        if self.schema is not None and operation and status < 500:
            self._schema(exchange, operation, found)
        return findings

    # ---------------------------------------------------------------------------------- envelope

    def _envelope(self, body: Any, status: int, label: str | None, found: Callable[[str, str, str], None]) -> None:
        env = self.envelope
        op = self._operations_by_label.get(label) if label else None
        is_list = op.is_list if op is not None else None
        meta_field = op.paging.meta_field if op is not None and op.is_list else None
        if not isinstance(body, dict):
            found("ENV-01", "not an object", "the body", expected="a JSON object")
            return
        if 200 <= status < 300:
            payload_ok = (env.data_field in body) if is_list or is_list is None or env.detail_wrapped else True
            if not env.success_holds(body, True) or not payload_ok:
                found("ENV-01", "2xx envelope", f"the {status} body", expected=env.describe_success(is_list))
            elif is_list and meta_field is not None and not isinstance(body.get(meta_field), dict):
                found("ENV-01", "2xx envelope", "the list body", expected=f"its pagination object {meta_field!r}")
        elif status >= 400:
            code = env.error_code(body)
            if not env.success_holds(body, False) or not isinstance(code, str):
                found("ENV-01", "error envelope", f"the error body ({status})", expected=env.describe_error())
            elif code not in self.errors:
                found("ENV-01", f"unknown code {code}", f"the error code {code!r}",
                      expected="a code of the error table")
            elif self.errors[code] != status:
                found("ENV-01", f"code {code} status {status}", f"the error code {code} with HTTP {status}",
                      expected=f"HTTP {self.errors[code]} for {code}")
        self._timestamps(body, found)

    def _timestamps(self, body: Any, found: Callable[[str, str, str], None]) -> None:
        """ENV-02: every string that reads as a date and time is in the spec's timestamp form."""
        for path, value in _strings(body):
            if _LOOKS_LIKE_A_TIMESTAMP.match(value) and not self.timestamp.match(value):
                found("ENV-02", f"timestamp {_field_of(path)}", f"{path} = {value!r}",
                      expected="an ISO 8601 UTC timestamp like 2026-11-20T08:15:00Z")
                return

    def fits_the_api(self, exchange: Exchange) -> bool:
        """Whether the answer's body is in the API's own envelope (success for a 2xx, an error object
        with a code otherwise): a gateway's or a proxy's own body is not."""
        body, env = exchange.body, self.envelope
        if not isinstance(body, dict):
            return False
        if 200 <= exchange.status < 300:
            return env.success_holds(body, True)
        return env.success_holds(body, False) and isinstance(env.error_code(body), str)

    # ------------------------------------------------------------------------------------ schema

    def _operation_label(self, method: str, path_url: str) -> str | None:
        if self.schema is None:
            return None
        path = path_url.split("?")[0]
        if self.base_path:
            if not path.startswith(self.base_path + "/"):
                return None
            path = path[len(self.base_path):]
        try:
            operation = self.schema.find_operation_by_path(method, path)
        except Exception:  # noqa: BLE001 - an unmatched path is simply no operation
            return None
        return operation.label if operation is not None else None

    def _schema(self, exchange: Exchange, label: str, found: Callable[[str, str, str], None]) -> None:
        from schemathesis.core.failures import Failure, FailureGroup

        from conformance.checks.schema import requirements_of_failure

        operation = self.schema.find_operation_by_label(label)
        if operation is None:
            return
        try:
            operation.validate_response(exchange.response)
        except FailureGroup as group:
            failures = list(group.exceptions)
        except Failure as failure:
            failures = [failure]
        else:
            return
        for failure in failures:
            for rid in requirements_of_failure(self.spec, failure):
                if rid == "TRN-01":
                    continue  # the content type and the body were judged above, with their own words
                found(rid, f"schema {type(failure).__name__} {getattr(failure, '_unique_key', '')}",
                      f"the response schema: {_one_line(failure)}", expected="the schema the spec documents")


_LOOKS_LIKE_A_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _strings(value: Any, path: str = "$") -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _field_of(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _one_line(failure: BaseException) -> str:
    text = " ".join(str(getattr(failure, "title", "") or type(failure).__name__).split())
    message = " ".join(str(getattr(failure, "message", "")).split())
    return redact(f"{text}: {message}"[:300])


def _leaks_a_key(exchange: Exchange) -> bool:
    headers = " ".join(f"{k}: {v}" for k, v in exchange.headers.items())
    return SECRETS.found_in(headers) or SECRETS.found_in(exchange.text)


class Findings:
    """The distinct findings of one process, in the order they were first seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str, str]] = set()
        self._pending: list[Failure] = []

    def add(self, findings: Iterable[Failure]) -> None:
        with self._lock:
            for finding in findings:
                if finding.key not in self._seen:
                    self._seen.add(finding.key)
                    self._pending.append(finding)

    def take(self) -> list[Failure]:
        """The findings not handed out yet (each is handed out once)."""
        with self._lock:
            pending, self._pending = self._pending, []
        return pending


def response_hook(oracle: ResponseOracle, findings: Findings) -> Callable[..., requests.Response]:
    """A ``requests`` response hook that checks every response of the session."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        # the adapter has already waited out and retried a 429 it was allowed to: what comes back is
        # the answer the test reads
        findings.add(oracle.check(Exchange(response)))
        return response

    return hook
