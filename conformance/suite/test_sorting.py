"""SORT-01, SORT-02: `orderby` and `sortby` of every resource list.

Parameter names, sortable fields and their kinds, the default field and order, and the tiebreak
field all come from `x-resource.sort` in the spec.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

from conformance.checks.expect import expect, first_difference, request_text, shown
from conformance.inputs.pagination import fetch_page, walk
from conformance.checks import timestamps
from conformance.checks.records import record_key
from conformance.inputs.strategies import QUERY_TEXT, mixed_case

def sort_query(op, field: str | None = None, order: str | None = None) -> dict[str, str]:
    sort = op.resource_view.sort
    query = {}
    if field is not None:
        query[sort.sortby_param] = field
    if order is not None:
        query[sort.orderby_param] = order
    return query


def column(items: list[dict[str, Any]], field: str) -> list[Any]:
    """The values of ``field`` in order: what an order is judged by (how ties are broken is SORT-02's
    business, checked on its own)."""
    return [item.get(field) for item in items]


def fetch(api, envelope, op, query: dict[str, Any], requirement_id: str):
    """The first page (largest page size) of ``op`` with ``query``: the exchange and its records."""
    exchange, items, _ = fetch_page(api, envelope, op, query, 1, op.paging.max_pagesize, requirement_id)
    return exchange, items


def descending(order: str) -> bool:
    return order.upper() == "DESC"


def need_records(op, first_page, at_least: int = 2) -> list[dict[str, Any]]:
    items = first_page(op)
    if len(items) < at_least:
        pytest.skip(f"not run: no data: {op.operation_id} has fewer than {at_least} records")
    return items


# ------------------------------------------------------------------------------ order checking

def _sign(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _comparable(value: Any) -> Any:
    """A timestamp to compare: parsed, or its text when it is not ISO 8601."""
    parsed = timestamps.parse(value)
    return str(value) if parsed is None else parsed


def comparisons(kind: str, a: Any, b: Any) -> set[int]:
    """How ``a`` compares to ``b`` in ascending order (-1, 0, 1). Nulls sort after every value.
    Strings compare case-insensitively; ``str.lower`` and ``str.casefold`` disagree on a few
    characters (e.g. ``ß``) and the contract does not choose, so both outcomes are accepted."""
    if a is None or b is None:
        return {(a is None) - (b is None)}
    if kind == "string":
        return {_sign(fold(str(a)), fold(str(b))) for fold in (str.lower, str.casefold)}
    if kind == "timestamp":
        a, b = _comparable(a), _comparable(b)
        if type(a) is not type(b):
            a, b = str(a), str(b)
        return {_sign(a, b)}
    if kind in ("integer", "number"):
        try:
            number = lambda v: v if isinstance(v, (int, float)) else float(v)  # noqa: E731
            return {_sign(number(a), number(b))}
        except (TypeError, ValueError):
            return {_sign(str(a), str(b))}
    return {_sign(str(a), str(b))}


def in_order(op, field: str, descending: bool, first: dict[str, Any], second: dict[str, Any]) -> bool:
    """``first`` may come before ``second`` when sorting by ``field``, ties by the tiebreak field."""
    sort = op.resource_view.sort
    tiebreak = sort.tiebreak
    tiebreak_kind = sort.fields.get(tiebreak, "string")
    direction = -1 if descending else 1
    for outcome in comparisons(sort.fields[field], first.get(field), second.get(field)):
        if outcome * direction < 0:
            return True
        if outcome == 0 and any(t * direction <= 0 for t in
                                comparisons(tiebreak_kind, first.get(tiebreak), second.get(tiebreak))):
            return True
    return False


def expect_ordered(op, field: str, descending: bool, items: list[dict[str, Any]], *exchanges, where: str = "") -> None:
    """Every neighbouring pair of ``items`` is in order (SORT-02)."""
    __tracebackhide__ = True
    sort = op.resource_view.sort
    key = record_key(op)
    for position, (first, second) in enumerate(zip(items, items[1:])):
        if not in_order(op, field, descending, first, second):
            order = "DESC" if descending else "ASC"
            folded = " (strings in any case)" if sort.fields[field] == "string" else ""
            expect(False, "SORT-02", f"the order of the records of GET {op.path} sorted by {field} {order}{where}",
                   *exchanges, expected=f"{field} {order}{folded}, ties by {sort.tiebreak} {order}, nulls last in ASC",
                   got=f"record {shown(key(first))} ({field} {shown(first.get(field))}) before record "
                       f"{shown(key(second))} ({field} {shown(second.get(field))}), at positions {position + 1} "
                       f"and {position + 2}")


# -------------------------------------------------------------------------------------- SORT-01

@pytest.mark.requirement("SORT-01")
@given(data=st.data())
def test_orderby_accepts_asc_and_desc_in_any_case(data, api, envelope, resource_operation, first_page):
    op = resource_operation
    sort = op.resource_view.sort
    need_records(op, first_page)
    field = data.draw(st.sampled_from(sorted(sort.fields)), label="sortby")
    order = data.draw(st.sampled_from(sort.orders), label="order")
    spelled = data.draw(mixed_case(order), label="orderby")
    canonical, expected = fetch(api, envelope, op, sort_query(op, field, order), "SORT-01")
    exchange, items = fetch(api, envelope, op, sort_query(op, field, spelled), "SORT-01")
    expect(column(items, field) == column(expected, field), "SORT-01",
           f"the order of {request_text(op.path, sort_query(op, field, spelled))}", exchange, canonical,
           expected=f"the order orderby={shown(order)} gives: orderby in any case",
           got=first_difference(column(items, field), column(expected, field), f"with orderby={shown(spelled)}",
                                f"with {shown(order)}", noun=field))


@pytest.mark.requirement("SORT-01")
def test_orderby_defaults_to_asc(api, envelope, resource_operation, first_page):
    op = resource_operation
    sort = op.resource_view.sort
    need_records(op, first_page)
    for field in [None, *sorted(sort.fields)]:
        ex_implicit, implicit = fetch(api, envelope, op, sort_query(op, field), "SORT-01")
        ex_explicit, explicit = fetch(api, envelope, op, sort_query(op, field, sort.default_order), "SORT-01")
        by = field or sort.default
        expect(column(implicit, by) == column(explicit, by), "SORT-01",
               f"the order of {request_text(op.path, sort_query(op, field))} without orderby", ex_implicit, ex_explicit,
               expected=f"the order orderby={shown(sort.default_order)} gives (the default)",
               got=first_difference(column(implicit, by), column(explicit, by), "without orderby",
                                    f"with orderby={shown(sort.default_order)}", noun=by))


@pytest.mark.requirement("SORT-01")
@given(data=st.data())
def test_other_orderby_values_are_validation_errors(data, api, envelope, resource_operation):
    op = resource_operation
    sort = op.resource_view.sort
    orders = {order.lower() for order in sort.orders}

    def not_an_order(value: str) -> bool:
        return not {value.lower(), value.casefold(), value.upper().lower()} & orders

    obvious = [f"{o}ending" for o in orders] + [" " + o for o in sort.orders] + [o + " " for o in sort.orders] \
        + [",".join(sort.orders), "up", "down", "1", "-1", "+", "-", "random", sort.orders[0][:-1]]
    value = data.draw(st.one_of(st.sampled_from(obvious), QUERY_TEXT).filter(not_an_order), label="orderby")
    asked = request_text(op.path, sort_query(op, order=value))
    exchange = api.get(op.path, sort_query(op, order=value))
    envelope.expect_error(exchange, "VALIDATION_ERROR", "SORT-01", f"{asked} (neither ASC nor DESC)")
    envelope.expect_message_names(exchange, [sort.orderby_param], "SORT-01", asked)


# -------------------------------------------------------------------------------------- SORT-02

@pytest.mark.requirement("SORT-02")
def test_every_sortable_field_orders_the_records_both_ways(api, envelope, resource_operation, first_page):
    op = resource_operation
    sort = op.resource_view.sort
    need_records(op, first_page)
    for field in sorted(sort.fields):
        for order in sort.orders:
            exchange, items = fetch(api, envelope, op, sort_query(op, field, order), "SORT-02")
            expect_ordered(op, field, descending(order), items, exchange)


@pytest.mark.requirement("SORT-02")
@given(data=st.data())
def test_sort_order_holds_across_page_boundaries(data, api, envelope, resource_operation, first_page, budget):
    op = resource_operation
    sort = op.resource_view.sort
    known = need_records(op, first_page)
    field = data.draw(st.sampled_from(sorted(sort.fields)), label="sortby")
    order = data.draw(st.sampled_from(sort.orders), label="orderby")
    pagesize = data.draw(st.integers(1, max(1, min(len(known) - 1, op.paging.max_pagesize))), label="pagesize")
    pages = walk(api, envelope, op, sort_query(op, field, order), pagesize=pagesize,
                 max_pages=max(2, min(3, budget["max_pages"])), requirement_id="SORT-02", judge_paging=False)
    expect_ordered(op, field, descending(order), pages.records, *pages.pages[:2],
                   where=f" across pages of size {pagesize}")


@pytest.mark.requirement("SORT-02")
def test_default_sort_field_is_the_documented_one(api, envelope, resource_operation, first_page):
    op = resource_operation
    sort = op.resource_view.sort
    need_records(op, first_page)
    for order in [None, *sort.orders]:
        ex_implicit, implicit = fetch(api, envelope, op, sort_query(op, order=order), "SORT-02")
        ex_explicit, explicit = fetch(api, envelope, op, sort_query(op, sort.default, order), "SORT-02")
        expect(column(implicit, sort.default) == column(explicit, sort.default), "SORT-02",
               f"the order of {request_text(op.path, sort_query(op, order=order))} without sortby", ex_implicit,
               ex_explicit, expected=f"the order sortby={shown(sort.default)} gives (the default)",
               got=first_difference(column(implicit, sort.default), column(explicit, sort.default), "without sortby",
                                    f"with sortby={shown(sort.default)}", noun=sort.default))
        expect_ordered(op, sort.default, descending(order or sort.default_order), implicit, ex_implicit,
                       where=" (no sortby given)")


@pytest.mark.requirement("SORT-02")
@given(data=st.data())
def test_other_sortby_values_are_validation_errors(data, api, envelope, resource_operation, first_page, iris_spec):
    op = resource_operation
    sort = op.resource_view.sort
    fields = set(sort.fields)
    wrong_case = {variant for field in fields for variant in (field.upper(), field.capitalize(), field.title())}
    record_fields = {name for item in first_page(op)[:1] for name in item}
    other_fields = {name for other in iris_spec.resource_list_operations for name in other.resource_view.sort.fields}
    candidates = sorted((wrong_case | record_fields | other_fields | {"random", "-id", "id DESC", "id,name"}) - fields)
    value = data.draw(st.one_of(st.sampled_from(candidates), QUERY_TEXT).filter(lambda v: v not in fields),
                      label="sortby")
    asked = request_text(op.path, sort_query(op, field=value))
    exchange = api.get(op.path, sort_query(op, field=value))
    envelope.expect_error(exchange, "VALIDATION_ERROR", "SORT-02", f"{asked} (not a sortable field)")
    envelope.expect_message_names(exchange, [sort.sortby_param], "SORT-02", asked)
