"""The requirement registry matches the contract, and every requirement has a conformance test."""

from __future__ import annotations

import ast


import contract
from conformance.contract import requirements
from conformance.checks import schema as schema_checks
from suite_runner import ROOT

SUITE = ROOT / "conformance" / "suite"


def tagged_requirements() -> dict[str, set[str]]:
    """requirement ID -> the suite's test functions tagged with it (read from the source)."""
    found: dict[str, set[str]] = {}
    for path in sorted(SUITE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "attr", None) == "requirement":
                    for arg in deco.args:
                        ids = [arg.value] if isinstance(arg, ast.Constant) else []
                        if isinstance(arg, ast.Starred) and getattr(arg.value, "id", "") == "SCHEMA_TEST_REQUIREMENTS":
                            ids = list(schema_checks.SCHEMA_TEST_REQUIREMENTS)
                        for rid in ids:
                            found.setdefault(rid, set()).add(f"{path.name}::{node.name}")
    return found


def test_registry_matches_the_contract():
    parsed = {r.id: r for r in contract.parse()}
    registered = requirements.registry()
    assert list(registered) == list(parsed), "IDs differ (or their order does)"
    for rid, req in registered.items():
        source = parsed[rid]
        assert (req.level, req.source, req.text) == (source.level, source.source, source.text), rid


def test_every_registered_requirement_has_a_conformance_test():
    tagged = tagged_requirements()
    missing = sorted(set(requirements.registry()) - set(tagged))
    assert not missing, f"requirements with no conformance test: {missing}"


def test_every_tag_names_a_registered_requirement():
    unknown = set(tagged_requirements()) - set(requirements.registry())
    assert not unknown, f"tests tagged with IDs the registry does not have: {unknown}"


def test_schema_check_attribution_names_registered_requirements():
    for ids in schema_checks.CHECK_REQUIREMENTS.values():
        for rid in ids:
            requirements.get(rid)
