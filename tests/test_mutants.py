"""The suite against the reference server: clean, it passes; with each defect, it fails on the
requirement the defect breaks (a warning for a SHOULD), on the right operation, and on no unrelated
MUST requirement."""

from __future__ import annotations

import pytest

from conformance import requirements
from conformance.reference.defects import DEFECTS

# The defects of issue 2, and the operation whose report row must show each.
OPERATION_OF = {
    "missing-key-403": "listTariffs",
    "tariff-drops-currency": "GET /tariffs",
    "pagesize-crash": "GET /tariffs",
}


def test_clean_reference_server_passes(run_suite):
    run = run_suite(None)
    assert run.returncode == 0, run.output[-3000:]
    assert not run.failed_tests()
    assert not run.requirements_with("FAILED")
    assert (run.report_dir / "report.html").exists() and (run.report_dir / "junit.xml").exists()


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_suite_catches_defect(name, start_reference, run_suite):
    defect = DEFECTS[name]
    server = start_reference("--defect", name)
    run = run_suite(server, "--profile", "smoke")
    requirement = requirements.get(defect.requirement)
    expected = "warning" if requirement.is_should else "FAILED"
    assert run.verdict(defect.requirement) == expected, (
        f"{name} breaks {defect.requirement} but its verdict is {run.verdict(defect.requirement)}\n"
        + run.output[-3000:])
    collateral = set(getattr(defect, "collateral", ()) or ())
    unrelated = run.requirements_with("FAILED") - {defect.requirement} - collateral
    assert not unrelated, f"{name} also failed unrelated requirements {sorted(unrelated)}"
    if expected == "FAILED":
        assert run.returncode == 1
    if name in OPERATION_OF:
        assert any(OPERATION_OF[name] in test for test in run.failed_tests()), run.failed_tests()
