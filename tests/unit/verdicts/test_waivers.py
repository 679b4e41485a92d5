"""Waivers (conformance.verdicts.waivers, --waivers): the loader says how to fix a bad file (and the suite
refuses it before any request, exit 4); a failure a waiver in force covers is 'waived', counted
apart and does not fail the run; an expired waiver does not apply and is named; a waiver with
nothing to waive is listed as unused; narrowing to operations covers those operations only."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from conformance.verdicts import model as reporting
from conformance.contract import spec as specs
from conformance.verdicts import waivers as waiving
from conformance.checks.failures import Failure, Observed
from conformance.contract.operations import OperationIndex

TODAY = dt.date(2026, 12, 1)
BASE = "http://127.0.0.1:9/api/v1/d2s/external"
CURL = f"curl -sS -i -X GET '{BASE}/chargers/status?lat=1&lng=2&radius=3' -H 'x-api-key: iris_***'"


@pytest.fixture(scope="module")
def spec() -> specs.Spec:
    return specs.load()


def load(tmp_path, spec, text: str) -> waiving.Waivers:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return waiving.load(path, spec, TODAY)


def problem(tmp_path, spec, text: str) -> str:
    with pytest.raises(waiving.WaiverError) as caught:
        load(tmp_path, spec, text)
    return str(caught.value)


def entry(**fields) -> str:
    values = {"requirement": "GEO-03", "reason": "known", "owner": "me", "expires": "2027-01-31", **fields}
    lines = [f"    {k}: {v}" for k, v in values.items() if v is not None]
    return "waivers:\n  -" + "\n".join(lines)[3:] + "\n"


def test_a_valid_file_loads_with_its_operations_as_labels(tmp_path, spec):
    waivers = load(tmp_path, spec, entry(operations='["GET /chargers/status", getStation]'))
    (waiver,) = waivers.waivers
    assert waiver.operations == ("GET /chargers/status", "GET /stations/{id}")
    assert waiver.expires == dt.date(2027, 1, 31) and waiver.owner == "me"
    assert len(waivers.sha256) == 64


@pytest.mark.parametrize("fields, message", [
    ({"requirement": "GEO-3"}, "waivers[0].requirement: 'GEO-3' is not a requirement of the contract (did you mean 'GEO-03'?)"),
    ({"expires": "2027-13-01"}, "waivers[0].expires: '2027-13-01' is not a date (write YYYY-MM-DD"),
    ({"owner": None}, "waivers[0]: missing key 'owner'"),
    ({"ownr": "me"}, "waivers[0]: unknown key 'ownr' (did you mean 'owner'?)"),
    ({"operations": '["GET /charger/status"]'},
     "'GET /charger/status' is not an operation of the spec (did you mean 'GET /chargers/status'?)"),
    ({"operations": "[]"}, "waivers[0].operations: must be a list of operations"),
])
def test_a_mistake_is_named_with_how_to_fix_it(tmp_path, spec, fields, message):
    text = problem(tmp_path, spec, entry(**fields))
    assert message in text, text
    assert "A waiver file looks like this" in text


def test_two_waivers_for_the_same_failure_are_refused(tmp_path, spec):
    text = entry() + entry(operations='["GET /chargers/status"]').removeprefix("waivers:\n")
    assert "waivers[0] and waivers[1] both waive GEO-03 on GET /chargers/status" in problem(tmp_path, spec, text)


def test_not_a_list_of_waivers(tmp_path, spec):
    assert "a mapping with one key, 'waivers'" in problem(tmp_path, spec, "- requirement: GEO-03\n")


def test_the_operation_of_a_failure_comes_from_its_request_then_its_node_id(tmp_path, spec):
    waivers = load(tmp_path, spec, entry())
    index = OperationIndex(spec, BASE)
    assert index.label("GET", f"{BASE}/chargers/status?lat=1&lng=2&radius=3") == "GET /chargers/status"
    assert index.label("GET", f"{BASE}/stations/12?a=1") == "GET /stations/{id}"
    assert index.label("POST", f"{BASE}/stations/12") is None and index.label("GET", f"{BASE}/nope") is None
    assert waivers.operation_of("t.py::test_x[listTariffs]", "GET /stations") == "GET /stations"
    assert waivers.operation_of("t.py::test_x[listTariffs]", None) == "GET /tariffs"
    assert waivers.operation_of("t.py::test_api[GET /sessions/{id}]", None) == "GET /sessions/{id}"
    assert waivers.operation_of("t.py::test_x", None) is None


# ---------------------------------------------------------------------------------------- verdicts

def failure(rid: str, operation: str | None, curl: str = CURL, status: int = 200) -> Failure:
    seen = Observed("GET", curl.split("'")[1] if "'" in curl else BASE, curl, status, "{}")
    return Failure(rid, "a check", expected="what the contract says", operation=operation, evidence=(seen,))


def failing(nodeid="suite/test_geo.py::test_items[getChargerStatus]", ids=("GEO-03",), curl=CURL,
            operation="GET /chargers/status"):
    props = [(reporting.REQUIREMENTS_PROPERTY, ",".join(ids)),
             (reporting.FAILURES_PROPERTY, "\n".join(failure(rid, operation, curl).to_json() for rid in ids))]
    return SimpleNamespace(nodeid=nodeid, when="call", user_properties=props, outcome="failed", passed=False,
                           failed=True, skipped=False, longrepr=curl, longreprtext=curl)


def passing(nodeid="suite/test_geo.py::test_order[getChargerStatus]", ids=("GEO-04",)):
    return SimpleNamespace(nodeid=nodeid, when="call", user_properties=[(reporting.REQUIREMENTS_PROPERTY, ",".join(ids))],
                           outcome="passed", passed=True, failed=False, skipped=False, longrepr=None, longreprtext="")


def verdicts_with(tmp_path, spec, text: str) -> reporting.Verdicts:
    return reporting.Verdicts(waivers=load(tmp_path, spec, text))


def test_a_covered_failure_is_waived_and_counted_apart(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(operations='["GET /chargers/status"]'))
    verdicts.record(failing())
    verdict, why = verdicts.verdict("GEO-03")
    assert verdict == "waived" and "known" in why and "owner me" in why and "2027-01-31" in why
    counts = verdicts.counts()
    assert counts["waived"] == 1 and counts["FAILED"] == 0
    row = next(r for r in verdicts.rows() if r["id"] == "GEO-03")
    assert row["waivers"][0]["owner"] == "me" and row["repro"] == CURL
    (use,) = verdicts.waiver_uses()
    assert use.status == waiving.APPLIED


def test_a_waiver_narrowed_to_another_operation_does_not_cover(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(operations='["GET /stations"]'))
    verdicts.record(failing())
    assert verdicts.verdict("GEO-03")[0] == "FAILED"
    (use,) = verdicts.waiver_uses()
    assert use.status == waiving.UNUSED and "GET /chargers/status" in use.why


def test_a_failure_on_an_operation_the_waiver_does_not_name_keeps_the_requirement_failed(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(operations='["GET /chargers/status"]'))
    verdicts.record(failing())
    verdicts.record(failing(nodeid="suite/test_x.py::test_y[listStations]", curl=f"curl -X GET '{BASE}/stations'",
                            operation="GET /stations"))
    assert verdicts.verdict("GEO-03")[0] == "FAILED"
    (use,) = verdicts.waiver_uses()
    assert use.status == waiving.APPLIED and "not the failures on GET /stations" in use.why


def test_an_expired_waiver_does_not_apply_and_says_so(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(expires="2026-11-30"))
    verdicts.record(failing())
    verdict, why = verdicts.verdict("GEO-03")
    assert verdict == "FAILED" and "waiver expired (it held until 2026-11-30)" in why
    (use,) = verdicts.waiver_uses()
    assert use.status == waiving.EXPIRED and "does not apply" in use.why


def test_a_waiver_holds_through_its_expiry_day(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(expires=TODAY.isoformat()))
    verdicts.record(failing())
    assert verdicts.verdict("GEO-03")[0] == "waived"


def test_a_waiver_of_a_requirement_that_passed_is_unused(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(requirement="GEO-04"))
    verdicts.record(passing())
    (use,) = verdicts.waiver_uses()
    assert use.status == waiving.UNUSED and "GEO-04 passed" in use.why


def test_an_every_response_finding_is_waived_on_its_operation(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(requirement="TRN-04", operations='["GET /tariffs"]'))
    verdicts.add_finding(failure("TRN-04", "GET /tariffs", f"curl -X GET '{BASE}/tariffs'", 500), "t")
    assert verdicts.verdict("TRN-04")[0] == "waived"
    verdicts.add_finding(failure("TRN-04", "GET /stations", f"curl -X GET '{BASE}/stations'", 500), "t")
    assert verdicts.verdict("TRN-04")[0] == "FAILED"


def test_a_should_warning_can_be_waived(tmp_path, spec):
    verdicts = verdicts_with(tmp_path, spec, entry(requirement="GEO-07"))
    report = passing(ids=("GEO-07",))
    report.user_properties.append((reporting.WARNING_PROPERTY, "GEO-07 ... " + CURL))
    verdicts.record(report)
    assert verdicts.verdict("GEO-07")[0] == "waived"


# -------------------------------------------------------------------------------------- real runs
