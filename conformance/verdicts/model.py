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
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from conformance.checks.failures import Failure
from conformance.checks.failures import load as failures_load
from conformance.contract import requirements
from conformance.verdicts import waivers as waiving
from conformance.runtime.redaction import redact

REQUIREMENTS_PROPERTY = "requirements"
FAILED_REQUIREMENTS_PROPERTY = "failed_requirements"
WARNING_PROPERTY = "conformance_warning"
#: every-response findings made during a test (JSON lines of :class:`conformance.checks.failures.Failure`)
FINDINGS_PROPERTY = "conformance_findings"
#: the typed failures a failing (or warning) test's violations carry (JSON lines of ``Failure``)
FAILURES_PROPERTY = "conformance_failures"
#: the failing test judged every one of its requirements (those its violation does not name held)
JUDGED_ALL_PROPERTY = "conformance_judged_all"
#: marks the report rows the plugin writes for every-response findings (already recorded)
EVIDENCE_ROW_PROPERTY = "conformance_evidence_row"
#: a failing test whose every violation a waiver in force covers (reported as an expected failure)
WAIVED_PROPERTY = "conformance_waived"
#: the requests a test phase sent (setup includes the session fixtures it was first to need)
REQUESTS_PROPERTY = "conformance_requests"
#: the same requests per key role (JSON: ``{"primary": 12, "other": 1}``, roles that sent none left out)
REQUESTS_BY_KEY_PROPERTY = "conformance_requests_by_key"
#: one JUnit property per requirement ID of a test (CI test views show them)
JUNIT_REQUIREMENT_PROPERTY = "requirement"
#: the JUnit property of the requests a test sent (all its phases)
JUNIT_REQUESTS_PROPERTY = "requests"
#: the JUnit property of the requests a test sent per key role (all its phases; JSON as above)
JUNIT_REQUESTS_BY_KEY_PROPERTY = "requests_by_key"
#: one JUnit property per requirement a failing (or warning, or waived) test's violation named
JUNIT_VIOLATED_PROPERTY = "violated_requirement"
#: a test the run could not judge any more (its skip's reason: the deployment, a budget): not judged
CANNOT_JUDGE_PROPERTY = "cannot_judge"

VERDICTS = ("passed", "FAILED", "warning", "waived", "blocked", "not run")

#: the verdict of a whole run, from its exit status (0 conformant, 1 not conformant, else cannot judge)
CONFORMANT, NOT_CONFORMANT, CANNOT_JUDGE = "CONFORMANT", "NOT CONFORMANT", "CANNOT JUDGE"


def run_verdict(exit_status: int) -> str:
    return {0: CONFORMANT, 1: NOT_CONFORMANT}.get(int(exit_status), CANNOT_JUDGE)


@dataclass
class RequirementResult:
    tests: set[str] = field(default_factory=set)
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: list[str] = field(default_factory=list)
    #: failures a waiver in force covered (counted apart: they do not fail the run)
    waived: int = 0
    #: the distinct failures no waiver covered, in the order seen (the first is the verdict's reason)
    failures: list[Failure] = field(default_factory=list)
    first_failure_test: str | None = None
    #: the distinct failures a waiver covered (the first is a waived verdict's reason)
    waived_failures: list[Failure] = field(default_factory=list)
    first_waived_test: str | None = None
    #: the operations ("GET /stations", None when unknown) of the failures no waiver covered
    uncovered_operations: set[str | None] = field(default_factory=set)
    #: the waivers (by index) that covered a failure of it, and those that would have but expired
    waived_by: set[int] = field(default_factory=set)
    expired_waivers: set[int] = field(default_factory=set)
    #: requirements whose violation kept a test of this one from judging it -> that violation
    blocked_by: dict[str, Failure | None] = field(default_factory=dict)
    #: every-response findings against this requirement (distinct, in the order seen)
    findings: list[Failure] = field(default_factory=list)
    #: requests its tests sent (a test of several requirements shares its requests among them)
    requests: float = 0.0

    @property
    def first_failure(self) -> Failure | None:
        return self.failures[0] if self.failures else None


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
        failures = failures_of(report)
        violated = list(dict.fromkeys(f.requirement_id for f in failures)) or \
            [i for i in props.get(FAILED_REQUIREMENTS_PROPERTY, "").split(",") if i] or ids
        if not failures:  # a failure without a violation (an error in the test): its own words
            failures = [untyped_failure(rid, report) for rid in violated]
        for failure in failures:
            self.results[failure.requirement_id].tests.add(nodeid)
            self._violation(failure, nodeid, warned)
        blockers = {f.requirement_id: f for f in reversed(failures)}
        for rid in set(ids) - set(violated):
            if JUDGED_ALL_PROPERTY in props:
                self.results[rid].passed += 1
            else:
                for blocker in violated:
                    self.results[rid].blocked_by.setdefault(blocker, blockers.get(blocker))

    def _count_requests(self, ids: list[str], sent: int) -> None:
        if not ids:
            self.unattributed_requests += sent
        for rid in ids:
            self.results[rid].requests += sent / len(ids)

    def requests_by_requirement(self) -> list[tuple[str, int]]:
        """(requirement, requests its tests sent), the most expensive first."""
        return sorted(((rid, round(r.requests)) for rid, r in self.results.items() if r.requests),
                      key=lambda item: (-item[1], item[0]))

    def add_finding(self, finding: Failure, nodeid: str) -> None:
        """An every-response finding: FAILED (warning for a SHOULD) on its own requirement, once."""
        if finding.key in self._finding_keys:
            return
        self._finding_keys.add(finding.key)
        result = self.results[finding.requirement_id]
        result.tests.add(f"every response (first seen in {nodeid})")
        result.findings.append(finding)
        self._violation(finding, nodeid, self.warns([finding.requirement_id]))

    def _violation(self, failure: Failure, nodeid: str, warned: bool) -> None:
        """One failure (or SHOULD warning) seen on its operation: waived when a waiver in force
        covers it. Each distinct failure (requirement, operation, kind) is kept once."""
        rid = failure.requirement_id
        result = self.results[rid]
        operation = self.waivers.operation_of(nodeid, failure.operation)
        failure = failure.with_operation(operation)
        waiver = self.covering(rid, operation)
        if waiver is not None:
            result.waived += 1
            result.waived_by.add(waiver.index)
            self._covered[waiver.index].add(operation)
            _keep_distinct(result.waived_failures, failure)
            if result.first_waived_test is None:
                result.first_waived_test = nodeid
            return
        expired = self.waivers.expired_for(rid, operation)
        if expired is not None:
            result.expired_waivers.add(expired.index)
        if warned:
            result.warnings += 1
        else:
            result.failed += 1
        result.uncovered_operations.add(operation)
        _keep_distinct(result.failures, failure)
        if result.first_failure_test is None:
            result.first_failure_test = nodeid

    def warns(self, requirement_ids: Iterable[str]) -> bool:
        """The verdict rule: a violation of SHOULD requirements only is a warning, unless strict."""
        ids = list(requirement_ids)
        return bool(ids) and not self.strict and all(requirements.get(rid).is_should for rid in ids)

    def covering(self, rid: str, operation: str | None) -> "waiving.Waiver | None":
        """The waiver in force that covers a failure of ``rid`` on ``operation``."""
        return self.waivers.cover(rid, operation)

    def waived_requirements(self, report: Any, violated: Iterable[str]) -> list["waiving.Waiver"] | None:
        """The waivers covering each of ``violated`` as seen in ``report``, or None unless all are
        covered (then the report is an expected failure, not a failure of the run)."""
        operations = {f.requirement_id: f.operation for f in failures_of(report)}
        found = [self.covering(rid, self.waivers.operation_of(report.nodeid, operations.get(rid)))
                 for rid in violated]
        return found if found and all(found) else None  # type: ignore[return-value]

    def findings(self) -> dict[str, list[Any]]:
        """The every-response findings by requirement."""
        return {rid: list(r.findings) for rid, r in sorted(self.results.items()) if r.findings}

    def verdict(self, rid: str) -> tuple[str, str]:
        """The requirement's verdict and why: for FAILED, warning, waived and blocked the reason of
        its first violation (what was checked, expected and got), for not run what kept it from running."""
        result = self.results.get(rid)
        interrupted = self.interrupted.get(rid)
        if result is None or not result.tests:
            return "not run", interrupted or "no conformance test collected for it"
        if result.failed or result.warnings:
            return ("FAILED" if result.failed else "warning"), _join(
                _reason(result.failures), self._expired_why(result))
        if result.waived:
            return "waived", _join(_reason(result.waived_failures), "; ".join(
                "waived: " + self.waivers.waivers[i].describe() for i in sorted(result.waived_by)))
        blockers = {b: f for b, f in result.blocked_by.items() if b != rid}
        if blockers:
            first = next((f for f in blockers.values() if f is not None), None)
            return "blocked", "blocked by " + ", ".join(sorted(blockers)) + (
                f" ({first.requirement_id}: {first.reason()})" if first is not None else "")
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
            shown = result.waived_failures if waived else result.failures
            if verdict == "blocked":
                shown = [f for f in result.blocked_by.values() if f is not None][:1]
            rows.append({
                "id": rid, "level": req.level, "source": req.source, "section": req.section,
                "verdict": verdict, "why": why, "text": req.text, "tests": sorted(result.tests),
                "failing_test": result.first_waived_test if waived else result.first_failure_test,
                "repro": shown[0].curl if shown else None,
                "violations": [f.to_dict() for f in shown] if verdict != "blocked" else [],
                "violation_count": len(shown) if verdict != "blocked" else 0,
                "answered_by": next((f.layer.product for f in shown if f.layer is not None), None),
                "blocked_by": sorted(set(result.blocked_by) - {rid}) if verdict == "blocked" else [],
                "every_response_findings": [f.reason() for f in result.findings],
                "assumes_overlay": rid in self.overlaid,
                "requests": round(result.requests),
                "waivers": [self.waivers.waivers[i].to_dict() for i in sorted(result.waived_by)] if waived else [],
                "expired_waivers": [self.waivers.waivers[i].to_dict() for i in sorted(result.expired_waivers)],
            })
        return rows

    def layer_findings(self, rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The requirements whose shown violation an API gateway, a CDN or a proxy made rather than the
        API (or a shared cache served), grouped by that layer: what a vendor fixes in the gateway's
        configuration, not in the API."""
        groups: dict[str, dict[str, Any]] = {}
        for row in rows if rows is not None else self.rows():
            for violation in row["violations"][:1]:
                layer = violation.get("answered_by")
                cache = violation.get("cache")
                if layer is None and not cache:
                    continue
                name = layer or "a shared cache"
                evidence = next((o["layer"]["evidence"] for o in violation["evidence"] if o.get("layer")), cache)
                group = groups.setdefault(name, {
                    "answered_by": name, "requirements": [], "evidence": evidence,
                    "advice": "a cache whose key leaves out the credential serves one key's answers to another"
                    if layer is None else "fix the gateway's configuration (routes, responses, limits), not the API"})
                group["requirements"].append(row["id"])
        return list(groups.values())

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
        rows = self.rows()
        return {"meta": meta, "counts": self.counts(), "requirements": rows,
                "answered_by_layers": self.layer_findings(rows),
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


def _keep_distinct(failures: list[Failure], failure: Failure) -> None:
    if all(f.key != failure.key for f in failures):
        failures.append(failure)


def _reason(failures: list[Failure]) -> str:
    """The first distinct failure's reason, and how many distinct violations there were."""
    if not failures:
        return ""
    more = f" (1 of {len(failures)} distinct violations)" if len(failures) > 1 else ""
    return failures[0].reason() + more


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def findings_of(report: Any) -> list[Failure]:
    """The every-response findings a test report carries."""
    return failures_load(dict(report.user_properties).get(FINDINGS_PROPERTY))


def failures_of(report: Any) -> list[Failure]:
    """The typed failures of a failing (or warning) test report's violations."""
    return failures_load(dict(report.user_properties).get(FAILURES_PROPERTY))


def untyped_failure(rid: str, report: Any) -> Failure:
    """A failure of a test that raised no typed violation (an error in the test itself, a failed
    input): the crash message stands for what came back."""
    longrepr = getattr(report, "longrepr", None)
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", None)
    text = crash or getattr(report, "longreprtext", "") or dict(report.user_properties).get(WARNING_PROPERTY) or ""
    line = next((ln.strip() for ln in redact(str(text)).splitlines() if ln.strip()), "the test failed")
    return Failure(rid, check="the test did not complete", got=line[:300], kind="test error")


def requirement_ids(marks: Iterable[Any]) -> list[str]:
    ids: list[str] = []
    for mark in marks:
        for rid in mark.args:
            requirements.get(rid)  # unknown IDs are a mistake in the suite: fail loudly
            if rid not in ids:
                ids.append(rid)
    return ids
