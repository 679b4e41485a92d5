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
