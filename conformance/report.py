"""Requirement verdicts: the conformance matrix in the HTML report, conformance.json and the terminal.

Each test report carries the requirement IDs it checks, the IDs its violation broke and the
every-response findings made while it ran (``user_properties``, so the data survives pytest-xdist).
A verdict belongs to the requirement a violation names, not to the test that saw it. Verdicts per
requirement: FAILED (a MUST check failed, or a SHOULD one under ``--strict``), warning (a SHOULD
check failed), blocked (a test of it could not judge it because another requirement broke first),
passed, or not run (with the reasons).
"""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from conformance import requirements
from conformance.redaction import redact

REQUIREMENTS_PROPERTY = "requirements"
FAILED_REQUIREMENTS_PROPERTY = "failed_requirements"
WARNING_PROPERTY = "conformance_warning"
#: every-response findings made during a test (JSON lines of :class:`conformance.evidence.Finding`)
FINDINGS_PROPERTY = "conformance_findings"
#: the failing test judged every one of its requirements (those its violation does not name held)
JUDGED_ALL_PROPERTY = "conformance_judged_all"
#: marks the report rows the plugin writes for every-response findings (already recorded)
EVIDENCE_ROW_PROPERTY = "conformance_evidence_row"

VERDICTS = ("passed", "FAILED", "warning", "blocked", "not run")
_CURL = re.compile(r"curl [^\n]+")


@dataclass
class RequirementResult:
    tests: set[str] = field(default_factory=set)
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: list[str] = field(default_factory=list)
    first_failure: str | None = None
    first_failure_test: str | None = None
    #: requirements whose violation kept a test of this one from judging it
    blocked_by: set[str] = field(default_factory=set)
    #: every-response findings against this requirement (distinct, in the order seen)
    findings: list[Any] = field(default_factory=list)


class Verdicts:
    def __init__(self, strict: bool = False, overlaid: frozenset[str] = frozenset()):
        self.strict = strict
        #: the requirements whose checks read an element an overlay changed (marked in the matrix)
        self.overlaid = overlaid
        self.results: dict[str, RequirementResult] = defaultdict(RequirementResult)
        self._finding_keys: set[str] = set()

    def record(self, report: Any) -> None:
        props = dict(report.user_properties)
        for finding in findings_of(report):
            self.add_finding(finding, report.nodeid)
        if EVIDENCE_ROW_PROPERTY in props:
            return
        ids = [i for i in props.get(REQUIREMENTS_PROPERTY, "").split(",") if i]
        if not ids:
            return
        violated = [i for i in props.get(FAILED_REQUIREMENTS_PROPERTY, "").split(",") if i] or ids
        nodeid = report.nodeid
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        for rid in ids:
            self.results[rid].tests.add(nodeid)
        if report.skipped:
            reason = _skip_reason(report)
            for rid in ids:
                self.results[rid].skipped.append(reason)
            return
        warned = WARNING_PROPERTY in props
        if not report.failed and not warned:
            for rid in ids:
                self.results[rid].passed += 1
            return
        for rid in violated:
            result = self.results[rid]
            result.tests.add(nodeid)
            if warned:
                result.warnings += 1
            else:
                result.failed += 1
            if result.first_failure is None:
                result.first_failure = _first_curl(report) or (props[WARNING_PROPERTY][:300] if warned else None)
                result.first_failure_test = nodeid
        for rid in set(ids) - set(violated):
            if JUDGED_ALL_PROPERTY in props:
                self.results[rid].passed += 1
            else:
                self.results[rid].blocked_by.update(violated)

    def add_finding(self, finding: Any, nodeid: str) -> None:
        """An every-response finding: FAILED (warning for a SHOULD) on its own requirement, once."""
        if finding.key in self._finding_keys:
            return
        self._finding_keys.add(finding.key)
        result = self.results[finding.requirement_id]
        result.tests.add(f"every response (first seen in {nodeid})")
        result.findings.append(finding)
        if requirements.get(finding.requirement_id).is_should and not self.strict:
            result.warnings += 1
        else:
            result.failed += 1
        if result.first_failure is None:
            result.first_failure = finding.curl
            result.first_failure_test = nodeid

    def findings(self) -> dict[str, list[Any]]:
        """The every-response findings by requirement."""
        return {rid: list(r.findings) for rid, r in sorted(self.results.items()) if r.findings}

    def verdict(self, rid: str) -> tuple[str, str]:
        result = self.results.get(rid)
        if result is None or not result.tests:
            return "not run", "no conformance test collected for it"
        if result.failed:
            return "FAILED", ""
        if result.warnings:
            return "warning", ""
        blockers = sorted(result.blocked_by - {rid})
        if blockers:
            return "blocked", "blocked by " + ", ".join(blockers)
        if result.passed:
            return "passed", ""
        reasons = sorted(set(result.skipped))
        return "not run", "; ".join(reasons) or "skipped"

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for rid, req in requirements.registry().items():
            verdict, why = self.verdict(rid)
            result = self.results.get(rid, RequirementResult())
            rows.append({
                "id": rid, "level": req.level, "source": req.source, "verdict": verdict, "why": why,
                "text": req.text, "tests": sorted(result.tests),
                "failing_test": result.first_failure_test, "repro": result.first_failure,
                "blocked_by": sorted(result.blocked_by - {rid}) if verdict == "blocked" else [],
                "every_response_findings": [f.what for f in result.findings],
                "assumes_overlay": rid in self.overlaid,
            })
        return rows

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for row in self.rows():
            counts[row["verdict"]] += 1
        return counts

    def write_json(self, path: Path, meta: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"meta": meta, "counts": self.counts(), "requirements": self.rows()}
        path.write_text(redact(json.dumps(document, indent=2, ensure_ascii=False)), encoding="utf-8")

    def html_table(self) -> str:
        colours = {"passed": "#1b7f3b", "FAILED": "#c0392b", "warning": "#b9770e", "blocked": "#8e44ad",
                   "not run": "#7f8c8d"}
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items())
        out = [f"<h2>Conformance matrix</h2><p>{html.escape(counts)}</p>",
               '<table id="conformance-matrix" border="1" cellpadding="4" style="border-collapse:collapse">',
               "<tr><th>ID</th><th>Level</th><th>Source</th><th>Verdict</th><th>Requirement</th>"
               "<th>Tests</th><th>First failing example</th></tr>"]
        for row in self.rows():
            verdict = row["why"] if row["verdict"] == "blocked" else row["verdict"] + (f": {row['why']}" if row["why"] else "")
            tests = "<br>".join(html.escape(t.split("::")[-1]) for t in row["tests"][:6])
            if len(row["tests"]) > 6:
                tests += f"<br>(+{len(row['tests']) - 6} more)"
            repro = html.escape(row["repro"] or "")
            mark = ' <span title="judged with an element an overlay changed">[overlay]</span>' if row["assumes_overlay"] else ""
            out.append(
                f'<tr><td>{row["id"]}{mark}</td><td>{row["level"]}</td><td>{row["source"]}</td>'
                f'<td style="color:{colours[row["verdict"]]};font-weight:bold">{html.escape(verdict)}</td>'
                f'<td>{html.escape(row["text"])}</td><td>{tests}</td><td><code>{repro}</code></td></tr>')
        out.append("</table>")
        return redact("\n".join(out))


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _first_curl(report: Any) -> str | None:
    match = _CURL.search(redact(report.longreprtext or ""))
    return match.group(0) if match else None


def findings_of(report: Any) -> list[Any]:
    """The every-response findings a test report carries."""
    from conformance.evidence import Finding

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
