"""Schema conformance: schemathesis over every operation of the spec, with positive and negative
data and the built-in checks that apply to a read-only API. One test (one report row) per operation.
"""

import os

import pytest
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth

from conformance import spec as specs
from conformance.plugin import FAILED_REQUIREMENTS
from conformance.schema_checks import SCHEMA_TEST_REQUIREMENTS, failed_requirements, load_schema

SPEC = specs.load(os.environ.get("IRIS_SPEC") or None)
schema = load_schema(SPEC, os.environ.get("IRIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def auth_enforced() -> set[str]:
    """Operations whose authentication ``ignored_auth`` has confirmed. As in ``st run``, once per
    operation and run is enough: the check re-sends a 2xx case without and with a wrong key (two
    extra requests per case, a third of the schema test's requests when repeated for every case)."""
    return set()


@schema.parametrize()
@pytest.mark.requirement(*SCHEMA_TEST_REQUIREMENTS)
def test_operation_conforms_to_spec(case, request, api_base_url, iris_auth_headers, http_session, pytestconfig,
                                    auth_enforced):
    label = case.operation.label
    schema.transport.session = http_session  # for the ignored_auth probes (see SessionTransport)
    try:
        response = case.call_and_validate(base_url=api_base_url, session=http_session,
                                          headers=dict(iris_auth_headers),
                                          timeout=pytestconfig.getoption("iris_timeout"),
                                          excluded_checks=[ignored_auth] if label in auth_enforced else [])
    except FailureGroup as exc:
        request.node.stash[FAILED_REQUIREMENTS] = failed_requirements(SPEC, case, exc.exceptions, str(exc.message))
        raise
    if 200 <= response.status_code < 300:
        auth_enforced.add(label)
