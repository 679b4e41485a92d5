"""Query-parameter and path-id validation (contract §5, §6, §7, §8).

:class:`QueryParser` turns the raw parameters of a request into a typed query object per endpoint,
or raises :class:`ValidationFailed` naming every bad parameter. Unknown parameters are ignored
(FLT-02); a known parameter given twice is an error. Parameter values are never echoed back in
messages (a value could be a key, AUTH-07).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

TARIFF_TYPES = ("ENERGY", "TIME", "FLAT")
SESSION_STATUSES = ("STARTED", "STOPPED", "FAILED")
RADIUS_UNITS = ("km", "m")

SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "tariffs": ("id", "name", "type", "created_at"),
    "customers": ("id", "name", "email", "created_at"),
    "stations": ("id", "name", "city", "state", "created_at"),
    "sessions": ("id", "start_time", "energy_kwh", "cost"),
}
DEFAULT_SORT: dict[str, str] = {"tariffs": "id", "customers": "id", "stations": "id", "sessions": "start_time"}

DEFAULT_PAGE = 1
DEFAULT_PAGESIZE = 10
MAX_PAGESIZE = 100
"""The page-size bound (an ASSUMED limit of the contract, §5)."""
MAX_PAGE_DIGITS = 4000
"""Implementation limit: a page number with more significant digits than this is refused (far past any data)."""
BEYOND_INT64 = 2 ** 63
"""What an id too large for SQLite becomes: a value that matches no row."""

_DIGITS = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")

Params = dict[str, list[str]]
T = TypeVar("T")


def parse_query_string(raw: bytes | str) -> Params:
    """Every parameter of a query string with all its values, in order (blank values kept)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    params: Params = {}
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        params.setdefault(name, []).append(value)
    return params


# ------------------------------------------------------------------------------------- errors

class ParamError(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


class ValidationFailed(Exception):
    """One or more parameters are invalid; ``message`` is the first one's (it names the parameter)."""

    def __init__(self, errors: list[ParamError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors

    @property
    def message(self) -> str:
        return self.errors[0].message

    @property
    def details(self) -> list[dict[str, str]]:
        return [{"param": error.param, "message": error.message} for error in self.errors]


class _Errors:
    def __init__(self) -> None:
        self.items: list[ParamError] = []

    def take(self, parse: Callable[..., T], *args: Any) -> T | None:
        try:
            return parse(*args)
        except ParamError as error:
            self.items.append(error)
            return None

    def add(self, param: str, message: str) -> None:
        self.items.append(ParamError(param, message))

    def check(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


# -------------------------------------------------------------------------------- query objects

@dataclass(frozen=True)
class Paging:
    page: int
    pagesize: int

    @property
    def offset(self) -> int:
        """Computed in Python: may be far beyond what SQLite can hold."""
        return (self.page - 1) * self.pagesize


@dataclass(frozen=True)
class Sorting:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class TariffQuery:
    paging: Paging
    sorting: Sorting
    search: str | None = None
    type: str | None = None
    isactive: bool | None = None


@dataclass(frozen=True)
class CustomerQuery:
    paging: Paging
    sorting: Sorting
    search: str | None = None


@dataclass(frozen=True)
class StationQuery:
    paging: Paging
    sorting: Sorting
    search: str | None = None
    city: str | None = None
    state: str | None = None
    always_open: bool | None = None


@dataclass(frozen=True)
class SessionQuery:
    paging: Paging
    sorting: Sorting
    search: str | None = None
    start_date: str | None = None
    """Lower bound on start_time, in the stored form ``YYYY-MM-DDTHH:MM:SSZ``."""
    end_date: str | None = None
    status: str | None = None
    charge_station_id: int | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class ChargerQuery:
    paging: Paging
    lat: float
    lng: float
    radius: float
    radius_unit: str = "km"

    @property
    def radius_km(self) -> float:
        return self.radius / 1000.0 if self.radius_unit == "m" else self.radius


# -------------------------------------------------------------------------------------- parser

class QueryParser:
    """Validates parameters and ids; each small method checks one parameter class.

    ``max_pagesize`` is the page-size bound; ``field_name`` gives a sort field's name as the messages
    show it (the native name by default). Both are here for a server built on this one that dresses
    the API otherwise (the project's tests' dialects): ``sortby`` values always arrive in native names."""

    def __init__(self, max_pagesize: int = MAX_PAGESIZE, field_name: Callable[[str], str] = str) -> None:
        self.max_pagesize = max_pagesize
        self.field_name = field_name

    # ------------------------------------------------------------------------------ endpoints
    def tariff_list(self, params: Params) -> TariffQuery:
        errors = _Errors()
        paging = self.paging(params, errors)
        sorting = self.sorting(params, "tariffs", errors)
        search = errors.take(self.search, params)
        kind = errors.take(self.enum, params, "type", TARIFF_TYPES)
        isactive = errors.take(self.boolean, params, "isactive")
        errors.check()
        return TariffQuery(paging, sorting, search, kind, isactive)

    def customer_list(self, params: Params) -> CustomerQuery:
        errors = _Errors()
        paging = self.paging(params, errors)
        sorting = self.sorting(params, "customers", errors)
        search = errors.take(self.search, params)
        errors.check()
        return CustomerQuery(paging, sorting, search)

    def station_list(self, params: Params) -> StationQuery:
        errors = _Errors()
        paging = self.paging(params, errors)
        sorting = self.sorting(params, "stations", errors)
        search = errors.take(self.search, params)
        city = errors.take(self.text, params, "city")
        state = errors.take(self.text, params, "state")
        always_open = errors.take(self.boolean, params, "always_open")
        errors.check()
        return StationQuery(paging, sorting, search, city, state, always_open)

    def session_list(self, params: Params) -> SessionQuery:
        errors = _Errors()
        paging = self.paging(params, errors)
        sorting = self.sorting(params, "sessions", errors)
        search = errors.take(self.search, params)
        start_date = errors.take(self.date, params, "start_date")
        end_date = errors.take(self.date, params, "end_date")
        status = errors.take(self.enum, params, "status", SESSION_STATUSES)
        station = errors.take(self.integer_filter, params, "charge_station_id")
        user_id = errors.take(self.text, params, "user_id")
        if start_date is not None and end_date is not None and start_date > end_date:
            errors.add("start_date", "start_date must not be later than end_date")
        errors.check()
        return SessionQuery(paging, sorting, search, start_date, end_date, status, station, user_id)

    def charger_status(self, params: Params) -> ChargerQuery:
        errors = _Errors()
        lat = errors.take(self.number, params, "lat", -90.0, 90.0)
        lng = errors.take(self.number, params, "lng", -180.0, 180.0)
        radius = errors.take(self.radius, params)
        unit = errors.take(self.enum, params, "radius_unit", RADIUS_UNITS)
        paging = self.paging(params, errors)
        errors.check()
        return ChargerQuery(paging, lat, lng, radius, unit or "km")

    def integer_id(self, raw: str, param: str = "id") -> int:
        """A path id of an integer resource: ASCII digits, >= 1."""
        try:
            return self.positive_integer(raw, param)
        except ParamError as error:
            raise ValidationFailed([error]) from None

    def customer_id(self, raw: str) -> str:
        """A customer id: any non-empty string."""
        if raw == "":
            raise ValidationFailed([ParamError("id", "id must not be empty")])
        return raw

    # ------------------------------------------------------------------------------- pieces
    def single(self, params: Params, name: str) -> str | None:
        """The one value of a parameter, or None when absent; a parameter given twice is an error."""
        values = params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise ParamError(name, f"{name} must be given at most once")
        return values[0]

    def paging(self, params: Params, errors: _Errors) -> Paging:
        page = errors.take(self.page, params)
        pagesize = errors.take(self.pagesize, params)
        return Paging(page or DEFAULT_PAGE, pagesize or DEFAULT_PAGESIZE)

    def page(self, params: Params) -> int:
        raw = self.single(params, "page")
        if raw is None:
            return DEFAULT_PAGE
        message = "page must be an integer >= 1"
        if not _DIGITS.fullmatch(raw):
            raise ParamError("page", message)
        significant = raw.lstrip("0")
        if not significant:
            raise ParamError("page", message)
        if len(significant) > MAX_PAGE_DIGITS:
            raise ParamError("page", f"page must be an integer >= 1 with at most {MAX_PAGE_DIGITS} digits")
        return int(significant)

    def pagesize(self, params: Params) -> int:
        raw = self.single(params, "pagesize")
        if raw is None:
            return DEFAULT_PAGESIZE
        bound = self.max_pagesize
        message = f"pagesize must be an integer between 1 and {bound}"
        if not _DIGITS.fullmatch(raw):
            raise ParamError("pagesize", message)
        significant = raw.lstrip("0")
        if not significant or len(significant) > len(str(bound)) or not 1 <= int(significant) <= bound:
            raise ParamError("pagesize", message)
        return int(significant)

    def sorting(self, params: Params, resource: str, errors: _Errors) -> Sorting:
        field = errors.take(self.sortby, params, resource)
        descending = errors.take(self.orderby, params)
        return Sorting(field or DEFAULT_SORT[resource], bool(descending))

    def sortby(self, params: Params, resource: str) -> str:
        raw = self.single(params, "sortby")
        if raw is None:
            return DEFAULT_SORT[resource]
        allowed = SORT_FIELDS[resource]
        if raw not in allowed:
            names = ", ".join(self.field_name(name) for name in allowed)
            raise ParamError("sortby", f"sortby must be one of: {names}")
        return raw

    def orderby(self, params: Params) -> bool:
        """True for descending."""
        raw = self.single(params, "orderby")
        if raw is None:
            return False
        folded = raw.lower() if raw.isascii() else ""
        if folded not in ("asc", "desc"):
            raise ParamError("orderby", "orderby must be ASC or DESC")
        return folded == "desc"

    def search(self, params: Params) -> str | None:
        raw = self.single(params, "search")
        return raw or None

    def text(self, params: Params, name: str) -> str | None:
        """A free-text filter; empty is the same as absent."""
        raw = self.single(params, name)
        return raw or None

    def enum(self, params: Params, name: str, allowed: tuple[str, ...]) -> str | None:
        raw = self.single(params, name)
        if raw is None:
            return None
        if raw not in allowed:
            raise ParamError(name, f"{name} must be one of: {', '.join(allowed)}")
        return raw

    def boolean(self, params: Params, name: str) -> bool | None:
        raw = self.single(params, name)
        if raw is None:
            return None
        folded = raw.lower() if raw.isascii() else ""
        if folded not in ("true", "false"):
            raise ParamError(name, f"{name} must be true or false")
        return folded == "true"

    def positive_integer(self, raw: str, name: str) -> int:
        """ASCII digits, value >= 1; a value too large for any id becomes :data:`BEYOND_INT64`."""
        if not _DIGITS.fullmatch(raw):
            raise ParamError(name, f"{name} must be an integer >= 1")
        significant = raw.lstrip("0")
        if not significant:
            raise ParamError(name, f"{name} must be an integer >= 1")
        if len(significant) > 19:
            return BEYOND_INT64
        return min(int(significant), BEYOND_INT64)

    def integer_filter(self, params: Params, name: str) -> int | None:
        raw = self.single(params, name)
        if raw is None:
            return None
        return self.positive_integer(raw, name)

    def date(self, params: Params, name: str) -> str | None:
        """``YYYY-MM-DD HH:MM:SS`` (UTC), a real date and time; returned in the stored form."""
        raw = self.single(params, name)
        if raw is None:
            return None
        message = f"{name} must be a date-time in the format YYYY-MM-DD HH:MM:SS"
        if not _DATE.fullmatch(raw):
            raise ParamError(name, message)
        try:
            datetime(int(raw[0:4]), int(raw[5:7]), int(raw[8:10]), int(raw[11:13]), int(raw[14:16]), int(raw[17:19]))
        except ValueError:
            raise ParamError(name, message) from None
        return f"{raw[:10]}T{raw[11:]}Z"

    def number(self, params: Params, name: str, low: float, high: float) -> float:
        """A required finite decimal number within [low, high]."""
        raw = self.single(params, name)
        if raw is None or raw == "":
            raise ParamError(name, f"{name} is required")
        value = self._finite(raw, name)
        if not low <= value <= high:
            raise ParamError(name, f"{name} must be a number between {low:g} and {high:g}")
        return value

    def radius(self, params: Params) -> float:
        raw = self.single(params, "radius")
        if raw is None or raw == "":
            raise ParamError("radius", "radius is required")
        value = self._finite(raw, "radius")
        if not value > 0:
            raise ParamError("radius", "radius must be a number greater than 0")
        return value

    def _finite(self, raw: str, name: str) -> float:
        if not _NUMBER.fullmatch(raw):
            raise ParamError(name, f"{name} must be a decimal number")
        value = float(raw)
        if not math.isfinite(value):
            raise ParamError(name, f"{name} must be a finite number")
        return value
