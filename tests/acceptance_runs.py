"""Real runs of the suite for the acceptance and CI-gate tests (waivers, diff, bundle, summary.md,
JUnit properties, the HTML report in a browser): cheap targeted runs (`--profile smoke`, two
requirements) against the reference server, clean and with its geo-03-bbox-only defect.

They are made once per `pytest tests` session, even under pytest-xdist (the first worker to ask
makes them under a file lock, the others read what it wrote), and are read-only for the tests: a
test that alters a file copies the directory first."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
from dataclasses import dataclass
from pathlib import Path

import suite_runner
from conformance.runtime.embedded import EmbeddedServer
from lab.embedded import lab_server
from suite_runner import SuiteRun

DEFECT = "geo-03-bbox-only"
SELECTION = ("--profile", "smoke", "--seed", "20261124", "--requirements", "GEO-03,GEO-04")
TODAY = dt.date.today()

#: GEO-03 (broken by the defect, seen on GET /chargers/status) is waived; GEO-04 holds: unused
WAIVERS = f"""waivers:
  - requirement: GEO-03
    operations: ["GET /chargers/status"]
    reason: the bounding-box pre-filter returns the circle's corners; fixed in release 4.2 (IRIS-123)
    owner: jane.doe@vendor.example
    expires: {TODAY + dt.timedelta(days=30)}
  - requirement: GEO-04
    reason: ordering under review
    owner: ops@vendor.example
    expires: {TODAY + dt.timedelta(days=30)}
"""
#: the same GEO-03 waiver, expired yesterday
EXPIRED = f"""waivers:
  - requirement: GEO-03
    reason: the bounding-box pre-filter returns the circle's corners; fixed in release 4.2 (IRIS-123)
    owner: jane.doe@vendor.example
    expires: {TODAY - dt.timedelta(days=1)}
"""
#: what the CI's job summary held before the run (the suite appends to it)
STEP_SUMMARY_BEFORE = "## an earlier step\n\nits own summary\n"


@dataclass
class AcceptanceRuns:
    clean: SuiteRun  # the reference server without defect: GEO-03 and GEO-04 pass
    waived: SuiteRun  # the defect, GEO-03 waived (run with --bundle and GITHUB_STEP_SUMMARY)
    expired: SuiteRun  # the defect, the GEO-03 waiver expired: NOT CONFORMANT
    keys: dict[str, str]  # every key the runs used (none may appear in what they wrote)
    root: Path

    @property
    def bundle(self) -> Path:
        return self.root / "evidence.tar.gz"

    @property
    def step_summary(self) -> Path:
        return self.root / "step-summary.md"


def make(root: Path) -> AcceptanceRuns:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done.json").exists():
            _run_all(root)
    keys = json.loads((root / "done.json").read_text())
    return AcceptanceRuns(*(_read(root / name) for name in ("clean", "waived", "expired")), keys=keys, root=root)


def _run_all(root: Path) -> None:
    (root / "waivers.yaml").write_text(WAIVERS)
    (root / "expired.yaml").write_text(EXPIRED)
    (root / "step-summary.md").write_text(STEP_SUMMARY_BEFORE)
    clean = EmbeddedServer()
    broken = lab_server("--defect", DEFECT)
    clean.start()
    broken.start()
    try:
        _run(root / "clean", clean, *SELECTION)
        _run(root / "waived", broken, *SELECTION, "--waivers", str(root / "waivers.yaml"),
             "--bundle", str(root / "evidence.tar.gz"), env_extra={"GITHUB_STEP_SUMMARY": str(root / "step-summary.md")})
        _run(root / "expired", broken, *SELECTION, "--waivers", str(root / "expired.yaml"))
        keys = {f"{which}:{name}": key for which, server in (("clean", clean), ("broken", broken))
                for name, key in server.keys.items()}
    finally:
        clean.stop()
        broken.stop()
    (root / "done.json").write_text(json.dumps(keys))


def _run(workdir: Path, server: EmbeddedServer, *args: str, env_extra: dict | None = None) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    run = suite_runner.run_suite(server, *args, workdir=workdir, env_extra=env_extra, timeout=300)
    (workdir / "outcome.json").write_text(json.dumps({"returncode": run.returncode, "output": run.output}))


def _read(workdir: Path) -> SuiteRun:
    outcome = json.loads((workdir / "outcome.json").read_text())
    return suite_runner.read_run(outcome["returncode"], outcome["output"], workdir / "reports")
