"""The OpenAPI spec as the suite's single source of truth.

Field names, envelopes, enums, pagination and geo semantics are read from the spec and its vendor
extensions (``x-api``, ``x-pagination``, ``x-resource``, ``x-geo``, ``x-requirements``), so a QA
engineer who finds that a deployment differs on an ASSUMED point edits only the spec.

The spec is validated when it is loaded, against ``spec_extensions.schema.yaml`` (the extensions
and the OpenAPI structure around them) and for what a schema cannot say (operation ids, declared
parameters, registered requirement IDs, defaults among the allowed values). A mistake in it is a
:class:`SpecError` that names the file, the element and the key: a usage error before any request,
never a KeyError in a test reported as the deployment's fault.

Everything the suite reads of the spec is a frozen, typed view (:class:`Operation`, :class:`Parameter`,
:class:`Schema`, :class:`Pagination`, :class:`Resource`, :class:`Geo`, :class:`Api`...): no property
or method of :class:`Spec` or :class:`Operation` returns the spec's dictionaries. What needs a whole
document (schemathesis, ``adapt``'s drafts) gets a copy from :meth:`Spec.openapi_document`. Documents
are read here only: their operations (:func:`operations_in`) and their ``$ref``s (:func:`deref`,
:func:`resolve_refs`), for the spec, the overlays and ``adapt``.
"""

from __future__ import annotations

import copy
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

_PACKAGE_DIR = Path(__file__).resolve().parent
#: The JSON Schema (draft 2020-12) of the vendor extensions and the OpenAPI structure the suite reads.
SCHEMA_PATH = _PACKAGE_DIR / "spec_extensions.schema.yaml"
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


# ------------------------------------------------------------------------- schemas and parameters

def _frozen(value: Any) -> Any:
    """A value of the spec as an immutable one: lists are tuples, objects FrozenMaps."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return FrozenMap((k, _frozen(v)) for k, v in value.items())
    return value


@dataclass(frozen=True)
class Invariant:
    """One of the ``x-invariants`` of a record schema (SES-01): when a record holds every value of
    ``when``, its ``field`` is null (``must_be`` ``"null"``) or not (``"not-null"``), and not before
    its ``gte_field``."""

    id: str
    when: FrozenMap[str, Any]
    field: str
    must_be: str | None = None
    gte_field: str | None = None

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Invariant:
        then = data["then"]
        # YAML reads a bare `is: null` as None
        must_be = "null" if "is" in then and then["is"] in (None, "null") else then.get("is")
        return cls(id=data["id"], when=FrozenMap(data["when"]), field=then["field"], must_be=must_be,
                   gte_field=then.get("gte-field"))


@dataclass(frozen=True)
class Schema:
    """A schema object of the spec, its ``$ref``s resolved: the keywords the suite reads, its
    properties, items and ``allOf`` branches as schemas, and its ``x-invariants``. A JSON Schema
    validator needs every keyword: :meth:`json_schema` is the schema object itself (a copy)."""

    type: str | None = None
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    default: Any = None
    example: Any = None
    nullable: bool = False
    required: tuple[str, ...] = ()
    properties: FrozenMap[str, Schema] = FrozenMap()
    items: Schema | None = None
    all_of: tuple[Schema, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    _node: Any = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def json_schema(self) -> dict[str, Any]:
        """The schema object as the spec writes it ($refs resolved), a copy: for a validator."""
        return copy.deepcopy(self._node)

    def declares_format(self, name: str) -> bool:
        """Some part of the schema (itself, a property, an item, a branch) has ``format: name``."""
        return _declares_format(self._node, name)

    @classmethod
    def from_spec(cls, data: Any) -> Schema:
        if not isinstance(data, dict):
            return cls()
        properties = data.get("properties")
        return cls(type=data.get("type"), format=data.get("format"),
                   enum=_frozen(data["enum"]) if isinstance(data.get("enum"), list) else None,
                   minimum=data.get("minimum"), maximum=data.get("maximum"), pattern=data.get("pattern"),
                   default=_frozen(data.get("default")), example=_frozen(data.get("example")),
                   nullable=bool(data.get("nullable", False)), required=tuple(data.get("required") or ()),
                   properties=FrozenMap((name, cls.from_spec(s)) for name, s in properties.items())
                   if isinstance(properties, dict) else FrozenMap(),
                   items=cls.from_spec(data["items"]) if isinstance(data.get("items"), dict) else None,
                   all_of=tuple(cls.from_spec(s) for s in data.get("allOf") or ()),
                   invariants=tuple(Invariant.from_spec(r) for r in data.get("x-invariants") or ()),
                   _node=data)


def _declares_format(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        return node.get("format") == name or any(_declares_format(v, name) for v in node.values())
    if isinstance(node, list):
        return any(_declares_format(v, name) for v in node)
    return False


def _schema_fact(name: str) -> property:
    """A read-only attribute that is the attribute ``name`` of the object's ``schema``."""
    return property(lambda self: getattr(self.schema, name), doc=f"The ``{name}`` of its schema.")


@dataclass(frozen=True)
class Parameter:
    """A parameter of an operation: where it is sent (``location``: query, path, header, cookie),
    whether it is required, its schema and the facts of it the suite reads, an example (the
    parameter's, else its schema's) and its ``x-requirements`` (the first governs its values)."""

    name: str
    location: str
    required: bool = False
    schema: Schema = Schema()
    example: Any = None
    requirements: tuple[str, ...] = ()
    case_insensitive: bool = False

    # the facts of its schema the suite reads, by the schema's names
    type = _schema_fact("type")
    enum = _schema_fact("enum")
    minimum = _schema_fact("minimum")
    maximum = _schema_fact("maximum")
    pattern = _schema_fact("pattern")
    format = _schema_fact("format")
    default = _schema_fact("default")

    @classmethod
    def from_spec(cls, data: Mapping[str, Any]) -> Parameter:
        schema = Schema.from_spec(data.get("schema"))
        example = data.get("example")
        return cls(name=data["name"], location=data["in"], required=bool(data.get("required", False)), schema=schema,
                   example=_frozen(example) if example is not None else schema.example,
                   requirements=tuple(data.get("x-requirements") or ()),
                   case_insensitive=bool(data.get("x-case-insensitive", False)))


@dataclass(frozen=True)
class ResponseHeader:
    """A header the spec declares on a response of an operation."""

    status: str
    name: str
    schema: Schema


# ------------------------------------------------------------------------------- the spec

@dataclass(frozen=True)
class Operation:
    """One operation of the spec, read through typed views (its document is private)."""

    operation_id: str
    method: str
    path: str
    _raw: dict[str, Any] = dataclasses.field(repr=False)

    @property
    def is_list(self) -> bool:
        return "x-pagination" in self._raw

    @functools.cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """The operation's parameters, in the spec's order."""
        return tuple(Parameter.from_spec(p) for p in self._raw.get("parameters", []))

    @property
    def path_params(self) -> list[str]:
        return [p.name for p in self.parameters if p.location == "path"]

    @functools.cached_property
    def paging(self) -> Pagination:
        """The typed ``x-pagination`` of a list operation."""
        if "x-pagination" not in self._raw:
            raise LookupError(f"{self.operation_id} is not a list operation: the spec gives it no x-pagination")
        return Pagination.from_spec(self._raw["x-pagination"])

    @functools.cached_property
    def resource_view(self) -> Resource | None:
        """The typed ``x-resource`` of a resource list, else None."""
        data = self._raw.get("x-resource")
        return Resource.from_spec(data) if data else None

    @functools.cached_property
    def geo_view(self) -> Geo | None:
        """The typed ``x-geo`` of the geo list, else None."""
        data = self._raw.get("x-geo")
        return Geo.from_spec(data) if data else None

    @property
    def requirements(self) -> tuple[str, ...]:
        return tuple(self._raw.get("x-requirements", []))

    @property
    def semantic_statuses(self) -> tuple[int, ...]:
        """``x-semantic-validation``: the statuses a schema-valid request may get (input the schema
        cannot refuse, e.g. a start date after the end date); empty when the spec gives none."""
        return tuple(self._raw.get("x-semantic-validation", []))

    def parameter(self, name: str) -> Parameter:
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(f"{self.operation_id} has no parameter {name!r} in the spec")

    def parameter_requirements(self, name: str) -> tuple[str, ...]:
        """The ``x-requirements`` of the parameter ``name``."""
        return self.parameter(name).requirements

    def response_schema(self, status: str = "200") -> Schema | None:
        """The schema of the JSON body of the response ``status``, or None when the spec gives none."""
        response = self._raw.get("responses", {}).get(status) or {}
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        return Schema.from_spec(schema) if isinstance(schema, dict) else None

    @functools.cached_property
    def response_headers(self) -> tuple[ResponseHeader, ...]:
        """Every header the spec declares on a response of the operation."""
        return tuple(ResponseHeader(str(status), name, Schema.from_spec(header.get("schema")))
                     for status, response in self._raw.get("responses", {}).items()
                     for name, header in ((response or {}).get("headers") or {}).items())

    @property
    def allow_pattern(self) -> str:
        """The pattern of the ``Allow`` header of the operation's 405 (TRN-02; the spec must give it)."""
        return self._raw["responses"]["405"]["headers"]["Allow"]["schema"]["pattern"]


class Spec:
    """A loaded spec, validated, read through typed views. The OpenAPI document itself is private:
    what needs a document (schemathesis, ``adapt``) gets a copy from :meth:`openapi_document`."""

    def __init__(self, path: Path | str, overlays: Iterable[str | Path] = ()):
        from conformance.contract import overlay as _overlay

        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8")
        raw = self._raw = yaml.safe_load(self.text)
        self._fail_on(_key_problems(raw), "keys that are not strings")
        # the spec's own document; _raw is it with the overlays applied
        self._base_raw: dict[str, Any] = raw
        self.overlays: list[_overlay.AppliedOverlay] = []
        if overlays:
            try:  # YAML anchors are expanded first: an action changes the one element it targets
                self._raw, self.overlays = _overlay.apply(unshared(raw), overlays)
            except _overlay.OverlayError as exc:
                raise SpecError(f"{self.path}: {exc}") from None
            self._base_raw = unshared(raw)
        else:
            self._raw = raw
        self._fail_on(_schema_problems(self._raw), "does not match the schema of the spec and its vendor extensions "
                                                   f"({SCHEMA_PATH.name})")
        unresolved: list[Problem] = []
        self._document = resolve_refs(self._raw, self._raw, problems=unresolved)
        self._fail_on(unresolved, "$refs that do not resolve")
        self._fail_on(_semantic_problems(self._raw, self._document), "is inconsistent")
        self.api_view  # noqa: B018  the typed views, built once here from the validated spec
        for op in self.operations.values():
            op.resource_view, op.geo_view, op.paging if op.is_list else None  # noqa: B018

    def _fail_on(self, problems: list[Problem], what: str) -> None:
        if problems:
            adapted = getattr(self, "overlays", None)
            where = f"{self.path} with the overlays {', '.join(str(o.path) for o in adapted)}" if adapted else self.path
            raise SpecError(f"{where}: {what}:\n" + describe(self._raw, problems))

    def openapi_document(self) -> dict[str, Any]:
        """The OpenAPI document, overlays applied, as written ($refs kept): a new copy on every call,
        for what needs a whole document (schemathesis, the overlay ``adapt`` drafts)."""
        return unshared(self._raw)

    @functools.cached_property
    def overlaid_requirements(self) -> frozenset[str]:
        """The requirements whose checks read an element an overlay changed."""
        from conformance.contract import overlay as _overlay

        pointers = [p for o in self.overlays for p in o.touched]
        return frozenset(_overlay.requirements_touched(self._raw, pointers) | _overlay.requirements_touched(
            self._base_raw, pointers))

    @property
    def overlay_paths(self) -> tuple[str, ...]:
        return tuple(str(o.path) for o in self.overlays)

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        return str(self._raw.get("info", {}).get("version", "?"))

    @functools.cached_property
    def api_view(self) -> Api:
        """The typed top-level ``x-api``."""
        return Api.from_spec(self._document["x-api"])

    @property
    def envelope_view(self) -> EnvelopeFields:
        """The typed ``x-api.envelope``: the field names of every body."""
        return self.api_view.envelope

    @functools.cached_property
    def operations(self) -> dict[str, Operation]:
        return {body["operationId"]: Operation(body["operationId"], method.upper(), path, body)
                for path, method, body in operations_in(self._document)}

    def operation(self, operation_id: str) -> Operation:
        return self.operations[operation_id]

    @property
    def list_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.is_list]

    @property
    def resource_list_operations(self) -> list[Operation]:
        return [op for op in self.list_operations if op.resource_view is not None]

    @property
    def detail_operations(self) -> list[Operation]:
        return [op for op in self.operations.values() if op.path_params]

    @property
    def paths(self) -> list[str]:
        return list(self._document.get("paths", {}))

    def methods_on(self, path: str) -> tuple[str, ...]:
        """The HTTP methods (upper case) the spec defines on ``path``."""
        return tuple(op.method for op in self.operations.values() if op.path == path)

    def record_schema(self, op: Operation) -> Schema:
        """The schema of one record of the list operation ``op`` (its 200 body's items)."""
        return op.response_schema("200").properties[self.envelope_view.data_field].items

    def error_status(self, code: str) -> int:
        return self.api_view.error_status(code)


# ------------------------------------------------------------------------------ the documents
# What reads an OpenAPI document as a document (the spec's validation, the overlays, adapt's
# drafts): its operations, and its local $refs.

#: The HTTP methods of an OpenAPI path item; its other keys (parameters, summary, x-...) are not operations.
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations_in(document: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, method as written, operation object) of every operation of an OpenAPI document, in
    document order; what is not an operation object (a document an overlay broke) is passed over."""
    paths = document.get("paths") if isinstance(document, dict) else None
    for path, item in (paths.items() if isinstance(paths, dict) else ()):
        if not isinstance(item, dict):
            continue
        for method, body in item.items():
            if isinstance(method, str) and method.lower() in METHODS and isinstance(body, dict):
                yield path, method, body


def unshared(node: Any) -> Any:
    """A copy of a document in which no two places share an object (YAML anchors expanded)."""
    if isinstance(node, dict):
        return {key: unshared(value) for key, value in node.items()}
    if isinstance(node, list):
        return [unshared(value) for value in node]
    return node


class UnresolvedRef(LookupError):
    """A JSON pointer (a ``$ref``) that names nothing in its document."""

    def __init__(self, pointer: str, key: str):
        super().__init__(f"$ref {pointer!r} does not resolve (no {key!r})")
        self.pointer, self.key = pointer, key


def resolve_pointer(root: Any, pointer: str) -> Any:
    """The node at the local JSON pointer ``pointer`` (``#/components/schemas/Session``) of ``root``;
    :class:`UnresolvedRef` when it names nothing."""
    node = root
    path = pointer.lstrip("#").lstrip("/")
    for part in path.split("/") if path else ():
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise UnresolvedRef(pointer, key)
    return node


def deref(root: Any, node: Any, seen: Iterable[str] = ()) -> tuple[str | None, Any]:
    """``node`` with its local ``$ref`` followed, through a chain of them: (the pointer of the last
    ``$ref`` followed, or None when ``node`` is none; the node it leads to). A ``$ref`` in ``seen`` (a
    cycle) is not followed; one that names nothing is :class:`UnresolvedRef`."""
    seen = set(seen)
    pointer = None
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") \
            and node["$ref"] not in seen:
        pointer = node["$ref"]
        seen.add(pointer)
        node = resolve_pointer(root, pointer)
    return pointer, node


def resolve_refs(node: Any, root: Any, *, problems: list[Problem] | None = None, _seen: tuple[str, ...] = (),
                 _where: tuple = ()) -> Any:
    """A copy of ``node`` with every local ``$ref`` replaced by its target (:func:`deref`); a ``$ref``
    that does not resolve is left as it is and reported in ``problems`` (where it is written)."""
    if isinstance(node, dict):
        try:
            pointer, target = deref(root, node, _seen)
        except UnresolvedRef as exc:
            if problems is not None:
                problems.append((_where, str(exc)))
            return node
        if pointer is not None:
            return resolve_refs(target, root, problems=problems, _seen=_seen + (pointer,), _where=_where)
        return {key: resolve_refs(value, root, problems=problems, _seen=_seen, _where=_where + (key,))
                for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, root, problems=problems, _seen=_seen, _where=_where + (index,))
                for index, item in enumerate(node)]
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
    for path, method, body in operations_in(document):
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
