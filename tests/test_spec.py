"""specs/openapi.yaml: valid OpenAPI, complete against the vendor docs, traced to the registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from conformance import requirements
from conformance import spec as specs

DOCS = Path(__file__).resolve().parents[1].parent / "shared" / "docs" / "iris-external-api-docs.txt"

# The vendor docs describe the operations in this order, each with its own parameter table.
DOC_OPERATIONS = [
    ("list of tariff plans", "listTariffs"),
    ("specific tariff plan", "getTariff"),
    ("list of customers", "listCustomers"),
    ("specific customer", "getCustomer"),
    ("list of charging stations", "listStations"),
    ("specific station", "getStation"),
    ("list of charging sessions", "listSessions"),
    ("specific charging session", "getSession"),
    ("list of chargers within", "getChargerStatus"),
]
COMMON_ON = {"page": "list", "pagesize": "list", "search": "resource", "sortby": "resource", "orderby": "resource"}


@pytest.fixture(scope="module")
def spec() -> specs.Spec:
    return specs.load(str(specs.default_spec_path()))


def _doc_tables() -> tuple[list[str], dict[str, list[str]]]:
    """(common parameters, {operationId: parameters}) parsed from the docs text."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=Retrieve )", text)
    names = lambda block: re.findall(r"^([a-z_]+) \|$", block, flags=re.M)  # noqa: E731
    common = names(blocks[0])
    per_op: dict[str, list[str]] = {}
    for block in blocks[1:]:
        heading = block.splitlines()[0]
        op = next(op for phrase, op in DOC_OPERATIONS if phrase in heading)
        per_op[op] = names(block.split("\n| Error Code")[0])
    return common, per_op


def test_spec_is_valid_openapi(spec):
    validate(yaml.safe_load(spec.text))


def test_docs_parse_finds_every_operation():
    common, per_op = _doc_tables()
    assert common == ["page", "pagesize", "search", "sortby", "orderby"]
    assert set(per_op) == {op for _, op in DOC_OPERATIONS}


def test_every_documented_operation_is_a_get_in_the_spec(spec):
    for _, op_id in DOC_OPERATIONS:
        assert op_id in spec.operations, f"{op_id} missing from the spec"
        assert spec.operation(op_id).method == "GET"
    assert len(spec.operations) == len(DOC_OPERATIONS)


def test_every_documented_parameter_is_in_the_spec(spec):
    common, per_op = _doc_tables()
    for op_id, params in per_op.items():
        op = spec.operation(op_id)
        declared = {p["name"] for p in op.parameters}
        missing = set(params) - declared
        assert not missing, f"{op_id} lacks documented parameters {missing}"
        for name in common:
            if COMMON_ON[name] == "list" and op.is_list or COMMON_ON[name] == "resource" and op.resource:
                assert name in declared, f"{op_id} lacks the common parameter {name}"


def test_both_security_schemes_are_declared(spec):
    schemes = spec.document["components"]["securitySchemes"].values()
    assert {"type": "apiKey", "in": "header", "name": "x-api-key"}.items() <= next(
        s for s in schemes if s["type"] == "apiKey").items()
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes)


def test_every_error_code_of_the_contract_is_in_the_spec(spec):
    assert spec.api["errors"] == {
        "VALIDATION_ERROR": 400, "MISSING_API_KEY": 401, "INVALID_KEY_FORMAT": 401, "INVALID_API_KEY": 401,
        "NOT_FOUND": 404, "METHOD_NOT_ALLOWED": 405, "RATE_LIMIT_EXCEEDED": 429, "INTERNAL_ERROR": 500,
    }
    enum = spec.document["components"]["schemas"]["ErrorCode"]["enum"]
    assert set(enum) == set(spec.api["errors"])


def test_requirement_ids_in_the_spec_are_registered(spec):
    found = set(re.findall(r"\b[A-Z]+(?:-[A-Z]+)?-\d\d\b", " ".join(
        str(v) for v in _walk(spec.raw, "x-requirements"))))
    assert found, "the spec carries no x-requirements"
    unknown = found - set(requirements.registry())
    assert not unknown, f"x-requirements name IDs the registry does not have: {unknown}"


def test_every_operation_carries_requirements_and_list_extensions(spec):
    for op in spec.operations.values():
        assert op.requirements, f"{op.operation_id} has no x-requirements"
    for op in spec.list_operations:
        assert {"page-param", "pagesize-param", "max-pagesize", "total-field"} <= set(op.pagination)
    assert {op.operation_id for op in spec.resource_list_operations} == {
        "listTariffs", "listCustomers", "listStations", "listSessions"}
    assert spec.operation("getChargerStatus").geo["earth-radius-km"] == pytest.approx(6371.0088)


def _walk(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _walk(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, key)
