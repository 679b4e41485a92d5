"""OpenAPI Overlay 1.0 documents applied to the spec: how a user adapts the suite to a deployment that
differs from the contract on ASSUMED points, without copying the spec.

An overlay is validated against the Overlay 1.0 schema (the one the ``oas-patch`` library ships) and
applied action by action with ``oas-patch`` (JSONPath targets through ``jsonpath-ng``). A mistake is an
:class:`OverlayError` (a usage error) that names the file and the action: an action that is not
valid, a target that matches nothing in the spec, or an action that changes a DOCUMENTED point of the
API (paths, methods, parameter names, status codes, error codes, the auth schemes). Those are not
adaptable: a deployment that differs there does not conform, and the suite says so.

Each applied overlay is recorded (:class:`AppliedOverlay`: path, sha256, one line per action) so that
a verdict names the assumptions it was judged under.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from conformance.contract.spec import UnresolvedRef, deref, operations_in, unshared

#: the environment variable of ``--overlay`` (paths separated by os.pathsep)
ENV = "IRIS_OVERLAY"


class OverlayError(ValueError):
    """An overlay that cannot be applied: a usage error naming the file and the action."""


@dataclass(frozen=True)
class OverlayAction:
    index: int
    target: str
    kind: str  # "update" or "remove"
    description: str

    def line(self) -> str:
        what = f": {self.description}" if self.description else ""
        return f"{self.kind} {self.target}{what}"


@dataclass(frozen=True)
class AppliedOverlay:
    path: Path
    sha256: str
    title: str
    actions: tuple[OverlayAction, ...]
    #: the spec elements (JSON pointers into the spec) the actions touched
    touched: frozenset[str] = frozenset()

    def describe(self) -> str:
        return f"{self.path.name} sha256:{self.sha256[:16]} ({len(self.actions)} actions)"

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "sha256": self.sha256, "title": self.title,
                "actions": [a.line() for a in self.actions]}


def paths_from(values: Iterable[str] | None, environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The overlay files of a run: the ``--overlay`` options, else ``IRIS_OVERLAY``."""
    chosen = [v for v in (values or []) if v]
    if not chosen:
        env = (environ if environ is not None else os.environ).get(ENV, "")
        chosen = [p for p in env.split(os.pathsep) if p.strip()]
    return tuple(str(Path(p).expanduser().resolve()) for p in chosen)


def _overlay_schema() -> dict[str, Any]:
    """The Overlay 1.0 schema, except that an overlay may have no actions (what ``iris-conformance
    adapt`` writes for a deployment that agrees with the spec: a file to keep, that changes nothing)."""
    from oas_patch.validator import load_schema

    schema = load_schema("overlay_schema_1.0.0.yml")
    schema["properties"]["actions"].pop("minItems", None)
    return schema


def read(path: str | Path) -> tuple[dict[str, Any], str]:
    """The overlay document at ``path`` and its sha256, validated against the Overlay 1.0 schema."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OverlayError(f"overlay {path}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise OverlayError(f"overlay {path}: not YAML: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(_overlay_schema()).iter_errors(document),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for error in errors[:10]:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            lines.append(f"  at {where or '(top level)'}: {error.message}")
        raise OverlayError(f"overlay {path}: not an OpenAPI Overlay 1.0 document (overlay: 1.0.0, info: "
                           f"{{title, version}}, actions: [{{target, update | remove}}]):\n" + "\n".join(lines))
    return document, hashlib.sha256(data).hexdigest()


def apply(document: dict[str, Any], paths: Iterable[str | Path]) -> tuple[dict[str, Any], list[AppliedOverlay]]:
    """``document`` with the overlays at ``paths`` applied in order (a new document; ``document`` is changed)."""
    from jsonpath_ng.exceptions import JsonPathParserError
    from jsonpath_ng.ext import parse
    from oas_patch.overlay import apply_overlay

    applied: list[AppliedOverlay] = []
    for path in paths:
        path = Path(path)
        overlay, sha = read(path)
        actions: list[OverlayAction] = []
        touched: set[str] = set()
        for index, action in enumerate(overlay["actions"], start=1):
            kind = "remove" if action.get("remove") else "update" if "update" in action else None
            name = f"overlay {path}: action {index} ({action.get('description') or action['target']})"
            if kind is None:
                raise OverlayError(f"{name}: has neither update nor remove: true")
            try:
                matches = parse(action["target"]).find(document)
            except (JsonPathParserError, Exception) as exc:  # noqa: BLE001 - jsonpath-ng raises bare Exceptions
                raise OverlayError(f"{name}: target {action['target']!r} is not a JSONPath: {exc}") from None
            if not matches:
                raise OverlayError(f"{name}: target {action['target']!r} matches nothing in the spec")
            touched.update(_pointer(m) for m in matches)
            before = documented_points(document)
            try:
                apply_overlay(document, {"actions": [action]})
            except Exception as exc:  # noqa: BLE001 - the library's errors are not typed
                raise OverlayError(f"{name}: cannot be applied: {exc}") from None
            # oas-patch gives every target of one update the same object: copies, so that a later
            # action on one target does not change the others
            document = unshared(document)
            after = documented_points(document)
            if after != before:
                changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
                raise OverlayError(f"{name}: changes a documented point of the API ({', '.join(changed[:5])}); "
                                   "paths, methods, parameter names, status codes, error codes and the auth "
                                   "schemes are not adaptable: a deployment that differs there does not conform")
            actions.append(OverlayAction(index, action["target"], kind, str(action.get("description") or "")))
        applied.append(AppliedOverlay(path, sha, str(overlay["info"].get("title", "")), tuple(actions),
                                      frozenset(touched)))
    return document, applied


def _pointer(match: Any) -> str:
    """The JSON pointer of a jsonpath-ng match."""
    parts: list[str] = []
    node = match
    while node is not None and node.context is not None:
        path = node.path
        value = getattr(path, "fields", None)
        if value:
            parts.append(str(value[0]))
        elif hasattr(path, "index"):
            parts.append(str(path.index))
        node = node.context
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in reversed(parts))


def documented_points(document: dict[str, Any]) -> dict[str, str]:
    """What the vendor docs fix and no overlay may change, as comparable strings."""
    points: dict[str, str] = {}
    components = document.get("components") or {}

    def param(p: Any) -> tuple[str, str]:
        try:
            _, p = deref(document, p)
        except UnresolvedRef:
            p = {}
        return (str(p.get("name")), str(p.get("in"))) if isinstance(p, dict) else ("?", "?")

    for path, method, op in operations_in(document):
        at = f"{method.upper()} {path}"
        points[f"operation {at}"] = str(op.get("operationId"))
        points[f"parameters of {at}"] = json.dumps(sorted(param(p) for p in op.get("parameters", [])))
        points[f"status codes of {at}"] = json.dumps(sorted(map(str, (op.get("responses") or {}))))
    api = document.get("x-api") or {}
    auth = dict(api.get("auth") or {})
    points["x-api.auth"] = json.dumps({k: auth.get(k) for k in ("api-key-header", "bearer-scheme", "key-prefix",
                                                                  "status", "codes")}, sort_keys=True)
    points["x-api.errors"] = json.dumps(api.get("errors"), sort_keys=True, default=str)
    rate = api.get("rate-limit") or {}
    points["x-api.rate-limit status, code and Retry-After"] = json.dumps(
        [rate.get("status"), rate.get("code"), rate.get("retry-after-header")])
    schemes = components.get("securitySchemes") or {}
    points["components.securitySchemes"] = json.dumps(
        {name: {k: s.get(k) for k in ("type", "in", "name", "scheme")} for name, s in schemes.items()
         if isinstance(s, dict)}, sort_keys=True)
    return points


#: the requirements whose checks read a vendor-extension element (key path under the extension)
_EXTENSION_REQUIREMENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("x-api", "envelope"), ("ENV-01",)),
    (("x-api", "timestamp-pattern"), ("ENV-02",)),
    (("x-api", "rate-limit"), ("RATE-01", "RATE-02", "RATE-03")),
    (("x-api", "auth"), ("AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "TEN-02")),
    (("x-pagination",), ("PAGE-01", "PAGE-02", "PAGE-03", "PAGE-04", "PAGE-05")),
    (("x-resource", "sort"), ("SORT-01", "SORT-02")),
    (("x-resource", "search"), ("SRCH-01",)),
    (("x-resource", "filters"), ("FLT-01",)),
    (("x-resource", "references"), ("REF-01",)),
    (("x-resource", "reference-members"), ("REF-01",)),
    (("x-resource", "id-field"), ("DET-01", "TEN-01")),
    (("x-geo",), ("GEO-01", "GEO-02", "GEO-03", "GEO-04", "GEO-05", "GEO-06", "GEO-07")),
    (("x-invariants",), ("SES-01",)),
)


def requirements_touched(document: dict[str, Any], pointers: Iterable[str]) -> set[str]:
    """The requirements whose checks read the spec elements at ``pointers``: the ``x-requirements`` of
    the innermost element around each (a schema, a parameter, a response), or the requirements of the
    vendor extension it is in."""
    found: set[str] = set()
    for pointer in pointers:
        keys = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p]
        node: Any = document
        innermost: list[str] = list(document.get("x-requirements", [])) if not keys else []
        for depth, key in enumerate(keys):
            for prefix, ids in _EXTENSION_REQUIREMENTS:
                if tuple(keys[depth:depth + len(prefix)]) == prefix:
                    innermost = list(ids)
                    break
            else:
                if isinstance(node, dict) and key.startswith("x-"):
                    break
                node = node.get(key) if isinstance(node, dict) else (
                    node[int(key)] if isinstance(node, list) and key.isdigit() and int(key) < len(node) else None)
                if isinstance(node, dict) and node.get("x-requirements") and key not in ("get",):
                    innermost = list(node["x-requirements"])
                continue
            break
        found.update(innermost)
    return found
