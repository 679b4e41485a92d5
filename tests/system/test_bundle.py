"""The evidence bundle: every run writes reports/manifest.json and copies its inputs beside the
reports; `iris-conformance verify` accepts a complete, unaltered bundle (a directory or a --bundle
archive) and refuses one altered by a single byte, a missing or an extra file, or a manifest that
disagrees with conformance.json. No key in any file of it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile

from conformance.contract import spec as specs


def verify(where) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "verify", str(where)], capture_output=True, text=True)


def copy_of(acceptance, tmp_path):
    target = tmp_path / "reports"
    shutil.copytree(acceptance.waived.report_dir, target)
    return target


def flip_one_byte(path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if at is None else at
    data[at] = ord("x") if data[at] != ord("x") else ord("y")
    path.write_bytes(bytes(data))


def test_the_manifest_holds_the_facts_of_the_run(acceptance):
    run = acceptance.waived
    manifest = json.loads((run.report_dir / "manifest.json").read_text())
    meta = run.conformance["meta"]
    assert manifest["suite_version"].startswith("iris-conformance ")
    assert manifest["verdict"] == "CONFORMANT" and manifest["exit_status"] == 0 == run.returncode
    assert manifest["counts"] == run.conformance["counts"] and manifest["counts"]["waived"] == 1
    assert manifest["base_url"].startswith("http://127.0.0.1:") and "iris_" not in manifest["base_url"]
    assert manifest["profile"] == "smoke" and manifest["seed"] == meta["seed"]
    assert manifest["started"] <= manifest["finished"] and manifest["requests"] == meta["requests"] > 0
    inputs = {i["role"]: i for i in manifest["inputs"]}
    assert inputs["spec"]["sha256"] == specs.load().sha256
    waivers = run.report_dir / inputs["waivers"]["path"]
    assert inputs["waivers"]["sha256"] == hashlib.sha256((acceptance.root / "waivers.yaml").read_bytes()).hexdigest()
    assert waivers.read_bytes() == (acceptance.root / "waivers.yaml").read_bytes()
    reports = {r["path"]: r["sha256"] for r in manifest["reports"]}
    assert set(reports) == {"report.html", "junit.xml", "conformance.json", "summary.md"}
    for name, digest in reports.items():
        assert hashlib.sha256((run.report_dir / name).read_bytes()).hexdigest() == digest


def test_a_bundle_is_verified_then_refused_when_one_byte_is_altered(acceptance, tmp_path):
    reports = copy_of(acceptance, tmp_path)
    done = verify(reports)
    assert done.returncode == 0, done.stdout
    assert ": VERIFIED" in done.stdout and "verdict: CONFORMANT (exit status 0)" in done.stdout
    flip_one_byte(reports / "report.html")
    refused = verify(reports)
    assert refused.returncode == 1 and ": REFUSED" in refused.stdout
    assert "report.html: sha256" in refused.stdout and "altered" in refused.stdout


def test_the_archive_is_verified_then_refused_when_one_byte_of_a_member_is_altered(acceptance, tmp_path):
    archive = acceptance.bundle
    done = verify(archive)
    assert done.returncode == 0, done.stdout
    with tarfile.open(archive) as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile())
        tar.extractall(tmp_path / "x", filter="data")
    top = names[0].split("/")[0]
    assert {n.split("/", 1)[1] for n in names} == {
        "manifest.json", "report.html", "junit.xml", "conformance.json", "summary.md",
        "inputs/spec/openapi.yaml", "inputs/waivers/waivers.yaml"}
    flip_one_byte(tmp_path / "x" / top / "inputs" / "waivers" / "waivers.yaml", at=0)
    altered = tmp_path / "altered.tar.gz"
    with tarfile.open(altered, "w:gz") as tar:
        tar.add(tmp_path / "x" / top, arcname=top)
    refused = verify(altered)
    assert refused.returncode == 1 and "inputs/waivers/waivers.yaml: sha256" in refused.stdout


def test_a_manifest_that_disagrees_with_the_run_is_refused(acceptance, tmp_path):
    reports = copy_of(acceptance, tmp_path)
    manifest = reports / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"exit_status": 0', '"exit_status": 1'))
    refused = verify(reports)
    assert refused.returncode == 1 and "says exit_status 1, conformance.json 0" in refused.stdout


def test_a_manifest_reformatted_or_a_file_missing_or_added_is_refused(acceptance, tmp_path):
    reports = copy_of(acceptance, tmp_path)
    manifest = reports / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"manifest": 1,', '"manifest": 1 ,'))
    assert "is not as the suite wrote it" in verify(reports).stdout
    reports = copy_of(acceptance, tmp_path / "b")
    (reports / "summary.md").unlink()
    (reports / "notes.txt").write_text("hello")
    out = verify(reports).stdout
    assert "summary.md: missing" in out and "notes.txt: not listed in the manifest" in out


def test_no_key_anywhere_in_the_bundle(acceptance):
    with tarfile.open(acceptance.bundle) as tar:
        texts = [tar.extractfile(m).read().decode("utf-8", "replace") for m in tar.getmembers() if m.isfile()]
    for key in acceptance.keys.values():
        secret = key.split("_", 1)[1]
        assert not any(key in t or secret in t for t in texts), "a key in the bundle"
    assert not any(key in verify(acceptance.bundle).stdout for key in acceptance.keys.values())
