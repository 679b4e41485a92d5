"""``iris-conformance diff OLD.json NEW.json``: two runs' ``conformance.json`` compared requirement by
requirement.

- regression: FAILED now, not FAILED before (passed, warning, waived, blocked, not run; a waiver that
  expired makes one too): the exit status is 1;
- fix: passed now after FAILED, warning or waived;
- new warning: warning now, and neither warning nor FAILED before;
- became not run: not run now, judged before;
- other change: any other verdict change (FAILED -> waived, passed -> blocked, ...);
- and a change of what the runs were judged under: suite version, spec (version, sha256), overlays,
  waiver file, profile, strict mode.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.runtime.redaction import redact
from conformance.verdicts.summary import cell, code

REGRESSION, FIX, NEW_WARNING, NOT_RUN, OTHER = "regression", "fix", "new warning", "became not run", "other change"
KINDS = (REGRESSION, FIX, NEW_WARNING, NOT_RUN, OTHER)
PLURALS = {REGRESSION: "regressions", FIX: "fixes", NEW_WARNING: "new warnings", NOT_RUN: "became not run",
           OTHER: "other changes"}
ABSENT = "absent"


class DiffError(ValueError):
    """A file that is not a conformance.json."""


@dataclass(frozen=True)
class Change:
    requirement: str
    kind: str
    old: str
    new: str
    level: str = ""
    why: str = ""
    repro: str | None = None


@dataclass(frozen=True)
class ContextChange:
    what: str
    old: str
    new: str


@dataclass
class Diff:
    old: str
    new: str
    old_verdict: str
    new_verdict: str
    changes: list[Change] = field(default_factory=list)
    context: list[ContextChange] = field(default_factory=list)
    unchanged: int = 0

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def regressed(self) -> bool:
        return bool(self.of(REGRESSION))

    @property
    def exit_status(self) -> int:
        return 1 if self.regressed else 0

    # ------------------------------------------------------------------------------- rendering

    def text(self) -> str:
        lines = [f"iris-conformance diff {self.old} -> {self.new}",
                 f"run verdict: {self.old_verdict} -> {self.new_verdict}"]
        for item in self.context:
            lines.append(f"changed {item.what}: {item.old} -> {item.new}")
        for kind in KINDS:
            found = self.of(kind)
            if not found:
                continue
            lines.append(f"{PLURALS[kind]} ({len(found)}):")
            for c in found:
                lines.append(f"  {c.requirement:11} {c.old} -> {c.new}" + (f"  {c.why}" if c.why else ""))
                if c.repro and c.new in ("FAILED", "warning"):
                    lines.append(f"              {c.repro}")
        lines.append(self._tally())
        return redact("\n".join(lines))

    def _tally(self) -> str:
        return ", ".join(f"{PLURALS[k]}: {len(self.of(k))}" for k in KINDS) + f"; unchanged: {self.unchanged}"

    def markdown(self) -> str:
        mark = "❌" if self.regressed else "✅"
        lines = [f"### IRIS conformance diff: {mark} regressions: {len(self.of(REGRESSION))}", "",
                 f"Run verdict: **{self.old_verdict}** → **{self.new_verdict}** ({self._tally()})", ""]
        if self.context:
            lines += ["| judged under | before | now |", "|---|---|---|"]
            lines += [f"| {cell(c.what)} | {cell(c.old)} | {cell(c.new)} |" for c in self.context]
            lines.append("")
        if self.changes:
            lines += ["| change | requirement | level | before | now | why | first repro |",
                      "|---|---|---|---|---|---|---|"]
            for kind in KINDS:
                for c in self.of(kind):
                    repro = code(c.repro) if c.new in ("FAILED", "warning") else ""
                    lines.append(f"| {'**' + kind + '**' if kind == REGRESSION else kind} | {c.requirement} | "
                                 f"{c.level} | {c.old} | {c.new} | {cell(c.why)} | {repro} |")
            lines.append("")
        else:
            lines += ["No requirement changed its verdict.", ""]
        return redact("\n".join(lines))

    def json(self) -> str:
        return redact(json.dumps({
            "old": self.old, "new": self.new, "old_verdict": self.old_verdict, "new_verdict": self.new_verdict,
            "regressed": self.regressed, "exit_status": self.exit_status,
            "changes": [asdict(c) for c in self.changes], "context": [asdict(c) for c in self.context],
            "unchanged": self.unchanged}, indent=2, ensure_ascii=False))

    def render(self, fmt: str) -> str:
        return {"text": self.text, "markdown": self.markdown, "json": self.json}[fmt]()


def read(path: str | Path) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DiffError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DiffError(f"{path}: is not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("requirements"), list):
        raise DiffError(f"{path}: is not a conformance.json (it has no list of requirements)")
    return document


def kind_of(old: str, new: str) -> str | None:
    if old == new:
        return None
    if new == "FAILED":
        return REGRESSION
    if new == "passed" and old in ("FAILED", "warning", "waived"):
        return FIX
    if new == "warning" and old not in ("warning", "FAILED"):
        return NEW_WARNING
    if new == "not run" and old != ABSENT:
        return NOT_RUN
    return OTHER


def compare(old: dict[str, Any], new: dict[str, Any], old_name: str = "OLD", new_name: str = "NEW") -> Diff:
    before = {r["id"]: r for r in old["requirements"]}
    after = {r["id"]: r for r in new["requirements"]}
    diff = Diff(old_name, new_name, _verdict(old), _verdict(new), context=_context(old.get("meta", {}),
                                                                                  new.get("meta", {})))
    for rid in [*after, *(r for r in before if r not in after)]:
        was = before.get(rid, {}).get("verdict", ABSENT)
        row = after.get(rid, {})
        now = row.get("verdict", ABSENT)
        kind = kind_of(was, now)
        if kind is None:
            diff.unchanged += 1
            continue
        diff.changes.append(Change(rid, kind, was, now, row.get("level") or before.get(rid, {}).get("level", ""),
                                   row.get("why") or "", row.get("repro")))
    return diff


def _verdict(document: dict[str, Any]) -> str:
    meta = document.get("meta", {})
    if meta.get("verdict"):
        return str(meta["verdict"])
    status = meta.get("exit_status")
    return {0: "CONFORMANT", 1: "NOT CONFORMANT"}.get(status, "CANNOT JUDGE") if status is not None else "?"


def _context(old: dict[str, Any], new: dict[str, Any]) -> list[ContextChange]:
    out = []
    for what, read_ in (("suite version", _suite), ("spec", _spec), ("overlays", _overlays),
                        ("waivers", _waivers), ("profile", lambda m: str(m.get("profile") or m.get("Profile") or "?")),
                        ("strict", lambda m: str(m.get("strict", m.get("Strict", "?"))))):
        a, b = read_(old), read_(new)
        if a != b:
            out.append(ContextChange(what, a, b))
    return out


def _suite(meta: dict[str, Any]) -> str:
    return str(meta.get("suite_version") or meta.get("Suite version") or "?")


def _spec(meta: dict[str, Any]) -> str:
    spec = meta.get("spec_file")
    if spec:
        return f"{spec.get('name')} v{spec.get('version')} sha256:{str(spec.get('sha256'))[:16]}"
    return str(meta.get("Spec") or "?")


def _overlays(meta: dict[str, Any]) -> str:
    overlays = meta.get("overlays") or []
    return ", ".join(f"{Path(str(o.get('path'))).name} sha256:{str(o.get('sha256'))[:16]}" for o in overlays) or "none"


def _waivers(meta: dict[str, Any]) -> str:
    waivers = meta.get("waivers_file")
    return f"{Path(str(waivers.get('path'))).name} sha256:{str(waivers.get('sha256'))[:16]}" if waivers else "none"
