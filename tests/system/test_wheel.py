"""The wheel ships the product: the suite, the spec, the requirement registry, the CLI and the clean
reference server, and nothing of tests/ (the lab's defects and dialects, the mock server). Installed
in a fresh virtualenv, as a vendor installs it, it runs the suite against its embedded server
without a warning."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from suite_runner import suite_env
from suite_runner import ROOT


#: builds the wheel and installs it with its dependencies (from the package index, or pip's cache)
pytestmark = pytest.mark.system

#: what must not be in the wheel: test machinery
TEST_MACHINERY = re.compile(r"(^|/)(tests|lab|broken)/|(^|/)(defects|dialects|mock_server|kill_table)\.py$")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                            "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("iris_conformance-*.whl")
    return found


def test_the_wheel_holds_the_product_and_no_test_machinery(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert not [name for name in names if TEST_MACHINERY.search(name)]
    for product in ("conformance/specs/openapi.yaml", "conformance/contract/requirements.yaml",
                    "conformance/cli/__init__.py", "conformance/plugin/__init__.py", "conformance/suite/test_auth.py",
                    "conformance/suite/costs.json",
                    "conformance/reference/server.py", "conformance/reference/app.py"):
        assert product in names


def test_the_installed_wheel_runs_the_suite_without_a_warning(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = suite_env(None, {"PYTHONPATH": None, "VIRTUAL_ENV": None})
    installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                str(wheel)], env=env, capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    workdir = tmp_path / "empty"
    workdir.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / "iris-conformance"), "run", *args], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=600)

    narrowed = run("--requirements", "TRN-03", "-q")
    output = narrowed.stdout + narrowed.stderr
    assert narrowed.returncode == 0, output[-3000:]
    assert "verdict: CONFORMANT" in output
    assert not [line for line in output.splitlines() if "Warning" in line or "warning:" in line or
                "warnings summary" in line], output[-3000:]
    assert {"report.html", "junit.xml", "conformance.json", "summary.md", "manifest.json"} <= \
        {path.name for path in (workdir / "reports").iterdir()}
    # the command's exit status is pytest's: 5, no test selected
    assert run("--requirements", "TRN-03", "-q", "-k", "no_such_test").returncode == 5
    # the plan: the installed suite collected in plan-only mode, its cost table shipped
    planned = subprocess.run([str(venv / "bin" / "iris-conformance"), "plan", "--profile", "smoke"], cwd=workdir,
                             env=env, capture_output=True, text=True, timeout=600)
    assert planned.returncode == 0 and "requests (primary" in planned.stdout, planned.stdout + planned.stderr
    assert "estimated" not in planned.stdout  # the table knows every test of the suite it ships with
