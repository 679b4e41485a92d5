"""Unit tests of verdict recording and attribution (conformance.verdicts.model.Verdicts): a verdict follows the
requirement a violation names, the test's other requirements are blocked by it, and every-response
findings are counted once against their own requirement."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.verdicts import model as reporting
from conformance.checks.failures import Failure, Observed


CURL = "curl -sS -X GET http://x/tariffs"


def typed(rid, check="a check", operation="GET /tariffs", status=200, kind=""):
    return Failure(rid, check, expected="what the contract says", operation=operation, kind=kind,
                   evidence=(Observed("GET", "http://x/tariffs", CURL, status, '{"data": []}'),))


def a_report(nodeid="suite/test_x.py::test_y", outcome="passed", ids=("SRCH-01",), violated=(), judged_all=False,
                findings=(), warning=None, when="call", longrepr=CURL):
    props = [(reporting.REQUIREMENTS_PROPERTY, ",".join(ids))] if ids else []
    if violated:
        props.append((reporting.FAILED_REQUIREMENTS_PROPERTY, ",".join(violated)))
        props.append((reporting.FAILURES_PROPERTY, "\n".join(typed(rid).to_json() for rid in violated)))
    if judged_all:
        props.append((reporting.JUDGED_ALL_PROPERTY, "1"))
    if findings:
        props.append((reporting.FINDINGS_PROPERTY, "\n".join(f.to_json() for f in findings)))
    if warning:
        props.append((reporting.WARNING_PROPERTY, warning))
    return SimpleNamespace(nodeid=nodeid, when=when, user_properties=props, outcome=outcome,
                           passed=outcome == "passed", failed=outcome == "failed", skipped=outcome == "skipped",
                           longrepr=longrepr if outcome != "passed" else None,
                           longreprtext=longrepr if outcome == "failed" else "")


def finding(rid="TRN-04", kind="status 500"):
    return typed(rid, "GET /tariffs: every answer", status=500, kind=kind)


def test_a_violation_fails_its_own_requirement_and_blocks_the_tests_own():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("SRCH-01",), violated=("PAGE-04",)))
    assert verdicts.verdict("PAGE-04") == ("FAILED", typed("PAGE-04").reason())
    assert verdicts.verdict("SRCH-01") == ("blocked", f"blocked by PAGE-04 (PAGE-04: {typed('PAGE-04').reason()})")


def test_blocked_is_not_hidden_by_another_test_that_passed():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(nodeid="a", outcome="passed", ids=("SRCH-01",)))
    verdicts.record(a_report(nodeid="b", outcome="failed", ids=("SRCH-01",), violated=("PAGE-04",)))
    assert verdicts.verdict("SRCH-01")[0] == "blocked"


def test_a_failure_of_the_tests_own_requirement_is_failed():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("PAGE-01", "PAGE-02"), violated=("PAGE-01",)))
    assert verdicts.verdict("PAGE-01")[0] == "FAILED"
    assert verdicts.verdict("PAGE-02")[0] == "blocked"
    assert verdicts.verdict("PAGE-02")[1].startswith("blocked by PAGE-01 (PAGE-01: a check; expected ")


def test_a_test_that_judged_all_its_requirements_passes_the_others():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("TRN-01", "TRN-04", "ENV-01"), violated=("ENV-02",),
                                judged_all=True))
    assert verdicts.verdict("ENV-02")[0] == "FAILED"
    assert {verdicts.verdict(r)[0] for r in ("TRN-01", "TRN-04", "ENV-01")} == {"passed"}


def test_a_failure_without_a_violation_is_the_tests_own():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("GEO-03",)))
    assert verdicts.verdict("GEO-03")[0] == "FAILED"


def test_a_finding_fails_its_requirement_once_even_if_the_test_passed():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(nodeid="a", ids=("SORT-01",), findings=[finding()]))
    verdicts.record(a_report(nodeid="b", ids=("PAGE-03",), findings=[finding()]))  # the same violation
    assert verdicts.verdict("TRN-04")[0] == "FAILED"
    assert verdicts.verdict("SORT-01")[0] == "passed" and verdicts.verdict("PAGE-03")[0] == "passed"
    assert len(verdicts.findings()["TRN-04"]) == 1
    row = next(r for r in verdicts.rows() if r["id"] == "TRN-04")
    assert row["repro"].startswith("curl") and row["every_response_findings"]


def test_a_should_finding_warns_and_strict_fails():
    geo = finding("GEO-07", "name")
    lenient, strict = reporting.Verdicts(), reporting.Verdicts(strict=True)
    for verdicts in (lenient, strict):
        verdicts.record(a_report(findings=[geo]))
    assert lenient.verdict("GEO-07")[0] == "warning"
    assert strict.verdict("GEO-07")[0] == "FAILED"


def test_the_evidence_rows_are_not_counted_twice():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(findings=[finding()]))
    row = a_report(nodeid="suite::every_response[TRN-04]", outcome="failed", ids=("TRN-04",))
    row.user_properties.append((reporting.EVIDENCE_ROW_PROPERTY, "1"))
    verdicts.record(row)
    assert verdicts.results["TRN-04"].failed == 1


def test_counts_include_blocked():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("SRCH-01",), violated=("PAGE-04",)))
    counts = verdicts.counts()
    assert counts["blocked"] == 1 and counts["FAILED"] == 1
