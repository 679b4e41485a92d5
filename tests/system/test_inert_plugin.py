"""The installed plugin changes nothing in a pytest run that is not a run of the suite: another
project's tests, in the same virtualenv, keep their own fixtures, see none of the suite's, are not
broken by the suite's settings left in the environment, and load nothing of the suite's.

Each test runs ``python -m pytest`` in a subprocess over a throwaway project (its ``conftest.py``
defines fixtures named ``api`` and ``budget``, as the suite's are, and records ``sys.modules`` at
``pytest_sessionstart``). What that costs in time is measured by ``benchmarks/plugin_overhead.py``,
not asserted here."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import suite_runner

SUITE = suite_runner.SUITE
ENTRY_MODULES = {"conformance", "conformance.plugin"}  # the entry point's module and its parents
WITHOUT = ("-p", "no:iris_conformance")

CONFTEST = '''
import json
import os
import sys

import pytest


@pytest.fixture
def api():
    return "the project's api"


@pytest.fixture
def budget():
    return "the project's budget"


def pytest_sessionstart(session):
    with open(os.environ["RECORD_MODULES"], "w") as out:
        json.dump(sorted(sys.modules), out)
'''

TEST = '''
def test_uses_its_own_fixtures(api, budget):
    assert api == "the project's api"
    assert budget == "the project's budget"
'''


def suite_fixture_names() -> set[str]:
    """The fixtures the suite defines (conftest.py and the modules it star-imports)."""
    names = set()
    for path in (SUITE / "conftest.py", SUITE / "fixtures.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
                names.add(node.name)
    return names


@pytest.fixture
def project(tmp_path: Path):
    """Run pytest over a throwaway project; returns (process, the modules loaded at session start)."""
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_project.py").write_text(TEST, encoding="utf-8")
    record = tmp_path / "modules.json"

    def run(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
        environment = suite_runner.suite_env(None, {"RECORD_MODULES": str(record), **(env or {})})
        proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                              env=environment, capture_output=True, text=True, timeout=120)
        modules = set(json.loads(record.read_text(encoding="utf-8"))) if record.exists() else set()
        return proc, modules

    return run


def test_the_project_passes_with_its_own_fixtures(project):
    proc, _ = project("-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_the_suite_fixtures_are_not_listed(project):
    names = suite_fixture_names()
    assert {"api", "budget", "iris_spec", "http_session", "envelope", "first_page"} <= names  # the scan works
    proc, _ = project("--fixtures", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line and not line[0].isspace()}
    assert not (names - {"api", "budget"}) & listed
    baseline, _ = project("--fixtures", "-q", *WITHOUT)
    assert listed == {line.split()[0] for line in baseline.stdout.splitlines() if line and not line[0].isspace()}


def test_the_suite_settings_in_the_environment_break_nothing(project):
    proc, _ = project("-q", env={"IRIS_SPEC": "/nonexistent", "IRIS_MAX_REQUESTS": "abc", "IRIS_OVERLAY": "/nope",
                                 "IRIS_MAX_RPS": "fast", "IRIS_PROGRESS_INTERVAL": "-1", "IRIS_WAIVERS": "/nope"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_the_plugin_loads_nothing_of_the_suite(project):
    proc, modules = project("-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    baseline, without = project("-q", *WITHOUT)
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    assert {m for m in modules if m == "conformance" or m.startswith("conformance.")} == ENTRY_MODULES
    assert modules - without == ENTRY_MODULES


def test_in_a_run_of_the_suite_a_bad_environment_value_is_a_usage_error(tmp_path):
    env = suite_runner.suite_env(None, {"IRIS_MAX_REQUESTS": "abc"})
    proc = subprocess.run([sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "-q",
                           "--reports-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "IRIS_MAX_REQUESTS='abc'" in proc.stderr and "--max-requests" in proc.stderr
