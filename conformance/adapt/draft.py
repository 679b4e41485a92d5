"""Writing an overlay: edits of a spec document for each kind of deviation on an ASSUMED point, and the
Overlay 1.0 actions that turn the packaged spec into the edited one.

A :class:`Deviation` is one difference between what a deployment answers and what the spec says,
with the requirement it touches, its evidence and how sure the inference is, and an ``edit`` that
changes a spec document to say what the deployment does. :func:`render` applies the deviations one
after the other to a copy of the spec and writes, for each, the actions that take the document from
before to after (found by comparing the two: removals, then updates), under a comment with its
evidence. The edits know where the spec names a thing (schemas and the vendor extensions), so the
draft changes every place at once; nothing here sends a request.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import yaml

from conformance.contract.spec import deref, operations_in, resolve_pointer

Document = dict[str, Any]


@dataclass
class Deviation:
    requirement: str
    summary: str
    #: the request (a curl, key redacted) and an excerpt of the answer that show it
    evidence: list[str]
    confidence: str  # "high", "medium" or "low", with the reason after a colon
    edit: Callable[[Document], None] = field(repr=False)


# ---------------------------------------------------------------------------------- the document

def response_schema(doc: Document, op: dict[str, Any], status: str) -> tuple[str | None, Any]:
    """The (pointer, schema) of ``op``'s JSON response ``status``."""
    _, response = deref(doc, (op.get("responses") or {}).get(status))
    if not isinstance(response, dict):
        return None, None
    schema = (((response.get("content") or {}).get("application/json") or {}).get("schema"))
    return deref(doc, schema)


def operations(doc: Document) -> Iterable[tuple[str, dict[str, Any]]]:
    """(path, operation object) of every operation of ``doc``."""
    for path, _, op in operations_in(doc):
        yield path, op


def list_operations(doc: Document) -> list[tuple[str, dict[str, Any]]]:
    return [(path, op) for path, op in operations(doc) if "x-pagination" in op]


def envelope(doc: Document) -> dict[str, Any]:
    return doc["x-api"]["envelope"]


def item_schema_pointer(doc: Document, op: dict[str, Any]) -> str | None:
    """The component schema of one record of a list operation."""
    _, body = response_schema(doc, op, "200")
    data = ((body or {}).get("properties") or {}).get(envelope(doc)["data-field"]) or {}
    pointer, _ = deref(doc, data.get("items"))
    return pointer


def detail_schema(doc: Document, op: dict[str, Any]) -> tuple[str | None, Any]:
    return response_schema(doc, op, "200")


def _rename_keys(mapping: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    return {renames.get(k, k): v for k, v in mapping.items()}


def _rename_list(values: list[Any], renames: dict[str, str]) -> list[Any]:
    return [renames.get(v, v) if isinstance(v, str) else v for v in values]


# ---------------------------------------------------------------------------------- the edits

def rename_fields(schema_pointer: str, renames: dict[str, str], *, everywhere: dict[str, str],
                  sort_renames: dict[str, dict[str, str]]) -> Callable[[Document], None]:
    """Rename properties of the schema at ``schema_pointer``, and the same names where the vendor
    extensions read records of that schema: the ``x-resource`` of each list of it (id, sort, search,
    filters, references), its ``x-geo``, its ``x-invariants`` and ``x-references``. ``everywhere`` is
    the rename of names that extensions use across schemas (reference members); ``sort_renames`` the
    sortby values the deployment was seen to accept under the new names, by list path."""

    def edit(doc: Document) -> None:
        schema = resolve_pointer(doc, schema_pointer)
        if isinstance(schema.get("properties"), dict):
            schema["properties"] = _rename_keys(schema["properties"], renames)
        if isinstance(schema.get("required"), list):
            schema["required"] = _rename_list(schema["required"], renames)
        for rule in schema.get("x-invariants", []) or []:
            if isinstance(rule.get("when"), dict):
                rule["when"] = _rename_keys(rule["when"], renames)
            then = rule.get("then") or {}
            for key in ("field", "gte-field"):
                if key in then:
                    then[key] = renames.get(then[key], then[key])
        for ref in schema.get("x-references", []) or []:
            ref["field"] = renames.get(ref["field"], ref["field"])
        for member in schema.get("x-reference-members", []) or []:
            _rename_member(member, everywhere)
        for path, op in list_operations(doc):
            if item_schema_pointer(doc, op) != schema_pointer:
                continue
            resource = op.get("x-resource")
            if resource:
                _rename_resource(doc, op, resource, renames, everywhere, sort_renames.get(path, {}))
            geo = op.get("x-geo")
            if geo:
                for key, value in list(geo.items()):
                    if key.endswith("-field") and isinstance(value, str):
                        geo[key] = renames.get(value, value)
                if isinstance(geo.get("order"), list):
                    geo["order"] = _rename_list(geo["order"], renames)

    return edit


def _rename_member(member: dict[str, Any], renames: dict[str, str]) -> None:
    for key in ("field", "parent-field", "collection", "member-id-field", "parent-collection"):
        if isinstance(member.get(key), str):
            member[key] = renames.get(member[key], member[key])


def _rename_resource(doc: Document, op: dict[str, Any], resource: dict[str, Any], renames: dict[str, str],
                     everywhere: dict[str, str], sortby: dict[str, str]) -> None:
    resource["id-field"] = renames.get(resource["id-field"], resource["id-field"])
    sort = resource.get("sort") or {}
    if sort:
        # a sort field is both a record field and a sortby value: renamed only where the deployment
        # was seen to sort by the new name
        sort["fields"] = _rename_keys(sort["fields"], sortby)
        for key in ("default", "tiebreak"):
            if key in sort:
                sort[key] = sortby.get(sort[key], sort[key])
        for param in _parameters(doc, op):
            if param.get("name") == sort.get("sortby-param"):
                schema = param.get("schema") or {}
                if isinstance(schema.get("enum"), list):
                    schema["enum"] = _rename_list(schema["enum"], sortby)
                if schema.get("default") in sortby:
                    schema["default"] = sortby[schema["default"]]
    search = resource.get("search") or {}
    if isinstance(search.get("fields"), list):
        search["fields"] = _rename_list(search["fields"], renames)
    for flt in resource.get("filters", []) or []:
        flt["field"] = renames.get(flt["field"], flt["field"])
    for ref in resource.get("references", []) or []:
        ref["field"] = renames.get(ref["field"], ref["field"])
    for member in resource.get("reference-members", []) or []:
        _rename_member(member, everywhere)


def _parameters(doc: Document, op: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for param in op.get("parameters", []) or []:
        _, resolved = deref(doc, param)
        if isinstance(resolved, dict):
            out.append(resolved)
    return out


def restructure_envelope(new: dict[str, Any]) -> Callable[[Document], None]:
    """Change ``x-api.envelope`` to ``new`` (a dict of its keys) and every list, detail and error
    schema with it: the success flag (renamed or dropped), the data member, a bare detail, the error
    object (renamed, or code and message at the top level) and its members."""

    def edit(doc: Document) -> None:
        old = dict(envelope(doc))
        merged = {**old, **new}
        doc["x-api"]["envelope"] = {k: merged[k] for k in
                                    ("success-field", "data-field", "detail-wrapped", "error-field",
                                     "error-code-field", "error-message-field") if k in merged}
        success_old, success_new = old.get("success-field"), merged.get("success-field")
        data_old, data_new = old["data-field"], merged["data-field"]
        list_schemas, detail_schemas = set(), set()
        for _, op in operations(doc):
            pointer, _ = response_schema(doc, op, "200")
            if pointer:
                (list_schemas if "x-pagination" in op else detail_schemas).add(pointer)
        for pointer in list_schemas | detail_schemas:
            schema = resolve_pointer(doc, pointer)
            props = schema.get("properties") or {}
            renames = {data_old: data_new}
            if success_old and success_new:
                renames[success_old] = success_new
            if success_old and not success_new:
                props.pop(success_old, None)
                schema["required"] = [r for r in schema.get("required", []) if r != success_old]
                schema["not"] = {"required": [success_old]}  # the deployment's envelope has no such member
            schema["properties"] = _rename_keys(props, renames)
            schema["required"] = _rename_list(schema.get("required", []), renames)
            if pointer in detail_schemas and old.get("detail-wrapped", True) and not merged.get("detail-wrapped", True):
                record = schema["properties"].get(data_new)
                for key in ("type", "required", "properties"):
                    schema.pop(key, None)
                schema["allOf"] = [record]
        _restructure_errors(doc, old, merged)

    return edit


def _restructure_errors(doc: Document, old: dict[str, Any], new: dict[str, Any]) -> None:
    def reshape(error_props: dict[str, Any]) -> dict[str, Any]:
        return _rename_keys(error_props, {old["error-code-field"]: new["error-code-field"],
                                          old["error-message-field"]: new["error-message-field"]})

    def fix(schema: dict[str, Any]) -> None:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return
        schema.pop("example", None)  # in the old shape
        success_old, success_new = old.get("success-field"), new.get("success-field")
        if success_old in props:
            if success_new:
                schema["properties"] = props = _rename_keys(props, {success_old: success_new})
                schema["required"] = _rename_list(schema.get("required", []), {success_old: success_new})
            else:
                props.pop(success_old)
                schema["required"] = [r for r in schema.get("required", []) if r != success_old]
                schema["not"] = {"required": [success_old]}
        error_old, error_new = old.get("error-field"), new.get("error-field")
        inner = props.get(error_old) if error_old else None
        if isinstance(inner, dict) and isinstance(inner.get("properties"), dict):
            inner["properties"] = reshape(inner["properties"])
            if isinstance(inner.get("required"), list):
                inner["required"] = _rename_list(inner["required"], {old["error-code-field"]: new["error-code-field"],
                                                                     old["error-message-field"]:
                                                                         new["error-message-field"]})
            if error_new is None:  # code and message move to the top level
                props.pop(error_old)
                props.update(inner["properties"])
                required = [r for r in schema.get("required", []) if r != error_old]
                if error_old in schema.get("required", []):
                    required += inner.get("required", [])
                schema["required"] = required
                if not schema["required"]:
                    schema.pop("required")
            elif error_new != error_old:
                schema["properties"] = _rename_keys(props, {error_old: error_new})
                schema["required"] = _rename_list(schema.get("required", []), {error_old: error_new})

    schemas = (doc.get("components") or {}).get("schemas") or {}
    if isinstance(schemas.get("Error"), dict):
        fix(schemas["Error"])
    for response in ((doc.get("components") or {}).get("responses") or {}).values():
        schema = (((response or {}).get("content") or {}).get("application/json") or {}).get("schema")
        for branch in (schema or {}).get("allOf", []) or []:
            if isinstance(branch, dict) and "$ref" not in branch:
                fix(branch)
                if not branch.get("required", True):
                    branch.pop("required")


def rename_pagination(renames: dict[str, str]) -> Callable[[Document], None]:
    """Rename the pagination object (``meta-field``) or its members, in ``x-pagination`` of every list
    and in the schemas that hold it. ``renames``: x-pagination key -> the new name."""

    def edit(doc: Document) -> None:
        for _, op in list_operations(doc):
            pag = op["x-pagination"]
            old = dict(pag)
            pag.update(renames)
            pointer, body = response_schema(doc, op, "200")
            if body is None:
                continue
            meta_old, meta_new = old["meta-field"], pag["meta-field"]
            meta_schema_ref = (body.get("properties") or {}).get(meta_old)
            if meta_old != meta_new:
                body["properties"] = _rename_keys(body["properties"], {meta_old: meta_new})
                body["required"] = _rename_list(body.get("required", []), {meta_old: meta_new})
            member_renames = {old[k]: pag[k] for k in ("page-field", "pagesize-field", "total-field",
                                                       "totalpages-field") if old[k] != pag[k]}
            meta_pointer, meta_schema = deref(doc, meta_schema_ref)
            if member_renames and isinstance(meta_schema, dict) and isinstance(meta_schema.get("properties"), dict) \
                    and any(k in meta_schema["properties"] for k in member_renames):
                meta_schema["properties"] = _rename_keys(meta_schema["properties"], member_renames)
                meta_schema["required"] = _rename_list(meta_schema.get("required", []), member_renames)
                if isinstance(meta_schema.get("example"), dict):
                    meta_schema["example"] = _rename_keys(meta_schema["example"], member_renames)

    return edit


def set_max_pagesize(value: int) -> Callable[[Document], None]:
    """A lower page-size bound: ``x-pagination.max-pagesize``, the page-size parameter's maximum and the
    pagination object's."""

    def edit(doc: Document) -> None:
        for _, op in list_operations(doc):
            pag = op["x-pagination"]
            old = pag["max-pagesize"]
            pag["max-pagesize"] = value
            if pag["default-pagesize"] > value:
                pag["default-pagesize"] = value
            for param in _parameters(doc, op):
                schema = param.get("schema") or {}
                if param.get("name") == pag["pagesize-param"] and schema.get("maximum") == old:
                    schema["maximum"] = value
            _, body = response_schema(doc, op, "200")
            _, meta = deref(doc, ((body or {}).get("properties") or {}).get(pag["meta-field"]))
            member = ((meta or {}).get("properties") or {}).get(pag["pagesize-field"])
            if isinstance(member, dict) and member.get("maximum") == old:
                member["maximum"] = value

    return edit


def set_timestamp_pattern(pattern: str) -> Callable[[Document], None]:
    """Another timestamp form: ``x-api.timestamp-pattern`` and every date-time schema with its pattern."""

    def edit(doc: Document) -> None:
        old = doc["x-api"]["timestamp-pattern"]
        doc["x-api"]["timestamp-pattern"] = pattern
        for schema in (((doc.get("components") or {}).get("schemas")) or {}).values():
            if isinstance(schema, dict) and schema.get("pattern") == old:
                schema["pattern"] = pattern
                schema.pop("example", None)

    return edit


def rename_rate_limit_headers(renames: dict[str, str]) -> Callable[[Document], None]:
    """Other rate-limit header names: ``x-api.rate-limit`` (key -> new name) and the response headers."""

    def edit(doc: Document) -> None:
        rate = doc["x-api"]["rate-limit"]
        by_name = {rate[k]: v for k, v in renames.items()}
        rate.update(renames)
        for response in ((doc.get("components") or {}).get("responses") or {}).values():
            headers = (response or {}).get("headers")
            if isinstance(headers, dict):
                response["headers"] = {by_name.get(k, k): v for k, v in headers.items()}

    return edit


# ---------------------------------------------------------------------------------- the overlay

def _key(part: Any) -> str:
    return f"[{part}]" if isinstance(part, int) else "['" + str(part).replace("'", "\\'") + "']"


def jsonpath(parts: Iterable[Any]) -> str:
    return "$" + "".join(_key(p) for p in parts)


def actions(before: Any, after: Any, at: tuple = ()) -> list[dict[str, Any]]:
    """Overlay actions that turn ``before`` into ``after``: removals first, then updates."""
    removes: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    _diff(before, after, at, removes, updates)
    return removes + updates


def _diff(before: Any, after: Any, at: tuple, removes: list, updates: list) -> None:
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return
    added: dict[str, Any] = {}
    for key, value in before.items():
        if key not in after:
            removes.append({"target": jsonpath(at + (key,)), "remove": True})
        elif after[key] != value:
            if isinstance(value, dict) and isinstance(after[key], dict):
                _diff(value, after[key], at + (key,), removes, updates)
            else:
                if isinstance(value, (list, dict)):  # an update would merge into it: replace it
                    removes.append({"target": jsonpath(at + (key,)), "remove": True})
                added[key] = after[key]
    for key, value in after.items():
        if key not in before:
            added[key] = value
    if added:
        updates.append({"target": jsonpath(at), "update": added})


def render(base: Document, deviations: list[Deviation], *, title: str, header: list[str],
           unexplained: list[str]) -> tuple[str, int]:
    """The overlay draft (YAML text with comments) and its number of actions."""
    doc = copy.deepcopy(base)
    lines = [f"# {h}" if h else "#" for h in header]
    lines += ["overlay: 1.0.0", "info:", f"  title: {json_str(title)}", "  version: 1.0.0"]
    blocks: list[str] = []
    count = 0
    for number, deviation in enumerate(deviations, 1):
        before = copy.deepcopy(doc)
        deviation.edit(doc)
        found = actions(before, doc)
        if not found:
            continue
        blocks.append(f"  # deviation {number} [{deviation.requirement}] {deviation.summary}")
        blocks.append(f"  #   confidence: {deviation.confidence}")
        for item in deviation.evidence:
            for piece in item.splitlines():
                blocks.append(f"  #   {piece}")
        for action in found:
            action = {"target": action["target"], "description": f"[{deviation.requirement}] {deviation.summary}",
                      **{k: v for k, v in action.items() if k != "target"}}
            text = yaml.safe_dump([action], sort_keys=False, allow_unicode=True, width=110)
            blocks += ["  " + line for line in text.rstrip("\n").splitlines()]
            count += 1
    lines.append("actions:" + ("" if blocks else " []"))
    lines += blocks
    if unexplained:
        lines.append("# Not explained (not adapted: read them, they may be defects of the deployment):")
        lines += [f"#   - {u}" for u in unexplained]
    return "\n".join(lines) + "\n", count


def json_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
