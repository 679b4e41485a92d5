"""The OpenAPI spec as the suite's single source of truth.

Field names, envelopes, enums, pagination and geo semantics are read from the spec and its vendor
extensions (``x-api``, ``x-pagination``, ``x-resource``, ``x-geo``, ``x-requirements``), so a QA
engineer who finds that a deployment differs on an ASSUMED point edits only the spec.

The spec is validated when it is loaded, against ``spec_extensions.schema.yaml`` (the extensions
and the OpenAPI structure around them) and for what a schema cannot say (operation ids, declared
parameters, registered requirement IDs, defaults among the allowed values). A mistake in it is a
:class:`SpecError` that names the file, the element and the key: a usage error before any request,
never a KeyError in a test reported as the deployment's fault.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, TypeVar
from zoneinfo import ZoneInfo

import jsonschema
import yaml

from conformance.contract import requirements as _requirements
from conformance.contract.overlay import unshared  # noqa: F401  (re-exported: the spec's documents are unshared copies)

_PACKAGE_DIR = Path(__file__).resolve().parent
#: The JSON Schema (draft 2020-12) of the vendor extensions and the OpenAPI structure the suite reads.
SCHEMA_PATH = _PACKAGE_DIR / "spec_extensions.schema.yaml"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MAX_PROBLEMS = 20  # problems listed in one SpecError message


def default_spec_path() -> Path:
    """The spec shipped in the wheel, else the one at the top of a source checkout."""
    for candidate in (_PACKAGE_DIR.parent / "specs" / "openapi.yaml", _PACKAGE_DIR.parents[1] / "specs" / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("specs/openapi.yaml not found; pass --spec PATH")


class SpecError(ValueError):
    """The spec (or an extension in it) is not what the suite can read: a usage error, never a
    verdict against the deployment. The message names the file and the element."""


# ------------------------------------------------------------------------------ typed views
# Frozen, hashable views of the validated extensions: attribute ``max_pagesize`` is the key
# ``max-pagesize``. Lists are tuples and objects FrozenMaps, so a view can be neither changed nor
# mistaken for the spec's dictionaries.

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable mapping (equal to a dict with the same items)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()):
        self._items = dict(items)

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


def _view(cls: type, data: Mapping[str, Any], **converted: Any) -> Any:
    """``cls`` from the extension object ``data``: field ``a_b`` is key ``a-b``; ``converted`` gives
    the fields that are views themselves; a key the (validated) spec leaves out takes the default."""
    values = {}
    for f in dataclasses.fields(cls):
        key = f.name.replace("_", "-")
        if f.name in converted:
            values[f.name] = converted[f.name]
        elif key in data:
            value = data[key]
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)


@dataclass(frozen=True)
class Pagination:
    """``x-pagination`` of a list operation: the page parameters, their defaults and limit, and the
    names of the pagination object (``meta_field``) and its members."""

    page_param: str
    pagesize_param: str
    default_page: int
    default_pagesize: int
    max_pagesize: int
    meta_field: str
    page_field: str
    pagesize_field: str
    total_field: str
    totalpages_field: str

    @property
    def info_fields(self) -> dict[str, str]:
        """The member of the pagination object holding each of page, pagesize, total, totalpages."""
        return {"page": self.page_field, "pagesize": self.pagesize_field, "total": self.total_field,
                "totalpages": self.totalpages_field}

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Pagination:
        return _view(cls, data)


@dataclass(frozen=True)
class Sort:
    """``x-resource.sort``: the parameters, the sortable fields with their kind (``integer``,
    ``number``, ``string``, ``timestamp``), the default field and order, the tiebreak field."""

    sortby_param: str
    orderby_param: str
    fields: FrozenMap[str, str]
    default: str
    orders: tuple[str, ...]
    default_order: str
    tiebreak: str
    strings_case_insensitive: bool = True
    nulls: str = "last-in-asc"

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Sort:
        return _view(cls, data, fields=FrozenMap(data["fields"]))


@dataclass(frozen=True)
class Search:
    """``x-resource.search``: the parameter and the fields it searches."""

    param: str
    fields: tuple[str, ...]

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Search:
        return _view(cls, data)


@dataclass(frozen=True)
class Filter:
    """One of ``x-resource.filters``: the parameter, the record field it applies to and how it
    matches (``enum`` with its ``values``, ``equals``, ``equals-ci``, ``boolean``, ``integer-equals``,
    ``datetime-from``/``datetime-to`` with their ``format`` and ``timezone``)."""

    param: str
    field: str
    match: str
    values: tuple[str, ...] = ()
    format: str | None = None
    timezone: str = "UTC"
    inclusive: bool = True

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Filter:
        return _view(cls, data)


@dataclass(frozen=True)
class Reference:
    """One of ``x-resource.references`` (REF-01): ``field`` resolves through the detail ``operation``."""

    field: str
    operation: str
    nullable: bool = False

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Reference:
        return _view(cls, data)


@dataclass(frozen=True)
class ReferenceMember:
    """One of ``x-resource.reference-members`` (REF-01): ``field`` is the ``member_id_field`` of a
    member of ``collection`` of its parent, the record of ``parent_operation`` for ``parent_field``,
    or the member found for ``parent_field`` by an earlier rule."""

    field: str
    parent_field: str
    collection: str
    member_id_field: str
    parent_operation: str | None = None
    parent_collection: str | None = None

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> ReferenceMember:
        return _view(cls, data)


@dataclass(frozen=True)
class Resource:
    """``x-resource`` of a resource list operation."""

    name: str
    id_field: str
    id_type: str  # integer | string
    detail_operation: str
    sort: Sort
    search: Search | None = None
    filters: tuple[Filter, ...] = ()
    references: tuple[Reference, ...] = ()
    reference_members: tuple[ReferenceMember, ...] = ()

    @property
    def search_param(self) -> str | None:
        """The search parameter, or None when the spec declares no search (or no searched field)."""
        return self.search.param if self.search is not None and self.search.fields else None

    def filter_for(self, param: str) -> Filter:
        """The filter whose parameter is ``param``."""
        for flt in self.filters:
            if flt.param == param:
                return flt
        raise KeyError(f"the {self.name} list has no filter {param!r} in the spec")

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Resource:
        return _view(cls, data, sort=Sort.from_spec(data["sort"]),
                     search=Search.from_spec(data["search"]) if "search" in data else None,
                     filters=tuple(Filter.from_spec(f) for f in data.get("filters", [])),
                     references=tuple(Reference.from_spec(r) for r in data.get("references", [])),
                     reference_members=tuple(ReferenceMember.from_spec(m) for m in data.get("reference-members", [])))


@dataclass(frozen=True)
class Tolerance:
    """``x-geo.tolerance``: a distance is right within ``relative`` of it or ``absolute_m`` metres."""

    relative: float
    absolute_m: float

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Tolerance:
        return _view(cls, data)


@dataclass(frozen=True)
class Geo:
    """``x-geo`` of the geo list: parameters, units (factor to km), Earth radius, tolerance, the item
    fields, the result order and the station operations the items agree with."""

    lat_param: str
    lng_param: str
    radius_param: str
    unit_param: str
    units: FrozenMap[str, float]
    default_unit: str
    earth_radius_km: float
    tolerance: Tolerance
    distance_field: str
    station_id_field: str
    charge_point_id_field: str
    lat_field: str
    lng_field: str
    order: tuple[str, ...]
    station_operation: str
    station_list_operation: str

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Geo:
        return _view(cls, data, units=FrozenMap(data["units"]), tolerance=Tolerance.from_spec(data["tolerance"]))


@dataclass(frozen=True)
class AuthCodes:
    """``x-api.auth.codes``: the error code of each kind of refused credential."""

    missing: str
    format: str
    invalid: str

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> AuthCodes:
        return _view(cls, data)


@dataclass(frozen=True)
class Auth:
    """``x-api.auth``: how a key is sent, its prefix, how a refusal looks, what must be ignored."""

    api_key_header: str
    bearer_scheme: str
    key_prefix: str
    status: int
    codes: AuthCodes
    tenant_override_params: tuple[str, ...]
    tenant_override_headers: tuple[str, ...]
    www_authenticate: bool = True

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Auth:
        return _view(cls, data, codes=AuthCodes.from_spec(data["codes"]))


@dataclass(frozen=True)
class RateLimit:
    """``x-api.rate-limit``: the refusal's status and code, and the header names."""

    status: int
    code: str
    retry_after_header: str
    limit_header: str
    remaining_header: str

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> RateLimit:
        return _view(cls, data)


@dataclass(frozen=True)
class EnvelopeFields:
    """``x-api.envelope``: the members of every body and of its error object. ``success_field`` is
    None when bodies carry no success flag, ``error_field`` None when an error body holds its code
    and message at the top level; ``detail_wrapped`` False when a detail body is the bare record."""

    success_field: str | None
    data_field: str
    error_field: str | None
    error_code_field: str
    error_message_field: str
    detail_wrapped: bool = True

    def error_object(self, body: Any) -> dict[str, Any] | None:
        """The object of an error body that holds its code and message, or None."""
        if not isinstance(body, dict):
            return None
        if self.error_field is None:
            return body
        error = body.get(self.error_field)
        return error if isinstance(error, dict) else None

    def error_code(self, body: Any) -> Any:
        error = self.error_object(body)
        return error.get(self.error_code_field) if error is not None else None

    def success_holds(self, body: Any, expected: bool) -> bool:
        """The body's success flag is ``expected`` (always true when bodies carry no flag)."""
        if self.success_field is None:
            return isinstance(body, dict)
        return isinstance(body, dict) and body.get(self.success_field) is expected

    def items(self, body: Any) -> Any:
        """A list body's items (None when the member is missing)."""
        return body.get(self.data_field) if isinstance(body, dict) else None

    def record(self, body: Any) -> Any:
        """A detail body's record (None when the member is missing)."""
        if not isinstance(body, dict):
            return None
        return body.get(self.data_field) if self.detail_wrapped else body

    def payload(self, body: Any, is_list: bool) -> Any:
        return self.items(body) if is_list else self.record(body)

    def describe_success(self, is_list: bool | None = None) -> str:
        """How a 2xx body looks, for failure messages: ``success: true and 'data'``."""
        flag = f"{self.success_field}: true" if self.success_field else ""
        if is_list is False and not self.detail_wrapped:
            member = "the bare record"
        else:
            member = repr(self.data_field)
        return f"{flag} and {member}" if flag else member

    def describe_error(self) -> str:
        """How an error body looks, for failure messages: ``success: false and error.code``."""
        code = f"{self.error_field}.{self.error_code_field}" if self.error_field else self.error_code_field
        return f"{self.success_field}: false and {code}" if self.success_field else code

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> EnvelopeFields:
        return _view(cls, data)


@dataclass(frozen=True)
class Api:
    """``x-api``: auth, rate limit, envelope, error code -> status, the timestamp form."""

    auth: Auth
    rate_limit: RateLimit
    envelope: EnvelopeFields
    errors: FrozenMap[str, int]
    timestamp_pattern: str
    base_path: str | None = None

    def error_status(self, code: str) -> int:
        return int(self.errors[code])

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Api:
        return _view(cls, data, auth=Auth.from_spec(data["auth"]), rate_limit=RateLimit.from_spec(data["rate-limit"]),
                     envelope=EnvelopeFields.from_spec(data["envelope"]), errors=FrozenMap(data["errors"]))


# ------------------------------------------------------------------------------- the spec

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
        """``x-pagination`` as a dictionary (prefer :attr:`paging`)."""
        return self.raw["x-pagination"]

    @functools.cached_property
    def paging(self) -> Pagination:
        """The typed ``x-pagination`` of a list operation."""
        if "x-pagination" not in self.raw:
            raise LookupError(f"{self.operation_id} is not a list operation: the spec gives it no x-pagination")
        return Pagination.from_spec(self.raw["x-pagination"])

    @functools.cached_property
    def resource_view(self) -> Resource | None:
        """The typed ``x-resource`` of a resource list, else None."""
        data = self.raw.get("x-resource")
        return Resource.from_spec(data) if data else None

    @functools.cached_property
    def geo_view(self) -> Geo | None:
        """The typed ``x-geo`` of the geo list, else None."""
        data = self.raw.get("x-geo")
        return Geo.from_spec(data) if data else None

    @property
    def resource(self) -> dict[str, Any] | None:
        """``x-resource`` as a dictionary (prefer :attr:`resource_view`)."""
        return self.raw.get("x-resource")

    @property
    def geo(self) -> dict[str, Any] | None:
        """``x-geo`` as a dictionary (prefer :attr:`geo_view`)."""
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

    def parameter_requirements(self, name: str) -> tuple[str, ...]:
        """The ``x-requirements`` of the parameter ``name``."""
        return tuple(self.parameter(name).get("x-requirements", []))


class Spec:
    """A loaded spec with $refs resolved (the spec is small and acyclic)."""

    def __init__(self, path: Path | str, overlays: Iterable[str | Path] = ()):
        from conformance.contract import overlay as _overlay

        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8")
        raw = self.raw = yaml.safe_load(self.text)
        self._fail_on(_key_problems(raw), "keys that are not strings")
        #: the spec's own document; :attr:`raw` is it with the overlays applied
        self.base_raw: dict[str, Any] = raw
        self.overlays: list[_overlay.AppliedOverlay] = []
        if overlays:
            try:  # YAML anchors are expanded first: an action changes the one element it targets
                self.raw, self.overlays = _overlay.apply(unshared(raw), overlays)
            except _overlay.OverlayError as exc:
                raise SpecError(f"{self.path}: {exc}") from None
            self.base_raw = unshared(raw)
        else:
            self.raw = raw
        self._fail_on(_schema_problems(self.raw), "does not match the schema of the spec and its vendor extensions "
                                                  f"({SCHEMA_PATH.name})")
        unresolved: list[Problem] = []
        self.document = _resolve_refs(self.raw, self.raw, problems=unresolved)
        self._fail_on(unresolved, "$refs that do not resolve")
        self._fail_on(_semantic_problems(self.raw, self.document), "is inconsistent")
        self.api_view  # noqa: B018  the typed views, built once here from the validated spec
        for op in self.operations.values():
            op.resource_view, op.geo_view, op.paging if op.is_list else None  # noqa: B018

    def _fail_on(self, problems: list[Problem], what: str) -> None:
        if problems:
            adapted = getattr(self, "overlays", None)
            where = f"{self.path} with the overlays {', '.join(str(o.path) for o in adapted)}" if adapted else self.path
            raise SpecError(f"{where}: {what}:\n" + describe(self.raw, problems))

    @functools.cached_property
    def overlaid_requirements(self) -> frozenset[str]:
        """The requirements whose checks read an element an overlay changed."""
        from conformance.contract import overlay as _overlay

        pointers = [p for o in self.overlays for p in o.touched]
        return frozenset(_overlay.requirements_touched(self.raw, pointers) | _overlay.requirements_touched(
            self.base_raw, pointers))

    @property
    def overlay_paths(self) -> tuple[str, ...]:
        return tuple(str(o.path) for o in self.overlays)

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        return str(self.raw.get("info", {}).get("version", "?"))

    @property
    def api(self) -> dict[str, Any]:
        """The top-level ``x-api`` extension as a dictionary (prefer :attr:`api_view`)."""
        return self.document["x-api"]

    @property
    def envelope(self) -> dict[str, Any]:
        return self.api["envelope"]

    @functools.cached_property
    def api_view(self) -> Api:
        """The typed top-level ``x-api``."""
        return Api.from_spec(self.document["x-api"])

    @property
    def envelope_view(self) -> EnvelopeFields:
        """The typed ``x-api.envelope``: the field names of every body."""
        return self.api_view.envelope

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


def _resolve_refs(node: Any, root: dict[str, Any], _seen: tuple[str, ...] = (), _where: tuple = (),
                  problems: list[Problem] | None = None) -> Any:
    """``node`` with its local $refs replaced by their targets; a $ref that does not resolve is left
    as it is and reported in ``problems``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in _seen:
                return node
            target: Any = root
            for part in ref[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or key not in target:
                    if problems is not None:
                        problems.append((_where, f"$ref {ref!r} does not resolve (no {key!r})"))
                    return node
                target = target[key]
            return _resolve_refs(target, root, _seen + (ref,), _where, problems)
        return {key: _resolve_refs(value, root, _seen, _where + (key,), problems) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(item, root, _seen, _where + (index,), problems) for index, item in enumerate(node)]
    return node


# ------------------------------------------------------------------------------------ validation

#: Where in the document (keys and list indices, as written) and what is wrong there.
Problem = tuple[tuple, str]


@functools.lru_cache(maxsize=1)
def extensions_schema() -> dict[str, Any]:
    """The JSON Schema of the spec and its vendor extensions (``spec_extensions.schema.yaml``)."""
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(extensions_schema())


def known_extensions() -> list[str]:
    """Every vendor extension the suite reads."""
    return sorted(name for name in extensions_schema()["$defs"] if name.startswith("x-"))


def location(path: Iterable[Any]) -> str:
    """``paths./sessions.get.x-resource.filters[0]``: keys joined by dots, list indices in brackets."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "(top level)"


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _document_order(raw: Any, path: tuple) -> tuple:
    """Where ``path`` is in the document (key positions as written), to list problems in file order."""
    order, node = [], raw
    for part in path:
        if isinstance(node, dict) and part in node:
            order.append(list(node).index(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            order.append(part)
            node = node[part]
        else:
            break
    return tuple(order)


def describe(raw: Any, problems: list[Problem]) -> str:
    """One line per element, in file order: ``location: problem; problem``."""
    grouped: dict[tuple, list[str]] = {}
    for path, message in sorted(problems, key=lambda p: _document_order(raw, p[0])):
        messages = grouped.setdefault(tuple(path), [])
        if message not in messages:
            messages.append(message)
    for messages in grouped.values():  # a misspelt key: "missing key 'a'; unknown key 'b' (did you mean 'a'?)"
        messages.sort(key=lambda m: not m.startswith("missing key"))
    lines = [f"  {location(path)}: {'; '.join(messages)}" for path, messages in grouped.items()]
    more = [f"  ... and {len(lines) - _MAX_PROBLEMS} more"] if len(lines) > _MAX_PROBLEMS else []
    return "\n".join(lines[:_MAX_PROBLEMS] + more)


def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, node) of every node of a YAML document, depth first in file order."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, path + (index,))


def _key_problems(raw: Any) -> list[Problem]:
    """Keys YAML read as something else than a string (``200:`` is an integer, ``on:`` a boolean)."""
    return [(path, f"the key {key!r} is read as {type(key).__name__}, not as a string: quote it ('{key}')")
            for path, node in _walk(raw) if isinstance(node, dict) for key in node if not isinstance(key, str)]


def _schema_problems(raw: Any) -> list[Problem]:
    known = known_extensions()
    problems: list[Problem] = []
    for error in _validator().iter_errors(raw):
        problems += _explain(error, known)
    return problems


def _explain(error: jsonschema.ValidationError, known: list[str]) -> list[Problem]:
    """The problems a schema error stands for, each naming the key it is about."""
    path, instance, keyword = tuple(error.absolute_path), error.instance, error.validator
    if keyword == "required" and isinstance(instance, dict):
        return [(path, f"missing key {key!r}") for key in error.validator_value if key not in instance]
    if keyword == "additionalProperties" and error.validator_value is False and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        return [(path, f"unknown key {key!r}{_suggest(key, allowed)}") for key in instance if key not in allowed]
    if keyword == "dependentRequired" and isinstance(instance, dict):
        return [(path, f"missing key {needed!r} (required with {key!r})")
                for key, needs in error.validator_value.items() if key in instance
                for needed in needs if needed not in instance]
    if keyword == "not" and error.validator_value == {} and path:  # an x- key this element may not carry
        key = path[-1]
        why = f"the extension {key!r} is not allowed on this element" if key in known \
            else f"unknown extension {key!r}{_suggest(key, known)}"
        return [(path[:-1], why)]
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    if keyword == "const":
        why = f" ({error.schema['$comment'].rstrip('.')})" if "$comment" in error.schema else ""
        message = f"must be {error.validator_value!r}, not {instance!r}{why}"
    if "propertyNames" in error.absolute_schema_path:
        return [(path, f"the key {instance!r} is not allowed here: {message}")]
    if path and isinstance(path[-1], str):
        return [(path[:-1], f"key {path[-1]!r}: {message}")]
    return [(path, message)]


def _semantic_problems(raw: dict[str, Any], document: dict[str, Any]) -> list[Problem]:
    """What the schema cannot say: names that must refer to something, values that must agree."""
    problems: list[Problem] = []
    problems += _requirement_problems(raw)
    problems += _api_problems(document["x-api"])
    ops: dict[str, tuple[tuple, dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method, body in item.items():
            if method not in _METHODS:
                continue
            where = ("paths", path, method)
            if body["operationId"] in ops:
                problems.append((where + ("operationId",), f"operationId {body['operationId']!r} is also the id of "
                                                          f"{location(ops[body['operationId']][0])}"))
            else:
                ops[body["operationId"]] = (where, body)
    if not any("x-resource" in body for _, body in ops.values()):
        problems.append(((), "no operation carries x-resource: the suite needs at least one resource list"))
    for where, body in ops.values():
        problems += _operation_problems(where, body, ops, document["x-api"])
    return problems


def _requirement_problems(raw: dict[str, Any]) -> list[Problem]:
    """Every requirement ID the spec names (``x-requirements``, ``x-invariants``) is in the registry."""
    registry = _requirements.registry()
    problems = []
    for path, node in _walk(raw):
        if not path:
            continue
        ids = []
        if path[-1] == "x-requirements" and isinstance(node, list):
            ids = [(path + (index,), value) for index, value in enumerate(node)]
        elif len(path) >= 2 and path[-2] == "x-invariants" and isinstance(node, dict):
            ids = [(path + ("id",), node.get("id"))]
        for where, value in ids:
            if value not in registry:
                problems.append((where[:-1], f"unknown requirement ID {value!r} (not in "
                                             f"conformance/contract/requirements.yaml){_suggest(str(value), registry)}"))
    return problems


def _api_problems(api: dict[str, Any]) -> list[Problem]:
    problems = []
    errors, auth, rate = api["errors"], api["auth"], api["rate-limit"]
    for key, code in auth["codes"].items():
        if code not in errors:
            problems.append((("x-api", "auth", "codes"), f"key {key!r}: the code {code!r} is not in x-api.errors"))
        elif errors[code] != auth["status"]:
            problems.append((("x-api", "auth", "codes"), f"key {key!r}: x-api.errors gives {code} the status "
                                                         f"{errors[code]}, x-api.auth.status says {auth['status']}"))
    if rate["code"] not in errors:
        problems.append((("x-api", "rate-limit"), f"key 'code': the code {rate['code']!r} is not in x-api.errors"))
    elif errors[rate["code"]] != rate["status"]:
        problems.append((("x-api", "rate-limit"), f"key 'code': x-api.errors gives {rate['code']} the status "
                                                  f"{errors[rate['code']]}, x-api.rate-limit.status says "
                                                  f"{rate['status']}"))
    try:
        re.compile(api["timestamp-pattern"])
    except re.error as exc:
        problems.append((("x-api",), f"key 'timestamp-pattern': not a regular expression ({exc})"))
    return problems


def _operation_problems(where: tuple, body: dict[str, Any], ops: dict[str, tuple[tuple, dict[str, Any]]],
                        api: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    params = {p.get("name"): p for p in body.get("parameters", []) if isinstance(p, dict)}

    def need_param(at: tuple, key: str, name: str) -> None:
        if params.get(name, {}).get("in") != "query":
            problems.append((at, f"key {key!r}: {body['operationId']} declares no query parameter {name!r}"))

    def need_operation(at: tuple, key: str, op_id: str, detail: bool = True) -> dict[str, Any] | None:
        if op_id not in ops:
            problems.append((at, f"key {key!r}: no operation has the operationId {op_id!r}{_suggest(op_id, ops)}"))
            return None
        other = ops[op_id][1]
        if detail and not any(isinstance(p, dict) and p.get("in") == "path" for p in other.get("parameters", [])):
            problems.append((at, f"key {key!r}: {op_id} has no path parameter (it must be a detail operation)"))
        return other

    responses = body["responses"]
    ok = responses.get("200", {}).get("content", {}).get("application/json", {}).get("schema")
    if not isinstance(ok, dict):
        problems.append((where + ("responses",), "no '200' response with an application/json schema"))
    allow = responses.get("405", {}).get("headers", {}).get("Allow", {}).get("schema", {})
    if not isinstance(allow, dict) or not isinstance(allow.get("pattern"), str):
        problems.append((where + ("responses",), "no '405' response with an Allow header whose schema has a "
                                                 "pattern (TRN-02 reads it)"))

    pagination = body.get("x-pagination")
    if pagination is not None:
        at = where + ("x-pagination",)
        need_param(at, "page-param", pagination["page-param"])
        need_param(at, "pagesize-param", pagination["pagesize-param"])
        if pagination["default-pagesize"] > pagination["max-pagesize"]:
            problems.append((at, f"key 'default-pagesize': {pagination['default-pagesize']} is more than "
                                 f"max-pagesize {pagination['max-pagesize']}"))

    resource = body.get("x-resource")
    if resource is not None:
        at = where + ("x-resource",)
        need_operation(at, "detail-operation", resource["detail-operation"])
        data_field = api["envelope"]["data-field"]
        items = (ok or {}).get("properties", {}).get(data_field, {}).get("items") if isinstance(ok, dict) else None
        if isinstance(ok, dict) and not isinstance(items, dict):
            problems.append((where + ("responses",), f"the '200' schema has no array property {data_field!r} "
                                                     "(x-api.envelope.data-field) with an items schema"))
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            problems += _unknown_fields(at, resource, set(items["properties"]))
        sort, at_sort = resource["sort"], at + ("sort",)
        need_param(at_sort, "sortby-param", sort["sortby-param"])
        need_param(at_sort, "orderby-param", sort["orderby-param"])
        if sort["default"] not in sort["fields"]:
            problems.append((at_sort, f"key 'default': {sort['default']!r} is not one of the sort fields "
                                      f"{sorted(sort['fields'])}"))
        if sort["default-order"] not in sort["orders"]:
            problems.append((at_sort, f"key 'default-order': {sort['default-order']!r} is not one of the orders "
                                      f"{sort['orders']}"))
        search = resource.get("search")
        if search is not None and search["fields"]:
            need_param(at + ("search",), "param", search["param"])
        seen: set[str] = set()
        for index, flt in enumerate(resource.get("filters", [])):
            at_flt = at + ("filters", index)
            need_param(at_flt, "param", flt["param"])
            if flt["param"] in seen:
                problems.append((at_flt, f"key 'param': another filter has the parameter {flt['param']!r}"))
            seen.add(flt["param"])
            zone = flt.get("timezone", "UTC")
            if zone.upper() != "UTC":
                try:
                    ZoneInfo(zone)
                except (KeyError, ValueError):
                    problems.append((at_flt, f"key 'timezone': {zone!r} is not a time zone name"))
        for index, ref in enumerate(resource.get("references", [])):
            need_operation(at + ("references", index), "operation", ref["operation"])
        members: set[str] = set()
        for index, rule in enumerate(resource.get("reference-members", [])):
            at_rule = at + ("reference-members", index)
            if "parent-operation" in rule:
                need_operation(at_rule, "parent-operation", rule["parent-operation"])
            elif rule["parent-field"] not in members:
                problems.append((at_rule, f"key 'parent-field': {rule['parent-field']!r} is not the field of an "
                                          "earlier rule, and the rule names no parent-operation"))
            members.add(rule["field"])

    geo = body.get("x-geo")
    if geo is not None:
        at = where + ("x-geo",)
        for key in ("lat-param", "lng-param", "radius-param", "unit-param"):
            need_param(at, key, geo[key])
        if geo["default-unit"] not in geo["units"]:
            problems.append((at, f"key 'default-unit': {geo['default-unit']!r} is not one of the units "
                                 f"{sorted(geo['units'])}"))
        need_operation(at, "station-operation", geo["station-operation"])
        stations = need_operation(at, "station-list-operation", geo["station-list-operation"], detail=False)
        if stations is not None and "x-resource" not in stations:
            problems.append((at, f"key 'station-list-operation': {geo['station-list-operation']} has no x-resource"))
    return problems


def _unknown_fields(at: tuple, resource: dict[str, Any], properties: set[str]) -> list[Problem]:
    """The record fields ``x-resource`` names that the list's item schema does not have (an overlay that
    renamed a field in one place and not in the other)."""
    named: list[tuple[tuple, str]] = [(at + ("id-field",), resource["id-field"])]
    named += [(at + ("sort", "fields"), name) for name in resource["sort"]["fields"]]
    named += [(at + ("sort", "tiebreak"), resource["sort"]["tiebreak"])] if resource["sort"].get("tiebreak") else []
    named += [(at + ("search", "fields"), name) for name in (resource.get("search") or {}).get("fields", [])]
    named += [(at + ("filters", i, "field"), flt["field"]) for i, flt in enumerate(resource.get("filters", []))]
    named += [(at + ("references", i, "field"), ref["field"]) for i, ref in enumerate(resource.get("references", []))]
    return [(where, f"{name!r} is not a property of the list's item schema (known: {sorted(properties)})")
            for where, name in named if name not in properties]


@functools.lru_cache(maxsize=8)
def load(path: str | None = None, overlays: tuple[str, ...] = ()) -> Spec:
    """The spec at ``path`` (default: the packaged one) with the ``overlays`` applied in order."""
    return Spec(path or default_spec_path(), overlays)
