"""The pure parts of the mutation analysis (benchmarks/mutation): the sample, Wilson's interval, the
scores, and the triage file written and read back."""

from __future__ import annotations

import random
import sys

import pytest

from suite_runner import ROOT

sys.path.insert(0, str(ROOT / "benchmarks" / "mutation"))
import mutants as M  # noqa: E402
import triage as T  # noqa: E402


def population(n: int = 200) -> list[M.Mutant]:
    modules = ("query", "repository", "auth")
    return [M.Mutant(modules[i % 3], f"core/Op{i % 7}", i, line=i + 1) for i in range(n)]


# -- the sample -----------------------------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_sample_in_the_same_order_whatever_the_enumeration_order():
    mutants = population()
    shuffled = mutants[:]
    random.Random(3).shuffle(shuffled)
    assert M.sample(mutants, 12, 7) == M.sample(shuffled, 12, 7)
    assert len(set(M.sample(mutants, 12, 7))) == 12


def test_the_sample_ignores_where_a_mutant_is_and_what_the_tool_called_its_job():
    """A mutant's name is its module, operator and occurrence: its line (and the tool's random job id,
    which the Mutant does not even hold) do not move it in or out of the sample."""
    mutants = population()
    moved = [M.Mutant(m.module, m.operator, m.occurrence, line=m.line + 40) for m in mutants]
    assert [m.key for m in M.sample(mutants, 12, 7)] == [m.key for m in M.sample(moved, 12, 7)]


def test_another_seed_draws_another_sample_and_a_larger_one_extends_the_smaller():
    mutants = population()
    assert M.sample(mutants, 12, 7) != M.sample(mutants, 12, 8)
    assert M.sample(mutants, 20, 7)[:12] == M.sample(mutants, 12, 7)
    assert sorted(M.sample(mutants, None, 7), key=lambda m: m.occurrence) == mutants
    assert M.sample(mutants, 0, 7) == []


def test_a_mutant_added_elsewhere_changes_the_sample_by_at_most_itself():
    mutants = population()
    before = set(M.sample(mutants, 12, 7))
    after = set(M.sample([*mutants, M.Mutant("limiter", "core/AddNot", 0)], 12, 7))
    assert len(before - after) <= 1


def test_the_sample_is_roughly_uniform():
    """Each mutant's chance of being drawn is size / population: over many seeds every module gets its share."""
    mutants = population(90)
    counts = {"query": 0, "repository": 0, "auth": 0}
    for seed in range(300):
        for m in M.sample(mutants, 9, seed):
            counts[m.module] += 1
    assert all(abs(n / (300 * 9) - 1 / 3) < 0.05 for n in counts.values())


def test_a_mutant_key_names_module_operator_occurrence_and_arguments():
    m = M.Mutant.from_spec("conformance/reference/query.py", "core/NumberReplacer", 4, {}, 120, "parse")
    assert (m.key, m.path, m.line) == ("query:core/NumberReplacer:4", "conformance/reference/query.py", 120)
    with_args = M.Mutant.from_spec("conformance/reference/app.py", "core/VariableReplacer", 1, {"b": 2, "a": 1})
    assert with_args.key == 'app:core/VariableReplacer:1:{"a":1,"b":2}'


POSTPONED = """from __future__ import annotations

LIMIT: int | None = 3


def single(name: str = "é", params: dict | None = None) -> str | None:
    return params.get(name) or None if LIMIT | 1 else None
"""


def test_mutants_inside_annotations_of_a_module_that_postpones_them_are_found():
    spans = M.annotation_spans(POSTPONED)
    lines = POSTPONED.splitlines()
    bit_or = [(n, col) for n, line in enumerate(lines, 1) for col, ch in enumerate(line) if ch == "|"]
    assert len(bit_or) == 4
    # the annotations' "|" (a variable's, an argument's after a non-ASCII default, a return's), not the
    # expression's "LIMIT | 1"
    assert [pos for pos in bit_or if M.in_spans(pos, spans)] == bit_or[:3]
    assert not M.in_spans((6, lines[5].index("params")), spans)
    # columns in characters, as the tool counts them (ast counts bytes: "é" is two)
    start = lines[5].index("dict")
    assert M.in_spans((6, start), spans) and not M.in_spans((6, start + len("dict | None")), spans)


def test_annotations_that_are_evaluated_are_not_left_out():
    """Without the __future__ import a broken annotation fails when the module is imported: not equivalent."""
    assert M.annotation_spans(POSTPONED.replace("from __future__ import annotations\n", "")) == []


# -- Wilson's interval and the scores -------------------------------------------------------------------------


@pytest.mark.parametrize("k, n, low, high", [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Statistics in Medicine 17: the score method's example
    (0, 10, 0.0, 0.2775),  # 0 of n: [0, z^2 / (n + z^2)]
    (10, 10, 0.7225, 1.0),  # n of n: the mirror image
    (8, 10, 0.4902, 0.9433),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    found = M.wilson(k, n)
    assert found == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_contains_the_proportion_and_narrows_with_trials():
    assert M.wilson(0, 0) is None
    for k, n in ((1, 3), (5, 12), (50, 120)):
        low, high = M.wilson(k, n)
        assert low <= k / n <= high
    assert M.wilson(30, 40)[1] - M.wilson(30, 40)[0] > M.wilson(300, 400)[1] - M.wilson(300, 400)[0]


def test_score_counts_cannot_judge_and_timeout_as_detected_and_leaves_errors_out():
    found = M.score(["killed", "killed", "cannot judge", "timeout", "survived", "error"])
    assert (found.detected, found.survived, found.value) == (4, 1, 0.8)
    assert found.to_json()["ci95"] == [round(v, 4) for v in M.wilson(4, 5)]
    assert M.score([]).value is None and M.score([]).text().startswith("n/a")


def results() -> list[dict]:
    return [
        {"key": "query:a:0", "module": "query", "outcome": "killed", "failed": ["PAGE-04", "PAGE-05"]},
        {"key": "query:b:1", "module": "query", "outcome": "killed", "failed": ["FLT-SES-02", "PAGE-04"]},
        {"key": "query:c:2", "module": "query", "outcome": "survived", "failed": []},
        {"key": "auth:d:0", "module": "auth", "outcome": "cannot judge", "failed": []},
        {"key": "auth:e:1", "module": "auth", "outcome": "survived", "failed": []},
        {"key": "auth:f:2", "module": "auth", "outcome": "survived", "failed": []},
        {"key": "auth:g:3", "module": "auth", "outcome": "error", "failed": []},
    ]


def test_score_per_module():
    found = M.by_module(results())
    assert {m: (s.detected, s.survived) for m, s in found.items()} == {"auth": (1, 2), "query": (2, 1)}


def test_score_per_family_takes_killed_mutants_failures_and_survivors_triage():
    triaged = {"query:c:2": {"verdict": "escape", "requirements": ["PAGE-03"]},
               "auth:e:1": {"verdict": "equivalent", "requirements": []}}
    found = {f: (s.detected, s.survived) for f, s in M.by_family(results(), triaged).items()}
    assert found == {"FLT-SES": (1, 0), "PAGE": (2, 1), M.NO_FAMILY: (1, 0), M.UNTRIAGED: (0, 1)}
    assert M.family("FLT-SES-02") == "FLT-SES" and M.family("GEO-03") == "GEO"


def test_score_without_equivalents_leaves_equivalent_survivors_out():
    triaged = {"query:c:2": {"verdict": "escape"}, "auth:e:1": {"verdict": "equivalent"}}
    found, equivalent, untriaged = M.score_without_equivalents(results(), triaged)
    assert (found.detected, found.survived, equivalent, untriaged) == (3, 2, 1, 1)


# -- the triage file ------------------------------------------------------------------------------------------

DIFF = """--- mutation diff ---
--- aconformance/reference/query.py
+++ bconformance/reference/query.py
@@ -120,1 +120,1 @@
-    if size < 1:
+    if size <= 1:
"""


def survivor(key: str = "query:core/ReplaceComparisonOperator_Lt_LtE:3", diff: str = DIFF) -> dict:
    return {"key": key, "path": "conformance/reference/query.py", "line": 120, "definition": "parse_pagesize",
            "profiles": ["smoke", "default"], "diff": diff}


def test_a_skeleton_entry_reads_back_as_not_triaged_with_its_diff():
    text, changes = T.merge("", [survivor()], {survivor()["key"]})
    assert changes["added"] == [survivor()["key"]]
    assert text.startswith(T.HEADER)
    assert "--- a/conformance/reference/query.py" in text and "+++ b/conformance/reference/query.py" in text
    assert "mutation diff" not in text
    assert T.read(text) == {survivor()["key"]: {"verdict": None, "requirements": [], "why": None,
                                               "changed": ["-    if size < 1:", "+    if size <= 1:"]}}


def fill(text: str, verdict: str, requirement: str, why: str) -> str:
    return (text.replace("- verdict: TODO  (equivalent | escape)", f"- verdict: {verdict}")
            .replace("- requirement: TODO  (an escape: the requirement the mutant breaks, e.g. PAGE-04)",
                     f"- requirement: {requirement}")
            .replace("- why: TODO  (equivalent: why no answer over HTTP differs; escape: why the suite missed it)",
                     f"- why: {why}"))


def test_filled_in_verdicts_read_back():
    text, _ = T.merge("", [survivor()], set())
    escape = T.read(fill(text, "escape", "PAGE-01 (and maybe PAGE-02)", "pagesize=1 is never sent\n  by smoke"))
    assert escape[survivor()["key"]]["verdict"] == "escape"
    assert escape[survivor()["key"]]["requirements"] == ["PAGE-01", "PAGE-02"]
    assert escape[survivor()["key"]]["why"] == "pagesize=1 is never sent by smoke"
    equivalent = T.read(fill(text, "**Equivalent**", "-", "the bound is checked again below"))
    assert equivalent[survivor()["key"]]["verdict"] == "equivalent"
    assert equivalent[survivor()["key"]]["requirements"] == []
    assert T.problems(equivalent) == []
    assert T.problems(T.read(fill(text, "escape", "none", "TODO"))) == [
        f"{survivor()['key']}: an escape names no requirement", f"{survivor()['key']}: verdict escape without a why"]


def test_a_new_run_keeps_what_was_written_drops_the_killed_and_keeps_other_samples_entries():
    first, _ = T.merge("", [survivor("a:x:1"), survivor("b:y:2"), survivor("c:z:3")], set())
    written = first.replace("- verdict: TODO  (equivalent | escape)", "- verdict: equivalent", 1)
    # this run judged a and b again (a survived, b was killed) and did not draw c; d is new
    second, changes = T.merge(written, [survivor("a:x:1"), survivor("d:w:4")], {"a:x:1", "b:y:2", "d:w:4"})
    assert changes == {"added": ["d:w:4"], "kept": ["a:x:1"], "dropped": ["b:y:2"], "stale": []}
    found = T.read(second)
    assert list(found) == ["a:x:1", "d:w:4", "c:z:3"]
    assert found["a:x:1"]["verdict"] == "equivalent"


def test_an_entry_whose_key_now_names_another_mutation_is_replaced():
    first, _ = T.merge("", [survivor()], set())
    written = first.replace("- verdict: TODO  (equivalent | escape)", "- verdict: equivalent")
    other = DIFF.replace("size <= 1", "size <= 2")
    second, changes = T.merge(written, [survivor(diff=other)], {survivor()["key"]})
    assert changes["stale"] == [survivor()["key"]]
    assert T.read(second)[survivor()["key"]]["verdict"] is None
