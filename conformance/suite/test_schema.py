"""Schema conformance: schemathesis over every operation of the spec, with positive and negative
data and the built-in checks that apply to a read-only API. One test (one report row) per operation.
"""

import os

import pytest
from schemathesis.core.failures import FailureGroup

from conformance import spec as specs
from conformance.plugin import FAILED_REQUIREMENTS
from conformance.schema_checks import SCHEMA_TEST_REQUIREMENTS, failed_requirements, load_schema

SPEC = specs.load(os.environ.get("IRIS_SPEC") or None)
schema = load_schema(SPEC)


@schema.parametrize()
@pytest.mark.requirement(*SCHEMA_TEST_REQUIREMENTS)
def test_operation_conforms_to_spec(case, request, api_base_url, iris_auth_headers, http_session, pytestconfig):
    try:
        case.call_and_validate(base_url=api_base_url, session=http_session, headers=dict(iris_auth_headers),
                               timeout=pytestconfig.getoption("iris_timeout"))
    except FailureGroup as exc:
        request.node.stash[FAILED_REQUIREMENTS] = failed_requirements(SPEC, case, exc.exceptions, str(exc.message))
        raise
