"""iris-conformance diff OLD.json NEW.json: requirement by requirement, regressions exit 1, fixes,
new warnings, verdicts that became 'not run', a change of spec, overlays or suite version; text,
markdown and json."""

from __future__ import annotations

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
