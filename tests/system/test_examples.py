"""The CI kit under examples/ and the tox envs: valid YAML, keys from secrets, reports uploaded even
on failure, and every suite option they pass is one the plugin defines."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys

import pytest
import yaml
from suite_runner import ROOT



@pytest.fixture(scope="module")
def suite_options() -> set[str]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=ROOT, capture_output=True, text=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]+)", out))


def commands() -> dict[str, str]:
    found = {}
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        for line in (ROOT / "examples" / name).read_text().splitlines():
            if "pytest conformance" in line:
                found[f"{name}: {line.strip()}"] = line
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    for section in tox.sections():
        if "commands" in tox[section]:
            found[f"tox.ini [{section}]"] = tox[section]["commands"]
    return found


@pytest.mark.parametrize("where", commands())
def test_every_option_in_the_ci_kit_exists(where, suite_options):
    used = set(re.findall(r"(--[a-z][a-z0-9-]+)", commands()[where]))
    assert used <= suite_options, f"{where} passes unknown options {used - suite_options}"


def test_the_github_workflow_takes_the_key_from_a_secret_and_keeps_the_report():
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
    steps = workflow["jobs"]["uat"]["steps"]
    run = next(s for s in steps if "pytest conformance" in s.get("run", ""))
    assert run["env"]["IRIS_API_KEY"] == "${{ secrets.IRIS_API_KEY }}"
    assert "iris_" not in (ROOT / "examples" / "github-actions.yml").read_text()
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"


def test_the_gitlab_job_keeps_the_report_and_junit():
    jobs = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())
    job = jobs["iris-conformance-uat"]
    assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert "IRIS_API_KEY" not in job.get("variables", {}), "the key is a masked CI/CD variable, not in the file"


def test_tox_prod_is_sensitive_smoke_and_bounded():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    prod = tox["testenv:prod"]
    assert "SENSITIVE_URL = ." in prod["setenv"]
    for option in ("--profile smoke", "--max-requests", "--max-rps"):
        assert option in prod["commands"]
    assert "--allow-intrusive" not in prod["commands"]


def test_the_prod_budget_holds_a_sensitive_smoke_run(run_suite):
    """tox -e prod's request budget against the embedded server made sensitive (without its pace,
    which only slows the run): the gate must not run out of budget on a conformant deployment."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    budget = re.search(r"--max-requests (\d+)", tox["testenv:prod"]["commands"]).group(1)
    run = run_suite(None, "--profile", "smoke", "--sensitive-url", ".", "--max-requests", budget)
    assert run.returncode == 0, run.output[-2000:]
    sent = run.conformance["meta"]["requests"]
    assert sent <= int(budget) * 0.8, f"a sensitive smoke run sent {sent} of the {budget} allowed: too little margin"


def cli_options(command: str) -> set[str]:
    out = subprocess.run([sys.executable, "-m", "conformance.cli", command, "--help"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]+)", out))


def test_the_ci_kit_gates_on_waivers_diff_and_the_evidence_bundle():
    """Both examples run with the waiver file, write the bundle and keep it as an artifact, diff
    against the last accepted run's conformance.json as Markdown, and verify the bundle."""
    options = {command: cli_options(command) for command in ("diff", "verify")}
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (ROOT / "examples" / name).read_text()
        assert "IRIS_WAIVERS:" in text or "--waivers" in text, name
        assert re.search(r"pytest conformance .*--bundle iris-evidence\.tar\.gz", text), name
        diff = re.search(r"iris-conformance diff (\S+) reports/conformance\.json(.*)", text)
        assert diff and diff.group(1).endswith("accepted.json") and "--format markdown" in diff.group(2), name
        assert "iris-conformance verify iris-evidence.tar.gz" in text, name
        for command in ("diff", "verify"):
            for line in re.findall(rf"iris-conformance {command} .*", text):
                used = set(re.findall(r"(--[a-z][a-z0-9-]+)", line))
                assert used <= options[command], f"{name}: {line} passes unknown options {used - options[command]}"
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions.yml").read_text())
    uploads = [s["with"]["path"] for s in workflow["jobs"]["uat"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert "iris-evidence.tar.gz" in uploads
    job = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())["iris-conformance-uat"]
    assert "iris-evidence.tar.gz" in job["artifacts"]["paths"]
