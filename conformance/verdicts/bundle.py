"""The evidence bundle: ``reports/manifest.json``, the inputs beside the reports, ``--bundle`` and
``iris-conformance verify``.

Every run copies its inputs (the spec, the overlays, the waiver file) into ``reports/inputs/`` and
writes ``reports/manifest.json``: the suite version, each input with its sha256, the base URL (keys
redacted), profile, seed, start and end time, requests sent, exit status, verdict and counts, and
the sha256 of every report file. The reports directory is then the whole evidence; ``--bundle
FILE.tar.gz`` packs exactly what the manifest lists into one archive.

``verify`` refuses a bundle when a listed file is missing or its sha256 differs, when a file that is
not listed is there, when the manifest is not in the form the suite writes, or when a fact of the
manifest disagrees with ``conformance.json`` (itself covered by its sha256). So altering any byte of
a bundle is refused, short of recomputing the hashes: the manifest is not signed, it shows that a
bundle is complete and unaltered, not who made it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from conformance.runtime.redaction import redact

MANIFEST = "manifest.json"
INPUTS = "inputs"
FORMAT = 1
#: facts of the manifest that conformance.json states too (manifest key -> meta key)
CROSS_CHECKED = {"suite_version": "suite_version", "verdict": "verdict", "exit_status": "exit_status",
                 "base_url": "base_url", "profile": "profile", "seed": "seed", "started": "started",
                 "finished": "finished", "requests": "requests"}


@dataclass(frozen=True)
class Input:
    """A file the run read: the spec, an overlay, the waiver file."""

    role: str  # spec | overlay | waivers
    source: Path


@dataclass
class Check:
    """The outcome of ``verify``."""

    where: str
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.manifest)

    def describe(self) -> str:
        lines = [f"bundle {self.where}: {'VERIFIED' if self.ok else 'REFUSED'}"]
        lines += [f"  {p}" for p in self.problems]
        m = self.manifest
        if m:
            counts = ", ".join(f"{n} {v}" for v, n in (m.get("counts") or {}).items())
            lines.append(f"  verdict: {m.get('verdict')} (exit status {m.get('exit_status')}): {counts}")
            spec = next((i for i in m.get("inputs", []) if i.get("role") == "spec"), {})
            lines.append(f"  {m.get('suite_version')}; spec {PurePosixPath(spec.get('path', '?')).name} "
                         f"sha256:{str(spec.get('sha256', ''))[:16]}; base URL {m.get('base_url')}; profile "
                         f"{m.get('profile')}; seed {m.get('seed')}; {m.get('started')} to {m.get('finished')}; "
                         f"{m.get('requests')} requests")
            if self.ok:
                lines.append(f"  {self.checked} files complete and unaltered")
        return "\n".join(lines)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_inputs(reports_dir: Path, inputs: Iterable[Input]) -> list[dict[str, Any]]:
    """Copy the run's inputs into ``reports_dir/inputs/`` (emptied first: only this run's inputs)."""
    target = reports_dir / INPUTS
    shutil.rmtree(target, ignore_errors=True)
    entries = []
    for number, item in enumerate(inputs):
        folder = {"spec": "spec", "overlay": "overlays", "waivers": "waivers"}[item.role]
        name = item.source.name if item.role != "overlay" else f"{number:02d}-{item.source.name}"
        dest = target / folder / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, dest)
        entries.append({"role": item.role, "path": dest.relative_to(reports_dir).as_posix(),
                        "source": str(item.source), "sha256": sha256_of(dest)})
    return entries


def write_manifest(reports_dir: Path, document: dict[str, Any], inputs: list[dict[str, Any]],
                   report_files: Iterable[Path]) -> dict[str, Any]:
    """Write ``manifest.json`` for a run whose ``conformance.json`` document is ``document``."""
    meta = document.get("meta", {})
    root = reports_dir.resolve()
    reports, elsewhere = [], []
    for path in report_files:
        if not path.exists():
            continue
        entry = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
        resolved = path.resolve()
        if root in resolved.parents:
            reports.append({"path": resolved.relative_to(root).as_posix(), **entry})
        else:  # --html / --junitxml outside --reports-dir: named, not part of the bundle
            elsewhere.append({"path": str(path), **entry})
    manifest = {"manifest": FORMAT, **{key: meta.get(source) for key, source in CROSS_CHECKED.items()},
                "counts": document.get("counts", {}), "inputs": inputs, "reports": reports}
    if elsewhere:
        manifest["elsewhere"] = elsewhere
    (reports_dir / MANIFEST).write_text(_dump(manifest), encoding="utf-8")
    return manifest


def _dump(manifest: dict[str, Any]) -> str:
    return redact(json.dumps(manifest, indent=2, ensure_ascii=False)) + "\n"


def write_bundle(reports_dir: Path, target: Path) -> Path:
    """Pack the manifest and every file it lists into ``target`` (a .tar.gz), under one folder."""
    manifest = json.loads((reports_dir / MANIFEST).read_text(encoding="utf-8"))
    top = _stem(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    names = [MANIFEST, *(e["path"] for e in manifest["inputs"]), *(e["path"] for e in manifest["reports"])]
    with tarfile.open(target, "w:gz") as tar:
        for name in sorted(set(names)):
            info = tar.gettarinfo(str(reports_dir / name), arcname=f"{top}/{name}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(reports_dir / name, "rb") as handle:
                tar.addfile(info, handle)
    return target


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            return name[: -len(suffix)] or "bundle"
    return name


def verify(where: str | Path) -> Check:
    """Check a reports directory or a ``--bundle`` archive: complete, unaltered, consistent."""
    path = Path(where)
    if path.is_file() and tarfile.is_tarfile(path):
        with tempfile.TemporaryDirectory(prefix="iris-verify-") as tmp:
            check = Check(str(where))
            root = _extract(path, Path(tmp), check)
            return verify_dir(root, check) if root is not None else check
    if not path.is_dir():
        return Check(str(where), [f"{where} is neither a reports directory nor a bundle archive (.tar.gz)"])
    return verify_dir(path, Check(str(where)))


def _extract(archive: Path, into: Path, check: Check) -> Path | None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        tops = set()
        for member in members:
            name = PurePosixPath(member.name)
            if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                check.problems.append(f"{member.name}: not a plain file inside the bundle (refused unread)")
                continue
            tops.add(name.parts[0])
        if check.problems:
            return None
        if len(tops) != 1:
            check.problems.append(f"the archive holds {len(tops)} top-level entries; a bundle has one folder")
            return None
        for member in members:
            if member.isfile():
                dest = into / member.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, open(dest, "wb") as out:  # type: ignore[union-attr]
                    shutil.copyfileobj(source, out)
    return into / tops.pop()


def verify_dir(root: Path, check: Check) -> Check:
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        check.problems.append(f"no {MANIFEST}: not an evidence bundle (a run of the suite writes one)")
        return check
    text = manifest_path.read_text(encoding="utf-8", errors="replace")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        check.problems.append(f"{MANIFEST} is not JSON ({exc}): altered")
        return check
    if not isinstance(manifest, dict) or manifest.get("manifest") != FORMAT:
        check.problems.append(f"{MANIFEST} is not a manifest of format {FORMAT}")
        return check
    check.manifest = manifest
    if _dump(manifest) != text:
        check.problems.append(f"{MANIFEST} is not as the suite wrote it (its bytes differ from its content "
                              "written out again): altered")
    listed: set[str] = {MANIFEST}
    for entry in [*manifest.get("inputs", []), *manifest.get("reports", [])]:
        name = str(entry.get("path", ""))
        listed.add(name)
        file = root / name
        if ".." in PurePosixPath(name).parts or PurePosixPath(name).is_absolute():
            check.problems.append(f"{name}: a listed path outside the bundle")
        elif not file.is_file():
            check.problems.append(f"{name}: missing (the manifest lists it)")
        elif sha256_of(file) != entry.get("sha256"):
            check.problems.append(f"{name}: sha256 {sha256_of(file)[:16]}... differs from the manifest's "
                                  f"{str(entry.get('sha256'))[:16]}...: altered")
        else:
            check.checked += 1
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        name = file.relative_to(root).as_posix()
        if name not in listed:
            check.problems.append(f"{name}: not listed in the manifest (not part of this run's evidence)")
    names = {str(e.get("path")) for e in manifest.get("reports", [])}
    if "conformance.json" not in names:
        check.problems.append("conformance.json is not listed: the verdict cannot be checked")
    elif (root / "conformance.json").is_file():
        _cross_check(manifest, root / "conformance.json", check)
    return check


def _cross_check(manifest: dict[str, Any], path: Path, check: Check) -> None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        check.problems.append("conformance.json is not JSON")
        return
    meta = document.get("meta", {})
    for key, source in CROSS_CHECKED.items():
        if manifest.get(key) != meta.get(source):
            check.problems.append(f"{MANIFEST} says {key} {manifest.get(key)!r}, conformance.json "
                                  f"{meta.get(source)!r}: altered")
    if manifest.get("counts") != document.get("counts"):
        check.problems.append(f"{MANIFEST}'s counts differ from conformance.json's: altered")
    stated = {("spec", (meta.get("spec_file") or {}).get("sha256"))}
    stated |= {("overlay", o.get("sha256")) for o in meta.get("overlays") or []}
    if meta.get("waivers_file"):
        stated.add(("waivers", meta["waivers_file"].get("sha256")))
    recorded = {(i.get("role"), i.get("sha256")) for i in manifest.get("inputs", [])}
    if stated != recorded:
        check.problems.append("the inputs of the manifest are not those conformance.json names "
                              f"(manifest {sorted(recorded, key=str)}, conformance.json {sorted(stated, key=str)})")

