"""The kill script of the mutation analysis: judge one mutant of the reference server with the suite.

    python benchmarks/mutation/kill.py [--profile smoke|default] [--time-limit SECONDS]

Run by cosmic-ray (its ``test-command``) in a throwaway copy of the repository whose reference server
it has just mutated on disk: this script is the copy's own (``benchmarks/run.py`` never runs it in a
developer's checkout). It starts the mutated server from the copy in its own process, with the suite's
server arguments (``SUITE_ARGS``), runs ``pytest conformance/suite --profile P --hypothesis-seed
20261124 --base-url URL -p no:cacheprovider -q`` against it with the server's keys in the environment
(``tests/suite_runner.py``), within ``--time-limit`` seconds, and stops the server.

It prints one line, ``MUTATION-RESULT {json}``: the outcome (below), the suite's exit status, the
requirements that FAILED and warned (from the run's ``conformance.json``), the CANNOT JUDGE reason,
the requests sent and the wall time. No key is printed. Its exit status is cosmic-ray's view:
0 the mutant survived, non-zero anything else.

| outcome        | exit | meaning                                                                    |
|----------------|------|----------------------------------------------------------------------------|
| survived       | 0    | the suite said CONFORMANT (exit 0)                                         |
| killed         | 1    | the suite said NOT CONFORMANT (exit 1)                                     |
| cannot judge   | 2    | the suite said CANNOT JUDGE (exit 2), or the mutated server did not start  |
| timeout        | 3    | the suite did not finish within --time-limit                               |
| error          | 4    | anything else (the suite's internal or usage error, no tests, this script) |
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COPY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(COPY))
sys.path.insert(0, str(COPY / "tests"))

from conformance.runtime.embedded import SUITE_ARGS, EmbeddedServer, EmbeddedServerError  # noqa: E402
from suite_runner import read_run, suite_command, suite_env  # noqa: E402

#: The suite's hypothesis seed in every mutant's run: a verdict depends on the mutant alone.
HYPOTHESIS_SEED = "20261124"
MARKER = "MUTATION-RESULT "
EXIT = {"survived": 0, "killed": 1, "cannot judge": 2, "timeout": 3, "error": 4}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke", choices=("smoke", "default", "thorough"))
    parser.add_argument("--time-limit", type=float, default=240.0, metavar="SECONDS")
    args = parser.parse_args(argv)
    result = judge(args.profile, args.time_limit)
    print(MARKER + json.dumps(result, sort_keys=True), flush=True)
    return EXIT[result["outcome"]]


def judge(profile: str, time_limit: float) -> dict:
    started = time.monotonic()
    result: dict = {"profile": profile, "exit_status": None, "failed": [], "warned": [], "reason": None,
                    "requests": None}
    # cosmic-ray wrote the mutant a moment ago: never let a cached compilation of the clean source stand
    # in for it (a one-character change within the same second keeps the size and the mtime).
    shutil.rmtree(COPY / "conformance" / "reference" / "__pycache__", ignore_errors=True)
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # the server's environment (the suite's drops it)
    server = EmbeddedServer(args=SUITE_ARGS, pythonpath=(str(COPY),), startup_timeout=min(60.0, time_limit))
    try:
        server.start()
    except (EmbeddedServerError, ValueError) as exc:  # no start-up line, or not the JSON one
        result.update(outcome="cannot judge", reason=f"the mutated server did not start: {str(exc)[-500:]}")
        return _timed(result, started)
    try:
        result.update(_run_suite(server, profile, time_limit - (time.monotonic() - started)))
    finally:
        server.stop()
    return _timed(result, started)


def _run_suite(server: EmbeddedServer, profile: str, time_limit: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="iris-mutant-"))
    try:
        report_dir = workdir / "reports"
        cmd = suite_command("--profile", profile, "--hypothesis-seed", HYPOTHESIS_SEED, report_dir=report_dir,
                            base_url=server.base_url)
        # the suite's modules from the copy too (not from wherever the package is installed); bytecode may be
        # cached for them: the suite is not mutated
        env = suite_env(server.keys, {"PYTHONPATH": str(COPY)})
        process = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=max(time_limit, 1.0))
        except subprocess.TimeoutExpired:
            _kill_group(process)
            return {"outcome": "timeout", "reason": f"the suite did not finish within {time_limit:.0f} s"}
        except BaseException:  # interrupted: the suite has a session of its own, so Ctrl-C did not reach it
            _kill_group(process)
            raise
        run = read_run(process.returncode, output, report_dir)
        rows = run.conformance.get("requirements", [])
        found = {
            "exit_status": process.returncode,
            "failed": sorted(r["id"] for r in rows if r.get("verdict") == "FAILED"),
            "warned": sorted(r["id"] for r in rows if r.get("verdict") == "warning"),
            "requests": run.conformance.get("meta", {}).get("requests"),
        }
        outcome = {0: "survived", 1: "killed", 2: "cannot judge"}.get(process.returncode, "error")
        reason = run.conformance.get("meta", {}).get("cannot_judge")
        if outcome == "error":
            reason = f"exit status {process.returncode}: {output.strip()[-800:]}"
        return {**found, "outcome": outcome, "reason": reason}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _kill_group(process: subprocess.Popen) -> None:
    """Stop the suite and whatever it started (its xdist workers), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _timed(result: dict, started: float) -> dict:
    return {**result, "wall": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001  (this script's own failure is an outcome, not a kill)
        print(MARKER + json.dumps({"outcome": "error", "reason": f"kill.py: {type(exc).__name__}: {exc}"}),
              flush=True)
        sys.exit(EXIT["error"])
