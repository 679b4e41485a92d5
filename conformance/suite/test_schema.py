"""Schema conformance: schemathesis over every operation of the spec, with positive and negative
data and the built-in checks that apply to a read-only API. One test (one report row) per operation.
A failure is attributed to requirements from schemathesis' typed failure classes.
"""

import pytest
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth

from conformance.checks.expect import Violation
from conformance.checks.schema import SCHEMA_TEST_REQUIREMENTS, failure_text, load_schema, typed_failures
from conformance.contract import active

SPEC = active.run().spec  # the run's spec, its overlays applied (the fixtures' iris_spec)
schema = load_schema(SPEC, active.run().profile)


@pytest.fixture(scope="session")
def auth_enforced() -> set[str]:
    """Operations whose authentication ``ignored_auth`` has confirmed. As in ``st run``, once per
    operation and run is enough: the check re-sends a 2xx case without and with a wrong key (two
    extra requests per case, a third of the schema test's requests when repeated for every case)."""
    return set()


@schema.parametrize()
@pytest.mark.requirement(*SCHEMA_TEST_REQUIREMENTS)
def test_operation_conforms_to_spec(case, api_base_url, iris_auth_headers, http_session, pytestconfig,
                                    auth_enforced):
    label = case.operation.label
    schema.transport.session = http_session  # for the ignored_auth probes (see SessionTransport)
    headers = dict(iris_auth_headers)
    response = case.call(base_url=api_base_url, session=http_session, headers=headers,
                         timeout=pytestconfig.getoption("iris_timeout"))
    try:
        case.validate_response(response, headers=headers,
                               excluded_checks=[ignored_auth] if label in auth_enforced else [],
                               transport_kwargs={"base_url": api_base_url, "session": http_session,
                                                 "headers": headers})
    except (FailureGroup, Failure) as exc:
        failures = list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
        typed = typed_failures(SPEC, case, failures, response)
        ids = [f.requirement_id for f in typed]
        raise Violation(ids, text=failure_text(exc, label, ids), judged_all=True, failures=typed) from None
    if 200 <= response.status_code < 300:
        auth_enforced.add(label)
