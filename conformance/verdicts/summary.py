"""``reports/summary.md``: the run for a CI page (GitHub's job summary, a merge-request comment).

The verdict line, the count per verdict, and a table of the requirements that FAILED, warned, were
waived, blocked or not run, each with its first curl repro (keys redacted); then the waivers and what
became of them. Rendered from the ``conformance.json`` document, so both always say the same.
"""

from __future__ import annotations

from typing import Any

from conformance.runtime.redaction import redact
from conformance.verdicts.model import VERDICTS

#: the verdicts the table lists (passed requirements are only counted)
LISTED = ("FAILED", "warning", "waived", "blocked", "not run")
MARKS = {"CONFORMANT": "✅", "NOT CONFORMANT": "❌", "CANNOT JUDGE": "⚠️"}


def cell(text: Any) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def code(text: Any) -> str:
    """A code span for a table cell (a backtick inside would end a single one: then a double one)."""
    body = cell(text)
    if not body:
        return ""
    return f"`` {body} ``" if "`" in body else f"`{body}`"


def facts_line(meta: dict[str, Any]) -> str:
    spec = meta.get("spec_file") or {}
    parts = [f"base URL {meta.get('base_url') or meta.get('Base URL') or '?'}",
             f"spec {spec.get('name', '?')} v{spec.get('version', '?')} (sha256 {str(spec.get('sha256', ''))[:12]})",
             f"profile {meta.get('profile') or meta.get('Profile', '?')}",
             f"seed {meta.get('seed') or '?'}",
             f"suite {meta.get('suite_version', '?')}",
             f"{meta.get('requests', '?')} requests"]
    overlays = meta.get("overlays") or []
    parts.append("overlays: " + (", ".join(str(o.get("path")) for o in overlays) if overlays else "none"))
    waivers = meta.get("waivers_file")
    parts.append(f"waivers: {waivers['path']}" if waivers else "waivers: none")
    return " · ".join(parts)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| requirement | level | verdict | why | first repro |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['id']} | {row['level']} | **{row['verdict']}** | {cell(row.get('why'))} | "
                     f"{code(row.get('repro'))} |")
    return [*lines, ""]


def render(document: dict[str, Any]) -> str:
    meta = document.get("meta", {})
    verdict = meta.get("verdict", "CANNOT JUDGE")
    counts = document.get("counts", {})
    lines = [f"## IRIS conformance: {MARKS.get(verdict, '')} {verdict}".replace("  ", " "), ""]
    if meta.get("cannot_judge"):
        lines += [f"**CANNOT JUDGE:** {cell(meta['cannot_judge'])}", ""]
    lines += [facts_line(meta), "",
              "| " + " | ".join(VERDICTS) + " |", "|" + "---|" * len(VERDICTS),
              "| " + " | ".join(str(counts.get(v, 0)) for v in VERDICTS) + " |", ""]
    rows = document.get("requirements", [])
    judged = sorted((r for r in rows if r["verdict"] in LISTED and r["verdict"] != "not run"),
                    key=lambda r: LISTED.index(r["verdict"]))
    if judged:
        lines += _table(judged)
    not_run = [r for r in rows if r["verdict"] == "not run"]
    if not_run:  # often many (a targeted run, no other-tenant key): folded away
        lines += [f"<details><summary>{len(not_run)} requirement{'s' if len(not_run) != 1 else ''} not run"
                  "</summary>", "", *_table(not_run), "</details>", ""]
    layers = document.get("answered_by_layers") or []
    if layers:
        lines += ["**Not answered by the API** (fix these in the gateway, CDN or cache, not in the API):", ""]
        lines += [f"- {cell(g['answered_by'])}: {', '.join(g['requirements'])} ({cell(g['evidence'])})" for g in layers]
        lines.append("")
    uses = document.get("waivers") or []
    if uses:
        lines += ["| waiver | operations | status | why | owner | expires |", "|---|---|---|---|---|---|"]
        for use in uses:
            lines.append(f"| {use['requirement']} | {cell(', '.join(use['operations']) or 'every operation')} | "
                         f"**{use['status']}** | {cell(use['why'])} | {cell(use['owner'])} | {use['expires']} |")
        lines.append("")
    return redact("\n".join(lines))
