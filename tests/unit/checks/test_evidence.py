"""Unit tests of the every-response oracles (conformance.checks.every_response): each requirement they check fails
on an answer that breaks it, passes on one that keeps it, and a violation is reported once."""

from __future__ import annotations

import json

import pytest
import requests

from conformance.contract import spec as specs
from conformance.runtime.client import Exchange
from conformance.checks.every_response import Findings, ResponseOracle
from conformance.checks.failures import Failure
from conformance.runtime.redaction import SECRETS
from conformance.checks.schema import load_schema

BASE = "http://deployment.test/api/v1/d2s/external"
KEY = "iris_unit-test-key-0123456789"


@pytest.fixture(scope="module")
def oracle() -> ResponseOracle:
    spec = specs.load(None)
    return ResponseOracle(spec, load_schema(spec), BASE)


def exchange(path: str, status: int = 200, body=None, *, text: str | None = None,
             content_type: str = "application/json", headers: dict | None = None, method: str = "GET") -> Exchange:
    request = requests.Request(method, BASE + path, headers={"x-api-key": KEY}).prepare()
    response = requests.Response()
    response.status_code = status
    response._content = (text if text is not None else json.dumps(body)).encode()
    response.headers["Content-Type"] = content_type
    response.headers.update(headers or {})
    response.request = request
    response.url = request.url
    return Exchange(response)


#: A tariff as the spec describes it (built by hand: no server in these tests).
TARIFF = {"id": 1, "name": "Standard Energy", "type": "ENERGY", "currency": "INR", "isactive": True,
          "created_at": "2026-01-02T03:04:05Z",
          "rules": [{"id": 1, "price": 18.0, "unit": "kWh", "start_time": None, "end_time": None, "days": ["MON"]}]}


def ids(findings: list[Failure]) -> set[str]:
    return {f.requirement_id for f in findings}


def test_a_conformant_list_answer_has_no_finding(oracle):
    body = {"success": True, "data": [TARIFF], "pagination": {"page": 1, "pagesize": 10, "total": 1, "totalpages": 1}}
    assert oracle.check(exchange("/tariffs", 200, body)) == []


def test_a_conformant_error_answer_has_no_finding(oracle):
    ex = exchange("/tariffs/99", 404, {"success": False, "error": {"code": "NOT_FOUND", "message": "no tariff 99"}})
    assert oracle.check(ex) == []


def test_a_server_error_breaks_trn_04(oracle):
    ex = exchange("/tariffs", 500, {"success": False, "error": {"code": "INTERNAL_ERROR", "message": "boom"}})
    assert "TRN-04" in ids(oracle.check(ex))


def test_a_text_answer_breaks_trn_01(oracle):
    found = oracle.check(exchange("/tariffs", 400, text="bad request", content_type="text/plain"))
    assert ids(found) == {"TRN-01"}
    assert {f.kind for f in found} == {"content-type", "body"}
    assert all(f.expected and "HTTP 400 bad request" in f.reason() for f in found)


def test_json_under_another_content_type_breaks_trn_01(oracle):
    body = {"success": False, "error": {"code": "VALIDATION_ERROR", "message": "pagesize"}}
    assert ids(oracle.check(exchange("/tariffs", 400, body, content_type="text/plain"))) == {"TRN-01"}


@pytest.mark.parametrize("body, status", [
    ({"data": []}, 200),  # no success flag
    ({"success": True, "error": {"code": "NOT_FOUND", "message": "x"}}, 404),  # an error saying success
    ({"success": False, "error": {"code": "NOT_FOUND", "message": "x"}}, 400),  # code and status disagree
    ({"success": False, "error": {"code": "TEAPOT", "message": "x"}}, 418),  # a code not in the table
])
def test_envelope_and_error_table_break_env_01(oracle, body, status):
    assert "ENV-01" in ids(oracle.check(exchange("/tariffs", status, body)))


def test_a_timestamp_with_an_offset_breaks_env_02(oracle):
    tariff = dict(TARIFF, created_at="2026-01-02T08:34:05+05:30")
    body = {"success": True, "data": [tariff],
            "pagination": {"page": 1, "pagesize": 10, "total": 1, "totalpages": 1}}
    found = oracle.check(exchange("/tariffs", 200, body))
    assert "ENV-02" in ids(found)
    assert "ENV-01" not in ids(found), "a timestamp's schema failure is ENV-02's, not ENV-01's"


def test_a_schema_violation_of_a_list_item_breaks_env_01(oracle):
    tariff = {k: v for k, v in TARIFF.items() if k != "currency"}
    body = {"success": True, "data": [tariff],
            "pagination": {"page": 1, "pagesize": 10, "total": 1, "totalpages": 1}}
    assert "ENV-01" in ids(oracle.check(exchange("/tariffs", 200, body)))


def test_an_echoed_key_breaks_auth_07(oracle):
    SECRETS.add(KEY)
    body = {"success": False, "error": {"code": "INVALID_API_KEY", "message": f"unknown key {KEY}"}}
    found = oracle.check(exchange("/tariffs", 401, body, headers={"WWW-Authenticate": 'ApiKey realm="iris"'}))
    assert "AUTH-07" in ids(found)
    assert all(KEY not in f.describe() for f in found), "a finding never carries the key"


def test_the_base_path_of_the_deployment_selects_the_operation(oracle):
    """A response under another prefix is no operation of the spec: envelope checks only."""
    other = ResponseOracle(oracle.spec, oracle.schema, "http://deployment.test/other")
    tariff = {k: v for k, v in TARIFF.items() if k != "currency"}
    body = {"success": True, "data": [tariff]}
    assert other.check(exchange("/tariffs", 200, body)) == []


def test_findings_are_handed_out_once_per_distinct_violation(oracle):
    findings = Findings()
    for _ in range(5):
        findings.add(oracle.check(exchange("/tariffs", 500, {"success": False,
                                                             "error": {"code": "INTERNAL_ERROR", "message": "x"}})))
    first = findings.take()
    assert [f.requirement_id for f in first] == ["TRN-04"]
    findings.add(oracle.check(exchange("/tariffs", 500, {"success": False,
                                                         "error": {"code": "INTERNAL_ERROR", "message": "x"}})))
    assert findings.take() == []
    assert Failure.from_json(first[0].to_json()) == first[0]


def test_a_list_without_its_pagination_object_breaks_the_envelope(oracle):
    body = {"success": True, "data": [TARIFF], "meta": {"page": 1, "pagesize": 10, "total": 1, "totalpages": 1}}
    findings = oracle.check(exchange("/tariffs", 200, body))
    assert any(f.kind == "2xx envelope" and "'pagination'" in f.reason() for f in findings)


def test_an_adapted_envelope_is_judged_in_its_own_terms(tmp_path):
    """With no success flag, bare details and top-level error codes (an overlay), those bodies pass,
    and the contract's own shapes are refused."""
    overlay = tmp_path / "bare.yaml"
    overlay.write_text(
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n"
        "  - target: \"$['x-api']['envelope']\"\n"
        "    update: {success-field: null, detail-wrapped: false, error-field: null}\n", encoding="utf-8")
    spec = specs.Spec(specs.default_spec_path(), [str(overlay)])
    bare = ResponseOracle(spec, None, BASE)
    envelope_kinds = ("2xx envelope", "error envelope")

    def envelope(ex):
        return [f for f in bare.check(ex) if f.kind in envelope_kinds]

    assert envelope(exchange("/tariffs/99", 404, {"code": "NOT_FOUND", "message": "no tariff 99"})) == []
    assert envelope(exchange("/tariffs/99", 404, {"success": False, "error": {"code": "NOT_FOUND"}}))
    assert envelope(exchange("/tariffs", 200, {"data": [TARIFF], "pagination": {}})) == []


def test_an_undefined_path_is_trn_03s_alone_and_a_defined_path_is_still_judged_by_env_01(oracle):
    gateway = {"message": "Missing Authentication Token"}
    assert ids(oracle.check(exchange("/v2/tariffs", 403, gateway))) == set()  # TRN-03 judges it, a SHOULD
    assert ids(oracle.check(exchange("/tariffs/1/rules", 200, {"success": True, "data": []}))) == set()
    assert ids(oracle.check(exchange("/v2/tariffs", 404, text="<html>", content_type="text/html"))) == {"TRN-01"}
    # a defined path: its envelope is ENV-01's, whatever the method
    assert ids(oracle.check(exchange("/tariffs", 403, gateway))) == {"ENV-01"}
    assert "ENV-01" in ids(oracle.check(exchange("/tariffs/7", 403, gateway, method="POST")))


def test_a_path_parameter_that_routes_elsewhere_is_an_undefined_path(oracle):
    catch_all = {"success": True, "data": []}
    assert ids(oracle.check(exchange("/customers/..%2F..%2F..%2Fetc%2Fpasswd", 200, catch_all))) == set()
    assert "ENV-01" in ids(oracle.check(exchange("/customers/c-1", 200, catch_all)))
