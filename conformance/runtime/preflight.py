"""Before any test: is there an IRIS-like JSON API at the base URL at all?

Three requests derived from the spec: the first list operation with the key, the same without it,
and an undefined path. The run stops with one clear "cannot judge" reason when the deployment is
unreachable (refused, DNS, TLS, no answer in time), redirects the base URL, answers 5xx to all three,
or answers none of them with JSON. Anything less broken is left to the tests to judge: a deployment
with defects is non-conformant, not unjudgeable.
"""

from __future__ import annotations


from conformance.runtime.client import ApiClient, CannotJudge, Exchange, TransportFailure
from conformance.runtime.redaction import redact
from conformance.contract.spec import Spec


def _excerpt(exchange: Exchange, limit: int = 80) -> str:
    text = " ".join(exchange.response.text[:limit * 2].split())
    return text[:limit] + ("..." if len(text) > limit else "")


def check_deployment(api: ApiClient, spec: Spec) -> str | None:
    """None when the suite can judge the deployment behind ``api``, else why it cannot."""
    op = spec.resource_list_operations[0]
    probes = [("GET " + op.path, lambda: api.get(op.path)),
              ("GET " + op.path + " without a key", lambda: api.get(op.path, key=None)),
              ("GET /an-undefined-path", lambda: api.get("/iris-conformance-undefined-path"))]
    answers: list[tuple[str, Exchange]] = []
    for label, send in probes:
        try:
            exchange = send()
        except CannotJudge as exc:
            return redact(str(exc))
        except TransportFailure as exc:
            return redact(f"the deployment gives no usable answer: {exc}")
        if 300 <= exchange.status < 400:
            location = exchange.headers.get("Location", "no Location header")
            return redact(f"{api.base_url} redirects ({label} -> HTTP {exchange.status} to {location}): "
                          "point --base-url at the API itself; the suite does not follow redirects")
        answers.append((label, exchange))
    if all(ex.status >= 500 for _, ex in answers):
        statuses = ", ".join(f"{label} -> HTTP {ex.status}" for label, ex in answers)
        return redact(f"{api.base_url} is broken: every probe got a server error ({statuses})")
    if not any(ex.is_json for _, ex in answers):
        label, ex = answers[0]
        ctype = ex.headers.get("Content-Type", "no Content-Type")
        return redact(f"{api.base_url} does not answer with JSON: {label} -> HTTP {ex.status} ({ctype}) "
                      f"{_excerpt(ex)!r}; is this the API's base URL?")
    return None
