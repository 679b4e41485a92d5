"""PAGE-01..05: pagination of every list operation, `/chargers/status` included."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from conformance.checks.expect import expect
from conformance.inputs.pagination import fetch_page, walk
from conformance.checks.records import record_key

INVALID_INTEGERS = st.one_of(
    st.sampled_from(["abc", "1.5", "1e2", "+1", " 1", "1 ", "0x10", "", "١"]),  # not plain ASCII digits
    st.integers(max_value=0).map(str),
)


@pytest.mark.requirement("PAGE-01")
@given(data=st.data())
def test_page_and_pagesize_out_of_range_are_validation_errors(data, api, envelope, list_operation, base_query):
    op = list_operation
    pag = op.paging
    param = data.draw(st.sampled_from([pag.page_param, pag.pagesize_param]), label="parameter")
    bad = st.one_of(INVALID_INTEGERS, st.integers(min_value=pag.max_pagesize + 1).map(str)) \
        if param == pag.pagesize_param else INVALID_INTEGERS
    value = data.draw(bad, label="value")
    exchange = api.get(op.path, dict(base_query(op), **{param: value}))
    envelope.expect_error(exchange, "VALIDATION_ERROR", "PAGE-01", f"{param}={value!r} is out of its range")
    expect(param in envelope.error_message(exchange), "PAGE-01",
           f"the error message does not name the parameter {param!r}", exchange)


@pytest.mark.requirement("PAGE-01")
def test_page_and_pagesize_limits_are_exact(api, envelope, list_operation, base_query):
    """The edges, always: pagesize 1 and the maximum are accepted, 0 and maximum + 1 are not; page 0 is not."""
    op = list_operation
    pag = op.paging
    for size in (1, pag.max_pagesize):
        exchange, items, _ = fetch_page(api, envelope, op, base_query(op), 1, size, "PAGE-01")
        expect(len(items) <= size, "PAGE-01", f"pagesize={size} returned {len(items)} items", exchange)
    for param, value in ((pag.pagesize_param, 0), (pag.pagesize_param, pag.max_pagesize + 1),
                         (pag.page_param, 0)):
        exchange = api.get(op.path, dict(base_query(op), **{param: value}))
        envelope.expect_error(exchange, "VALIDATION_ERROR", "PAGE-01", f"{param}={value} is out of its range")


@pytest.mark.requirement("PAGE-01", "PAGE-02")
def test_defaults_are_page_1_and_the_documented_page_size(api, envelope, list_operation, base_query):
    op = list_operation
    pag = op.paging
    exchange = api.get(op.path, base_query(op))
    expect(exchange.status == 200, "PAGE-01", "a list without page parameters was not answered 200", exchange)
    info = envelope.page_info(exchange, op)
    expect(info["page"] == pag.default_page and info["pagesize"] == pag.default_pagesize, "PAGE-02",
           f"defaults should be page={pag.default_page}, pagesize={pag.default_pagesize}; got {info}", exchange)


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
    exchange, items, info = fetch_page(api, envelope, op, query, page, pagesize)
    expect(info["page"] == page and info["pagesize"] == pagesize, "PAGE-02",
           f"pagination does not echo page={page}, pagesize={pagesize}: {info}", exchange)
    expect(info["totalpages"] == math.ceil(info["total"] / pagesize), "PAGE-02",
           f"totalpages={info['totalpages']} but ceil(total/pagesize) = ceil({info['total']}/{pagesize}) = "
           f"{math.ceil(info['total'] / pagesize)}", exchange)
    expected_len = min(pagesize, max(0, info["total"] - (page - 1) * pagesize))
    expect(len(items) == expected_len, "PAGE-03",
           f"page {page} of size {pagesize} with total {info['total']} should hold {expected_len} items, "
           f"it holds {len(items)}", exchange)


@pytest.mark.requirement("PAGE-03")
def test_a_page_past_the_last_is_empty_with_the_same_total(api, envelope, list_operation, base_query):
    op = list_operation
    query = base_query(op)
    _, _, first = fetch_page(api, envelope, op, query, 1, 10)
    for page in (first["totalpages"] + 1, 10**12):
        exchange, items, info = fetch_page(api, envelope, op, query, page, 10)
        expect(items == [] and info["total"] == first["total"], "PAGE-03",
               f"page {page} is past the last ({first['totalpages']}): expected 200 with no items and total "
               f"{first['total']}, got {len(items)} items and total {info['total']}", exchange)


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
    duplicates = sorted({k for k in keys_a if keys_a.count(k) > 1}, key=repr)[:5]
    expect(not duplicates, "PAGE-04", f"records seen on more than one page (pagesize {size_a}): {duplicates}",
           *walk_a.pages[:2])
    if walk_a.complete:
        expect(len(keys_a) == walk_a.total, "PAGE-04",
               f"walking {len(walk_a.pages)} pages of size {size_a} yielded {len(keys_a)} records; total says "
               f"{walk_a.total}", walk_a.pages[-1])
        return
    # The walk stopped at its budget: the first len(keys_a) records, walked again at another page size.
    smallest = min(pag.max_pagesize, math.ceil(len(keys_a) / budget["max_pages"]))
    size_b = data.draw(st.integers(smallest, pag.max_pagesize).filter(lambda s: s != size_a), label="pagesize_b")
    walk_b = walk(api, envelope, op, query, pagesize=size_b, max_pages=math.ceil(len(keys_a) / size_b))
    keys_b = [key(item) for item in walk_b.items][: len(keys_a)]
    mismatch = next((i for i, (a, b) in enumerate(zip(keys_a, keys_b)) if a != b), None)
    expect(mismatch is None and len(keys_b) == len(keys_a), "PAGE-04",
           f"the first {len(keys_a)} records differ between page sizes {size_a} and {size_b}"
           + (f" (first difference at position {mismatch}: {keys_a[mismatch]!r} vs {keys_b[mismatch]!r})"
              if mismatch is not None else f" ({len(keys_b)} records from the second walk)"),
           walk_a.pages[-1], walk_b.pages[-1])


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
    expect(info_a["total"] == info_b["total"], "PAGE-05",
           f"total is {info_a['total']} with pagesize {size_a} but {info_b['total']} with pagesize {size_b}",
           ex_a, ex_b)
    common = min(len(items_a), len(items_b))
    expect([key(i) for i in items_a[:common]] == [key(i) for i in items_b[:common]], "PAGE-05",
           f"the first {common} records differ between pagesize {size_a} and {size_b}", ex_a, ex_b)
    ex_c, items_c, _ = fetch_page(api.fresh(), envelope, op, query, 1, size_a)  # sent again, not read back
    expect(items_a == items_c, "PAGE-05", "the same query twice gave different records or order", ex_a, ex_c)
