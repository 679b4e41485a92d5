"""The suite against the reference server: clean, it passes; with each defect, it fails on the
requirement the defect breaks (a warning for a SHOULD), on the right operation, and on no unrelated
MUST requirement."""

from __future__ import annotations

import pytest

from kill_table import run_defect
from lab.defects import DEFECTS

# Defects whose failing report rows must name an operation (in a failed test's id, or in the typed
# operation of the requirement's violations: a test that deals its inputs to the routes in turn is not
# parametrized by operation).
OPERATION_OF = {
    "missing-key-403": "GET /tariffs",
    "tariff-drops-currency": "GET /tariffs",
    "pagesize-crash": "listTariffs",  # the hostile battery (smoke sends no invalid coverage case)
}


def test_clean_reference_server_passes(run_suite):
    run = run_suite(None)
    assert run.returncode == 0, run.output[-3000:]
    assert not run.failed_tests()
    assert not run.requirements_with("FAILED")
    assert (run.report_dir / "report.html").exists() and (run.report_dir / "junit.xml").exists()


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_suite_kills_defect(name):
    """The tests of the defect's requirement catch it."""
    outcome = run_defect(name, targeted=True)
    assert outcome.killed, f"{name} breaks {outcome.requirement}; the suite's verdict is {outcome.verdict}"
    assert not outcome.unexplained, f"{name}: no reason in conformance.json or summary.md for {outcome.unexplained}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_fails_no_unrelated_requirement(name):
    """The whole suite, against the defect, fails its requirement and no unrelated MUST one."""
    outcome = run_defect(name)
    assert outcome.killed, f"{name} breaks {outcome.requirement}; the suite's verdict is {outcome.verdict}"
    assert not outcome.unrelated, f"{name} also failed unrelated requirements {outcome.unrelated}"


@pytest.mark.parametrize("name, operation", sorted(OPERATION_OF.items()))
def test_failure_names_the_operation(name, operation, start_lab, run_suite):
    server = start_lab("--defect", name)
    run = run_suite(server, "--profile", "smoke", "--requirements", DEFECTS[name].requirement)
    assert run.returncode == 1
    row = next(r for r in run.conformance["requirements"] if r["id"] == DEFECTS[name].requirement)
    named = [*run.failed_tests(), *(v.get("operation") or "" for v in row["violations"])]
    assert any(operation in where for where in named), named
    # JUnit: every testcase carries its requirement IDs, the every-response rows included
    for case in run.testcases:
        ids = [value for prop, value in case["properties"] if prop == "requirement"]
        assert ids, f"{case['name']} carries no requirement property"
        if case["name"].startswith("every_response["):
            assert ids == [case["name"].removeprefix("every_response[").removesuffix("]")]
    if name == "tariff-drops-currency":  # a schema violation: seen on every response
        assert any(case["name"] == "every_response[ENV-01]" for case in run.testcases)


def test_a_should_violation_warns_and_strict_makes_it_fail(start_lab, run_suite):
    server = start_lab("--defect", "auth-06-no-www-authenticate")
    warned = run_suite(server, "--profile", "smoke", "--requirements", "AUTH-06")
    assert warned.returncode == 0, warned.output[-2000:]
    assert warned.verdict("AUTH-06") == "warning"
    assert "warning  AUTH-06" in warned.output
    strict = run_suite(server, "--profile", "smoke", "--requirements", "AUTH-06", "--strict")
    assert strict.returncode == 1
    assert strict.verdict("AUTH-06") == "FAILED"
