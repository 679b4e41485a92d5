"""Against an unreachable or broken deployment the suite ends in bounded time with one clear
"cannot judge" reason (exit 2) at the top of the report and in the terminal summary: no tracebacks,
no pile of failures. Each scenario is a small local server from hostile_servers.py."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

import hostile_servers as hostile
import suite_runner
from conformance.runtime.embedded import SUITE_ARGS, EmbeddedServer

KEYS = {"primary": "iris_h0stileh0stileh0stileh0stileh0"}

#: scenario -> (behaviour, extra suite arguments, words the reason must contain, bound on wall seconds)
SCENARIOS = {
    "hangs": (hostile.hang, ("--request-timeout", "2"), "no response within 2 s", 30),
    "answers after the timeout": (hostile.slow, ("--request-timeout", "2"), "no response within 2 s", 30),
    "answers slowly but in time": (hostile.slow, ("--max-duration", "8"), "--max-duration 8 s", 40),
    "trickles an endless body": (hostile.trickle, ("--request-timeout", "2"), "did not arrive within 2 s", 30),
    "answers HTML": (hostile.html, (), "does not answer with JSON", 30),
    "cuts JSON short": (hostile.truncated_json, (), "the body was cut short", 30),
    "answers 500 everywhere": (hostile.server_error, (), "every probe got a server error", 30),
    "sends a 50 MB body": (hostile.huge_body, (), "the body exceeds 8 MB", 30),
    "redirects in a loop": (hostile.redirect_loop, (), "redirects", 30),
}


def check_cannot_judge(run: suite_runner.SuiteRun, reason: str, seconds: float, bound: float) -> None:
    assert run.returncode == 2, f"exit {run.returncode}, not 2 (cannot judge):\n{run.output[-3000:]}"
    assert seconds < bound, f"took {seconds:.1f} s, more than {bound} s"
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.startswith("CANNOT JUDGE:")]
    assert len(lines) == 1 and reason in lines[0], run.output[-3000:]
    assert run.conformance["meta"]["cannot_judge"] and reason in run.conformance["meta"]["cannot_judge"]
    assert not run.failed_tests(), f"a deployment that cannot be judged fails no test: {run.failed_tests()}"
    html = (run.report_dir / "report.html").read_text()
    assert "CANNOT JUDGE" in html and html.index("CANNOT JUDGE") < html.index("conformance-matrix")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_broken_deployment_is_one_clear_cannot_judge(scenario, run_suite):
    behaviour, args, reason, bound = SCENARIOS[scenario]
    with hostile.Hostile(behaviour) as server:
        started = time.monotonic()
        run = run_suite(None, "--profile", "smoke", *args, base_url=server.base_url, keys=KEYS, timeout=120)
    check_cannot_judge(run, reason, time.monotonic() - started, bound)


@pytest.mark.parametrize("where, reason", [
    ("closed port", "connection refused"),
    ("unknown host", "does not resolve (DNS)"),
    ("self-signed TLS", "TLS handshake failed"),
])
def test_an_unreachable_deployment_is_one_clear_cannot_judge(where, reason, run_suite, tmp_path):
    started = time.monotonic()
    if where == "self-signed TLS":
        with hostile.Hostile(hostile.html, certfile=hostile.self_signed_pem(tmp_path)) as server:
            run = run_suite(None, "--profile", "smoke", base_url=server.base_url, keys=KEYS, timeout=120)
    else:
        url = {"closed port": f"http://127.0.0.1:{hostile.free_port()}/api",
               "unknown host": "http://iris-conformance.invalid/api"}[where]
        run = run_suite(None, "--profile", "smoke", base_url=url, keys=KEYS, timeout=120)
    check_cannot_judge(run, reason, time.monotonic() - started, 30)


def test_a_deployment_that_dies_mid_run_stops_the_run(tmp_path):
    """The server is killed once the suite has run a few dozen tests: the run stops at once, with
    one reason, and the tests already run keep their verdicts."""
    server = EmbeddedServer(args=SUITE_ARGS)
    server.start()
    report_dir = tmp_path / "reports"
    cmd = [sys.executable, "-m", "pytest", str(suite_runner.SUITE), "-p", "no:cacheprovider", "-q",
           "--reports-dir", str(report_dir), "--profile", "smoke", "--base-url", server.base_url]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=suite_runner.suite_env(server.keys), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(lambda: proc.stdout.read(1), "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while "".join(output).count(".") < 40 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop()
        killed_at = time.monotonic()
        proc.wait(timeout=60)
        stopped_after = time.monotonic() - killed_at
        reader.join(10)
    finally:
        proc.kill()
        server.stop()
    run = suite_runner.read_run(proc.returncode, "".join(output), report_dir)
    check_cannot_judge(run, "connection refused", stopped_after, 20)
    assert sum(t["outcome"] == "passed" for t in run.testcases) >= 30, "the tests run before keep their verdicts"
