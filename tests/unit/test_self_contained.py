"""The repository stands alone: a fresh clone with nothing beside it has everything its tests and
docs refer to (the contract and the vendor docs are in docs/)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import contract
from suite_runner import ROOT

#: paths outside the repository (written in pieces, or this file would match itself)
OUTSIDE = re.compile("|".join((r"\.\." + "/shared", "shared" + "/docs/", "/" + "work/")))


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_mentions_a_path_outside_the_repository():
    found = []
    for path in tracked_files():
        if not path.is_file():  # deleted in the working tree
            continue
        data = path.read_bytes()
        if b"\0" in data:  # binary (the report screenshot)
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "paths outside the repository:\n" + "\n".join(found)


def test_the_contract_and_the_vendor_docs_are_in_the_repository():
    assert contract.CONTRACT == ROOT / "docs" / "contract.md" and contract.CONTRACT.is_file()
    assert (ROOT / "docs" / "iris-external-api-docs.txt").is_file()


def test_no_two_test_modules_share_a_basename():
    """pytest's default import mode (rootdir-relative, no __init__.py) imports test modules by their
    basename: two files called test_plan.py collect in one order on a laptop and fail with "import file
    mismatch" in CI's other order."""
    seen: dict[str, list[str]] = {}
    for path in tracked_files():
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "tests" and path.name.startswith("test_") and path.suffix == ".py":
            seen.setdefault(path.name, []).append(str(relative))
    shared = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not shared, f"test modules that share a basename (rename one): {shared}"
