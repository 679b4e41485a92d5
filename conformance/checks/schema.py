"""Schemathesis set-up for the schema-driven tests: which built-in checks run, what each one proves
about the contract, and how a failure is attributed to requirement IDs (for the matrix)."""

from __future__ import annotations

import re
from typing import Any, Iterable

import jsonschema
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.requests import RequestsTransport

from conformance.checks.failures import Failure, Observed
from conformance.contract import spec as specs
from conformance.runtime.client import Exchange

#: Built-in checks that apply to a read-only API, and the requirements a failure of each breaks.
#: The data-acceptance checks are attributed through the spec: to the ``x-requirements`` of the
#: parameters the failing request got wrong (or, for valid data refused, of those it sent).
CHECK_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "not_a_server_error": ("TRN-04",),
    "content_type_conformance": ("TRN-01",),
    "status_code_conformance": ("ENV-01",),
    "response_schema_conformance": ("ENV-01",),
    "response_headers_conformance": ("RATE-02",),
    "ignored_auth": ("AUTH-02",),
    "unsupported_method": ("TRN-02",),
    "allow_header_conformance": ("TRN-02",),
    "missing_required_header": ("AUTH-02",),
    "negative_data_rejection": (),
    "positive_data_acceptance": (),
}
SCHEMA_TEST_REQUIREMENTS = ("TRN-01", "TRN-04", "ENV-01")
_NOT_APPLICABLE = ("use_after_free", "ensure_resource_availability", "object_level_authorization")


def schemathesis_config(spec: specs.Spec, profile: str = "default") -> SchemathesisConfig:
    """The schemathesis configuration for ``spec`` under the suite's ``--profile``. The coverage phase
    (every type, format and bound violation of every parameter, and its boundary values) runs under
    ``thorough`` only: it was about 540 of the default profile's 5,300 requests, and the property tests'
    own edge and invalid-input checks (PAGE-01, GEO-01, the filters' near misses, the hostile battery)
    send those inputs with an oracle of their own; the catalogue's kill table is the same without it."""
    checks: dict[str, Any] = {name: {"enabled": False} for name in _NOT_APPLICABLE}
    # Valid input is answered 2xx, or 404 for an id the tenant does not have; never 401/403/409/5xx.
    checks["positive_data_acceptance"] = {"expected-statuses": ["2xx", "404"]}
    checks["negative_data_rejection"] = {"expected-statuses": ["400", "404"]}
    operations = []
    for op in spec.operations.values():
        semantic = op.semantic_statuses
        if semantic:
            # The schema cannot say everything (e.g. start_date <= end_date): such valid-looking
            # input may be refused with the statuses the spec lists.
            operations.append({
                "include-operation-id": op.operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", *map(str, semantic)]}},
            })
    return SchemathesisConfig.from_dict({
        # No state carried between runs: the same seed gives the same verdict.
        "cache": {"enabled": False},
        # Unknown query parameters are ignored by contract (FLT-02), so they are not negative data.
        # Credentials are the suite's own (the x-api-key header it passes), not generated ones.
        "generation": {"mode": "all", "allow-extra-parameters": False, "with-security-parameters": False},
        "checks": checks,
        "operations": operations,
        **({"phases": {"coverage": {"enabled": False}}} if profile != "thorough" else {}),
    })


class SessionTransport(RequestsTransport):
    """schemathesis' requests transport, except that a request sent without a session goes through
    :attr:`session`, the suite's own. The ``ignored_auth`` probes (the same request without the key
    and with a wrong one) are sent that way, since schemathesis drops the caller's session with the
    credentials; through the suite's session they count in the shared request budget, keep its pace,
    timeout and body cap, and wait out a 429 instead of reading it as "authentication not enforced".
    That session carries no credential (the key travels in each request's headers) and keeps no
    cookie."""

    session: requests.Session | None = None

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Any:
        return super().send(case, session=session if session is not None else self.session, **kwargs)


def load_schema(spec: specs.Spec, profile: str = "default") -> Any:
    """The schemathesis schema of ``spec``; its ``transport`` is a :class:`SessionTransport` whose
    session the schema test sets."""
    # from the spec's document, overlays applied (a copy: schemathesis keeps and may annotate it)
    schema = schemathesis.openapi.from_dict(spec.openapi_document(), config=schemathesis_config(spec, profile))
    transport = SessionTransport()
    # The transport is a read-only property of the schema class: a subclass overrides it
    # (schemathesis clones a schema with ``self.__class__``, so clones keep it).
    schema.__class__ = type("SessionSchema", (type(schema),), {"transport": property(lambda _: transport)})
    return schema


def header_requirements(spec: specs.Spec) -> dict[str, str]:
    """A response header the spec declares (lower case) -> the requirement a violation of it breaks:
    the rate-limit headers by the names ``x-api.rate-limit`` gives them, and HTTP's own."""
    rate = spec.api_view.rate_limit
    return {rate.retry_after_header.lower(): "RATE-02", rate.limit_header.lower(): "RATE-03",
            rate.remaining_header.lower(): "RATE-03", "allow": "TRN-02", "www-authenticate": "AUTH-06"}

_HEADER_SCHEMA_TITLE = "Response header does not conform to the schema"


def _failure_classes() -> dict[type, tuple[str, ...]]:
    """schemathesis' typed failure classes -> the requirements a failure of that class breaks."""
    from schemathesis.core import failures as core
    from schemathesis.openapi import checks as openapi

    return {
        core.ServerError: ("TRN-04",),
        core.MalformedJson: ("TRN-01",),
        openapi.MissingContentType: ("TRN-01",),
        openapi.MalformedMediaType: ("TRN-01",),
        openapi.UndefinedContentType: ("TRN-01",),
        openapi.ContentDeserializationError: ("TRN-01",),
        openapi.UndefinedStatusCode: ("ENV-01",),
        openapi.IgnoredAuth: ("AUTH-02",),
        openapi.MissingHeaderNotRejected: ("AUTH-02",),
        openapi.UnsupportedMethodResponse: ("TRN-02",),
        openapi.AllowHeaderMismatch: ("TRN-02",),
    }


def requirements_of_failure(spec: specs.Spec, failure: Exception) -> list[str]:
    """The requirements one typed schemathesis failure breaks, from its class and its typed fields
    (never from its text). Data-acceptance failures need the case: see :func:`typed_failures`."""
    from schemathesis.openapi import checks as openapi

    if isinstance(failure, openapi.MissingHeaders):
        named = {h.lower() for h in failure.missing_headers}
        headers = header_requirements(spec)
        return sorted({headers[h] for h in named if h in headers}) or ["ENV-01"]
    if isinstance(failure, openapi.JsonSchemaError):
        if failure.title == _HEADER_SCHEMA_TITLE:
            return _header_schema_requirements(spec, failure)
        return ["ENV-02"] if _is_timestamp_failure(failure) else ["ENV-01"]
    for kind, ids in _failure_classes().items():
        if isinstance(failure, kind):
            return list(ids)
    return ["ENV-01"]


def _is_timestamp_failure(failure: Any) -> bool:
    """A schema failure of a ``format: date-time`` value: its pattern or its format, or a string that
    fits no branch of a nullable timestamp's ``anyOf``/``oneOf``."""
    keyword = failure.schema_path[-1] if failure.schema_path else None
    schema = failure.schema  # the schema that holds the failing keyword (typed, not the message)
    if not isinstance(schema, dict):
        return False
    if keyword in ("pattern", "format"):
        return schema.get("format") == "date-time"
    if keyword in ("anyOf", "oneOf") and isinstance(failure.instance, str):
        return any(isinstance(b, dict) and b.get("format") == "date-time" for b in schema.get(keyword, []))
    return False


def _header_schema_requirements(spec: specs.Spec, failure: Any) -> list[str]:
    """Which declared response header's schema failed: the headers whose schema is the failing one."""
    root = getattr(failure, "_root_schema", None)
    headers = header_requirements(spec)
    ids = set()
    for op in spec.operations.values():
        for header in op.response_headers:
            if header.schema.json_schema() == root and header.name.lower() in headers:
                ids.add(headers[header.name.lower()])
    return sorted(ids) or ["ENV-01"]


def _attributed(spec: specs.Spec, case: Any, failures: list[Exception],
                response: requests.Response | None) -> list[tuple[Exception, list[str]]]:
    """Each schemathesis failure of ``case`` with the requirements it breaks."""
    from schemathesis.core.failures import AcceptedNegativeData, ServerError
    from schemathesis.openapi.checks import RejectedPositiveData

    errors = [f for f in failures if isinstance(f, ServerError)]
    if errors:
        return [(errors[0], ["TRN-04"])]  # a 5xx also breaks the status and schema checks: one cause
    # schemathesis also sends methods the spec does not define (TRACE...): match the path alone
    operation = next((op for op in spec.operations.values() if op.path == case.path), None)
    out = []
    for failure in failures:
        if isinstance(failure, (AcceptedNegativeData, RejectedPositiveData)):
            negative = isinstance(failure, AcceptedNegativeData)
            refused = set() if negative else refused_parameters(response)
            ids = _parameter_requirements(operation, case, only_invalid=negative, only=refused) if operation else []
        else:
            ids = requirements_of_failure(spec, failure)
        out.append((failure, ids or list(SCHEMA_TEST_REQUIREMENTS)))
    return out


def typed_failures(spec: specs.Spec, case: Any, failures: Iterable[Exception],
                   response: requests.Response | None) -> list[Failure]:
    """schemathesis' failures of ``case`` as the suite's typed failures, one per requirement broken:
    its check's title, what it expected, its own message for what came back, the answer as evidence."""
    evidence = (Observed.of(Exchange.of(response)),) if response is not None else ()
    label = case.operation.label
    typed: dict[str, Failure] = {}
    for failure, ids in _attributed(spec, case, list(failures), response):
        title = " ".join(str(getattr(failure, "title", "") or type(failure).__name__).split())
        message = " ".join(str(getattr(failure, "message", "")).split())
        for rid in ids:
            typed.setdefault(rid, Failure(rid, f"{label}: {title}", expected=_EXPECTED.get(type(failure).__name__, ""),
                                          got=message[:300], kind=type(failure).__name__, evidence=evidence))
    return list(typed.values())


#: What each of schemathesis' checks expects, in the contract's words (by failure class).
_EXPECTED = {
    "ServerError": "no 5xx", "AcceptedNegativeData": "invalid input refused with 400",
    "RejectedPositiveData": "valid input accepted (2xx, or 404 for an id the tenant does not have)",
    "UndefinedStatusCode": "a status the spec documents for the operation",
    "JsonSchemaError": "a body the spec's schema allows", "MissingContentType": "Content-Type: application/json",
    "MalformedJson": "a JSON body", "UndefinedContentType": "Content-Type: application/json",
    "IgnoredAuth": "401 without a valid credential", "MissingHeaderNotRejected": "401 without the key header",
    "UnsupportedMethodResponse": "405 for a method the path does not define",
    "AllowHeaderMismatch": "an Allow header that lists GET", "MissingHeaders": "the headers the spec documents",
}


def refused_parameters(response: requests.Response | None) -> set[str]:
    """The parameter names an error body's details name (``error.details[].param``), if any."""
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return set()
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("param"), str):
                found.add(node["param"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return found


def _parameter_requirements(operation: specs.Operation, case: Any, *, only_invalid: bool,
                            only: set[str] = frozenset()) -> list[str]:
    sent = dict(case.query or {})
    sent.update(case.path_parameters or {})
    ids: list[str] = []
    for param in operation.parameters:
        name = param.name
        if only and name not in only:
            continue
        if name not in sent and not (only_invalid and param.required):
            continue
        if only_invalid and name in sent and _is_valid(sent[name], param.schema.json_schema()):
            continue
        # the first of a parameter's x-requirements governs its values (PAGE-01 for page and pagesize,
        # SRCH-01 for search, FLT-TAR-01 for type ...); the others only read the parameter
        ids += [i for i in param.requirements[:1] if i not in ids]
    if not ids:
        ids = [i for i in operation.requirements if re.match(r"(PAGE-01|DET-02|GEO-01)$", i)]
    return ids


def _is_valid(value: Any, schema: dict[str, Any]) -> bool:
    return jsonschema.Draft4Validator(schema).is_valid(_coerce(value, schema))


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return value if schema.get("type") == "array" else object()
    if not isinstance(value, str):
        return value
    kind = schema.get("type")
    try:
        if kind == "integer" and re.fullmatch(r"[0-9]+|-[0-9]+", value):
            return int(value)
        if kind == "number" and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value):
            return float(value)
    except (ValueError, OverflowError):
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def failure_text(exc: BaseException, label: str, requirement_ids: list[str]) -> str:
    """The report text of a schemathesis failure: the requirements, then schemathesis' own account
    (each distinct failure and a curl command), with the suite's credentials shown as ``iris_***``."""
    from conformance.contract import requirements
    from conformance.runtime.redaction import PLACEHOLDER, redact

    lines = [f"Schema conformance of {label} failed."]
    lines += [requirements.get(rid).headline() for rid in requirement_ids]
    lines += ["", str(getattr(exc, "message", exc))]
    text = "\n".join(lines)
    text = re.sub(r"(?i)(-H '(?:x-api-key|authorization): )(?:Bearer )?\[Filtered\]'", rf"\1{PLACEHOLDER}'", text)
    return redact(text)
