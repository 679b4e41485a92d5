"""PAGE-01..05: pagination of every list operation, `/chargers/status` included."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from conformance.checks.expect import counted, expect, first_difference, request_text
from conformance.inputs.pagination import expect_each_record_once, fetch_page, walk
from conformance.checks.records import record_key
from conformance.inputs.strategies import not_positive_integers

@pytest.mark.requirement("PAGE-01")
@given(data=st.data())
def test_page_and_pagesize_out_of_range_are_validation_errors(data, api, envelope, list_operation, base_query):
    """Every spelling that is not an integer >= 1 in plain ASCII digits (signs, spaces, decimals,
    exponents, hex, underscores, non-ASCII digits, text), and integers out of range of any magnitude."""
    op = list_operation
    pag = op.paging
    param = data.draw(st.sampled_from([pag.page_param, pag.pagesize_param]), label="parameter")
    bad = st.one_of(st.just(""), not_positive_integers(pag.max_pagesize if param == pag.pagesize_param else None))
    value = data.draw(bad, label="value")
    query = dict(base_query(op), **{param: value})
    exchange = api.get(op.path, query)
    envelope.expect_error(exchange, "VALIDATION_ERROR", "PAGE-01",
                          f"{request_text(op.path, query)} ({param} not an integer in its range)")
    envelope.expect_message_names(exchange, [param], "PAGE-01", request_text(op.path, query))


@pytest.mark.requirement("PAGE-01")
def test_page_and_pagesize_limits_are_exact(api, envelope, list_operation, base_query):
    """The edges, always: pagesize 1 and the maximum are accepted, 0 and maximum + 1 are not; page 0 is not."""
    op = list_operation
    pag = op.paging
    for size in (1, pag.max_pagesize):
        exchange, items, _ = fetch_page(api, envelope, op, base_query(op), 1, size, "PAGE-01")
        asked = request_text(op.path, {**base_query(op), pag.page_param: 1, pag.pagesize_param: size})
        expect(len(items) <= size, "PAGE-01", f"the items of {asked}", exchange, expected=f"at most {size} items",
               got=f"{counted(len(items), 'item')}")
    for param, value in ((pag.pagesize_param, 0), (pag.pagesize_param, pag.max_pagesize + 1),
                         (pag.page_param, 0)):
        query = dict(base_query(op), **{param: value})
        exchange = api.get(op.path, query)
        envelope.expect_error(exchange, "VALIDATION_ERROR", "PAGE-01",
                              f"{request_text(op.path, query)} ({param} just outside its range)")


@pytest.mark.requirement("PAGE-01", "PAGE-02")
def test_defaults_are_page_1_and_the_documented_page_size(api, envelope, list_operation, base_query):
    op = list_operation
    pag = op.paging
    exchange = api.get(op.path, base_query(op))
    expect(exchange.status == 200, "PAGE-01", f"{request_text(op.path, base_query(op))} without page parameters",
           exchange, expected="HTTP 200")
    info = envelope.page_info(exchange, op)
    expect(info["page"] == pag.default_page and info["pagesize"] == pag.default_pagesize, "PAGE-02",
           f"the page and pagesize {request_text(op.path, base_query(op))} without page parameters reports", exchange,
           expected=f"the defaults page {pag.default_page} and pagesize {pag.default_pagesize}",
           got=f"page {info['page']} and pagesize {info['pagesize']}")


@pytest.mark.requirement("PAGE-02", "PAGE-03")
@given(data=st.data())
def test_page_arithmetic(data, api, envelope, list_operation, base_query):
    op = list_operation
    pag = op.paging
    query = base_query(op)
    pagesize = data.draw(st.integers(1, pag.max_pagesize), label="pagesize")
    _, _, first = fetch_page(api, envelope, op, query, 1, pagesize)
    total = first["total"]
    page = data.draw(st.integers(1, max(1, math.ceil(total / pagesize)) + 2), label="page")
    exchange, items, info = fetch_page(api, envelope, op, query, page, pagesize, broken=[])  # its length: below
    asked = request_text(op.path, {**query, pag.page_param: page, pag.pagesize_param: pagesize})
    expect(info["page"] == page and info["pagesize"] == pagesize, "PAGE-02", f"the page and pagesize {asked} reports",
           exchange, expected=f"page {page} and pagesize {pagesize}, as asked",
           got=f"page {info['page']} and pagesize {info['pagesize']}")
    expect(info["totalpages"] == math.ceil(info["total"] / pagesize), "PAGE-02", f"totalpages of {asked}", exchange,
           expected=f"ceil(total / pagesize) = ceil({info['total']} / {pagesize}) = "
                    f"{math.ceil(info['total'] / pagesize)}", got=f"totalpages {info['totalpages']}")
    expected_len = min(pagesize, max(0, info["total"] - (page - 1) * pagesize))
    expect(len(items) == expected_len, "PAGE-03", f"the length of {asked} and total {info['total']}", exchange,
           expected=f"{expected_len} items (the page size, or what remains of total after the pages before it)",
           got=f"{counted(len(items), 'item')}", judged_all=True)  # PAGE-02 was judged above


@pytest.mark.requirement("PAGE-03")
def test_a_page_past_the_last_is_empty_with_the_same_total(api, envelope, list_operation, base_query):
    op = list_operation
    query = base_query(op)
    _, _, first = fetch_page(api, envelope, op, query, 1, 10)
    last = -(-first["total"] // 10)  # by total: a wrong totalpages is PAGE-02's finding, not this test's
    for page in (last + 1, 10**12):
        exchange, items, info = fetch_page(api, envelope, op, query, page, 10)
        expect(items == [] and info["total"] == first["total"], "PAGE-03",
               f"{request_text(op.path, {**query, op.paging.page_param: page, op.paging.pagesize_param: 10})}, past "
               f"the last page ({last}: ceil(total {first['total']} / 10))", exchange,
               expected=f"HTTP 200 with no items and total {first['total']}",
               got=f"{counted(len(items), 'item')} and total {info['total']}")


@pytest.mark.requirement("PAGE-04")
@given(data=st.data())
def test_walking_all_pages_yields_every_record_once(data, api, envelope, list_operation, base_query, budget):
    """A full walk when it fits the page budget; otherwise the same prefix walked at two page sizes
    must hold the same records in the same order (a skipped or repeated record shows either way)."""
    op = list_operation
    pag = op.paging
    key = record_key(op)
    query = dict(base_query(op))
    if op.resource_view:
        sort = op.resource_view.sort
        query[sort.sortby_param] = data.draw(st.sampled_from(sorted(sort.fields)), label="sortby")
        query[sort.orderby_param] = data.draw(st.sampled_from(sort.orders), label="orderby")
    size_a = data.draw(st.integers(1, pag.max_pagesize), label="pagesize")
    walk_a = walk(api, envelope, op, query, pagesize=size_a, max_pages=budget["max_pages"])
    keys_a = [key(item) for item in walk_a.items]
    expect_each_record_once(op, query, size_a, keys_a, walk_a)
    if walk_a.complete:
        return
    # The walk stopped at its budget: the first len(keys_a) records, walked again at another page size.
    smallest = min(pag.max_pagesize, math.ceil(len(keys_a) / budget["max_pages"]))
    size_b = data.draw(st.integers(smallest, pag.max_pagesize).filter(lambda s: s != size_a), label="pagesize_b")
    walk_b = walk(api, envelope, op, query, pagesize=size_b, max_pages=math.ceil(len(keys_a) / size_b))
    keys_b = [key(item) for item in walk_b.items][: len(keys_a)]
    mismatch = next((i for i, (a, b) in enumerate(zip(keys_a, keys_b)) if a != b), None)
    expect(mismatch is None and len(keys_b) == len(keys_a), "PAGE-04",
           f"the first {len(keys_a)} records of {request_text(op.path, query)} walked with pagesize {size_a} and "
           f"with pagesize {size_b}", walk_a.pages[-1], walk_b.pages[-1],
           expected="the same records in the same order",
           got=first_difference(keys_a, keys_b, f"with pagesize {size_a}", f"with pagesize {size_b}"))


@pytest.mark.requirement("PAGE-05")
@given(data=st.data())
def test_total_and_order_are_stable(data, api, envelope, list_operation, base_query):
    op = list_operation
    pag = op.paging
    query = base_query(op)
    key = record_key(op)
    size_a = data.draw(st.integers(1, pag.max_pagesize), label="pagesize_a")
    size_b = data.draw(st.integers(1, pag.max_pagesize), label="pagesize_b")
    ex_a, items_a, info_a = fetch_page(api, envelope, op, query, 1, size_a)
    ex_b, items_b, info_b = fetch_page(api, envelope, op, query, 1, size_b)
    both = f"{request_text(op.path, {**query, pag.page_param: 1, pag.pagesize_param: size_a})} and with pagesize " \
           f"{size_b}"
    expect(info_a["total"] == info_b["total"], "PAGE-05", f"total of {both}", ex_a, ex_b,
           expected="the same total whatever the page size",
           got=f"total {info_a['total']} with pagesize {size_a}, {info_b['total']} with pagesize {size_b}")
    common = min(len(items_a), len(items_b))
    keys_a, keys_b = [key(i) for i in items_a[:common]], [key(i) for i in items_b[:common]]
    expect(keys_a == keys_b, "PAGE-05", f"the first {common} records of {both}", ex_a, ex_b,
           expected="the same records in the same order",
           got=first_difference(keys_a, keys_b, f"with pagesize {size_a}", f"with pagesize {size_b}"))
    ex_c, items_c, _ = fetch_page(api.fresh(), envelope, op, query, 1, size_a)  # sent again, not read back
    keys_c = [key(i) for i in items_c]
    expect(items_a == items_c, "PAGE-05",
           f"{request_text(op.path, {**query, pag.page_param: 1, pag.pagesize_param: size_a})} sent twice", ex_a, ex_c,
           expected="the same records in the same order both times",
           got=first_difference([key(i) for i in items_a], keys_c, "the first time", "the second time")
               if [key(i) for i in items_a] != keys_c else "the same records with other values")

