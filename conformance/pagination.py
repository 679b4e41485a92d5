"""Walking a list operation page by page, the way PAGE-04 describes, within a request bound."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.client import ApiClient, Exchange
from conformance.envelope import Envelope
from conformance.expect import expect
from conformance.spec import Operation


@dataclass
class Walk:
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    pages: list[Exchange] = field(default_factory=list)
    complete: bool = True  # False when the walk stopped at its page bound

    @property
    def first(self) -> Exchange:
        return self.pages[0]


def fetch_page(api: ApiClient, env: Envelope, op: Operation, params: dict[str, Any], page: int, pagesize: int,
               requirement_id: str = "PAGE-03") -> tuple[Exchange, list[dict[str, Any]], dict[str, int]]:
    pag = op.paging
    query = dict(params, **{pag.page_param: page, pag.pagesize_param: pagesize})
    exchange = api.get(op.path, query)
    expect(exchange.status == 200, requirement_id, f"a valid list request was not answered 200 (got {exchange.status})",
           exchange)
    return exchange, env.items(exchange, requirement_id), env.page_info(exchange, op, requirement_id)


def walk(api: ApiClient, env: Envelope, op: Operation, params: dict[str, Any] | None = None, *,
         pagesize: int | None = None, max_pages: int = 50, requirement_id: str = "PAGE-04") -> Walk:
    """Fetch pages 1..totalpages (at most ``max_pages``) of ``op`` with ``params``."""
    params = dict(params or {})
    pagesize = pagesize or op.paging.max_pagesize
    result = Walk()
    page = 1
    while True:
        exchange, items, info = fetch_page(api, env, op, params, page, pagesize, requirement_id)
        result.pages.append(exchange)
        if page == 1:
            result.total = info["total"]
        expect(info["total"] == result.total, "PAGE-05",
               f"total changed between page 1 ({result.total}) and page {page} ({info['total']})", exchange)
        result.items.extend(items)
        if page >= info["totalpages"] or not items:
            break
        if page >= max_pages:
            result.complete = False
            break
        page += 1
    return result
