"""Verdicts and reports: what each test report says about which requirement (attribution from the
violation, not from the test's marker), SHOULD failures as warnings, waived failures as expected
failures, redaction of every report, the terminal summary, the HTML report's banner and matrix,
JUnit properties, ``conformance.json``, ``summary.md`` (and ``GITHUB_STEP_SUMMARY``), the manifest
and the ``--bundle`` archive."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

import conformance
from conformance.verdicts import bundle as bundling
from conformance.verdicts import html as html_report
from conformance.verdicts import model as reporting
from conformance.contract import requirements
from conformance.verdicts import summary as summaries
from conformance.runtime.budget import CannotJudge
from conformance.runtime.client import TransportFailure
from conformance.checks.expect import Violation, found_in, violations_text
from conformance.checks.failures import Failure
from conformance.checks.failures import dump as dump_failures
from conformance.contract.operations import OperationIndex
from conformance.plugin.evidence import reason_repr
from conformance.plugin import plan as planning
from conformance.plugin import remote
from conformance.plugin.options import is_strict
from conformance.plugin.progress import run_progress
from conformance.runtime.redaction import redact
from conformance.verdicts.plan import actual_line as plan_line
from conformance.plugin.state import RunState, maybe_run_state


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = maybe_run_state(item.config)
    if state is not None:
        findings = state.judged.findings.take()  # every-response findings of this phase's requests
        if findings:
            report.user_properties.append((reporting.FINDINGS_PROPERTY, dump_failures(findings)))
        _phase_requests(item, state, report)
    ids = reporting.requirement_ids(item.iter_markers("requirement"))
    if _report_cannot_judge(item, call, report):
        _redact_report(report)
        return
    if ids:
        report.user_properties.append((reporting.REQUIREMENTS_PROPERTY, ",".join(ids)))
        violations = found_in(call.excinfo.value, Violation) if report.failed and call.excinfo is not None else []
        failures = _typed_failures(item, call, report, violations)
        violated = list(dict.fromkeys(f.requirement_id for f in failures))
        if violated:
            report.user_properties.append((reporting.FAILED_REQUIREMENTS_PROPERTY, ",".join(violated)))
            report.user_properties.append((reporting.FAILURES_PROPERTY, dump_failures(failures)))
            if violations and all(v.judged_all for v in violations):
                report.user_properties.append((reporting.JUDGED_ALL_PROPERTY, "1"))
        _downgrade_should_failure(item, report, violated or ids)
        if report.when in ("setup", "call"):
            if violated or report.failed or reporting.WARNING_PROPERTY in dict(report.user_properties):
                item.stash[_VIOLATED] = violated or ids
            _apply_waivers(state, report, violated or ids)
            props = dict(report.user_properties)
            if state is not None and reporting.WAIVED_PROPERTY not in props and (
                    report.failed or reporting.WARNING_PROPERTY in props):
                remote.record_failed(state, violated or ids)  # its later tests spend no more requests
        elif report.when == "teardown":
            _junit_properties(item, report, ids)
        _redact_report(report)
        if report.failed and failures:
            report.longrepr = reason_repr(_failure_text(call, failures), failures[0].reason(),
                                          str(item.path), item.location[1] or 0)
        return
    _redact_report(report)


def _phase_requests(item: pytest.Item, state: RunState, report: pytest.TestReport) -> None:
    """The requests this process sent since the last phase was reported: this phase's, in all and
    per key role (user properties), added to the test's (its JUnit properties)."""
    if state.runtime.ledger is None:
        return
    by_role = state.runtime.phase_requests()
    if not by_role:
        return
    sent = sum(by_role.values())
    report.user_properties.append((reporting.REQUESTS_PROPERTY, sent))
    report.user_properties.append((reporting.REQUESTS_BY_KEY_PROPERTY, json.dumps(by_role)))
    item.stash[_SENT] = item.stash.get(_SENT, 0) + sent
    total = item.stash.setdefault(_SENT_BY_KEY, {})
    for role, n in by_role.items():
        total[role] = total.get(role, 0) + n


def _typed_failures(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport,
                    violations: list) -> list[Failure]:
    """The typed failures of a failing test: its violations' (each with the operation of its first
    request), or TRN-04's when a request got no HTTP answer even when sent again."""
    if not report.failed or call.excinfo is None:
        return []
    index = _operations(item.config)
    failures = [f for v in violations for f in v.failures]
    if not failures:
        lost = _find(call.excinfo.value, TransportFailure)
        if lost is not None:
            failures = [lost.failure()]
    return [f.with_operation(index.label(f.evidence[0].method, f.evidence[0].url) if f.evidence and index else None)
            for f in failures]


_OPERATIONS = pytest.StashKey["OperationIndex | None"]()


def _operations(config: pytest.Config) -> "OperationIndex | None":
    """The spec's operations under the run's base URL (which operation a failing request was)."""
    if _OPERATIONS not in config.stash:
        state = maybe_run_state(config)
        config.stash[_OPERATIONS] = OperationIndex(state.config.spec, config.getoption("base_url") or "") \
            if state is not None else None
    return config.stash[_OPERATIONS]


def _failure_text(call: pytest.CallInfo, failures: list[Failure]) -> str:
    """A failing test's text: its violations' (the requirement, what was violated, each request as a
    curl and its answer), without the traceback of the test code or of hypothesis' exception groups."""
    return violations_text(call.excinfo.value if call.excinfo else None) or \
        "\n\n".join(f.describe() for f in failures)


_VIOLATED = pytest.StashKey[list]()
#: the requests a test sent, over its phases, in all and per key role (JUnit properties of the testcase)
_SENT = pytest.StashKey[int]()
_SENT_BY_KEY = pytest.StashKey[dict]()


def _apply_waivers(state: RunState | None, report: pytest.TestReport, violated: list[str]) -> None:
    """A failure (or SHOULD warning) every violation of which a waiver in force covers is waived:
    a failing test becomes an expected failure (pytest's xfail: it does not fail the session, JUnit
    and the HTML report show it as such with the waiver), a warning keeps its outcome."""
    props = dict(report.user_properties)
    if state is None or not state.judged.verdicts.waivers or not (report.failed or reporting.WARNING_PROPERTY in props):
        return
    covering = state.judged.verdicts.waived_requirements(report, violated)
    if covering is None:
        return
    text = "; ".join(f"waived {w.describe()}" for w in dict.fromkeys(covering))
    report.user_properties.append((reporting.WAIVED_PROPERTY, text))
    if report.failed:
        report.outcome = "skipped"
        report.wasxfail = text  # type: ignore[attr-defined]
    report.sections.append(("waived (does not fail the run)", text))


def _junit_properties(item: pytest.Item, report: pytest.TestReport, ids: list[str]) -> None:
    """The teardown report's properties are what JUnit writes for the testcase: one ``requirement``
    per requirement of the test, one ``violated_requirement`` per requirement its violation named, and
    ``requests``: how many the test sent, ``requests_by_key``: how many with each key role (JSON)."""
    for rid in ids:
        report.user_properties.append((reporting.JUNIT_REQUIREMENT_PROPERTY, rid))
    for rid in item.stash.get(_VIOLATED, []):
        report.user_properties.append((reporting.JUNIT_VIOLATED_PROPERTY, rid))
    report.user_properties.append((reporting.JUNIT_REQUESTS_PROPERTY, item.stash.get(_SENT, 0)))
    report.user_properties.append((reporting.JUNIT_REQUESTS_BY_KEY_PROPERTY, json.dumps(item.stash.get(_SENT_BY_KEY, {}))))


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """schemathesis rewrites a failure's text here, after the report was logged: redact again."""
    if isinstance(report, pytest.TestReport):
        _redact_report(report)


def _find(exc: BaseException | None, kind: type) -> BaseException | None:
    found = found_in(exc, kind)
    return found[0] if found else None


def _report_cannot_judge(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> bool:
    """A test the run could not judge any more (the deployment went away, a budget or a quota ran
    out): not run (skipped), one line, no traceback, and the run stops."""
    if call.excinfo is None or not report.failed:
        return False
    fatal = _find(call.excinfo.value, CannotJudge)
    state = maybe_run_state(item.config)
    if fatal is None and state is not None and state.runtime.ledger is not None and not _find(call.excinfo.value, Violation):
        # a budget ran out mid-test, and hypothesis replaced the CannotJudge by its own error (Flaky...)
        fatal = state.runtime.ledger.fatal()
    if fatal is not None:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not run: cannot judge: {fatal}")
        report.user_properties.append((reporting.CANNOT_JUDGE_PROPERTY, str(fatal)))
        return True
    return False


def _downgrade_should_failure(item: pytest.Item, report: pytest.TestReport, ids: list[str]) -> None:
    """A failure of SHOULD requirements only is a warning, unless --strict (the verdict rule is the
    verdict model's: :meth:`~conformance.verdicts.model.Verdicts.warns`)."""
    state = maybe_run_state(item.config)
    if not (report.failed and report.when == "call") or state is None or not state.judged.verdicts.warns(ids):
        return
    message = redact(report.longreprtext)
    report.outcome = "passed"
    report.longrepr = None
    report.user_properties.append((reporting.WARNING_PROPERTY, message))
    report.sections.append(("SHOULD violation (warning; --strict makes it fail)", message))


def _redact_report(report: pytest.TestReport) -> None:
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, message = report.longrepr
        report.longrepr = (path, line, redact(str(message)))
    elif report.longrepr is not None:
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(content)) for title, content in report.sections]
    report.user_properties = [(k, redact(str(v)) if isinstance(v, str) else v) for k, v in report.user_properties]
    extras = getattr(report, "extras", None)
    if extras:
        for extra in extras:
            if isinstance(extra.get("content"), str):
                extra["content"] = redact(extra["content"])


#: the every-response findings that say a body is not in the spec's envelope at all
_ENVELOPE_KINDS = ("2xx envelope", "error envelope")


def adapt_hint(verdicts: reporting.Verdicts, base_url: str | None) -> str | None:
    """One line suggesting ``iris-conformance adapt`` when the deployment's list or error envelope does
    not match the spec at all (rather than leaving the user with hundreds of schema failures)."""
    findings = verdicts.findings().get("ENV-01", [])
    # a gateway's own bodies ({"message": ...}) say nothing of the API's envelope
    if not any(f.kind in _ENVELOPE_KINDS and f.layer is None for f in findings):
        return None
    return ("hint: the deployment's bodies are not in the spec's envelope at all; if it differs from the contract "
            "on ASSUMED points only, `iris-conformance adapt --base-url "
            f"{base_url or 'URL'}` drafts an overlay for it (read it, commit it, run with --overlay FILE)")


#: Exit status of a run that could not judge the deployment (pytest's own "interrupted").
CANNOT_JUDGE_EXIT = pytest.ExitCode.INTERRUPTED


class ConformanceRun:
    """Session-level bookkeeping of a suite run, registered as a plugin by ``pytest_configure``."""

    def __init__(self, config: pytest.Config, state: RunState):
        self.config = config
        self.state = state
        self.session: pytest.Session | None = None
        #: conformance.json's document, once the session finishes (the HTML and summary render it)
        self.document: dict[str, Any] | None = None
        #: where the manifest and bundle went, for the terminal summary
        self.evidence_lines: list[str] = []
        self.summarized = False
        #: conformance.json's ``meta.interrupted``: what stopped the run early (see plugin.progress)
        self.interrupted: dict[str, Any] | None = None

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        if self.state.judged.fatal:
            # nothing can be judged: no collection, no tests, one reason (the report is still written)
            pytest.exit(f"cannot judge: {self.state.judged.fatal}", returncode=CANNOT_JUDGE_EXIT)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # runs on the controller under xdist too, so the verdicts are complete there
        self.state.judged.verdicts.record(report)
        reason = dict(report.user_properties).get(reporting.CANNOT_JUDGE_PROPERTY)
        if reason and not self.state.judged.fatal:
            self.state.judged.fatal = reason
            self._stop(f"cannot judge: {reason}")

    def _stop(self, reason: str) -> None:
        if self.session is not None:
            self.session.shouldstop = reason
        dsession = self.config.pluginmanager.getplugin("dsession")  # pytest-xdist's controller
        if dsession is not None:
            dsession.shouldstop = reason

    def _fatal(self) -> str | None:
        return self.state.judged.fatal or (self.state.runtime.ledger.fatal() if self.state.runtime.ledger else None)

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session):
        """Before the other plugins finish (pytest-html writes its report then): the exit status,
        ``conformance.json`` and ``summary.md``. After them, with every report file written: the
        manifest and the bundle."""
        if self.is_worker:
            return (yield)
        self.state.judged.fatal = self._fatal()
        self._interrupted(session)
        if not self.state.judged.fatal and session.exitstatus == pytest.ExitCode.OK and self._judged_nothing():
            # every test skipped (no key given, every requirement deselected...): not a conformant deployment
            self.state.judged.fatal = ("nothing was judged: every requirement is not run ("
                                + "; ".join(sorted({why for _, why in map(self.state.judged.verdicts.verdict,
                                                                         requirements.registry())}))[:300] + ")")
        if self.state.judged.fatal:
            session.exitstatus = CANNOT_JUDGE_EXIT
        self.document = self.state.judged.verdicts.document(self._meta(session))
        if self.state.config.json_path is not None:
            self.state.judged.verdicts.write_json(self.state.config.json_path, self.document["meta"])
            self._write_summary()
        result = yield
        if self.state.config.reports_dir is not None:
            self._write_evidence()
        return result

    def _interrupted(self, session: pytest.Session) -> None:
        """An interrupted run: what it kept from running is not run; Ctrl-C is why the run cannot judge
        (a budget already is; a stop after failures, ``-x``, keeps its exit status)."""
        progress = run_progress(self.config)
        interruption = progress and progress.interruption(session, self.state.runtime.ledger, self.state.judged.fatal)
        if interruption:
            verdicts = self.state.judged.verdicts
            recorded = lambda rid: bool(rid in verdicts.results and verdicts.results[rid].tests)  # noqa: E731
            verdicts.interrupt(progress.unjudged_requirements(recorded), interruption.reason)
            if interruption.kind == "ctrl-c":
                self.state.judged.fatal = self.state.judged.fatal or interruption.reason
        self.interrupted = interruption.to_json(progress) if interruption else None

    def _judged_nothing(self) -> bool:
        counts = self.state.judged.verdicts.counts()
        return sum(counts.values()) > 0 and counts["not run"] == sum(counts.values())

    def _meta(self, session: pytest.Session) -> dict[str, Any]:
        """The facts of the run for conformance.json: the labelled facts the report shows, and the
        same as fields for machines (``iris-conformance diff`` and ``verify`` read these)."""
        totals = self.state.runtime.ledger.totals()
        spec, waivers = self.state.config.spec, self.state.config.waivers
        exit_status = int(session.exitstatus)
        return dict(
            self.state.config.meta, requests=totals.requests, requests_by_key=totals.by_key, rate_limited=totals.rate_limited,
            seconds_waited_for_429=round(totals.waited, 3), requests_per_second=round(totals.rate, 2),
            cannot_judge=self.state.judged.fatal, interrupted=self.interrupted, exit_status=exit_status,
            plan=self._plan(),
            verdict=reporting.run_verdict(exit_status),
            suite_version=f"iris-conformance {conformance.__version__}",
            spec_file={"name": spec.path.name, "version": spec.version, "sha256": spec.sha256},
            overlays=[o.to_json() for o in self.state.config.spec.overlays],
            hint=adapt_hint(self.state.judged.verdicts, self.config.getoption("base_url")),
            waivers_file={"path": str(waivers.path), "sha256": waivers.sha256, "count": len(waivers.waivers)}
            if waivers is not None and waivers.path else None,
            base_url=_public_url(self.config.getoption("base_url")),
            profile=self.config.getoption("iris_profile"), seed=str(self.config.getoption("hypothesis_seed")),
            strict=is_strict(self.config), started=self.state.config.started,
            finished=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())

    def _plan(self) -> dict[str, Any] | None:
        """``meta.plan``: the requests planned beside those sent (see :mod:`conformance.plugin.plan`)."""
        progress = run_progress(self.config)
        collected = list(progress.plan.described.values()) if progress else []
        return planning.after_run(self.config, self.state, collected)

    def _write_summary(self) -> None:
        text = summaries.render(self.document)
        path = self.state.config.reports_dir / "summary.md"
        path.write_text(text, encoding="utf-8")
        step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if step_summary:
            with open(step_summary, "a", encoding="utf-8") as handle:
                handle.write(text + "\n")

    def _write_evidence(self) -> None:
        reports = self.state.config.reports_dir
        spec, waivers = self.state.config.spec, self.state.config.waivers
        inputs = [bundling.Input("spec", spec.path)]
        inputs += [bundling.Input("overlay", Path(o.path)) for o in self.state.config.spec.overlays]
        if waivers is not None and waivers.path:
            inputs.append(bundling.Input("waivers", Path(waivers.path)))
        entries = bundling.copy_inputs(reports, inputs)
        files = [Path(p) for p in (getattr(self.config.option, "htmlpath", None),
                                   getattr(self.config.option, "xmlpath", None)) if p]
        files += [self.state.config.json_path, reports / "summary.md"]
        bundling.write_manifest(reports, self.document, entries, files)
        lines = [f"evidence: {reports / bundling.MANIFEST} (iris-conformance verify {reports})"]
        target = self.config.getoption("iris_bundle")
        if target:
            bundling.write_bundle(reports, Path(target))
            lines.append(f"evidence bundle: {target} (iris-conformance verify {target})")
        self.evidence_lines = lines
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None and self.summarized:  # else the terminal summary prints them
            terminal.ensure_newline()
            for line in lines:
                terminal.write_line(line)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.is_worker:
            return
        verdicts = self.state.judged.verdicts
        terminalreporter.section("IRIS conformance")
        if self.state.judged.fatal:
            terminalreporter.write_line(f"CANNOT JUDGE: {self.state.judged.fatal}", red=True, bold=True)
        for row in verdicts.rows():
            if row["verdict"] in ("FAILED", "warning", "waived", "blocked"):
                terminalreporter.write_line(f"{row['verdict']:8} {row['id']:11} {row['level']:6} {row['text'][:90]}")
                terminalreporter.write_line(f"         why: {redact(row['why'])[:400]}")
                for other in row["violations"][1:3]:
                    terminalreporter.write_line(f"         also: {redact(other['reason'])[:300]}")
                if row["repro"]:
                    terminalreporter.write_line(f"         {row['repro'][:300]}")
        for group in verdicts.layer_findings():
            terminalreporter.write_line(
                f"{group['answered_by']} answered, not the API: {', '.join(group['requirements'])} "
                f"({group['evidence']}); {group['advice']}", yellow=True)
        hint = adapt_hint(verdicts, self.config.getoption("base_url"))
        if hint:
            terminalreporter.write_line(hint, yellow=True, bold=True)
        for use in verdicts.waiver_uses():
            terminalreporter.write_line(f"waiver   {use.waiver.requirement:11} {use.status}: {redact(use.why)}")
        terminalreporter.write_line("sent: " + self.state.runtime.ledger.totals().describe())
        if self.document is not None and self.document["meta"].get("plan"):
            terminalreporter.write_line(plan_line(self.document["meta"]["plan"]))
        costly = verdicts.requests_by_requirement()[:10]
        if costly:
            terminalreporter.write_line("requests per requirement (most first): "
                                        + ", ".join(f"{rid} {n}" for rid, n in costly))
        counts = verdicts.counts()
        terminalreporter.write_line("requirements: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
        for line in self.evidence_lines:
            terminalreporter.write_line(line)
        if self.document is not None:
            terminalreporter.write_line(f"verdict: {self.document['meta']['verdict']}", bold=True)
        self.summarized = True

    def pytest_html_results_summary(self, prefix: list, summary: list, postfix: list, session: pytest.Session) -> None:
        document = self.document or self.state.judged.verdicts.document(self._meta(session))
        facts = [(k, v) for k, v in self.state.config.meta.items()]
        facts.append(("Sent", self.state.runtime.ledger.totals().describe()))
        if document["meta"].get("plan"):
            facts.append(("Planned", plan_line(document["meta"]["plan"]).removeprefix("plan: ")))
        facts.append(("Finished", document["meta"].get("finished", "")))
        prefix.append(html_report.assets() + html_report.banner(document, facts) + html_report.matrix(document))

    def pytest_html_results_table_header(self, cells: list) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="requirements">Requirements</th>')

    def pytest_html_results_table_row(self, report, cells: list) -> None:
        ids = dict(getattr(report, "user_properties", [])).get(reporting.REQUIREMENTS_PROPERTY, "")
        cells.insert(2, f'<td class="col-requirements">{ids.replace(",", ", ")}</td>')

    def pytest_html_report_title(self, report) -> None:
        report.title = "IRIS External API conformance report"


def _public_url(url: str | None) -> str | None:
    """The base URL as the reports may show it: no user or password, keys redacted."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)))
