"""The triage file of the surviving mutants (``benchmarks/mutation-survivors.md``): write its skeleton from
a run's survivors, read the verdicts a person filled in back.

One entry per survivor, headed by the mutant's key::

    ## `query:core/ReplaceComparisonOperator_Lt_LtE:3`

    - where: `conformance/reference/query.py` line 120, in `parse_pagesize`
    - survived: smoke, default
    - verdict: TODO  (equivalent | escape)
    - requirement: TODO  (an escape: the requirement the mutant breaks, e.g. PAGE-04)
    - why: TODO  (equivalent: why no answer over HTTP differs; escape: why the suite missed it)

    ```diff
    ...
    ```

Pure: strings in, strings and dictionaries out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

VERDICTS = ("equivalent", "escape")
HEADER = """# Surviving mutants of the reference server: triage

Written by `benchmarks/mutation/run.py` from the survivors of its runs (see README.md, "Mutation analysis").
For each entry fill in the verdict: `equivalent` (no answer over HTTP differs from the clean server's:
say why) or `escape` (the mutant breaks a requirement and the suite missed it: name the requirement and
say why it was missed). `python benchmarks/mutation/run.py --score` reads the verdicts back and prints
the score on non-equivalent mutants. A new run keeps the entries (and what you wrote in them) of the
mutants that still survive, adds the new survivors and drops the mutants it killed.
"""
REQUIREMENT_ID = re.compile(r"\b[A-Z]+(?:-[A-Z]+)*-\d{2}\b")
_HEADING = re.compile(r"^## `?([^`\n]+?)`?\s*$", re.MULTILINE)
_FIELD = re.compile(r"^- (verdict|requirement|why):[ \t]*(.*)$")


def entry(survivor: Mapping) -> str:
    """The skeleton entry of a survivor (``key``, ``path``, ``line``, ``definition``, ``profiles``, ``diff``)."""
    where = f"`{survivor['path']}` line {survivor['line']}"
    if survivor.get("definition"):
        where += f", in `{survivor['definition']}`"
    return (f"## `{survivor['key']}`\n\n"
            f"- where: {where}\n"
            f"- survived: {', '.join(survivor.get('profiles') or ())}\n"
            "- verdict: TODO  (equivalent | escape)\n"
            "- requirement: TODO  (an escape: the requirement the mutant breaks, e.g. PAGE-04)\n"
            "- why: TODO  (equivalent: why no answer over HTTP differs; escape: why the suite missed it)\n\n"
            f"```diff\n{mutation_diff(survivor.get('diff') or '')}\n```\n")


def mutation_diff(diff: str) -> str:
    """The tool's diff as a unified diff: without its banner line, with ``a/``, ``b/`` paths (it writes
    ``aconformance/...``), trailing blank lines stripped."""
    lines = [re.sub(r"^(---|\+\+\+) ([ab])(?=[^/])", r"\1 \2/", line)
             for line in diff.splitlines() if line.strip() != "--- mutation diff ---"]
    return "\n".join(lines).rstrip()


def split(text: str) -> dict[str, str]:
    """The entries of a triage file by mutant key (each entry's text, heading included)."""
    headings = list(_HEADING.finditer(text))
    return {m.group(1).strip(): text[m.start():(headings[i + 1].start() if i + 1 < len(headings) else len(text))]
            .rstrip() + "\n" for i, m in enumerate(headings)}


def parse_entry(text: str) -> dict:
    """An entry's verdict (``equivalent``, ``escape`` or None: not triaged), the requirement IDs it names
    and why, and its diff's changed lines."""
    fields: dict[str, str] = {}
    current = None
    in_diff = False
    changed = []
    for line in text.splitlines()[1:]:
        if line.startswith("```"):
            in_diff = not in_diff
            current = None
            continue
        if in_diff:
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                changed.append(line)
            continue
        match = _FIELD.match(line)
        if match:
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif current == "why" and line.strip() and not line.startswith("- "):
            fields["why"] += " " + line.strip()  # a why that goes on over several lines
        else:
            current = None
    word = fields.get("verdict", "").split()
    verdict = word[0].lower().strip(".,:;`*") if word else None
    why = fields.get("why", "")
    return {"verdict": verdict if verdict in VERDICTS else None,
            "requirements": REQUIREMENT_ID.findall(fields.get("requirement", "")) if verdict == "escape" else [],
            "why": None if why.startswith("TODO") else why or None,
            "changed": changed}


def read(text: str) -> dict[str, dict]:
    """Every entry of a triage file, parsed, by mutant key."""
    return {key: parse_entry(body) for key, body in split(text).items()}


def problems(triaged: Mapping[str, Mapping]) -> list[str]:
    """What a person should still fix in the file: an escape that names no requirement, a verdict without a why."""
    found = []
    for key, fields in triaged.items():
        if fields["verdict"] == "escape" and not fields["requirements"]:
            found.append(f"{key}: an escape names no requirement")
        if fields["verdict"] and not fields["why"]:
            found.append(f"{key}: verdict {fields['verdict']} without a why")
    return found


def merge(existing: str, survivors: Sequence[Mapping], judged: set[str]) -> tuple[str, dict[str, list[str]]]:
    """The triage file after a run: the entries of ``survivors`` (an existing entry kept as written while its
    mutation is the same one, a skeleton otherwise), then the existing entries of mutants this run did not
    judge (another sample's), unchanged. Entries of mutants the run judged and did not see survive are
    dropped. Returns the text and what changed: ``added``, ``kept``, ``dropped`` (killed now), ``stale``
    (the key now names another mutation: the source changed; its old entry is replaced)."""
    old = split(existing)
    changes: dict[str, list[str]] = {"added": [], "kept": [], "dropped": [], "stale": []}
    entries = []
    survivor_keys = {s["key"] for s in survivors}
    for survivor in survivors:
        key = survivor["key"]
        fresh = entry(survivor)
        if key in old and parse_entry(old[key])["changed"] == parse_entry(fresh)["changed"]:
            entries.append(old[key])
            changes["kept"].append(key)
        else:
            entries.append(fresh)
            changes["stale" if key in old else "added"].append(key)
    for key, body in old.items():
        if key in survivor_keys:
            continue
        if key in judged:
            changes["dropped"].append(key)
        else:
            entries.append(body)
    return HEADER + "".join("\n" + e for e in entries), changes
