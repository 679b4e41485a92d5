"""The requirement registry (``requirements.yaml``): ID -> level, source, contract text, docs section."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

REGISTRY_PATH = Path(__file__).with_name("requirements.yaml")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str  # MUST | SHOULD
    source: str  # DOC | HTTP | ASSUMED
    section: str
    docs: str
    text: str

    @property
    def is_should(self) -> bool:
        return self.level == "SHOULD"

    def headline(self) -> str:
        return f"{self.id} ({self.source}, {self.level}): {self.text}"


@functools.lru_cache(maxsize=1)
def registry() -> dict[str, Requirement]:
    data = yaml.safe_load(REGISTRY_PATH.read_text(encoding="utf-8"))
    return {item["id"]: Requirement(**item) for item in data["requirements"]}


def get(requirement_id: str) -> Requirement:
    try:
        return registry()[requirement_id]
    except KeyError:
        raise KeyError(f"{requirement_id} is not in conformance/contract/requirements.yaml") from None


def family(requirement_id: str) -> str:
    """A requirement's family: its ID's prefix (``FLT`` of ``FLT-SES-01``)."""
    return requirement_id.split("-", 1)[0]


def families() -> tuple[str, ...]:
    """The families of the registry, in the contract's order."""
    return tuple(dict.fromkeys(map(family, registry())))


def parse_selection(text: str | None) -> tuple[str, ...]:
    """``--requirements``: comma-separated IDs or prefixes (``GEO,AUTH-02``), upper-cased; () for all."""
    return tuple(w.strip().upper() for w in (text or "").split(",") if w.strip())


def selected(requirement_ids: list[str] | tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether a test of these requirements is selected by ``wanted`` (:func:`parse_selection`):
    one of its IDs is wanted, or starts with a wanted prefix."""
    return any(rid == w or rid.startswith(w + "-") for rid in requirement_ids for w in wanted)
