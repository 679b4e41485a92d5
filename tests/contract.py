"""Parse the requirements out of docs/contract.md (used to check the registry for drift)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "contract.md"

_ITEM = re.compile(r"^- (?P<id>[A-Z]+(?:-[A-Z]+)?-\d+) \((?P<tags>[^)]*)\) (?P<text>.*)$")
_SECTION = re.compile(r"^##+ (?P<title>.+)$")
# A section heading may carry the defaults for its items, e.g. "## 4. Response envelopes (ASSUMED, MUST)"
# or "## 5. Pagination (DOC parameters, ASSUMED semantics)": semantics decide the source.
_SOURCES = ("DOC", "HTTP", "ASSUMED")


@dataclass(frozen=True)
class ContractRequirement:
    id: str
    source: str
    level: str
    section: str
    text: str


def _source_of(tags: str, section_default: str | None) -> str | None:
    for source in _SOURCES:
        if re.search(rf"\b{source}\b", tags):
            return source
    return section_default


def parse(path: Path = CONTRACT) -> list[ContractRequirement]:
    requirements: list[ContractRequirement] = []
    section = ""
    default_source: str | None = None
    current: dict | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = _SECTION.match(line)
        item = _ITEM.match(line)
        if heading or item or not line.strip() or line.startswith("- "):
            if current:
                requirements.append(ContractRequirement(**current))
                current = None
        if heading:
            section = heading.group("title").strip()
            semantics = re.search(r"(DOC|HTTP|ASSUMED) semantics", section)
            plain = re.search(r"\((DOC|HTTP|ASSUMED), (MUST|SHOULD)\)", section)
            default_source = semantics.group(1) if semantics else (plain.group(1) if plain else None)
            continue
        if item:
            tags = item.group("tags")
            level = "MUST" if "MUST" in tags else "SHOULD"
            source = _source_of(tags, default_source) or "ASSUMED"
            current = {"id": item.group("id"), "source": source, "level": level, "section": section,
                       "text": item.group("text").strip()}
            continue
        if current and line.startswith("  "):
            current["text"] += " " + line.strip()
    if current:
        requirements.append(ContractRequirement(**current))
    return requirements
