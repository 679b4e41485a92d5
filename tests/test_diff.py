"""iris-conformance diff OLD.json NEW.json: requirement by requirement, regressions exit 1, fixes,
new warnings, verdicts that became 'not run', a change of spec, overlays or suite version; text,
markdown and json."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from conformance.verdicts import diff


def document(verdicts: dict[str, str], **meta) -> dict:
    base = {"suite_version": "iris-conformance 0.1.0", "verdict": "CONFORMANT", "profile": "smoke",
            "spec_file": {"name": "openapi.yaml", "version": "1.0.0", "sha256": "a" * 64}, "overlays": []}
    return {"meta": {**base, **meta}, "counts": {},
            "requirements": [{"id": rid, "level": "MUST", "verdict": v, "why": "", "repro": f"curl {rid}"}
                             for rid, v in verdicts.items()]}


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "diff", *args], capture_output=True, text=True)


@pytest.mark.parametrize("old, new, kind", [
    ("passed", "FAILED", diff.REGRESSION), ("waived", "FAILED", diff.REGRESSION), ("not run", "FAILED", diff.REGRESSION),
    ("FAILED", "passed", diff.FIX), ("warning", "passed", diff.FIX), ("waived", "passed", diff.FIX),
    ("passed", "warning", diff.NEW_WARNING), ("passed", "not run", diff.NOT_RUN), ("FAILED", "not run", diff.NOT_RUN),
    ("FAILED", "waived", diff.OTHER), ("passed", "blocked", diff.OTHER), ("FAILED", "warning", diff.OTHER),
    ("passed", "passed", None),
])
def test_kinds_of_change(old, new, kind):
    assert diff.kind_of(old, new) == kind


def test_context_changes_are_named():
    old = document({"GEO-03": "passed"})
    new = document({"GEO-03": "passed"}, suite_version="iris-conformance 0.2.0",
                   spec_file={"name": "openapi.yaml", "version": "1.0.1", "sha256": "b" * 64},
                   overlays=[{"path": "vendor.overlay.yaml", "sha256": "c" * 64, "actions": ["rename"]}])
    result = diff.compare(old, new)
    assert {c.what for c in result.context} == {"suite version", "spec", "overlays"}
    assert result.exit_status == 0 and not result.changes
    text = result.text()
    assert "changed suite version: iris-conformance 0.1.0 -> iris-conformance 0.2.0" in text
    assert "vendor.overlay.yaml" in text


def test_a_requirement_only_in_one_run_is_a_change():
    result = diff.compare(document({"GEO-03": "passed"}), document({"GEO-03": "passed", "NEW-01": "FAILED"}))
    (change,) = result.changes
    assert change.requirement == "NEW-01" and change.old == diff.ABSENT and change.kind == diff.REGRESSION


def test_not_a_conformance_json_is_refused(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    done = cli(str(bad), str(bad))
    assert done.returncode == 2 and "is not a conformance.json" in done.stderr


# -------------------------------------------------------------------------------------- real runs

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
