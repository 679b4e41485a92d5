"""Run the conformance suite in a subprocess against a server and read back its verdicts.

Used by the project's tests (conftest.py), tests/kill_table.py and benchmarks/run.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "conformance" / "suite"
KEY_ENV = {"primary": "IRIS_API_KEY", "other_tenant": "IRIS_OTHER_TENANT_KEY",
           "revoked": "IRIS_REVOKED_API_KEY", "expired": "IRIS_EXPIRED_API_KEY"}


@dataclass
class SuiteRun:
    returncode: int
    output: str
    testcases: list[dict]
    conformance: dict
    report_dir: Path

    def failed_tests(self) -> list[str]:
        return [t["name"] for t in self.testcases if t["outcome"] in ("failed", "error")]

    def verdict(self, requirement_id: str) -> str:
        return next((r["verdict"] for r in self.conformance["requirements"] if r["id"] == requirement_id), "missing")

    def requirements_with(self, verdict: str) -> set[str]:
        return {r["id"] for r in self.conformance["requirements"] if r["verdict"] == verdict}


def suite_env(keys: dict | None, env_extra: dict | None = None) -> dict[str, str]:
    """The environment of a suite subprocess: ours without IRIS_*/PYTEST_* settings, plus ``keys``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IRIS_", "PYTEST_"))}
    # a suite run appends its summary there: not to the job summary of the CI running these tests
    env.pop("GITHUB_STEP_SUMMARY", None)
    # pytest rewrites the assertions of every plugin package (schemathesis' 400 modules); let it
    # cache the result, or each of the many runs pays seconds for it again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for name, value in (env_extra or {}).items():  # None removes a variable
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    for name, var in KEY_ENV.items():
        if (keys or {}).get(name):
            env[var] = keys[name]
    return env


def run_suite(server, *args: str, workdir: Path | None = None, base_url: str | None = None,
              keys: dict | None = None, env_extra: dict | None = None, timeout: float = 900) -> SuiteRun:
    """Run ``pytest conformance/suite`` against ``server`` (an EmbeddedServer, or None for the
    plugin's own embedded server) and return what it wrote."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="iris-suite-"))
    report_dir = workdir / "reports"
    env = suite_env(keys if keys is not None else (server.keys if server else {}), env_extra)
    cmd = suite_command(*args, report_dir=report_dir, base_url=base_url or (server.base_url if server else None))
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    return read_run(proc.returncode, proc.stdout + proc.stderr, report_dir)


def suite_command(*args: str, report_dir: Path, base_url: str | None = None) -> list[str]:
    """``pytest conformance/suite`` writing its reports to ``report_dir``, against ``base_url`` (None: the
    plugin's own embedded server); run it with :func:`suite_env`."""
    cmd = [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "--reports-dir", str(report_dir),
           "-q", "-rN", *args]
    return cmd + ["--base-url", base_url] if base_url else cmd


def read_run(returncode: int, output: str, report_dir: Path) -> SuiteRun:
    """What a finished suite run wrote to ``report_dir``."""
    junit = report_dir / "junit.xml"
    testcases = _read_junit(junit) if junit.exists() else []
    conf_path = report_dir / "conformance.json"
    conformance = json.loads(conf_path.read_text()) if conf_path.exists() else {"requirements": [], "meta": {}}
    return SuiteRun(returncode, output, testcases, conformance, report_dir)


def _read_junit(path: Path) -> list[dict]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", None
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message = child.get("message")
        properties = [(p.get("name"), p.get("value")) for p in case.iter("property")]
        cases.append({"name": case.get("name"), "classname": case.get("classname"), "outcome": outcome,
                      "message": message, "properties": properties})
    return cases


@dataclass
class Draft:
    path: Path
    returncode: int
    output: str

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8") if self.path.exists() else ""


def run_adapt(server, workdir: Path, *args: str, timeout: float = 300) -> Draft:
    """``iris-conformance adapt`` against ``server``, as a user runs it (the key from the environment)."""
    path = Path(workdir) / "adapt.overlay.yaml"
    env = suite_env({"primary": server.keys["primary"]})
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "adapt", "--base-url", server.base_url,
                           "-o", str(path), *args], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return Draft(path, proc.returncode, proc.stdout + proc.stderr)
