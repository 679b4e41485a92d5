"""Requirement verdicts: the conformance matrix in the HTML report, conformance.json and the terminal.

Each test report carries the requirement IDs it checks, the IDs its violation broke and the
every-response findings made while it ran (``user_properties``, so the data survives pytest-xdist).
A verdict belongs to the requirement a violation names, not to the test that saw it. Verdicts per
requirement: FAILED (a MUST check failed, or a SHOULD one under ``--strict``), warning (a SHOULD
check failed), waived (every failure of it is covered by a waiver in force, see
:mod:`conformance.verdicts.waivers`), blocked (a test of it could not judge it because another requirement
broke first), passed, or not run (with the reasons).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from conformance.contract import requirements
from conformance.verdicts import waivers as waiving
from conformance.runtime.redaction import redact

REQUIREMENTS_PROPERTY = "requirements"
FAILED_REQUIREMENTS_PROPERTY = "failed_requirements"
WARNING_PROPERTY = "conformance_warning"
#: every-response findings made during a test (JSON lines of :class:`conformance.checks.every_response.Finding`)
FINDINGS_PROPERTY = "conformance_findings"
#: the failing test judged every one of its requirements (those its violation does not name held)
JUDGED_ALL_PROPERTY = "conformance_judged_all"
#: marks the report rows the plugin writes for every-response findings (already recorded)
EVIDENCE_ROW_PROPERTY = "conformance_evidence_row"
#: a failing test whose every violation a waiver in force covers (reported as an expected failure)
WAIVED_PROPERTY = "conformance_waived"
#: the requests a test phase sent (setup includes the session fixtures it was first to need)
REQUESTS_PROPERTY = "conformance_requests"
#: one JUnit property per requirement ID of a test (CI test views show them)
JUNIT_REQUIREMENT_PROPERTY = "requirement"
#: the JUnit property of the requests a test sent (all its phases)
JUNIT_REQUESTS_PROPERTY = "requests"
#: one JUnit property per requirement a failing (or warning, or waived) test's violation named
JUNIT_VIOLATED_PROPERTY = "violated_requirement"
#: a test the run could not judge any more (its skip's reason: the deployment, a budget): not judged
CANNOT_JUDGE_PROPERTY = "cannot_judge"

VERDICTS = ("passed", "FAILED", "warning", "waived", "blocked", "not run")

#: the verdict of a whole run, from its exit status (0 conformant, 1 not conformant, else cannot judge)
CONFORMANT, NOT_CONFORMANT, CANNOT_JUDGE = "CONFORMANT", "NOT CONFORMANT", "CANNOT JUDGE"


def run_verdict(exit_status: int) -> str:
    return {0: CONFORMANT, 1: NOT_CONFORMANT}.get(int(exit_status), CANNOT_JUDGE)
_CURL = re.compile(r"curl [^\n]+")


@dataclass
class RequirementResult:
    tests: set[str] = field(default_factory=set)
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: list[str] = field(default_factory=list)
    #: failures a waiver in force covered (counted apart: they do not fail the run)
    waived: int = 0
    #: the first failure no waiver covered (the repro shown for a FAILED or warning verdict)
    first_failure: str | None = None
    first_failure_test: str | None = None
    #: the first failure a waiver covered (the repro shown for a waived verdict)
    first_waived: str | None = None
    first_waived_test: str | None = None
    #: the operations ("GET /stations", None when unknown) of the failures no waiver covered
    uncovered_operations: set[str | None] = field(default_factory=set)
    #: the waivers (by index) that covered a failure of it, and those that would have but expired
    waived_by: set[int] = field(default_factory=set)
    expired_waivers: set[int] = field(default_factory=set)
    #: requirements whose violation kept a test of this one from judging it
    blocked_by: set[str] = field(default_factory=set)
    #: every-response findings against this requirement (distinct, in the order seen)
    findings: list[Any] = field(default_factory=list)
    #: requests its tests sent (a test of several requirements shares its requests among them)
    requests: float = 0.0


class Verdicts:
    def __init__(self, strict: bool = False, waivers: "waiving.Waivers | None" = None,
                 overlaid: frozenset[str] = frozenset()):
        self.strict = strict
        self.waivers = waivers or waiving.none()
        #: the requirements whose checks read an element an overlay changed (marked in the matrix)
        self.overlaid = overlaid
        self.results: dict[str, RequirementResult] = defaultdict(RequirementResult)
        self._finding_keys: set[str] = set()
        #: the operations of the failures each waiver (by index) covered
        self._covered: dict[int, set[str | None]] = defaultdict(set)
        #: requests sent by tests of no requirement
        self.unattributed_requests = 0
        #: requirements some test of which an interruption kept from running -> why ("interrupted (Ctrl-C)")
        self.interrupted: dict[str, str] = {}

    def interrupt(self, requirement_ids: Iterable[str], reason: str) -> None:
        """The run stopped before every test of these requirements ran: not run, unless a violation
        of one was seen (FAILED, warning, waived or blocked stand)."""
        self.interrupted.update(dict.fromkeys(requirement_ids, reason))

    def record(self, report: Any) -> None:
        props = dict(report.user_properties)
        for finding in findings_of(report):
            self.add_finding(finding, report.nodeid)
        if EVIDENCE_ROW_PROPERTY in props:
            return
        ids = [i for i in props.get(REQUIREMENTS_PROPERTY, "").split(",") if i]
        self._count_requests(ids, int(props.get(REQUESTS_PROPERTY, 0)))
        if not ids:
            return
        violated = [i for i in props.get(FAILED_REQUIREMENTS_PROPERTY, "").split(",") if i] or ids
        nodeid = report.nodeid
        if not is_outcome(report):
            return
        for rid in ids:
            self.results[rid].tests.add(nodeid)
        waived = WAIVED_PROPERTY in props
        if report.skipped and not waived:
            reason = _skip_reason(report)
            for rid in ids:
                self.results[rid].skipped.append(reason)
            return
        warned = WARNING_PROPERTY in props
        if not report.failed and not warned and not waived:
            for rid in ids:
                self.results[rid].passed += 1
            return
        curl = _first_curl(report)
        repro = curl or (props[WARNING_PROPERTY][:300] if warned else None)
        operation = self.waivers.operation_of(nodeid, curl)
        for rid in violated:
            self.results[rid].tests.add(nodeid)
            self._violation(rid, operation, repro, nodeid, warned)
        for rid in set(ids) - set(violated):
            if JUDGED_ALL_PROPERTY in props:
                self.results[rid].passed += 1
            else:
                self.results[rid].blocked_by.update(violated)

    def _count_requests(self, ids: list[str], sent: int) -> None:
        if not ids:
            self.unattributed_requests += sent
        for rid in ids:
            self.results[rid].requests += sent / len(ids)

    def requests_by_requirement(self) -> list[tuple[str, int]]:
        """(requirement, requests its tests sent), the most expensive first."""
        return sorted(((rid, round(r.requests)) for rid, r in self.results.items() if r.requests),
                      key=lambda item: (-item[1], item[0]))

    def add_finding(self, finding: Any, nodeid: str) -> None:
        """An every-response finding: FAILED (warning for a SHOULD) on its own requirement, once."""
        if finding.key in self._finding_keys:
            return
        self._finding_keys.add(finding.key)
        result = self.results[finding.requirement_id]
        result.tests.add(f"every response (first seen in {nodeid})")
        result.findings.append(finding)
        warned = requirements.get(finding.requirement_id).is_should and not self.strict
        self._violation(finding.requirement_id, finding_operation(finding), finding.curl, nodeid, warned)

    def _violation(self, rid: str, operation: str | None, repro: str | None, nodeid: str, warned: bool) -> None:
        """One failure (or SHOULD warning) of ``rid`` seen on ``operation``: waived when a waiver in
        force covers it."""
        result = self.results[rid]
        waiver = self.covering(rid, operation)
        if waiver is not None:
            result.waived += 1
            result.waived_by.add(waiver.index)
            self._covered[waiver.index].add(operation)
            if result.first_waived is None:
                result.first_waived, result.first_waived_test = repro, nodeid
            return
        expired = self.waivers.expired_for(rid, operation)
        if expired is not None:
            result.expired_waivers.add(expired.index)
        if warned:
            result.warnings += 1
        else:
            result.failed += 1
        result.uncovered_operations.add(operation)
        if result.first_failure is None:
            result.first_failure, result.first_failure_test = repro, nodeid

    def covering(self, rid: str, operation: str | None) -> "waiving.Waiver | None":
        """The waiver in force that covers a failure of ``rid`` on ``operation``."""
        return self.waivers.cover(rid, operation)

    def waived_requirements(self, report: Any, violated: Iterable[str]) -> list["waiving.Waiver"] | None:
        """The waivers covering each of ``violated`` as seen in ``report``, or None unless all are
        covered (then the report is an expected failure, not a failure of the run)."""
        operation = self.waivers.operation_of(report.nodeid, _first_curl(report))
        found = [self.covering(rid, operation) for rid in violated]
        return found if found and all(found) else None  # type: ignore[return-value]

    def findings(self) -> dict[str, list[Any]]:
        """The every-response findings by requirement."""
        return {rid: list(r.findings) for rid, r in sorted(self.results.items()) if r.findings}

    def verdict(self, rid: str) -> tuple[str, str]:
        result = self.results.get(rid)
        interrupted = self.interrupted.get(rid)
        if result is None or not result.tests:
            return "not run", interrupted or "no conformance test collected for it"
        if result.failed:
            return "FAILED", self._expired_why(result)
        if result.warnings:
            return "warning", self._expired_why(result)
        if result.waived:
            return "waived", "; ".join("waived: " + self.waivers.waivers[i].describe() for i in sorted(result.waived_by))
        blockers = sorted(result.blocked_by - {rid})
        if blockers:
            return "blocked", "blocked by " + ", ".join(blockers)
        if interrupted:
            return "not run", interrupted
        if result.passed:
            return "passed", ""
        reasons = sorted(set(result.skipped))
        return "not run", "; ".join(reasons) or "skipped"

    def _expired_why(self, result: RequirementResult) -> str:
        return "; ".join(f"waiver expired (it held until {self.waivers.waivers[i].expires.isoformat()}): "
                         f"{self.waivers.waivers[i].describe()}" for i in sorted(result.expired_waivers))

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for rid, req in requirements.registry().items():
            verdict, why = self.verdict(rid)
            result = self.results.get(rid, RequirementResult())
            waived = verdict == "waived"
            rows.append({
                "id": rid, "level": req.level, "source": req.source, "section": req.section,
                "verdict": verdict, "why": why, "text": req.text, "tests": sorted(result.tests),
                "failing_test": result.first_waived_test if waived else result.first_failure_test,
                "repro": result.first_waived if waived else result.first_failure,
                "blocked_by": sorted(result.blocked_by - {rid}) if verdict == "blocked" else [],
                "every_response_findings": [f.what for f in result.findings],
                "assumes_overlay": rid in self.overlaid,
                "requests": round(result.requests),
                "waivers": [self.waivers.waivers[i].to_dict() for i in sorted(result.waived_by)] if waived else [],
                "expired_waivers": [self.waivers.waivers[i].to_dict() for i in sorted(result.expired_waivers)],
            })
        return rows

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for row in self.rows():
            counts[row["verdict"]] += 1
        return counts

    def waiver_uses(self) -> list["waiving.WaiverUse"]:
        """What became of each waiver of the run: applied, expired or unused, and why."""
        verdicts = {rid: self.verdict(rid)[0] for rid in requirements.registry()}
        uncovered = {rid: r.uncovered_operations for rid, r in self.results.items() if r.uncovered_operations}
        return self.waivers.uses(verdicts, dict(self._covered), uncovered)

    def document(self, meta: dict[str, Any]) -> dict[str, Any]:
        """``conformance.json``: the run's facts, the counts, the matrix and the waivers' fate."""
        return {"meta": meta, "counts": self.counts(), "requirements": self.rows(),
                "waivers": [use.to_dict() for use in self.waiver_uses()]}

    def write_json(self, path: Path, meta: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(json.dumps(self.document(meta), indent=2, ensure_ascii=False)), encoding="utf-8")


def is_outcome(report: Any) -> bool:
    """Whether a test report is its test's outcome: the call, or a setup that failed or skipped."""
    return report.when == "call" or (report.when == "setup" and not report.passed)


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_curl(report: Any) -> str | None:
    """The first curl repro of a failing report (or of a SHOULD warning's message)."""
    text = report.longreprtext or dict(report.user_properties).get(WARNING_PROPERTY) or ""
    match = _CURL.search(redact(text))
    return match.group(0) if match else None


def finding_operation(finding: Any) -> str | None:
    """The operation label ("GET /tariffs") an every-response finding was made on, if known."""
    parts = finding.key.split("|")
    return parts[1] if len(parts) > 2 and " " in parts[1] else None


def findings_of(report: Any) -> list[Any]:
    """The every-response findings a test report carries."""
    from conformance.checks.every_response import Finding

    text = dict(report.user_properties).get(FINDINGS_PROPERTY)
    return [Finding.from_json(line) for line in text.splitlines() if line] if text else []


def requirement_ids(marks: Iterable[Any]) -> list[str]:
    ids: list[str] = []
    for mark in marks:
        for rid in mark.args:
            requirements.get(rid)  # unknown IDs are a mistake in the suite: fail loudly
            if rid not in ids:
                ids.append(rid)
    return ids
