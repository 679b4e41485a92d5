"""The conformance index (docs/conformance-index.md) is generated from the code and kept equal to it:
every conformance test names at least one requirement of the registry, and every requirement has a
test (conformance.suite.index, read from the test modules' source)."""

from __future__ import annotations

import subprocess
import sys

from conformance.contract import requirements
from conformance.suite.index import entries, render
from suite_runner import ROOT

INDEX = ROOT / "docs" / "conformance-index.md"


def test_the_committed_index_is_the_index_of_the_code():
    assert INDEX.read_text(encoding="utf-8") == render() + "\n", \
        "docs/conformance-index.md is stale: run `iris-conformance index` and commit it"


def test_every_test_names_requirements_of_the_registry_and_every_requirement_has_a_test():
    found = entries()
    assert len(found) > 50
    registry = requirements.registry()
    for entry in found:
        assert entry.requirement_ids, f"{entry.name} ({entry.file}) names no requirement"
        assert set(entry.requirement_ids) <= set(registry), entry
    assert set(registry) == {rid for e in found for rid in e.requirement_ids}
    schema = next(e for e in found if e.name == "test_operation_conforms_to_spec")
    assert set(schema.requirement_ids) == {"TRN-01", "TRN-04", "ENV-01"}  # a tuple imported from the library


def test_the_command_checks_the_file(tmp_path):
    stale = tmp_path / "index.md"
    stale.write_text("old\n")
    command = [sys.executable, "-m", "conformance.cli", "index", "-o", str(stale)]
    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 1
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert subprocess.run([*command, "--check"], capture_output=True).returncode == 0
    assert stale.read_text() == INDEX.read_text()
