"""``iris-conformance diff`` on real runs' conformance.json (the shared acceptance runs): a regression
exits 1 and is told in text, Markdown and JSON; a fix and a waiver are not regressions."""

from __future__ import annotations

import copy
import json
import subprocess
import sys


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "diff", *args], capture_output=True, text=True)


def test_a_regression_between_two_real_runs_exits_1(acceptance):
    old, new = acceptance.clean.report_dir / "conformance.json", acceptance.expired.report_dir / "conformance.json"
    done = cli(str(old), str(new))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "regressions (1):" in done.stdout
    assert "GEO-03      passed -> FAILED" in done.stdout
    assert "curl " in done.stdout and "/chargers/status" in done.stdout
    assert "run verdict: CONFORMANT -> NOT CONFORMANT" in done.stdout
    assert "changed waivers: none -> expired.yaml" in done.stdout
    for key in acceptance.keys.values():
        assert key not in done.stdout


def test_the_markdown_and_json_of_a_real_regression(acceptance):
    old, new = acceptance.clean.report_dir / "conformance.json", acceptance.expired.report_dir / "conformance.json"
    markdown = cli(str(old), str(new), "--format", "markdown")
    assert markdown.returncode == 1
    assert markdown.stdout.startswith("### IRIS conformance diff: ❌ regressions: 1")
    assert "| **regression** | GEO-03 | MUST | passed | FAILED |" in markdown.stdout
    as_json = cli(str(old), str(new), "--format", "json")
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["regressed"] is True
    assert [(c["requirement"], c["kind"]) for c in data["changes"]] == [("GEO-03", "regression")]


def test_a_fix_and_a_waiver_are_not_regressions(acceptance):
    failed, clean = acceptance.expired.report_dir / "conformance.json", acceptance.clean.report_dir / "conformance.json"
    fixed = cli(str(failed), str(clean))
    assert fixed.returncode == 0 and "fixes (1):" in fixed.stdout and "GEO-03      FAILED -> passed" in fixed.stdout
    waived = cli(str(failed), str(acceptance.waived.report_dir / "conformance.json"))
    assert waived.returncode == 0 and "other changes (1):" in waived.stdout


def test_a_verdict_that_became_not_run(acceptance, tmp_path):
    new = copy.deepcopy(acceptance.clean.conformance)
    next(r for r in new["requirements"] if r["id"] == "GEO-04")["verdict"] = "not run"
    path = tmp_path / "new.json"
    path.write_text(json.dumps(new))
    done = cli(str(acceptance.clean.report_dir / "conformance.json"), str(path))
    assert done.returncode == 0 and "became not run (1):" in done.stdout and "GEO-04      passed -> not run" in done.stdout
