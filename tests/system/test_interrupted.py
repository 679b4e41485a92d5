"""Interrupted runs (Ctrl-C, --max-duration, --max-requests) still write every report with what they
judged; each requirement a test of which the interruption kept from running is ``not run:
interrupted (...)``. Real runs against a reference server that answers every request late, narrowed to
AUTH-02 (a few quick tests, run first) and GEO (slower ones, run after)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest

import suite_runner
from conformance.verdicts import model as reporting
from conformance.runtime.budget import BudgetExhausted, Ledger
from conformance.plugin.progress import Plan, RunProgress

NARROW = ("--profile", "smoke", "--seed", "1", "--requirements", "AUTH-02,GEO")
GEO = {f"GEO-0{n}" for n in range(1, 8)}
#: The tests NARROW selects: AUTH-02's 2 (its kinds of missing credential dealt to the routes, about 25
#: requests) and GEO's 9 (about 135 requests).
COLLECTED = 11
REPORTS = ("report.html", "junit.xml", "conformance.json", "summary.md", "manifest.json")


def assert_interrupted(run, why: str) -> None:
    """Every report written; AUTH-02 judged (passed); the GEO requirements whose tests all ran before
    the interruption passed, the others (at least one) are not run, interrupted."""
    assert run.returncode == 2, run.output
    for name in REPORTS:
        assert (run.report_dir / name).exists(), name
    assert run.verdict("AUTH-02") == "passed", run.output
    rows = {r["id"]: r for r in run.conformance["requirements"]}
    interrupted = {rid for rid in GEO if rows[rid]["verdict"] == "not run"}
    assert interrupted, rows
    for rid in GEO:
        assert (rows[rid]["verdict"], rows[rid]["why"]) in {("passed", ""), ("not run", f"interrupted ({why})")}
    assert rows["SORT-01"]["why"] == "no conformance test collected for it"  # not selected: not interrupted
    meta = run.conformance["meta"]["interrupted"]
    assert meta["why"] == f"interrupted ({why})"
    assert 0 < meta["tests_run"] < meta["tests_collected"] == COLLECTED
    assert run.conformance["meta"]["verdict"] == "CANNOT JUDGE"
    assert any(t["name"].startswith("test_no_credential_is_missing_api_key") for t in run.testcases)
    assert "CANNOT JUDGE" in (run.report_dir / "report.html").read_text()


def test_max_requests(start_reference, run_suite):
    server = start_reference("--latency-ms", "50")
    run = run_suite(server, *NARROW, "--max-requests", "80")
    assert_interrupted(run, "--max-requests 80 sent")
    assert run.conformance["meta"]["interrupted"]["kind"] == "max-requests"
    assert run.conformance["meta"]["requests"] == 80


def test_max_duration(start_reference, run_suite):
    # Serial, 0.1 s per answer: AUTH-02's tests (run first) send about 25 requests, GEO's about 135, so
    # the run needs more than 16 s and the budget runs out in GEO, however fast the machine.
    # (Without --concurrency 1 the slow server would get 3 workers, and a quiet machine finished in time.)
    server = start_reference("--latency-ms", "100")
    run = run_suite(server, *NARROW, "--concurrency", "1", "--max-duration", "9")
    assert_interrupted(run, "--max-duration 9 s spent")
    assert run.conformance["meta"]["interrupted"]["kind"] == "max-duration"


def test_ctrl_c_under_xdist(start_reference, tmp_path):
    """SIGINT to the run's process group (a terminal's Ctrl-C reaches the xdist workers too), sent once
    a progress line shows AUTH done."""
    server = start_reference("--latency-ms", "100")
    report_dir = tmp_path / "reports"
    cmd = [sys.executable, "-m", "pytest", str(suite_runner.SUITE), "-p", "no:cacheprovider", "--reports-dir",
           str(report_dir), "-q", "-rN", "--base-url", server.base_url, *NARROW, "-n", "2",
           "--progress-interval", "1"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=suite_runner.suite_env(server.keys), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    try:
        for line in proc.stdout:
            output.append(line)
            if line.startswith("progress ") and "AUTH done" in line and "GEO done" not in line:
                os.killpg(proc.pid, signal.SIGINT)
                break
        output.append(proc.stdout.read())
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    run = suite_runner.read_run(proc.returncode, "".join(output), report_dir)
    assert_interrupted(run, "Ctrl-C")
    assert run.conformance["meta"]["interrupted"]["kind"] == "ctrl-c"
    assert run.conformance["meta"]["cannot_judge"] == "interrupted (Ctrl-C)"
    assert "CANNOT JUDGE: interrupted (Ctrl-C)" in run.output


# ----------------------------------------------------------------------------------- pure parts


def a_report(nodeid, ids, outcome="passed", violated=()):
    props = [(reporting.REQUIREMENTS_PROPERTY, ",".join(ids))]
    if violated:
        props.append((reporting.FAILED_REQUIREMENTS_PROPERTY, ",".join(violated)))
    return SimpleNamespace(nodeid=nodeid, when="call", user_properties=props, outcome=outcome,
                           passed=outcome == "passed", failed=outcome == "failed", skipped=False,
                           longrepr="curl -sS http://x/chargers/status" if outcome == "failed" else None,
                           longreprtext="curl -sS http://x/chargers/status" if outcome == "failed" else "")


def test_an_interruption_does_not_hide_a_violation_seen():
    verdicts = reporting.Verdicts()
    verdicts.record(a_report("a", ("GEO-03",), outcome="failed", violated=("GEO-03",)))
    verdicts.record(a_report("b", ("GEO-04",)))
    verdicts.record(a_report("c", ("AUTH-02",)))
    verdicts.interrupt({"GEO-03", "GEO-04", "GEO-05"}, "interrupted (Ctrl-C)")
    assert verdicts.verdict("GEO-03")[0] == "FAILED"
    assert verdicts.verdict("GEO-04") == ("not run", "interrupted (Ctrl-C)")  # passed so far: not judged
    assert verdicts.verdict("GEO-05") == ("not run", "interrupted (Ctrl-C)")  # none of its tests ran
    assert verdicts.verdict("AUTH-02") == ("passed", "")
    assert verdicts.verdict("SORT-01") == ("not run", "no conformance test collected for it")


def session(shouldstop=False, shouldfail=False):
    return SimpleNamespace(shouldstop=shouldstop, shouldfail=shouldfail)


@pytest.fixture
def ledger():
    def make(**limits) -> Ledger:
        made = Ledger.create(**limits)
        ledgers.append(made)
        return made

    ledgers: list[Ledger] = []
    yield make
    for made in ledgers:
        made.close()


def unfinished() -> RunProgress:
    return RunProgress(plan=Plan({"a": ("AUTH-02",), "b": ("GEO-01",)}), finished={"a"}, judged={"a"})


def test_the_interruption_names_the_budget_spent(ledger):
    spent = ledger(max_requests=2)
    spent.acquire(), spent.acquire()
    with pytest.raises(BudgetExhausted) as exc:
        spent.acquire()
    interruption = unfinished().interruption(session(), spent, str(exc.value))
    assert (interruption.kind, interruption.reason) == ("max-requests", "interrupted (--max-requests 2 sent)")
    late = ledger(max_duration=5, started=0.0)  # a run that started long ago
    interruption = unfinished().interruption(session(), late, "the time budget is spent")
    assert (interruption.kind, interruption.reason) == ("max-duration", "interrupted (--max-duration 5 s spent)")


def test_ctrl_c_a_dead_deployment_and_a_stop_after_failures(ledger):
    fresh = ledger(max_requests=100, max_duration=1800)
    progress = unfinished()
    assert progress.interruption(session(), fresh, None) is not None  # b never ran
    progress.ctrl_c = True
    assert progress.interruption(session(), fresh, None).reason == "interrupted (Ctrl-C)"
    assert unfinished().interruption(session(), fresh, "the deployment stopped answering").kind == "cannot-judge"
    stopped = unfinished().interruption(session(shouldfail="stopping after 1 failures"), fresh, None)
    assert (stopped.kind, stopped.reason) == ("stopped", "interrupted (stopping after 1 failures)")


def test_a_complete_run_is_not_interrupted(ledger):
    progress = RunProgress(plan=Plan({"a": ("AUTH-02",)}), finished={"a"}, judged={"a"})
    assert progress.interruption(session(), ledger(), None) is None
