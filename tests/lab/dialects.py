"""Dialects: the same API dressed the way a real deployment might dress it (contract §9).

A real deployment may differ from the contract on ASSUMED points only: the envelopes, record field
names (and the sort names that follow them), the timestamp form, a lower page-size bound and the
rate-limit header names. The lab's reference server (``python -m lab``) can speak such a *dialect*
(``--dialect NAME``) to prove that the suite adapts to one through an OpenAPI Overlay
(``tests/lab/overlays/NAME.overlay.yaml`` are the overlays that describe these two exactly). What the docs fix never changes in any dialect:
paths, methods, query parameter names and values (filters included: ``user_id``, ``start_date``),
status codes, error codes, the auth schemes, ``Retry-After``.

A dialect is a :class:`Dialect` applied as one layer (:class:`DialectLayer`, an outer ASGI layer of
the server's :class:`~conformance.reference.app.Extension`) around the native server: on the way in it translates the ``sortby`` value of the query
into the native field name; on the way out it rewrites the native JSON body and the rate-limit
headers of every response. Everything in between (business logic and every deliberate defect) is
the native code, unchanged. The page-size bound is not translated: it is the parser's, configured
from :attr:`Dialect.max_pagesize` (the extension swaps in that parser, :meth:`Dialect.parser`; a 51 in ``bare`` must be refused, and a defect that gets the
bound wrong must get the dialect's bound wrong).

============  ==============================================  ==============================================
              ``camel`` (a TypeScript gateway)                ``bare`` (a minimalist Python service)
============  ==============================================  ==============================================
records       every key camelCase, recursively                ``created_at`` -> ``created``,
              (``created_at`` -> ``createdAt``,               ``energy_kwh`` -> ``energy``
              ``charge_points`` -> ``chargePoints``, ...)
list          ``{success, data, meta: {page, pageSize,        ``{items, paging: {page, per_page, total,
              total, totalPages}}``                           pages}}``
detail        ``{success, data}``                             the bare record
error         ``{success, error: {code, message, details}}``  ``{code, message, details}``
timestamps    ``2026-11-20T08:15:00.000+00:00``               native (``2026-11-20T08:15:00Z``)
sortby        the camelCase names (``createdAt``)             ``created``, ``energy``
page size     1..100                                          1..50
rate limit    ``RateLimit-Limit``, ``RateLimit-Remaining``    ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining``
============  ==============================================  ==============================================

How the layer keeps a defect a defect
-------------------------------------
The layer translates what is there and never repairs what is not: keys that exist are renamed, none
is invented; a record key the native server should not have sent (or a pagination member, a header)
passes through renamed by the same rule; a missing one stays missing; values are never changed
except that timestamps take the dialect's form, whatever their offset (a non-UTC offset stays one).
A native body that is not one of the three envelopes (a gateway's ``{"message": ...}``) keeps its
members. The one point where a rule is needed is the success flag in a dialect that has none
(``bare``). A right flag (true on a 2xx, false on an error) is dropped. A wrong one is kept as it is:
a member the dialect's envelope does not have (the bare overlay's schemas forbid it), while the code
and the records stay where the dialect puts them, readable by every other check. A missing one
cannot be kept: the body keeps the native member that holds its records (``data``) or its error
(``error``), so that it is as wrong in the dialect as it was natively (a dialect without a flag must
therefore name those members otherwise, which :class:`Dialect` checks). A bare detail record cannot
carry a wrong or missing flag: such a detail keeps the native wrapper. A ``sortby`` value the
dialect does not have (a native name it renamed, ``created_at`` in ``camel``) is an unknown sort
field, for the clean parser and the broken ones alike.

Every defect of :mod:`.defects` therefore breaks the same requirement in every dialect, in the
dialect's own terms. The defects that read differently, and how (the other defects change values,
statuses, codes, non-rate-limit headers, SQL or the order of checks, and read the same in every
dialect, with the dialect's field names where their description names a field):

====================================  =====================================  =====================================
defect                                ``camel``                              ``bare``
====================================  =====================================  =====================================
env-01-list-without-success           lists lack ``success``                 the bare envelope has no flag to
                                                                             drop: lists carry their records under
                                                                             ``data`` instead of ``items``
env-01-error-success-true             errors say ``success: true``           errors are ``{success: true, code,
                                                                             message}``: a member the bare
                                                                             envelope does not have (its schema
                                                                             forbids it); the code stays
                                                                             readable, so only ENV-01 breaks
env-02-timestamps-with-offset         ``...T13:45:00.000+05:30``             ``...T13:45:00+05:30`` (as native)
                                      (milliseconds, offset not ``+00:00``)
page-01-pagesize-101-accepted         ``pagesize=101`` accepted              ``pagesize=51`` accepted (the bound
                                                                             is 50); the echo ``per_page: 51``
                                                                             breaks the schema (ENV-01) as natively
page-01-pagesize-over-max-clamped     clamped at 100                         clamped at 50
pagesize-crash                        500 over 100                           500 over 50
trn-03-undefined-path-200             ``{success: true, data: []}``          ``{items: []}``: no ``paging``
                                      without ``meta``
trn-03-undefined-path-403-gateway     ``{message}``: no ``error``            ``{message}``: no top-level ``code``
trn-01-errors-as-text-plain           the dialect's error body, under        the dialect's error body, under
                                      ``Content-Type: text/plain``           ``Content-Type: text/plain``
rate-03-remaining-negative            ``RateLimit-Remaining`` goes negative  ``X-Rate-Limit-Remaining`` negative
rate-03-limit-per-second              ``RateLimit-Limit`` per second         ``X-Rate-Limit-Limit`` per second
auth-05-validation-before-auth        its gateway validates like the server  its gateway validates like the
                                      (camelCase ``sortby`` names)           server: ``pagesize=51`` is its 400
sort-02-sortby-unknown-ignored        ``sortby=created_at`` is unknown:      ``sortby=created_at`` is unknown:
                                      ignored                                ignored
page-02-totalpages-floor              ``meta.totalPages`` rounded down       ``paging.pages`` rounded down
ses-01-started-session-with-end-time  ``endTime`` of STARTED sessions set    ``end_time`` of STARTED sessions set
ses-negative-energy                   negative ``energyKwh``                 negative ``energy``
tariff-drops-currency                 ``currency`` missing (the same name)   ``currency`` missing
det-01-detail-stale-status            ``data.chargePoints[].status``         the detail's ``charge_points[].status``
geo-07-wrong-station-name             ``stationName``                        ``station_name`` (as native)
====================================  =====================================  =====================================

Like the rest of the reference server, the layer never imports the suite: they meet over HTTP only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote_plus

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.app import Extension
from conformance.reference.query import QueryParser

#: The scope key under which the layer leaves the dialect in force (see :func:`dialect_of`).
SCOPE_KEY = "iris.dialect"

#: An ISO 8601 timestamp of the kind the native server renders (``Z``) or a defect renders (an offset).
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
_UPPER = re.compile(r"[A-Z]")
#: Prefixed to a ``sortby`` value the dialect does not have: no native sort field starts with it, so
#: the native parser refuses the value like any unknown sort field.
_UNKNOWN_SORT = "~"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake(name: str) -> str:
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), name)


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FieldNames:
    """How a dialect names record fields (at every depth of a record) and the sort fields, which
    are record fields: explicit ``renames`` (native -> dialect), then camelCase when ``camel_case``."""

    renames: Mapping[str, str] = field(default_factory=dict)
    camel_case: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "renames", _frozen(self.renames))

    def rename(self, native: str) -> str:
        """The dialect's name of the native field ``native`` (any key passes: an extra one too)."""
        if native in self.renames:
            return self.renames[native]
        return _camel(native) if self.camel_case else native

    def native(self, name: str) -> str | None:
        """The native field the dialect calls ``name``; None when the dialect has no field of that
        name (``created_at`` in a dialect that says ``created``, ``CreatedAt`` in camelCase)."""
        inverse = {new: old for old, new in self.renames.items()}
        candidate = inverse.get(name) or (_snake(name) if self.camel_case else name)
        return candidate if self.rename(candidate) == name else None


@dataclass(frozen=True)
class Dialect:
    """The shapes of one dialect. The defaults are the native ones (the contract's §4 envelopes, the
    serializer's field names, the limiter's headers); :data:`NATIVE` is the dialect they make."""

    name: str
    summary: str
    fields: FieldNames = field(default_factory=FieldNames)
    #: the boolean member of every body; None: bodies carry no success flag
    success_field: str | None = "success"
    #: the member of a list body that holds its records (and of a wrapped detail body its record)
    data_field: str = "data"
    #: False: a detail body is the bare record
    detail_wrapped: bool = True
    #: the member of an error body that holds code, message and details; None: they are top-level
    error_field: str | None = "error"
    pagination_field: str = "pagination"
    #: native pagination member -> the dialect's (members not named keep their name)
    pagination_members: Mapping[str, str] = field(default_factory=dict)
    #: timestamps with milliseconds and a numeric offset (``+00:00`` for UTC) instead of ``Z``
    explicit_offset: bool = False
    max_pagesize: int = 100
    limit_header: str = "X-RateLimit-Limit"
    remaining_header: str = "X-RateLimit-Remaining"

    def __post_init__(self) -> None:
        object.__setattr__(self, "pagination_members", _frozen(self.pagination_members))
        if self.max_pagesize < 1:
            raise ValueError("max_pagesize must be >= 1")
        if self.success_field is None and (self.data_field == "data" or self.error_field == "error"):
            # a body without its flag keeps the native member: it must not be the dialect's
            raise ValueError("a dialect without a success flag must not name its members data or error")
        if not self.detail_wrapped and self.success_field is not None:
            raise ValueError("a bare detail body has no room for a success flag")

    @property
    def is_native(self) -> bool:
        """Whether the dialect is the native server's (no layer is needed)."""
        return replace(self, name=NATIVE.name, summary=NATIVE.summary) == NATIVE

    def parser(self) -> QueryParser:
        """The server's parser with the dialect's page-size bound and sort names in its messages."""
        return QueryParser(self.max_pagesize, self.fields.rename)

    def extension(self) -> Extension:
        """The reference server's extension that speaks the dialect: its parser and its layer, the
        outermost (it sees every answer, the Gate's refusals and 500s included)."""
        if self.is_native:
            return Extension()
        return Extension(swap=lambda components: replace(components, parser=self.parser()),
                         layers=(Middleware(DialectLayer, dialect=self),))

    # ------------------------------------------------------------------------------ the way in
    def sort_value(self, value: str) -> str:
        """The native ``sortby`` value for the dialect's ``value`` (unknown stays unknown)."""
        native = self.fields.native(value)
        return native if native is not None else _UNKNOWN_SORT + value

    def query_string(self, raw: bytes) -> bytes:
        """``raw`` with its ``sortby`` values in native names; every other byte as it came."""
        if not raw:
            return raw
        pieces = raw.split(b"&")
        for index, piece in enumerate(pieces):
            name, equals, value = piece.partition(b"=")
            if not equals or unquote_plus(name.decode("utf-8", "replace")) != "sortby":
                continue
            text = unquote_plus(value.decode("utf-8", "replace"))
            native = self.sort_value(text)
            if native != text:
                pieces[index] = name + b"=" + quote(native, safe="").encode("ascii")
        return b"&".join(pieces)

    # ----------------------------------------------------------------------------- the way out
    def header_name(self, native: str) -> str:
        """The dialect's name of a native response header (only the rate-limit ones differ)."""
        lowered = native.lower()
        if lowered == NATIVE.limit_header.lower():
            return self.limit_header
        if lowered == NATIVE.remaining_header.lower():
            return self.remaining_header
        return native

    def timestamp(self, value: str) -> str:
        match = _TIMESTAMP.fullmatch(value)
        if match is None or not self.explicit_offset:
            return value
        moment, fraction, offset = match.groups()
        millis = ((fraction or "") + "000")[:3]
        return f"{moment}.{millis}{'+00:00' if offset == 'Z' else offset}"

    def values(self, value: Any) -> Any:
        """``value`` with its timestamps in the dialect's form and every key as it is."""
        if isinstance(value, dict):
            return {key: self.values(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.values(item) for item in value]
        return self.timestamp(value) if isinstance(value, str) else value

    def record(self, value: Any) -> Any:
        """A record (or a list of them) with every key, at every depth, in the dialect's names."""
        if isinstance(value, dict):
            return {self.fields.rename(key): self.record(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.record(item) for item in value]
        return self.values(value)

    def body(self, status: int, body: Any) -> Any:
        """The dialect's body for the native ``body`` of a response with ``status``."""
        if not isinstance(body, dict):
            return self.values(body)
        if status >= 400:
            return self.error_body(body)
        data = body.get(NATIVE.data_field)
        if isinstance(data, list):
            return self.list_body(body)
        if isinstance(data, dict):
            return self.detail_body(body)
        return self.values(body)

    def _flag(self, out: dict[str, Any], value: Any, expected: bool) -> None:
        """The success flag in the dialect's body: renamed where the dialect has one; where it has
        none, dropped when it is right and kept as it is when it is wrong (a member the dialect's
        envelope does not have)."""
        if self.success_field is not None:
            out[self.success_field] = value
        elif value is not expected:
            out[NATIVE.success_field] = value

    def _native_member(self, body: dict[str, Any]) -> bool:
        """Whether the body's records or error stay under their native member: where the dialect has no
        flag and the body has none either, nothing else could carry the missing flag."""
        return self.success_field is None and NATIVE.success_field not in body

    def list_body(self, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == NATIVE.success_field:
                self._flag(out, value, True)
            elif key == NATIVE.data_field:
                out[NATIVE.data_field if self._native_member(body) else self.data_field] = self.record(value)
            elif key == NATIVE.pagination_field and isinstance(value, dict):
                out[self.pagination_field] = {self.pagination_members.get(member, member): self.values(item)
                                              for member, item in value.items()}
            else:
                out[key] = self.values(value)
        return out

    def detail_body(self, body: dict[str, Any]) -> Any:
        record = self.record(body[NATIVE.data_field])
        right = body.get(NATIVE.success_field) is True
        if not self.detail_wrapped and right and set(body) <= {NATIVE.success_field, NATIVE.data_field}:
            return record
        # a bare record cannot carry a wrong or missing flag: the native wrapper stays
        member = self.data_field if self.detail_wrapped and not self._native_member(body) else NATIVE.data_field
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == NATIVE.success_field:
                self._flag(out, value, True)
            elif key == NATIVE.data_field:
                out[member] = record
            else:
                out[key] = self.values(value)
        return out

    def error_body(self, body: dict[str, Any]) -> dict[str, Any]:
        error = body.get(NATIVE.error_field)
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key == NATIVE.success_field:
                self._flag(out, value, False)
            elif key == NATIVE.error_field and isinstance(error, dict):
                if self._native_member(body):
                    out[NATIVE.error_field] = self.values(value)
                elif self.error_field is None:
                    out.update(self.values(value))
                else:
                    out[self.error_field] = self.values(value)
            else:
                out[key] = self.values(value)
        return out

    def render(self, status: int, raw: bytes) -> bytes | None:
        """The dialect's body for the native bytes ``raw``; None when they are not JSON (kept as they are)."""
        try:
            native = json.loads(raw)
        except ValueError:
            return None
        try:
            return json.dumps(self.body(status, native), ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")
        except (ValueError, TypeError, RecursionError):  # never worse than the native answer
            return None


NATIVE = Dialect("native", "the contract's own shapes (specs/openapi.yaml)")

CAMEL = Dialect(
    "camel",
    "a TypeScript gateway: camelCase record fields and sortby names, pagination meta {page, pageSize, total, "
    "totalPages}, timestamps with milliseconds and +00:00, RateLimit-Limit/RateLimit-Remaining",
    fields=FieldNames(camel_case=True),
    pagination_field="meta",
    pagination_members={"pagesize": "pageSize", "totalpages": "totalPages"},
    explicit_offset=True,
    limit_header="RateLimit-Limit",
    remaining_header="RateLimit-Remaining",
)

BARE = Dialect(
    "bare",
    "a minimalist Python service: no success flag, lists {items, paging: {page, per_page, total, pages}}, bare "
    "detail records, errors {code, message, details}, created_at -> created, energy_kwh -> energy (and as sortby), "
    "pagesize at most 50, X-Rate-Limit-Limit/X-Rate-Limit-Remaining",
    fields=FieldNames(renames={"created_at": "created", "energy_kwh": "energy"}),
    success_field=None,
    data_field="items",
    detail_wrapped=False,
    error_field=None,
    pagination_field="paging",
    pagination_members={"pagesize": "per_page", "totalpages": "pages"},
    max_pagesize=50,
    limit_header="X-Rate-Limit-Limit",
    remaining_header="X-Rate-Limit-Remaining",
)

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (NATIVE, CAMEL, BARE)}


def dialect_of(scope: Mapping[str, Any]) -> Dialect:
    """The dialect a request is answered in (for the few defects that look at the request themselves)."""
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, Dialect) else NATIVE


class DialectLayer:
    """ASGI middleware speaking ``dialect`` around the native server: ``sortby`` translated on the way
    in; JSON bodies (whatever their Content-Type) and rate-limit headers on the way out. A body that
    is not JSON passes unchanged, headers and all."""

    def __init__(self, app: ASGIApp, dialect: Dialect) -> None:
        self.app = app
        self.dialect = dialect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        dialect = self.dialect
        scope = dict(scope)
        scope[SCOPE_KEY] = dialect
        scope["query_string"] = dialect.query_string(scope.get("query_string", b""))
        start: MutableMapping[str, Any] = {}
        chunks: list[bytes] = []

        async def translating_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body" or not start:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            raw = b"".join(chunks)
            body = dialect.render(start["status"], raw) if raw else None
            headers = []
            for name, value in start.get("headers", []):
                if body is not None and name.lower() == b"content-length":
                    value = str(len(body)).encode("latin-1")
                else:
                    name = dialect.header_name(name.decode("latin-1")).encode("latin-1")
                headers.append((name, value))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": raw if body is None else body})

        await self.app(scope, receive, translating_send)
