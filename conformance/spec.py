"""The OpenAPI spec as the suite's single source of truth.

Field names, envelopes, enums, pagination and geo semantics are read from the spec and its vendor
extensions (``x-api``, ``x-pagination``, ``x-resource``, ``x-geo``, ``x-requirements``), so a QA
engineer who finds that a deployment differs on an ASSUMED point edits only the spec.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_PACKAGE_DIR = Path(__file__).resolve().parent


def default_spec_path() -> Path:
    """The spec shipped in the wheel, else the one at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR / "specs" / "openapi.yaml", _PACKAGE_DIR.parent / "specs" / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("specs/openapi.yaml not found; pass --spec PATH")


class SpecError(ValueError):
    """The spec (or an extension in it) is not what the suite can read: a usage error, never a
    verdict against the deployment. The message names the file and the element."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    raw: dict[str, Any]

    @property
    def is_list(self) -> bool:
        return "x-pagination" in self.raw

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.raw.get("parameters", []) if p.get("in") == "path"]

    @property
    def pagination(self) -> dict[str, Any]:
        return self.raw["x-pagination"]

    @property
    def resource(self) -> dict[str, Any] | None:
        return self.raw.get("x-resource")

    @property
    def geo(self) -> dict[str, Any] | None:
        return self.raw.get("x-geo")

    @property
    def requirements(self) -> list[str]:
        return list(self.raw.get("x-requirements", []))

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.raw.get("parameters", []))

    def parameter(self, name: str) -> dict[str, Any]:
        for param in self.parameters:
            if param["name"] == name:
                return param
        raise KeyError(f"{self.operation_id} has no parameter {name!r} in the spec")


class Spec:
    """A loaded spec with $refs resolved (the spec is small and acyclic)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8")
        self.raw: dict[str, Any] = yaml.safe_load(self.text)
        self.document = _resolve_refs(self.raw, self.raw)

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        return str(self.raw.get("info", {}).get("version", "?"))

    @property
    def api(self) -> dict[str, Any]:
        """The top-level ``x-api`` extension: auth, rate limit, envelope and error codes."""
        return self.document["x-api"]

    @property
    def envelope(self) -> dict[str, Any]:
        return self.api["envelope"]

    @functools.cached_property
    def operations(self) -> dict[str, Operation]:
        ops: dict[str, Operation] = {}
        for path, item in self.document.get("paths", {}).items():
            for method, body in item.items():
                if method.lower() in {"get", "put", "post", "delete", "patch", "head", "options"}:
                    ops[body["operationId"]] = Operation(body["operationId"], method.upper(), path, body)
        return ops

    def operation(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    @property
    def list_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.is_list]

    @property
    def resource_list_operations(self) -> list[Operation]:
        return [op for op in self.list_operations if op.resource]

    @property
    def detail_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.path_params]

    @property
    def paths(self) -> list[str]:
        return list(self.document.get("paths", {}))

    def error_status(self, code: str) -> int:
        return int(self.api["errors"][code])


def _resolve_refs(node: Any, root: dict[str, Any], _seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in _seen:
                return node
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return _resolve_refs(target, root, _seen + (ref,))
        return {key: _resolve_refs(value, root, _seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(item, root, _seen) for item in node]
    return node


@functools.lru_cache(maxsize=8)
def load(path: str | None = None) -> Spec:
    return Spec(path or default_spec_path())
