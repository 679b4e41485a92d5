"""Deliberate defects of listing: pagination, sorting, search and filters (PAGE-*, SORT-*, SRCH-01, FLT-*).

Each is a mistake a real implementation makes: one component swapped for a subclass overriding as
little as possible (see :mod:`lab.defects`).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from conformance.reference.query import Paging, Params, ParamError, QueryParser, SESSION_STATUSES, TARIFF_TYPES, _Errors
from conformance.reference.repository import CUSTOMERS, SESSIONS, STATIONS, PageResult, Repository, _Table
from conformance.reference.serializer import Serializer

from ..defects import defect

# ----------------------------------------------------------------------------------- PAGE-01..05


@defect("page-01-pagesize-101-accepted", requirement="PAGE-01", component="parser",
        # the answer echoes pagesize 101, over the response schema's maximum: ENV-01 rightly fails
        collateral=("ENV-01",),
        description="the pagesize bound check is off by one: pagesize=101 (the bound + 1: 51 in the bare "
                    "dialect) is accepted")
class PagesizeOffByOneParser(QueryParser):
    def pagesize(self, params: Params) -> int:
        if self.single(params, "pagesize") == str(self.max_pagesize + 1):
            return self.max_pagesize + 1
        return super().pagesize(params)


@defect("page-01-pagesize-over-max-clamped", requirement="PAGE-01", component="parser",
        description="a pagesize over the bound (100; 50 in the bare dialect) is silently served as the bound "
                    "instead of a 400")
class PagesizeClampedParser(QueryParser):
    def pagesize(self, params: Params) -> int:
        raw = self.single(params, "pagesize")
        if raw is not None and raw.isascii() and raw.isdigit() and int(raw) > self.max_pagesize:
            return self.max_pagesize
        return super().pagesize(params)


@defect("page-02-totalpages-floor", requirement="PAGE-02", component="serializer",
        collateral=("PAGE-03", "PAGE-04", "GEO-03"),
        description="totalpages is total // pagesize (rounded down) instead of ceil(total / pagesize)")
class TotalPagesFloorSerializer(Serializer):
    def list_body(self, result, item):
        body = super().list_body(result, item)
        body["pagination"]["totalpages"] = result.total // result.paging.pagesize
        return body


@defect("page-03-past-last-page-repeats-last", requirement="PAGE-03", component="repository",
        collateral=("PAGE-02",),
        description="a page past the last returns the last page again instead of an empty list")
class RepeatLastPageRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        result = super().list(table, tenant_id, conditions, args, sorting, paging)
        if result.items or result.total == 0:
            return result
        last = Paging((result.total - 1) // paging.pagesize + 1, paging.pagesize)
        return PageResult(super().list(table, tenant_id, conditions, args, sorting, last).items, result.total, paging)


class _EarlyPaging(Paging):
    @property
    def offset(self) -> int:
        return max(0, super().offset - 1)


@defect("page-04-offset-off-by-one", requirement="PAGE-04", component="parser",
        collateral=("PAGE-02", "PAGE-03"),
        description="page n > 1 starts one record early: its first record repeats the last of page n-1")
class OffsetOffByOneParser(QueryParser):
    def paging(self, params: Params, errors: _Errors) -> Paging:
        paging = super().paging(params, errors)
        return _EarlyPaging(paging.page, paging.pagesize)


@defect("page-05-unstable-order-without-tiebreak", requirement="PAGE-05", component="repository",
        collateral=("PAGE-04", "SORT-02", "TEN-02"),
        description="records that tie on the sort field come in a random order (no tiebreak by id)")
class NoTiebreakRepository(Repository):
    def order_by(self, table, sorting):
        clean = super().order_by(table, sorting)
        column, _ = table.sort[sorting.field]
        if column == table.key:
            return clean
        return clean.rsplit(",", 1)[0] + f", (({table.key} * {random.randrange(1, 1 << 30)}) % 1000003)"


#: Like a search engine's result window: no more than this many pages of any list can be reached.
_RESULT_WINDOW_PAGES = 50


@defect("page-05-total-depends-on-pagesize", requirement="PAGE-05", component="repository",
        description="lists are cut to a window of 50 pages and total counts the window, so total depends on pagesize")
class ResultWindowRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        result = super().list(table, tenant_id, conditions, args, sorting, paging)
        window = _RESULT_WINDOW_PAGES * paging.pagesize
        if result.total <= window:
            return result
        items = result.items[: max(0, window - paging.offset)]
        return PageResult(items, window, paging)


# ------------------------------------------------------------------------------------ SORT-01/02


@defect("sort-01-orderby-case-sensitive", requirement="SORT-01", component="parser",
        description="orderby accepts only ASC and DESC in upper case: asc or Desc is a 400")
class CaseSensitiveOrderParser(QueryParser):
    def orderby(self, params: Params) -> bool:
        raw = self.single(params, "orderby")
        if raw is not None and raw not in ("ASC", "DESC"):
            raise ParamError("orderby", "orderby must be ASC or DESC")
        return super().orderby(params)


@defect("sort-01-lowercase-desc-ignored", requirement="SORT-01", component="parser",
        description="orderby=desc in lower or mixed case is accepted but sorts ascending")
class LowercaseDescIgnoredParser(QueryParser):
    def orderby(self, params: Params) -> bool:
        return super().orderby(params) and self.single(params, "orderby") == "DESC"


@defect("sort-02-strings-case-sensitive", requirement="SORT-02", component="repository",
        description="string fields sort by their raw value (upper case before lower case), not case-insensitively")
class CaseSensitiveSortRepository(Repository):
    def order_by(self, table, sorting):
        return super().order_by(table, sorting).replace("_lc ", " ")


@defect("sort-02-tiebreak-always-asc", requirement="SORT-02", component="repository",
        description="ties are broken by id ascending even when sorting DESC (ORDER BY x DESC, id)")
class TiebreakAscRepository(Repository):
    def order_by(self, table, sorting):
        clean = super().order_by(table, sorting)
        return clean[: -len(" DESC")] + " ASC" if clean.endswith(f"{table.key} DESC") and "," in clean else clean


@defect("sort-02-sortby-unknown-ignored", requirement="SORT-02", component="parser",
        description="an unknown sortby field is ignored (default sort) instead of a 400")
class UnknownSortIgnoredParser(QueryParser):
    def sortby(self, params: Params, resource: str) -> str:
        try:
            return super().sortby(params, resource)
        except ParamError:
            return super().sortby({}, resource)


@defect("sort-02-sessions-default-id", requirement="SORT-02", component="parser",
        description="sessions without sortby are sorted by id, not by the documented default start_time")
class SessionsDefaultIdParser(QueryParser):
    def sortby(self, params: Params, resource: str) -> str:
        if resource == "sessions" and self.single(params, "sortby") is None:
            return "id"
        return super().sortby(params, resource)


# --------------------------------------------------------------------------------------- SRCH-01


@defect("srch-01-like-wildcards", requirement="SRCH-01", component="repository",
        description="search is LIKE '%term%' without escaping: % and _ in the term act as wildcards")
class LikeSearchRepository(Repository):
    def search_condition(self, table: _Table, search: str | None):
        if not search:
            return [], []
        condition = " OR ".join(f"{column} LIKE ?" for column in table.search)
        return [f"({condition})"], [f"%{search.lower()}%"] * len(table.search)


@defect("srch-01-misses-phone", requirement="SRCH-01", component="repository",
        description="customer search looks at name and email only, not phone")
class NoPhoneSearchRepository(Repository):
    def search_condition(self, table: _Table, search: str | None):
        if table is CUSTOMERS:
            table = dataclasses.replace(table, search=tuple(c for c in table.search if c != "phone_lc"))
        return super().search_condition(table, search)


@defect("srch-01-case-sensitive", requirement="SRCH-01", component="repository",
        description="search compares the term with the raw values, so it is case-sensitive")
class CaseSensitiveSearchRepository(Repository):
    def search_condition(self, table: _Table, search: str | None):
        if not search:
            return [], []
        condition = " OR ".join(f"instr({column.removesuffix('_lc')}, ?) > 0" for column in table.search)
        return [f"({condition})"], [search] * len(table.search)


# ------------------------------------------------------------------------------- filters by resource


@defect("flt-tar-01-type-filter-ignored", requirement="FLT-TAR-01", component="repository",
        description="the tariff type filter is validated but not applied")
class TypeIgnoredRepository(Repository):
    def tariffs(self, tenant_id, query):
        return super().tariffs(tenant_id, dataclasses.replace(query, type=None))


@defect("flt-tar-01-type-case-insensitive", requirement="FLT-TAR-01", component="parser",
        description="the tariff type filter accepts energy or Energy instead of refusing them")
class TypeCaseInsensitiveParser(QueryParser):
    def enum(self, params: Params, name: str, allowed: tuple[str, ...]):
        raw = self.single(params, name)
        if allowed == TARIFF_TYPES and raw is not None and raw.upper() in allowed:
            return raw.upper()
        return super().enum(params, name, allowed)


@defect("flt-tar-02-isactive-case-sensitive", requirement="FLT-TAR-02", component="parser",
        description="isactive accepts only lower-case true/false: TRUE or False is a 400")
class IsActiveCaseSensitiveParser(QueryParser):
    def boolean(self, params: Params, name: str):
        raw = self.single(params, name)
        if name == "isactive" and raw is not None and raw not in ("true", "false"):
            raise ParamError(name, f"{name} must be true or false")
        return super().boolean(params, name)


@defect("flt-sta-01-city-substring-match", requirement="FLT-STA-01", component="repository",
        description="the city filter matches substrings: city=Mumbai also returns Navi Mumbai")
class CitySubstringRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        if table is STATIONS:
            conditions = [c.replace("city_lc = ?", "instr(city_lc, ?) > 0") for c in conditions]
        return super().list(table, tenant_id, conditions, args, sorting, paging)


@defect("flt-sta-02-always-open-inverted", requirement="FLT-STA-02", component="parser",
        description="always_open=true returns the stations that are not always open, and vice versa")
class AlwaysOpenInvertedParser(QueryParser):
    def boolean(self, params: Params, name: str):
        value = super().boolean(params, name)
        return (not value) if name == "always_open" and value is not None else value


@defect("flt-ses-01-end-date-exclusive", requirement="FLT-SES-01", component="repository",
        description="end_date is exclusive: a session starting exactly at end_date is left out")
class EndDateExclusiveRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        if table is SESSIONS:
            conditions = [c.replace("start_time <= ?", "start_time < ?") for c in conditions]
        return super().list(table, tenant_id, conditions, args, sorting, paging)


@defect("flt-ses-01-dates-read-as-ist", requirement="FLT-SES-01", component="parser",
        description="start_date and end_date are read as IST (UTC+05:30), not as UTC")
class DatesAsIstParser(QueryParser):
    def date(self, params: Params, name: str):
        stored = super().date(params, name)
        if stored is None:
            return None
        utc = datetime.strptime(stored, "%Y-%m-%dT%H:%M:%SZ") - timedelta(hours=5, minutes=30)
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


@defect("flt-ses-01-lenient-date-format", requirement="FLT-SES-01", component="parser",
        description="dates in other ISO forms (2026-01-31, 2026-01-31T10:00:00Z) are accepted instead of a 400")
class LenientDateParser(QueryParser):
    def date(self, params: Params, name: str):
        raw = self.single(params, name)
        try:
            return super().date(params, name)
        except ParamError:
            try:
                parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                raise ParamError(name, f"{name} must be a date-time") from None
            return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


@defect("flt-ses-02-status-filter-ignored", requirement="FLT-SES-02", component="repository",
        description="the session status filter is validated but not applied")
class StatusIgnoredRepository(Repository):
    def sessions(self, tenant_id, query):
        return super().sessions(tenant_id, dataclasses.replace(query, status=None))


@defect("flt-ses-02-status-condition-inverted", requirement="FLT-SES-02", component="repository",
        description="the status condition is inverted (found by mutation): without a status the list holds no "
                    "session, with one the filter is not applied")
class StatusInvertedRepository(Repository):
    def sessions(self, tenant_id, query):
        if query.status is None:
            return PageResult([], 0, query.paging)
        return super().sessions(tenant_id, dataclasses.replace(query, status=None))


@defect("flt-ses-02-status-widens-the-list", requirement="FLT-SES-02", component="repository",
        description="the status filter is applied, but the list without one holds no session: a filtered answer "
                    "holds records the list does not")
class StatusWidensRepository(Repository):
    def sessions(self, tenant_id, query):
        if query.status is None:
            return PageResult([], 0, query.paging)
        return super().sessions(tenant_id, query)


@defect("flt-ses-02-status-case-insensitive", requirement="FLT-SES-02", component="parser",
        description="the session status filter accepts stopped or Stopped instead of refusing them")
class StatusCaseInsensitiveParser(QueryParser):
    def enum(self, params: Params, name: str, allowed: tuple[str, ...]):
        raw = self.single(params, name)
        if allowed == SESSION_STATUSES and raw is not None and raw.upper() in allowed:
            return raw.upper()
        return super().enum(params, name, allowed)


@defect("flt-ses-02-user-id-prefix-match", requirement="FLT-SES-02", component="repository",
        description="user_id matches as a prefix (LIKE 'user1%'): user1 also returns user10's sessions")
class UserPrefixRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        if table is SESSIONS:
            conditions = [c.replace("user_id = ?", "instr(user_id, ?) = 1") for c in conditions]
        return super().list(table, tenant_id, conditions, args, sorting, paging)


@defect("flt-ses-02-station-id-zero-accepted", requirement="FLT-SES-02", component="parser",
        collateral=("FLT-01",),
        description="charge_station_id=0 or -1 is accepted (and matches nothing) instead of a 400")
class StationIdZeroParser(QueryParser):
    def integer_filter(self, params: Params, name: str):
        raw = self.single(params, name)
        if raw is not None and raw.lstrip("-").isascii() and raw.lstrip("-").isdigit() and int(raw) < 1:
            return 2 ** 63
        return super().integer_filter(params, name)


# ------------------------------------------------------------------------------------ FLT-01/02


@defect("flt-01-filters-or-instead-of-and", requirement="FLT-01", component="repository",
        description="filters and search are combined with OR instead of AND (a date range stays one condition)")
class FiltersOrRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        pairs, used = [], 0  # each condition with its arguments
        for condition in conditions:
            pairs.append((condition, args[used:used + condition.count("?")]))
            used += condition.count("?")
        bounds = [pair for pair in pairs if pair[0].startswith("start_time ")]  # one range: start_time BETWEEN
        pairs = [pair for pair in pairs if pair not in bounds]
        if bounds:
            pairs.append(("(" + " AND ".join(c for c, _ in bounds) + ")", [a for _, more in bounds for a in more]))
        if len(pairs) > 1:
            pairs = [("(" + " OR ".join(c for c, _ in pairs) + ")", [a for _, more in pairs for a in more])]
        return super().list(table, tenant_id, [c for c, _ in pairs], [a for _, more in pairs for a in more],
                            sorting, paging)


@defect("flt-01-total-ignores-filter", requirement="FLT-01", component="repository",
        description="total counts the unfiltered list, not the filtered set")
class TotalIgnoresFilterRepository(Repository):
    def list(self, table, tenant_id, conditions, args, sorting, paging):
        result = super().list(table, tenant_id, conditions, args, sorting, paging)
        everything = super().list(table, tenant_id, [], [], sorting, Paging(1, 1))
        return PageResult(result.items, everything.total, paging)


#: Every query parameter of any list endpoint: a whitelist shared by all of them.
_KNOWN_PARAMS = {"page", "pagesize", "search", "sortby", "orderby", "type", "isactive", "city", "state",
                 "always_open", "start_date", "end_date", "status", "charge_station_id", "user_id", "lat", "lng",
                 "radius", "radius_unit"}


@defect("flt-02-unknown-param-400", requirement="FLT-02", component="parser",
        description="a query parameter the endpoint does not know is a 400 instead of being ignored")
class UnknownParamParser(QueryParser):
    def paging(self, params: Params, errors: _Errors) -> Paging:
        for name in sorted(set(params) - _KNOWN_PARAMS):
            errors.add(name, f"unknown parameter {name}")
        return super().paging(params, errors)
