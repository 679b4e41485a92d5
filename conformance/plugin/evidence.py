"""Every response is evidence: the findings of the every-response oracles (installed on the suite's
HTTP sessions by :func:`conformance.plugin.lifecycle.run_session`) travel with the report of the test
during which they were made, and are recorded against their own requirement. At the end of the test
loop the controller writes one report row per requirement with findings (``every response:
TRN-04``...), so the terminal, JUnit and HTML reports show the failure and the run's exit status
says "not conformant" even when every test that happened to see the response passed."""

from __future__ import annotations

import pytest
from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback
from _pytest.reports import TestReport

from conformance.verdicts import model as reporting
from conformance.contract import requirements
from conformance.checks.failures import Failure, transient_errors
from conformance.runtime.redaction import redact
from conformance.plugin.state import maybe_run_state

def reason_repr(text: str, reason: str, path: str, lineno: int = 0) -> ReprExceptionInfo:
    """A failing report's text (``text``, shown as is: no traceback) whose crash message, the JUnit
    message and the terminal's short summary, is the violation's one-line ``reason``. Built from
    pytest's own classes, so pytest-xdist carries it from a worker to the controller unchanged."""
    lines = [line + "\n" for line in text.splitlines()]
    return ReprExceptionInfo(reprtraceback=ReprTraceback([ReprEntryNative(lines)], None, "native"),
                             reprcrash=ReprFileLocation(path, lineno, reason))


#: Where the every-response rows appear (the suite's directory, as its tests' node ids do).
ROW_PATH = "conformance/suite"


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    result = yield
    config = session.config
    state = maybe_run_state(config)
    if state is None or hasattr(config, "workerinput") or state.judged.fatal:
        return result
    transient = transient_errors(state.runtime.ledger.transients(), state.runtime.ledger.totals().requests) \
        if state.runtime.ledger is not None else None
    if transient is not None:  # TRN-04's finding alone: no test that read the retried answer is blamed
        state.judged.verdicts.add_finding(transient, "the run's requests")
    for rid, findings in state.judged.verdicts.findings().items():
        _write_row(config, rid, findings)
    return result


def _write_row(config: pytest.Config, rid: str, findings: list[Failure]) -> None:
    req = requirements.get(rid)
    verdicts = maybe_run_state(config).judged.verdicts
    warn = verdicts.warns([rid])
    waivers = [verdicts.covering(rid, f.operation) for f in findings]
    waived = bool(waivers) and all(waivers)
    lines = [req.headline(), "",
             f"Violated by {len(findings)} distinct response{'s' if len(findings) != 1 else ''} "
             f"(checked on every response of the run, whichever test sent the request):"]
    for finding in findings[:20]:
        lines += ["", finding.describe()]
    if len(findings) > 20:
        lines.append(f"\n... and {len(findings) - 20} more")
    text = redact("\n".join(lines))
    nodeid = f"{ROW_PATH}::every_response[{rid}]"
    location = (ROW_PATH, None, f"every response: {rid}")
    props = [(reporting.REQUIREMENTS_PROPERTY, rid), (reporting.EVIDENCE_ROW_PROPERTY, "1")]
    sections = [("SHOULD violation (warning; --strict makes it fail)", text)] if warn else []
    if warn:
        props.append((reporting.WARNING_PROPERTY, text))
    longrepr = None if warn else reason_repr(text, f"{rid}: {findings[0].reason()}", ROW_PATH)
    report = TestReport(nodeid, location, {}, "passed" if warn else "failed", longrepr, "call",
                        sections=sections, user_properties=props)
    if waived:
        because = "; ".join(f"waived {w.describe()}" for w in dict.fromkeys(waivers))
        props.append((reporting.WAIVED_PROPERTY, because))
        sections.append(("waived (does not fail the run)", because))
        if not warn:
            report.outcome = "skipped"  # an expected failure, like a waived test's
            report.wasxfail = because  # type: ignore[attr-defined]
    # the teardown closes the row: JUnit writes its properties then, pytest-html shows it then
    teardown = TestReport(nodeid, location, {}, "passed", None, "teardown", user_properties=[
        (reporting.REQUIREMENTS_PROPERTY, rid), (reporting.JUNIT_REQUIREMENT_PROPERTY, rid),
        (reporting.JUNIT_VIOLATED_PROPERTY, rid)])
    config.hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
    config.hook.pytest_runtest_logreport(report=report)
    config.hook.pytest_runtest_logreport(report=teardown)
    config.hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
