"""``iris-conformance adapt``: a few requests to a deployment, compared with the spec, and an overlay
draft with one group of actions per deviation on an ASSUMED point that the answers explain.

What it looks at (within ``max_requests``, at most ``max_rps``): the first page of every list (and a
second page of one, to tell the pagination members apart), one detail of each resource, the error
bodies of an unknown id, a page size out of range and a missing key, the page-size bound (a binary
search when the spec's bound is refused), the sortby values of renamed fields, and the headers.
What it infers: the list, detail and error envelopes; renamed or re-cased fields of every record
schema (nested ones too); the timestamp form; a lower page-size bound; other rate-limit header names.
What it never does: adapt a documented point (paths, parameter names, status codes, error codes, the
auth schemes): the draft is loaded with the suite's own overlay loader before it is written, and that
refuses such a change. What it cannot explain is listed, not guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from conformance.contract import spec as specs
from conformance.contract.spec import UnresolvedRef, deref, resolve_pointer
from conformance.runtime.budget import CannotJudge, Ledger
from conformance.runtime.client import ApiClient, Exchange, TransportFailure, make_session
from conformance.adapt.draft import (Deviation, item_schema_pointer, rename_fields, rename_pagination,
                                       rename_rate_limit_headers, render, restructure_envelope, set_max_pagesize,
                                       set_timestamp_pattern)
from conformance.checks.records import detail_path
from conformance.runtime.redaction import redact
from conformance.inputs.targets import absent_id

MAX_REQUESTS = 200
DEFAULT_OUTPUT = Path("reports") / "adapt.overlay.yaml"


class Stop(Exception):
    """The budget ran out, or the deployment stopped answering: infer from what came back."""


@dataclass
class Result:
    text: str
    actions: int
    deviations: list[Deviation]
    unexplained: list[str]
    requests: int
    output: Path | None = None


def evidence(exchange: Exchange, limit: int = 220) -> str:
    """The request as a curl (key redacted) and an excerpt of the answer."""
    text = " ".join(exchange.text.split())
    excerpt = text[:limit] + ("..." if len(text) > limit else "")
    return redact(f"request: {exchange.curl}\nanswered: HTTP {exchange.status} {excerpt}")


@dataclass
class Prober:
    api: ApiClient
    ledger: Ledger
    sent: list[Exchange] = field(default_factory=list)

    def get(self, path: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Exchange:
        try:
            exchange = self.api.get(path, params, **kwargs)
        except (CannotJudge, TransportFailure) as exc:
            raise Stop(str(exc)) from None
        self.sent.append(exchange)
        return exchange


# ------------------------------------------------------------------------------------- names

def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_TIMESTAMP_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _value_kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "timestamp" if _TIMESTAMP_LIKE.match(value) else "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else None


def _schema_kind(doc: dict[str, Any], schema: Any) -> str | None:
    _, schema = deref(doc, schema)
    if not isinstance(schema, dict):
        return None
    if schema.get("format") == "date-time":
        return "timestamp"
    if "allOf" in schema:
        return _schema_kind(doc, schema["allOf"][0])
    kind = schema.get("type")
    if kind is None and "enum" in schema:
        return "string"
    return kind


def _fits(schema_kind: str | None, value_kind: str | None) -> bool:
    if schema_kind is None or value_kind is None:
        return True
    if schema_kind == value_kind:
        return True
    return (schema_kind, value_kind) in {("number", "integer"), ("string", "timestamp")}


@dataclass
class SchemaSamples:
    """The records seen for one schema of the spec (a component or an inline object)."""

    pointer: str
    records: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


class RecordWalk:
    """Records of the answers matched against the spec's schemas, nested ones included."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.samples: dict[str, SchemaSamples] = {}
        self.renames: dict[str, dict[str, str]] = {}
        #: why each rename was inferred (confidence: reason), by schema
        self.reasons: dict[str, dict[str, str]] = {}
        self.timestamps: list[tuple[str, Exchange]] = []

    def add(self, pointer: str | None, record: Any, exchange: Exchange) -> None:
        if pointer is None or not isinstance(record, dict):
            return
        samples = self.samples.setdefault(pointer, SchemaSamples(pointer))
        samples.records.append(record)
        if exchange not in samples.exchanges:
            samples.exchanges.append(exchange)

    def properties(self, pointer: str) -> dict[str, Any]:
        schema = resolve_pointer(self.doc, pointer)
        props: dict[str, Any] = {}
        for branch in [schema, *schema.get("allOf", [])]:
            _, branch = deref(self.doc, branch)
            if isinstance(branch, dict):
                props.update(branch.get("properties") or {})
        return props

    def infer(self, unexplained: list[str]) -> None:
        """Renames per schema, then the nested records under their (new) names, until no new schema."""
        done: set[str] = set()
        while True:
            todo = [p for p in self.samples if p not in done]
            if not todo:
                return
            for pointer in todo:
                done.add(pointer)
                self._infer_schema(pointer, unexplained)

    def _infer_schema(self, pointer: str, unexplained: list[str]) -> None:
        samples = self.samples[pointer]
        props = self.properties(pointer)
        seen = {k for r in samples.records for k in r}
        missing = [p for p in props if p not in seen]
        extra = [k for k in sorted(seen) if k not in props]
        renames: dict[str, str] = {}
        reasons: dict[str, str] = {}
        for p in list(missing):
            same = [k for k in extra if _norm(k) == _norm(p) and k not in renames.values()]
            if len(same) == 1:
                renames[p] = same[0]
                reasons[p] = "high: the same name in another case or style"
        left = [p for p in missing if p not in renames]
        free = [k for k in extra if k not in renames.values()]

        def kinds(key: str) -> set[str]:
            return {k for k in (_value_kind(r.get(key)) for r in samples.records if key in r) if k}

        for p in left:
            kind = _schema_kind(self.doc, props[p])
            fitting = [k for k in free if all(_fits(kind, vk) for vk in kinds(k)) and kinds(k)]
            rivals = [q for q in left if any(all(_fits(_schema_kind(self.doc, props[q]), vk) for vk in kinds(k))
                                             for k in fitting)]
            if len(fitting) == 1 and rivals == [p]:
                k = fitting[0]
                related = _norm(p).startswith(_norm(k)) or _norm(k).startswith(_norm(p))
                renames[p] = k
                free.remove(k)
                reasons[p] = ("medium: the only unexplained member of the same type, and its name is a prefix of the "
                              "other" if related else "low: the only unexplained member of the same type")
            else:
                where = pointer.rsplit("/", 1)[-1]
                unexplained.append(f"{where}: the spec's field {p!r} is in no answer"
                                   + (f" (members the spec does not know: {', '.join(free)})" if free else ""))
        if renames:
            self.renames[pointer] = renames
            self.reasons[pointer] = reasons
        # the nested records and the timestamps, under the deployment's names
        for name, schema in props.items():
            key = renames.get(name, name)
            kind = _schema_kind(self.doc, schema)
            ref, resolved = deref(self.doc, schema)
            for record, exchange in ((r, e) for r in samples.records for e in samples.exchanges[:1]):
                value = record.get(key)
                if kind == "timestamp" and isinstance(value, str):
                    self.timestamps.append((value, exchange))
                elif kind == "array" and isinstance(value, list) and isinstance(resolved, dict):
                    item_ref, item = deref(self.doc, resolved.get("items"))
                    child = item_ref or (f"{ref or pointer + '/properties/' + name}/items")
                    if isinstance(item, dict) and (item.get("properties") or item.get("allOf")):
                        for element in value[:5]:
                            self.add(child.lstrip("#"), element, exchange)
                elif kind == "object" and isinstance(value, dict) and isinstance(resolved, dict) \
                        and resolved.get("properties"):
                    self.add((ref or f"{pointer}/properties/{name}").lstrip("#"), value, exchange)


# ------------------------------------------------------------------------------------ the probe

def adapt(base_url: str, key: str | None, *, spec_path: str | None = None, max_requests: int = MAX_REQUESTS,
          max_rps: float | None = None, timeout: float = 10.0) -> Result:
    spec = specs.load(spec_path)
    doc = spec.openapi_document()
    ledger = Ledger.create(max_requests=max_requests, max_rps=max_rps)
    session = make_session(ledger, base_url=base_url, timeout=timeout,
                           retry_after_header=spec.api_view.rate_limit.retry_after_header)
    auth = spec.api_view.auth
    prober = Prober(ApiClient(base_url, key, session=session, timeout=timeout, api_key_header=auth.api_key_header,
                              bearer_scheme=auth.bearer_scheme), ledger)
    deviations: list[Deviation] = []
    unexplained: list[str] = []
    try:
        _probe(spec, doc, prober, deviations, unexplained)
    except Stop as stop:
        unexplained.append(f"probing stopped early ({stop}); what was not probed is judged as the spec says")
    base = spec.openapi_document()
    header = [f"iris-conformance adapt: an overlay draft for {redact(base_url)}",
              f"written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from {len(prober.sent)} requests, against "
              f"{spec.path.name} v{spec.version} sha256:{spec.sha256[:16]}",
              "Read every action before you keep it: each says which requirement it touches, what showed it and",
              "how sure the inference is. Commit it next to your pipeline and run: pytest conformance --overlay FILE",
              ""]
    text, count = render(base, deviations, title=f"iris-conformance adapt: {redact(base_url)}", header=header,
                         unexplained=unexplained)
    return Result(text, count, deviations, unexplained, len(prober.sent))


def _item_pointer(doc: dict[str, Any], op: specs.Operation) -> str | None:
    """The component schema of one record of ``op``'s list, found in the document with its $refs."""
    raw = (doc.get("paths") or {}).get(op.path, {}).get(op.method.lower())
    return item_schema_pointer(doc, raw) if isinstance(raw, dict) else None


def _list_ops(spec: specs.Spec) -> list[specs.Operation]:
    ops = [op for op in spec.list_operations if op.geo_view is None]
    return ops + [op for op in spec.list_operations if op.geo_view is not None]


def _probe(spec: specs.Spec, doc: dict[str, Any], prober: Prober, deviations: list[Deviation],
           unexplained: list[str]) -> None:
    env = spec.envelope_view
    walk = RecordWalk(doc)
    lists: dict[str, Exchange] = {}
    for op in _list_ops(spec):
        params: dict[str, Any] = {}
        geo = op.geo_view
        if geo is not None:
            point = _a_point(lists.get(geo.station_list_operation or ""))
            if point is None:
                unexplained.append(f"{op.operation_id}: no station with coordinates to ask about: not probed")
                continue
            params = {geo.lat_param: point[0], geo.lng_param: point[1], geo.radius_param: 1}
        lists[op.operation_id] = prober.get(op.path, params)
    ok = {k: ex for k, ex in lists.items() if ex.status == 200 and isinstance(ex.body, dict)}
    if not ok:
        first = next(iter(lists.values()), None)
        unexplained.append("no list answered 200 with a JSON object" + (f": {evidence(first)}" if first else ""))
        return
    new_env: dict[str, Any] = {}
    seen: list[Exchange] = []  # the answers that show the envelope
    _list_envelope(spec, ok, new_env, seen, unexplained)
    data_field = new_env.get("data-field", env.data_field)

    # records of every list, and one detail of each resource
    details: dict[str, Exchange] = {}
    for op in _list_ops(spec):
        exchange = ok.get(op.operation_id)
        items = exchange.body.get(data_field) if exchange is not None else None
        if not isinstance(items, list):
            continue
        pointer = _item_pointer(doc, op)
        for record in items[:10]:
            walk.add(pointer.lstrip("#") if pointer else None, record, exchange)
        if op.resource_view is not None and op.resource_view.detail_operation and items:
            detail = spec.operation(op.resource_view.detail_operation)
            walk_now = RecordWalk(doc)
            walk_now.add(pointer.lstrip("#") if pointer else None, items[0], exchange)
            walk_now.infer([])
            id_field = walk_now.renames.get(pointer.lstrip("#") if pointer else "", {}).get(
                op.resource_view.id_field, op.resource_view.id_field)
            if isinstance(items[0], dict) and items[0].get(id_field) is not None:
                details[detail.operation_id] = prober.get(detail_path(detail, items[0][id_field]))
                details[detail.operation_id + ":absent"] = prober.get(
                    detail_path(detail, absent_id(op, [r.get(id_field) for r in items if isinstance(r, dict)])))
    _detail_envelope(spec, doc, details, walk, new_env, seen, unexplained)
    _error_envelope(spec, prober, details, new_env, seen, unexplained)
    if new_env:
        env_now = {**{"success-field": env.success_field, "data-field": env.data_field,
                      "detail-wrapped": env.detail_wrapped, "error-field": env.error_field,
                      "error-code-field": env.error_code_field, "error-message-field": env.error_message_field}}
        changed = {k: v for k, v in new_env.items() if env_now.get(k) != v}
        if changed:
            deviations.insert(0, Deviation(
                "ENV-01", "the envelope: " + ", ".join(f"{k} {env_now.get(k)!r} -> {v!r}" for k, v in changed.items()),
                [evidence(ex) for ex in seen], "high: the members of the answers' bodies",
                restructure_envelope(changed)))
    walk.infer(unexplained)
    _renames(spec, doc, prober, walk, ok, deviations, unexplained)
    _timestamps(spec, walk, deviations, unexplained)
    _pagination(spec, prober, ok, new_env.get("data-field", env.data_field), deviations, unexplained)
    _rate_limit_headers(spec, [*ok.values()], deviations, unexplained)


def _a_point(stations: Exchange | None) -> tuple[float, float] | None:
    """(lat, lng) of a live station, read from the station list's first page."""
    body = stations.body if stations is not None and stations.status == 200 else None
    records = [r for v in (body.values() if isinstance(body, dict) else []) if isinstance(v, list)
               for r in v if isinstance(r, dict)]
    for record in records:
        numbers = {k: v for k, v in record.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        lat = next((v for k, v in numbers.items() if _norm(k) in ("lat", "latitude")), None)
        lng = next((v for k, v in numbers.items() if _norm(k) in ("lng", "lon", "long", "longitude")), None)
        if lat is not None and lng is not None:
            return lat, lng
    return None


def _list_envelope(spec: specs.Spec, ok: dict[str, Exchange], new_env: dict[str, Any],
                   seen: list[Exchange], unexplained: list[str]) -> None:
    env = spec.envelope_view
    exchange = next(iter(ok.values()))
    body = exchange.body
    seen.append(exchange)
    arrays = [k for k, v in body.items() if isinstance(v, list)]
    if env.data_field not in arrays:
        if len(arrays) == 1:
            new_env["data-field"] = arrays[0]
        else:
            unexplained.append(f"the list body has no array {env.data_field!r} and not exactly one other array "
                               f"({arrays}): {evidence(exchange)}")
    flags = [k for k, v in body.items() if v is True]
    if env.success_field is None or env.success_field not in flags:
        if len(flags) == 1:
            new_env["success-field"] = flags[0]
        elif not any(isinstance(v, bool) for v in body.values()):
            new_env["success-field"] = None


def _detail_envelope(spec: specs.Spec, doc: dict[str, Any], details: dict[str, Exchange], walk: RecordWalk,
                     new_env: dict[str, Any], seen: list[Exchange], unexplained: list[str]) -> None:
    env = spec.envelope_view
    data_field = new_env.get("data-field", env.data_field)
    for op_id, exchange in details.items():
        if op_id.endswith(":absent") or exchange.status != 200 or not isinstance(exchange.body, dict):
            continue
        body = exchange.body
        detail = spec.operation(op_id)
        list_op = next(o for o in spec.resource_list_operations if o.resource_view.detail_operation == op_id)
        pointer = (_item_pointer(doc, list_op) or "").lstrip("#")
        if isinstance(body.get(data_field), dict):
            wrapped, record = True, body[data_field]
        elif data_field not in body:
            wrapped, record = False, body
        else:
            unexplained.append(f"{detail.operation_id}: the detail body's {data_field!r} is not an object: "
                               f"{evidence(exchange)}")
            continue
        if wrapped != env.detail_wrapped:
            new_env["detail-wrapped"] = wrapped
            if exchange not in seen:
                seen.append(exchange)
        walk.add(pointer or None, record, exchange)


def _error_envelope(spec: specs.Spec, prober: Prober, details: dict[str, Exchange], new_env: dict[str, Any],
                    seen: list[Exchange], unexplained: list[str]) -> None:
    env = spec.envelope_view
    errors = spec.api_view.errors
    by_status = {}
    for code, status in errors.items():
        by_status.setdefault(int(status), code)
    samples = [ex for k, ex in details.items() if k.endswith(":absent")][:1]
    op = next(iter(spec.resource_list_operations), None)
    if op is not None:
        samples.append(prober.get(op.path, {op.paging.pagesize_param: 0}))
        samples.append(prober.get(op.path, key=None))
    found: list[tuple[str | None, str, str | None, Any]] = []
    for exchange in samples:
        body = exchange.body
        expected = [c for c, s in errors.items() if int(s) == exchange.status]
        if not isinstance(body, dict) or not expected:
            continue
        location = _locate_code(body, set(expected))
        if location is None:
            unexplained.append(f"the error code of an HTTP {exchange.status} is nowhere in its body (expected one "
                               f"of {expected}): {evidence(exchange)}")
            continue
        container, code_key = location
        obj = body if container is None else body[container]
        message = _message_key(obj, code_key, env.error_message_field)
        flags = [k for k, v in body.items() if v is False]
        found.append((container, code_key, message, flags[0] if len(flags) == 1 else
                      (None if not any(isinstance(v, bool) for v in body.values()) else "?")))
        if exchange not in seen and len(seen) < 3:
            seen.append(exchange)
    if not found:
        return
    if len(set(found)) > 1:
        unexplained.append(f"the error bodies are not all alike: {sorted(set(map(str, found)))}")
    container, code_key, message, flag = found[0]
    if (container, code_key) != (env.error_field, env.error_code_field):
        new_env["error-field"] = container
        new_env["error-code-field"] = code_key
    if message and message != env.error_message_field:
        new_env["error-message-field"] = message
    success = new_env.get("success-field", env.success_field)
    if flag != "?" and flag != success:
        unexplained.append(f"the success flag of error bodies ({flag!r}) is not that of 2xx bodies ({success!r})")


def _locate_code(body: dict[str, Any], codes: set[str]) -> tuple[str | None, str] | None:
    for key, value in body.items():
        if isinstance(value, str) and value in codes:
            return None, key
    for key, value in body.items():
        if isinstance(value, dict):
            for inner, code in value.items():
                if isinstance(code, str) and code in codes:
                    return key, inner
    return None


def _message_key(obj: dict[str, Any], code_key: str, spec_name: str) -> str | None:
    strings = [k for k, v in obj.items() if isinstance(v, str) and k != code_key]
    if spec_name in strings:
        return spec_name
    named = [k for k in strings if re.search(r"mess|msg|detail|desc|reason|text", k, re.IGNORECASE)]
    if len(named) == 1:
        return named[0]
    return strings[0] if len(strings) == 1 else None


def _renames(spec: specs.Spec, doc: dict[str, Any], prober: Prober, walk: RecordWalk, ok: dict[str, Exchange],
             deviations: list[Deviation], unexplained: list[str]) -> None:
    everywhere: dict[str, str] = {}
    conflicts: set[str] = set()
    for renames in walk.renames.values():
        for old, new in renames.items():
            if everywhere.get(old, new) != new:
                conflicts.add(old)
            everywhere[old] = new
    everywhere = {k: v for k, v in everywhere.items() if k not in conflicts}
    # sortby values: a renamed sort field is renamed as a sortby value only where the deployment sorts by it
    sort_renames: dict[str, dict[str, str]] = {}
    for op in spec.resource_list_operations:
        pointer = (_item_pointer(doc, op) or "").lstrip("#")
        renames = walk.renames.get(pointer, {})
        sort = op.resource_view.sort
        for old in sort.fields:
            if old not in renames:
                continue
            tried = prober.get(op.path, {sort.sortby_param: renames[old]})
            if tried.status == 200:
                sort_renames.setdefault(op.path, {})[old] = renames[old]
            else:
                unexplained.append(f"{op.operation_id}: the record field {old!r} is answered as {renames[old]!r}, but "
                                   f"sortby={renames[old]} is refused: {evidence(tried)}")
    for pointer, renames in walk.renames.items():
        reasons = walk.reasons[pointer]
        samples = walk.samples[pointer]
        name = pointer.rsplit("/", 1)[-1] if "/properties/" not in pointer and not pointer.endswith("/items") \
            else pointer
        pairs = ", ".join(f"{old} -> {new}" for old, new in renames.items())
        confidence = min((reasons[o] for o in renames), key=lambda r: ["high", "medium", "low"].index(r.split(":")[0]))
        lists_of_it = {op.path for op in spec.resource_list_operations if (_item_pointer(doc, op) or "").lstrip("#")
                       == pointer}
        sorted_by = {o: n for path, ops in sort_renames.items() if path in lists_of_it for o, n in ops.items()}
        summary = f"fields of {name} renamed: {pairs}"
        if sorted_by:
            summary += f" (sortby accepts {', '.join(sorted(set(sorted_by.values())))})"
        deviations.append(Deviation(_requirement_of(doc, pointer), summary, [evidence(samples.exchanges[0])],
                                    confidence, rename_fields("#" + pointer if not pointer.startswith("#") else pointer,
                                                              renames, everywhere=everywhere,
                                                              sort_renames=sort_renames)))


def _requirement_of(doc: dict[str, Any], pointer: str) -> str:
    try:
        schema = resolve_pointer(doc, pointer)
    except UnresolvedRef:
        return "DET-01"
    ids = schema.get("x-requirements") or []
    return "DET-01" if "DET-01" in ids or not ids else ids[0]


_ISO = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[T ])(?P<time>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?"
                  r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$")


def _timestamps(spec: specs.Spec, walk: RecordWalk, deviations: list[Deviation], unexplained: list[str]) -> None:
    pattern = re.compile(spec.api_view.timestamp_pattern)
    wrong = [(v, ex) for v, ex in walk.timestamps if not pattern.match(v)]
    if not wrong:
        return
    zones, seps, bad = set(), set(), []
    for value, exchange in wrong:
        match = _ISO.match(value)
        zone = match.group("zone") if match else None
        if match is None or zone is None or (zone != "Z" and zone.replace(":", "")[1:] != "0000"):
            bad.append((value, exchange))
            continue
        zones.add(zone)
        seps.add(match.group("sep"))
    if bad:
        value, exchange = bad[0]
        unexplained.append(f"timestamps not in UTC or not ISO 8601 ({value!r}; ENV-02 requires UTC): "
                           f"{evidence(exchange)}")
        return
    if len(seps) > 1 or not zones:
        return
    zone_alternatives = "|".join(sorted({re.escape(z) for z in zones | {"Z"}}, key=len))
    new = rf"^\d{{4}}-\d{{2}}-\d{{2}}{re.escape(seps.pop())}\d{{2}}:\d{{2}}:\d{{2}}(\.\d+)?({zone_alternatives})$"
    if new.startswith(r"^\d{4}-\d{2}-\d{2}\ "):
        new = new.replace(r"\ ", " ", 1)
    value, exchange = wrong[0]
    deviations.append(Deviation("ENV-02", f"timestamps in the form {value!r} (UTC, another notation)",
                                [evidence(exchange)], "high: every timestamp seen has a UTC offset in this form",
                                set_timestamp_pattern(new)))


def _pagination(spec: specs.Spec, prober: Prober, ok: dict[str, Exchange], data_field: str,
                deviations: list[Deviation], unexplained: list[str]) -> None:
    lists = [op for op in spec.resource_list_operations if op.operation_id in ok]
    if not lists:
        return
    # the list with the most records tells page, pagesize, total and totalpages apart best
    def total_guess(op: specs.Operation) -> int:
        body = ok[op.operation_id].body
        numbers = [v for m in body.values() if isinstance(m, dict) for v in m.values() if isinstance(v, int)]
        return max(numbers, default=0)

    op = max(lists, key=total_guess)
    pag = op.paging
    first = ok[op.operation_id]
    second = prober.get(op.path, {pag.page_param: 2, pag.pagesize_param: 3})
    renames: dict[str, str] = {}
    objects = [k for k, v in first.body.items() if isinstance(v, dict) and any(isinstance(x, int) for x in v.values())]
    meta_key = pag.meta_field if pag.meta_field in objects else (objects[0] if len(objects) == 1 else None)
    if meta_key is None:
        unexplained.append(f"no pagination object in the list body: {evidence(first)}")
        return
    if meta_key != pag.meta_field:
        renames["meta-field"] = meta_key
    a, b = first.body.get(meta_key), second.body.get(meta_key) if isinstance(second.body, dict) else None
    if not (isinstance(a, dict) and isinstance(b, dict)) or second.status != 200:
        unexplained.append(f"the second page did not answer with a pagination object: {evidence(second)}")
    else:
        roles = _pagination_roles(a, b, pag.default_pagesize)
        if roles is None:
            unexplained.append(f"the pagination members could not be told apart ({a} then {b})")
        else:
            for role, key in roles.items():
                if getattr(pag, role.replace("-", "_")) != key:
                    renames[role] = key
    if renames:
        deviations.append(Deviation("PAGE-02", "the pagination object: " + ", ".join(
            f"{k} {getattr(pag, k.replace('-', '_'))!r} -> {v!r}" for k, v in renames.items()),
            [evidence(first), evidence(second)], "high: the members' values follow page=1,2 and pagesize="
            f"{pag.default_pagesize},3", rename_pagination(renames)))
    # the page-size bound
    at_max = prober.get(op.path, {pag.pagesize_param: pag.max_pagesize})
    if at_max.status == 200:
        return
    if at_max.status != 400:
        unexplained.append(f"pagesize={pag.max_pagesize} (the spec's bound) was answered HTTP {at_max.status}: "
                           f"{evidence(at_max)}")
        return
    low, high = 1, pag.max_pagesize
    while high - low > 1:
        middle = (low + high) // 2
        if prober.get(op.path, {pag.pagesize_param: middle}).status == 200:
            low = middle
        else:
            high = middle
    deviations.append(Deviation("PAGE-01", f"page sizes up to {low}, not {pag.max_pagesize}", [evidence(at_max)],
                                f"high: pagesize={low} is served, pagesize={low + 1} is a 400",
                                set_max_pagesize(low)))


def _pagination_roles(a: dict[str, Any], b: dict[str, Any], default_pagesize: int) -> dict[str, str] | None:
    """Which member is page, pagesize, total and totalpages: page 1 with the default page size, then
    page 2 with page size 3."""
    ints = [k for k in a if isinstance(a.get(k), int) and isinstance(b.get(k), int)]
    total = [k for k in ints if a[k] == b[k]]
    candidates: dict[str, list[str]] = {
        "page-field": [k for k in ints if a[k] == 1 and b[k] == 2],
        "pagesize-field": [k for k in ints if a[k] == default_pagesize and b[k] == 3],
    }
    for t in total:
        pages = [k for k in ints if k != t and a[k] == math.ceil(a[t] / default_pagesize) and b[k] == math.ceil(b[t] / 3)]
        if pages:
            candidates["total-field"] = [t]
            candidates["totalpages-field"] = pages
            break
    chosen = {role: keys[0] for role, keys in candidates.items() if len(keys) == 1}
    return chosen if len(chosen) == 4 and len(set(chosen.values())) == 4 else None


#: ``<prefix>Limit`` / ``<prefix>Remaining`` with an optional window suffix (Kong's
#: ``X-RateLimit-Limit-Minute``): group 1 the prefix (greedy: ``RateLimit-`` of ``RateLimit-Limit``,
#: separator included), 2 the kind, 3 the suffix
_QUOTA_HEADER = re.compile(r"^(.*)(limit|remaining)([-_][a-z0-9]+)?$", re.I)


def _integer_header(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def rate_limit_header_pairs(headers: Mapping[str, str]) -> list[tuple[str, str, bool]]:
    """(limit header, remaining header, named like a rate limit) pairs of an answer's headers: a
    ``...Limit`` and a ``...Remaining`` header with the same prefix and window suffix, both
    non-negative integers, Remaining no more than Limit. Named like one: the prefix says rate limit
    (``X-RateLimit-``, ``RateLimit-``, ``X-Rate-Limit-``); else only the shape does (``X-Quota-``)."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for name, value in headers.items():
        match = _QUOTA_HEADER.match(name)
        if match is None or _integer_header(value) is None:
            continue
        prefix, kind, suffix = match.group(1).lower(), match.group(2).lower(), (match.group(3) or "").lower()
        found.setdefault((prefix, suffix), {})[kind] = name
    pairs = []
    for (prefix, _), kinds in found.items():
        if {"limit", "remaining"} <= set(kinds):
            limit, remaining = kinds["limit"], kinds["remaining"]
            if _integer_header(headers[remaining]) <= _integer_header(headers[limit]) and prefix.strip("-_"):
                pairs.append((limit, remaining, bool(re.search(r"rate.?limit", prefix, re.I))))
    return pairs


def _rate_limit_headers(spec: specs.Spec, exchanges: Iterable[Exchange], deviations: list[Deviation],
                        unexplained: list[str]) -> None:
    """Other names of the rate-limit headers (RATE-03): the answers' only pair of integer
    ``...Limit`` / ``...Remaining`` headers; named like a rate limit (high) or by shape only (medium).
    No pair at all: unexplained (RATE-03's header checks have nothing to read)."""
    rate = spec.api_view.rate_limit
    exchanges = list(exchanges)
    for exchange in exchanges:
        lower = {n.lower() for n in exchange.headers.keys()}
        if rate.limit_header.lower() in lower or rate.remaining_header.lower() in lower:
            return
    for exchange in exchanges:
        pairs = rate_limit_header_pairs(exchange.headers)
        named = [p for p in pairs if p[2]]
        chosen = named if named else pairs
        if len(chosen) > 1 and len({p[0].lower() for p in chosen}) > 1:
            # several windows (per second, per minute...): the longest-lived limit is the one a run meets
            chosen = sorted(chosen, key=lambda p: -_integer_header(exchange.headers[p[0]]))[:1]
        if chosen:
            limit, remaining, by_name = chosen[0]
            renames = {"limit-header": limit, "remaining-header": remaining}
            confidence = ("high: the only headers of that kind in the answer" if by_name and len(pairs) == 1 else
                          "high: headers named like a rate limit, integers, Remaining <= Limit" if by_name else
                          "medium: not named like a rate limit, but a ...Limit and ...Remaining pair of integers, "
                          "Remaining <= Limit")
            deviations.append(Deviation("RATE-03", "rate-limit headers: " + ", ".join(
                f"{getattr(rate, k.replace('-', '_'))} -> {v}" for k, v in renames.items()), [evidence(exchange)],
                confidence, rename_rate_limit_headers(renames)))
            return
    if exchanges:
        unexplained.append(f"no rate-limit headers ({rate.limit_header}, {rate.remaining_header} or a pair like "
                           f"them) in any answer: RATE-03 has nothing to check: {evidence(exchanges[0])}")


def write(result: Result, output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(result.text, encoding="utf-8")
    result.output = output
    return output


def check_draft(path: Path, spec_path: str | None = None) -> None:
    """The draft loads with the suite's own overlay loader (valid, every target found, no documented
    point changed) and the adapted spec passes the spec's validation: else SpecError."""
    specs.Spec(spec_path or specs.default_spec_path(), [str(path)])
