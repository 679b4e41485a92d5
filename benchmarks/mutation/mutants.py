"""The pure parts of the mutation analysis: a mutant's identity, the sample, outcomes and the score.

Nothing here runs a process or reads the tool's session; ``run.py`` does that and ``tests/unit/benchmarks``
tests this.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

#: The business logic of the reference server, mutated by default (``conformance/reference/NAME.py``).
#: Left out: ``data`` (the synthetic data set), ``server`` (the command line), ``settings``, ``__main__``,
#: ``__init__``, and ``db`` (the schema and the bulk load: its logic is SQL text, which no operator of
#: the tool mutates; it yields a single mutant).
MODULES = ("query", "repository", "auth", "limiter", "serializer", "app")
REFERENCE = "conformance/reference"

#: What the kill script can conclude about a mutant (``kill.py``), and the tool's own verdicts
#: mapped onto them: a mutant whose test command outlived the tool's timeout is a timeout.
OUTCOMES = ("killed", "cannot judge", "timeout", "survived", "error")
#: Outcomes that count as detected: the suite refused the mutant, or could not even judge it (the
#: mutant broke the server so badly that the preflight refused it), or never came back.
DETECTED = ("killed", "cannot judge", "timeout")

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Mutant:
    """One mutation of the reference server's source: which module, which operator, which occurrence
    of it in the module (the tool's numbering); where (not part of its identity)."""

    module: str  # "query": conformance/reference/query.py
    operator: str  # "core/ReplaceComparisonOperator_Lt_LtE"
    occurrence: int
    args: str = ""  # the operator's arguments as canonical JSON, "" without any
    line: int = 0
    definition: str | None = None

    @property
    def key(self) -> str:
        """The mutant's name: stable as long as its module's source is (it does not depend on the suite,
        nor on the tool's job ids, which are random)."""
        return f"{self.module}:{self.operator}:{self.occurrence}" + (f":{self.args}" if self.args else "")

    @property
    def path(self) -> str:
        return f"{REFERENCE}/{self.module}.py"

    @classmethod
    def from_spec(cls, module_path: str, operator: str, occurrence: int, operator_args: Mapping | None = None,
                  line: int = 0, definition: str | None = None) -> Mutant:
        args = json.dumps(dict(operator_args), sort_keys=True, separators=(",", ":")) if operator_args else ""
        return cls(PurePosixPath(module_path).stem, operator, int(occurrence), args, int(line), definition)


Position = tuple[int, int]  # (line from 1, column from 0, in characters): the tool's positions


def annotation_spans(source: str) -> list[tuple[Position, Position]]:
    """Where the annotations of a module are, if it postpones their evaluation (``from __future__ import
    annotations``): never evaluated, so a mutant inside one is equivalent by construction (the tool's
    operators rewrite ``str | None`` into ``str >> None``). [] for a module that evaluates them: a broken
    annotation fails there when the module is imported."""
    tree = ast.parse(source)
    if not any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
               and any(alias.name == "annotations" for alias in node.names) for node in tree.body):
        return []
    lines = source.splitlines()

    def column(line: int, offset: int) -> int:  # ast counts UTF-8 bytes, the tool characters
        return len(lines[line - 1].encode("utf-8")[:offset].decode("utf-8", errors="ignore"))

    spans = []
    for node in ast.walk(tree):
        found: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node.returns)
        elif isinstance(node, ast.arg):
            found.append(node.annotation)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
        spans += [((a.lineno, column(a.lineno, a.col_offset)), (a.end_lineno, column(a.end_lineno, a.end_col_offset)))
                  for a in found if a is not None]
    return sorted(spans)


def in_spans(position: Position, spans: Iterable[tuple[Position, Position]]) -> bool:
    return any(start <= tuple(position) < end for start, end in spans)


def rank(mutant: Mutant, seed: int) -> str:
    """The mutant's place in the random order of ``seed``: a hash of the seed and its key alone."""
    return hashlib.sha256(f"{seed}\0{mutant.key}".encode()).hexdigest()


def sample(mutants: Iterable[Mutant], size: int | None, seed: int) -> list[Mutant]:
    """A simple random sample of ``size`` mutants (all of them if ``size`` is None or larger), in the
    random order of ``seed``: the ``size`` mutants of lowest :func:`rank`.

    The same seed draws the same sample from the same mutants, whatever order they come in and whatever
    the suite is; a mutant added or removed elsewhere changes the sample by at most that mutant."""
    ordered = sorted(set(mutants), key=lambda m: (rank(m, seed), m.key))
    return ordered if size is None else ordered[:max(size, 0)]


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval for a proportion (95 % by default); None without a trial."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def family(requirement: str) -> str:
    """A requirement's family: its ID without the number (``FLT-SES-02`` -> ``FLT-SES``)."""
    return re.sub(r"-\d+$", "", requirement)


@dataclass(frozen=True)
class Score:
    detected: int
    survived: int

    @property
    def judged(self) -> int:
        return self.detected + self.survived

    @property
    def value(self) -> float | None:
        return self.detected / self.judged if self.judged else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.detected, self.judged)

    def to_json(self) -> dict:
        interval = self.interval
        return {"detected": self.detected, "survived": self.survived, "score": _round(self.value),
                "ci95": [_round(interval[0]), _round(interval[1])] if interval else None}

    def text(self) -> str:
        if not self.judged:
            return "n/a (nothing judged)"
        low, high = self.interval
        return f"{self.value:6.1%}  [{low:5.1%}, {high:5.1%}]  ({self.detected}/{self.judged})"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def score(outcomes: Iterable[str], equivalent: int = 0) -> Score:
    """The mutation score of mutants with these outcomes: detected / (detected + survived), errors left
    out; ``equivalent`` survivors (triaged so) are left out of the survivors."""
    counts = Counter(outcomes)
    return Score(sum(counts[o] for o in DETECTED), counts["survived"] - equivalent)


def by_module(results: Sequence[Mapping]) -> dict[str, Score]:
    """The score per module of results (``{"module": ..., "outcome": ...}``)."""
    outcomes: dict[str, list[str]] = defaultdict(list)
    for result in results:
        outcomes[result["module"]].append(result["outcome"])
    return {module: score(found) for module, found in sorted(outcomes.items())}


#: The family of a detected mutant that failed no requirement (the suite could not judge, or timed out).
NO_FAMILY = "(no requirement failed)"
#: The family of a survivor whose triage names no requirement yet.
UNTRIAGED = "(not triaged)"


def by_family(results: Sequence[Mapping], triage: Mapping[str, Mapping] | None = None) -> dict[str, Score]:
    """The score per requirement family. A detected mutant counts for each family of the requirements
    it FAILED; a survivor for the family of the requirement its triage names (an escape), not at all
    when triaged equivalent, and for :data:`UNTRIAGED` when not triaged yet."""
    detected: Counter = Counter()
    survived: Counter = Counter()
    for result in results:
        if result["outcome"] in DETECTED:
            families = {family(r) for r in result.get("failed") or ()} or {NO_FAMILY}
            detected.update(families)
        elif result["outcome"] == "survived":
            entry = (triage or {}).get(result["key"]) or {}
            if entry.get("verdict") == "equivalent":
                continue
            families = {family(r) for r in entry.get("requirements") or ()} if entry.get("verdict") == "escape" else set()
            survived.update(families or {UNTRIAGED})
    names = sorted(set(detected) | set(survived), key=lambda f: (f.startswith("("), f))
    return {name: Score(detected[name], survived[name]) for name in names}


def score_without_equivalents(results: Sequence[Mapping], triage: Mapping[str, Mapping]) -> tuple[Score, int, int]:
    """The score on non-equivalent mutants: survivors triaged ``equivalent`` left out. Returns the
    score, the number of equivalents and the number of survivors not triaged yet."""
    survivors = [r["key"] for r in results if r["outcome"] == "survived"]
    verdicts = [(triage.get(key) or {}).get("verdict") for key in survivors]
    equivalent = verdicts.count("equivalent")
    untriaged = sum(1 for v in verdicts if v not in ("equivalent", "escape"))
    return score((r["outcome"] for r in results), equivalent), equivalent, untriaged
