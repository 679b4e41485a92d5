"""The conformance index: every requirement of the contract with the tests that check it, generated
from the code (each test's ``@pytest.mark.requirement`` marker, its name, file and line, and the first
sentence of its docstring), as Kubernetes' conformance index is. ``docs/conformance-index.md`` is it,
kept equal to the code by a test; ``iris-conformance index`` writes it (``--check`` compares).

The test modules are read as source (``ast``), never imported: importing them needs a configured run.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from conformance.contract import requirements

SUITE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Entry:
    """One conformance test: its name, requirements, where it is, and what it covers."""

    name: str
    requirement_ids: tuple[str, ...]
    file: str
    line: int
    covers: str


def entries(suite_dir: Path = SUITE_DIR) -> list[Entry]:
    """Every test function of the suite's modules, in file order."""
    found: list[Entry] = []
    for path in sorted(suite_dir.glob("test_*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = _constants(module)
        for node in module.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids = tuple(rid for deco in node.decorator_list for rid in _requirement_ids(deco, constants))
                found.append(Entry(node.name, ids, f"conformance/suite/{path.name}", node.lineno,
                                   _first_sentence(ast.get_docstring(node) or "")))
    return found


def _requirement_ids(decorator: ast.expr, constants: dict[str, tuple[str, ...]]) -> list[str]:
    """The IDs of a ``@pytest.mark.requirement(...)`` decorator (string constants, or a tuple of
    them named in the module or imported from the library)."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "requirement"):
        return []
    ids: list[str] = []
    for arg in decorator.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            ids.append(arg.value)
        elif isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
            ids += constants.get(arg.value.id, ())
    return ids


def _constants(module: ast.Module) -> dict[str, tuple[str, ...]]:
    """Tuples of strings the module defines or imports by name (``SCHEMA_TEST_REQUIREMENTS``)."""
    out: dict[str, tuple[str, ...]] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            values = tuple(e.value for e in node.value.elts if isinstance(e, ast.Constant))
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = values
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance.") \
                and not node.module.startswith("conformance.suite"):
            library = importlib.import_module(node.module)
            for alias in node.names:
                value = getattr(library, alias.name, None)
                if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                    out[alias.asname or alias.name] = value
    return out


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.split("\n\n")[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[:end + 1]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(found: list[Entry] | None = None) -> str:
    """The index as Markdown: per requirement of the registry (in the contract's order), its level,
    source and text, then its tests."""
    found = entries() if found is None else found
    lines = ["# Conformance index", "",
             "Generated from the code by `iris-conformance index` (do not edit): every requirement of "
             "[the contract](contract.md) with the conformance tests that check it.", ""]
    for rid, req in requirements.registry().items():
        tests = [e for e in found if rid in e.requirement_ids]
        lines += [f"## {rid} ({req.source}, {req.level})", "", req.text, ""]
        if not tests:
            lines += ["No conformance test checks it.", ""]
            continue
        lines += ["| test | where | covers |", "|---|---|---|"]
        lines += [f"| `{e.name}` | {e.file} | {_cell(e.covers)} |" for e in tests]
        lines.append("")
    return "\n".join(lines)
