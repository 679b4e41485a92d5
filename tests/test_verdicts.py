"""Unit tests of verdict recording and attribution (conformance.verdicts.model.Verdicts): a verdict follows the
requirement a violation names, the test's other requirements are blocked by it, and every-response
findings are counted once against their own requirement."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.verdicts import model as reporting
from conformance.checks.every_response import Finding


def a_report(nodeid="suite/test_x.py::test_y", outcome="passed", ids=("SRCH-01",), violated=(), judged_all=False,
                findings=(), warning=None, when="call", longrepr="curl -sS -X GET http://x/tariffs"):
    props = [(reporting.REQUIREMENTS_PROPERTY, ",".join(ids))] if ids else []
    if violated:
        props.append((reporting.FAILED_REQUIREMENTS_PROPERTY, ",".join(violated)))
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


def finding(rid="TRN-04", key="TRN-04|GET /tariffs|status 500"):
    return Finding(rid, "GET /tariffs: the deployment answered HTTP 500", "curl -sS -X GET http://x/tariffs", 500, key)


def test_a_violation_fails_its_own_requirement_and_blocks_the_tests_own():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("SRCH-01",), violated=("PAGE-04",)))
    assert verdicts.verdict("PAGE-04") == ("FAILED", "")
    assert verdicts.verdict("SRCH-01") == ("blocked", "blocked by PAGE-04")


def test_blocked_is_not_hidden_by_another_test_that_passed():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(nodeid="a", outcome="passed", ids=("SRCH-01",)))
    verdicts.record(a_report(nodeid="b", outcome="failed", ids=("SRCH-01",), violated=("PAGE-04",)))
    assert verdicts.verdict("SRCH-01")[0] == "blocked"


def test_a_failure_of_the_tests_own_requirement_is_failed():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report(outcome="failed", ids=("PAGE-01", "PAGE-02"), violated=("PAGE-01",)))
    assert verdicts.verdict("PAGE-01")[0] == "FAILED"
    assert verdicts.verdict("PAGE-02") == ("blocked", "blocked by PAGE-01")


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
    geo = finding("GEO-07", "GEO-07|GET /chargers/status|name")
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
