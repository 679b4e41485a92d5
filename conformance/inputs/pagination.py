"""Walking a list operation page by page, the way PAGE-04 describes, within a request bound.

A page and a walk check what every test that reads them relies on, and blame a break on the
requirement it breaks: a 5xx is TRN-04's, a body without the envelope ENV-01's, a pagination object
without its integers PAGE-02's, a page of the wrong length PAGE-03's, a complete walk with a
repeated record or a count other than ``total`` PAGE-04's, a total that changes between pages
PAGE-05's. A valid request refused (4xx) is the caller's ``requirement_id``'s.

The pagination tests judge those (``judge_paging``, the default). A test of another requirement
walks leniently (``judge_paging=False``): what breaks in the pagination itself (a page of another
length, a record on two pages, a count other than total, a total that changed) is noted in
:attr:`Walk.broken` rather than raised, and the test judges its own requirement on the records it
did get (:attr:`Walk.records`: each once, in the order first seen): a walk that lost a record still
shows whether the records it saw are sorted. Only where it needs every record (a completeness check
that found a record missing) is it blocked by the pagination's failure (:meth:`Walk.need_every_record`).
A break it cannot read past (no envelope, no integers, a 5xx) stops it as before."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.envelope import Envelope
from conformance.checks.expect import blocked_by, counted, expect, failure_unless, request_text, some
from conformance.checks.failures import Failure
from conformance.checks.records import record_key
from conformance.contract.spec import Operation


@dataclass
class Walk:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    pages: list[Exchange] = field(default_factory=list)
    complete: bool = True  # False when the walk stopped at its page bound
    #: what broke in the pagination itself, noted by a lenient walk (``judge_paging=False``)
    broken: list[Failure] = field(default_factory=list)
    key: Callable[[dict[str, Any]], Any] | None = None

    @property
    def first(self) -> Exchange:
        return self.pages[0]

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records walked, each once (a record repeated on a later page is left out there)."""
        seen, out = set(), []
        for item in self.items:
            identity = repr(self.key(item)) if self.key else id(item)
            if identity not in seen:
                seen.add(identity)
                out.append(item)
        return out

    def need_every_record(self) -> None:
        """For a check that needs every record: blocked by what broke in the pagination, if anything."""
        __tracebackhide__ = True
        if self.broken:
            raise blocked_by(self.broken[0])


def count_requirement(op: Operation, params: dict[str, Any], unfiltered: str) -> str:
    """Whose violation a count that disagrees with ``total`` is: with a filter or a search in the
    query FLT-01's ("``total`` counts the filtered set"), else ``unfiltered`` (PAGE-03, PAGE-04)."""
    res = op.resource_view
    narrowing = {f.param for f in res.filters} | ({res.search_param} if res.search_param else set()) if res else set()
    return "FLT-01" if narrowing & set(params) else unfiltered


def fetch_page(api: ApiClient, env: Envelope, op: Operation, params: dict[str, Any], page: int, pagesize: int,
               requirement_id: str = "PAGE-03", broken: list[Failure] | None = None,
               ) -> tuple[Exchange, list[dict[str, Any]], dict[str, int]]:
    """One page of ``op``. A page of another length than its total allows is PAGE-03's violation,
    raised, or noted in ``broken`` when it is given (a lenient reader of the records)."""
    pag = op.paging
    query = dict(params, **{pag.page_param: page, pag.pagesize_param: pagesize})
    exchange = api.get(op.path, query)
    request = f"the valid list request {request_text(op.path, query)}"
    expect(exchange.status < 500, "TRN-04", request, exchange, expected="HTTP 200, no 5xx",
           kind="a 5xx to a valid list request")
    expect(exchange.status == 200, requirement_id, request, exchange, expected="HTTP 200",
           kind="a valid list request refused")
    items, info = env.items(exchange), env.page_info(exchange, op, "PAGE-02")
    expected = min(pagesize, max(0, info["total"] - (page - 1) * pagesize))
    # with a filter or a search, a page's length against its total is judged by the walk (a record
    # repeated across pages is PAGE-04's, a count other than total then FLT-01's), not page by page
    length = failure_unless(
        len(items) == expected or count_requirement(op, params, "PAGE-03") == "FLT-01", "PAGE-03",
        f"the length of page {page} of {request_text(op.path, params)} with pagesize {pagesize} and total "
        f"{info['total']}", exchange,
        expected=f"{expected} items (the page size, or what remains of total after the pages before it)",
        got=f"{counted(len(items), 'item')}", kind="a page of another length")
    if length is not None:
        if broken is None:
            raise blocked_by(length)
        broken.append(length)
    return exchange, items, info


def walk(api: ApiClient, env: Envelope, op: Operation, params: dict[str, Any] | None = None, *,
         pagesize: int | None = None, max_pages: int = 50, requirement_id: str = "PAGE-04",
         key: Callable[[dict[str, Any]], Any] | None = None, judge_paging: bool = True) -> Walk:
    """Fetch pages 1..totalpages (at most ``max_pages``) of ``op`` with ``params``. A complete walk
    holds every record once (PAGE-04), records told apart by ``key`` (default: the spec's id). With
    ``judge_paging`` off, what breaks in the pagination is noted in :attr:`Walk.broken`, not raised."""
    params = dict(params or {})
    pagesize = pagesize or op.paging.max_pagesize
    result = Walk(key=key or record_key(op))
    noted = None if judge_paging else result.broken
    page = 1
    while True:
        exchange, items, info = fetch_page(api, env, op, params, page, pagesize, requirement_id, noted)
        result.pages.append(exchange)
        if page == 1:
            result.total = info["total"]
        changed = failure_unless(
            info["total"] == result.total, "PAGE-05",
            f"total on pages 1 to {page} of {request_text(op.path, params)} with pagesize {pagesize}", exchange,
            expected=f"the same total on every page ({result.total} on page 1)",
            got=f"total {info['total']} on page {page}", kind="total changes between pages")
        if changed is not None:
            if noted is None:
                raise blocked_by(changed)
            noted.append(changed)
        result.items.extend(items)
        # the last page by totalpages or by total, whichever is later: a wrong totalpages is PAGE-02's
        # finding (test_page_arithmetic), never a reason for a walk to lose records and blame another rule
        if page >= max(info["totalpages"], -(-info["total"] // pagesize)) or not items:
            break
        if page >= max_pages:
            result.complete = False
            break
        page += 1
    if result.complete:
        for problem in each_record_once(op, params, pagesize, [result.key(item) for item in result.items], result):
            if noted is None:
                raise blocked_by(problem)
            noted.append(problem)
    return result


def expect_each_record_once(op: Operation, params: dict[str, Any], pagesize: int, keys: list[Any],
                            result: Walk) -> None:
    """PAGE-04 on the record ``keys`` of a walk of ``op`` with ``params``: no record on two pages and,
    when the walk is complete, as many records as ``total`` says (with a filter or a search, FLT-01's)."""
    __tracebackhide__ = True
    for problem in each_record_once(op, params, pagesize, keys, result):
        raise blocked_by(problem)


def each_record_once(op: Operation, params: dict[str, Any], pagesize: int, keys: list[Any],
                     result: Walk) -> list[Failure]:
    """What breaks PAGE-04 (or FLT-01's count) in a walk's record ``keys``."""
    repeated = sorted((k for k, n in Counter(keys).items() if n > 1), key=repr)
    walked = f"the records of every page of {request_text(op.path, params)} with pagesize {pagesize}"
    problems = [failure_unless(not repeated, "PAGE-04", walked, *result.pages[:3], expected="each record on one page only",
                               got=f"{counted(len(repeated), 'record')} on more than one page: {some(repeated)}",
                               kind="a record on two pages")]
    if result.complete:
        problems.append(failure_unless(
            len(keys) == result.total, count_requirement(op, params, "PAGE-04"), walked, result.pages[-1],
            expected=f"as many records as total says ({result.total})",
            got=f"{counted(len(keys), 'record')} on {counted(len(result.pages), 'page')}",
            kind="records other than total"))
    return [p for p in problems if p is not None]
