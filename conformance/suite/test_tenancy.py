"""TEN-01, TEN-02: a key sees only its own tenant's records, whatever the client adds.

The other tenant's records come from its own lists (``--other-tenant-key``); nothing about either
tenant's data is assumed. Every way a list selects records is tried with the other tenant's values:
its ids (detail), the values of its records in every filter (``x-resource.filters``: its user ids,
station ids, cities...) and search field (``x-resource.search``), and its stations' coordinates (the
geo list): none of it may bring back one of its records. Parameter and header names that must not widen the tenant come from the
spec (``x-api.auth.tenant-override-params`` / ``tenant-override-headers``)."""

from __future__ import annotations

import string
import uuid
from typing import Any, Callable

import pytest
from hypothesis import given, settings, strategies as st

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.expect import expect, request_text, shown, some
from conformance.checks.records import detail_path, record_key
from conformance.inputs.filters import filter_value
from conformance.inputs.targets import draw_foreign_record
from conformance.contract.spec import Operation, Spec

Page = tuple[Exchange, list[dict[str, Any]]]


def geo_operation(spec: Spec) -> Operation:
    ops = [op for op in spec.list_operations if op.geo_view is not None]
    if not ops:
        pytest.skip("not run: the spec declares no geo operation (x-geo)")
    return ops[0]


@pytest.fixture(scope="session")
def page_of(envelope, shared_responses) -> Callable[[ApiClient, Operation, dict[str, Any]], Page]:
    """A first page (largest size) of ``op`` for a client, cached per key, operation and query (and
    shared by the run's workers: an input, not a check's own request)."""
    cache: dict[tuple, Page] = {}

    def fetch(client: ApiClient, op: Operation, query: dict[str, Any] | None = None) -> Page:
        query = dict(query or {}, **{op.paging.pagesize_param: op.paging.max_pagesize})
        key = (client.key, op.operation_id, tuple(sorted((k, str(v)) for k, v in query.items())))
        if key not in cache:
            exchange = client.sharing(shared_responses).get(op.path, query)
            if exchange.status != 200:
                pytest.fail(f"cannot derive inputs: {op.operation_id} answered {exchange.status}\n"
                            f"{exchange.describe()}")
            cache[key] = (exchange, envelope.items(exchange))
        return cache[key]

    return fetch


@pytest.fixture(scope="session")
def theirs(other_tenant_api, page_of) -> Callable[[Operation], Page]:
    """The other tenant's first page of a list operation; skips when it is empty."""

    def fetch(op: Operation, query: dict[str, Any] | None = None) -> Page:
        exchange, items = page_of(other_tenant_api, op, query)
        if not items:
            pytest.skip(f"not run: no data: the other tenant's {op.operation_id} is empty")
        return exchange, items

    return fetch


def unknown_id(op: Operation, seen: list[Any]) -> Any:
    """A well-formed id that is in neither tenant's first page."""
    if op.resource_view.id_type == "integer":
        return max([i for i in seen if isinstance(i, int)] + [0]) + 1_000_003
    return f"iris-conformance-{uuid.uuid4().hex}"


def shape(value: Any) -> Any:
    """The structure of a body: member names and value types, not the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


# ---------------------------------------------------------------------------------------- TEN-01

@pytest.mark.requirement("TEN-01")
def test_first_pages_share_no_record_with_the_other_tenant(api, resource_operation, page_of, theirs):
    op = resource_operation
    key = record_key(op)
    their_ex, their_items = theirs(op)
    their_ids = {key(item) for item in their_items}
    sort = op.resource_view.sort
    for order in sort.orders:  # both ends of our list
        ours_ex, ours = page_of(api, op, {sort.orderby_param: order})
        shared = sorted({key(item) for item in ours} & their_ids, key=repr)
        expect(not shared, "TEN-01",
               f"the records of {request_text(op.path, {sort.orderby_param: order})} with our key", ours_ex, their_ex,
               expected="none of the other tenant's records",
               got=f"{len(shared)} of the other tenant's: {some(shared)}")


@pytest.mark.requirement("TEN-01")
@given(data=st.data())
def test_searching_for_another_tenants_record_does_not_find_it(data, api, envelope, resource_operation, theirs):
    op = resource_operation
    search = op.resource_view.search
    if not search:
        pytest.skip(f"not run: {op.operation_id} has no search parameter in the spec")
    key = record_key(op)
    their_ex, their_items = theirs(op)
    their_ids = {key(item) for item in their_items}
    record = data.draw(st.sampled_from(their_items), label="their record")
    for field in search.fields:
        term = record.get(field)
        if not isinstance(term, str) or not term.strip():
            continue
        pag = op.paging
        exchange = api.get(op.path, {search.param: term, pag.pagesize_param: pag.max_pagesize})
        asked = f"{request_text(op.path, {search.param: term})} with our key, a {field} of the other tenant's"
        expect(exchange.status == 200, "TEN-01", asked, exchange, expected="HTTP 200")
        found = sorted({key(item) for item in envelope.items(exchange, "TEN-01")} & their_ids, key=repr)
        expect(not found, "TEN-01", f"the records of {asked}", exchange, their_ex,
               expected="none of the other tenant's records", got=f"{len(found)} of the other tenant's: {some(found)}")


#: Each example of the filter test sends two requests per filter of the operation: fewer examples.
SOME = settings(max_examples=max(2, settings().max_examples // 3))


@pytest.mark.requirement("TEN-01")
@SOME
@given(data=st.data())
def test_filtering_by_another_tenants_values_finds_none_of_their_records(data, api, other_tenant_api, envelope,
                                                                        resource_operation, page_of, theirs):
    """Every filter of the list (``x-resource.filters``), each with a value one of the other tenant's
    records carries (its user id, station id, city, status, start time...): the answer holds none of
    the records the other tenant's own list gives for that filter, nor any of its first page."""
    op = resource_operation
    filters = op.resource_view.filters
    if not filters:
        pytest.skip(f"not run: {op.operation_id} has no filters in the spec")
    key = record_key(op)
    their_ex, their_items = theirs(op)
    their_ids = {key(item) for item in their_items}
    tried = 0
    for flt in filters:
        values = sorted({v for item in their_items if (v := filter_value(flt, item.get(flt.field))) is not None})
        if not values:
            continue
        value = data.draw(st.sampled_from(values), label=flt.param)
        query = {flt.param: value}
        match_ex, matching = page_of(other_tenant_api, op, query)
        theirs_here = their_ids | {key(item) for item in matching}
        ours_ex = api.get(op.path, dict(query, **{op.paging.pagesize_param: op.paging.max_pagesize}))
        asked = f"{request_text(op.path, query)} with our key, a value of the other tenant's records"
        expect(ours_ex.status < 500, "TRN-04", asked, ours_ex, expected="HTTP 200, no 5xx")
        blame = next(iter(op.parameter_requirements(flt.param)), "TEN-01")
        expect(ours_ex.status == 200, blame, asked, ours_ex, expected="HTTP 200")
        leaked = sorted({key(item) for item in envelope.items(ours_ex, "ENV-01")} & theirs_here, key=repr)
        expect(not leaked, "TEN-01", f"the records of {asked}", ours_ex, match_ex,
               expected="none of the other tenant's records",
               got=f"{len(leaked)} of the other tenant's: {some(leaked)}")
        tried += 1
    if not tried:
        pytest.skip(f"not run: no data: the other tenant's {op.operation_id} records carry no filter values")


@pytest.mark.requirement("TEN-01")
@given(data=st.data())
def test_another_tenants_id_is_not_found_like_an_unknown_id(data, api, envelope, iris_spec, resource_operation,
                                                            page_of, theirs):
    op = resource_operation
    id_field = op.resource_view.id_field
    _, their_items = theirs(op)
    record = draw_foreign_record(data, iris_spec, op, their_items)
    record_id = record.id
    _, ours = page_of(api, op)
    unknown = unknown_id(op, [item[id_field] for item in ours + their_items])
    foreign = api.get(record.path)
    asked = f"GET {record.detail.path} with the id {shown(record_id)} of the other tenant's {op.resource_view.name}"
    envelope.expect_error(foreign, "NOT_FOUND", "TEN-01", f"{asked}, with our key")
    missing = api.get(detail_path(record.detail, unknown))
    expect(foreign.status == missing.status and shape(foreign.body) == shape(missing.body)
           and envelope.error_code(foreign) == envelope.error_code(missing), "TEN-01",
           f"the answer to {asked} and to the unknown id {shown(unknown)}", foreign, missing,
           expected="the same status, code and body form: the id looks unknown",
           got=f"HTTP {foreign.status} with code {shown(envelope.error_code(foreign))} and HTTP {missing.status} with "
               f"code {shown(envelope.error_code(missing))}" + ("" if shape(foreign.body) == shape(missing.body)
                                                                 else ", bodies of another form"),
           kind="another answer")
    message_foreign = envelope.error_message(foreign).replace(str(record_id), "<id>")
    message_missing = envelope.error_message(missing).replace(str(unknown), "<id>")
    expect(message_foreign == message_missing, "TEN-01",
           f"the error message answering {asked} and the unknown id {shown(unknown)}", foreign, missing,
           expected="the same message, but for the id", got=f"{shown(message_foreign)} and {shown(message_missing)}")


@pytest.mark.requirement("TEN-01")
@given(data=st.data())
def test_chargers_at_another_tenants_station_are_not_ours(data, api, other_tenant_api, envelope, iris_spec, theirs):
    op = geo_operation(iris_spec)
    geo = op.geo_view
    key = record_key(op)
    stations_op = iris_spec.operation(geo.station_list_operation)
    station_id_field = stations_op.resource_view.id_field
    _, stations = theirs(stations_op)
    station = data.draw(st.sampled_from(stations), label="their station")
    radius = data.draw(st.sampled_from([1, 10, 100]), label="radius")
    query = {geo.lat_param: station[geo.lat_field], geo.lng_param: station[geo.lng_field],
             geo.radius_param: radius, op.paging.pagesize_param: op.paging.max_pagesize}
    asked = f"{request_text(op.path, query)}, at the other tenant's station {shown(station.get(station_id_field))}"
    their_ex = other_tenant_api.get(op.path, query)
    expect(their_ex.status == 200, "TEN-01", f"{asked}, with the other tenant's key", their_ex, expected="HTTP 200")
    their_points = {key(item) for item in envelope.items(their_ex, "TEN-01")}
    their_stations = {item[station_id_field] for item in stations} | {s for s, _ in their_points}
    ours_ex = api.get(op.path, query)
    expect(ours_ex.status == 200, "TEN-01", f"{asked}, with our key", ours_ex, expected="HTTP 200")
    ours = {key(item) for item in envelope.items(ours_ex, "TEN-01")}
    leaked = sorted(p for p in ours if p in their_points or p[0] in their_stations)
    expect(not leaked, "TEN-01", f"the charge points of {asked}, with our key", ours_ex, their_ex,
           expected="none of the other tenant's charge points",
           got=f"{len(leaked)} of the other tenant's: {some(leaked)}")


# ---------------------------------------------------------------------------------------- TEN-02

TENANT_OVERRIDE_VALUES = st.one_of(
    st.integers(0, 20).map(str),
    st.integers(0, 2**31 - 1).map(str),
    st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=24),
    st.uuids().map(str),
)


@pytest.fixture(scope="session")
def override_values(request, iris_spec: Spec, page_of) -> st.SearchStrategy[str]:
    """Values for the tenant override parameters: the other tenant's own tenant ids where its records
    carry a field of that name, else arbitrary ones."""
    names = set(iris_spec.api_view.auth.tenant_override_params)
    try:
        other = request.getfixturevalue("other_tenant_api")
    except pytest.skip.Exception:
        return TENANT_OVERRIDE_VALUES
    derived = {str(item[n]) for op in iris_spec.resource_list_operations
               for item in page_of(other, op)[1] for n in names & set(item)}
    return st.one_of(st.sampled_from(sorted(derived)), TENANT_OVERRIDE_VALUES) if derived else TENANT_OVERRIDE_VALUES


def overrides_text(params: dict[str, str], headers: dict[str, str], value: str) -> str:
    """``the parameters tenant_id, tenantId and the header x-tenant-id = "0"``."""
    parts = [f"the parameter{'s' if len(params) > 1 else ''} {', '.join(sorted(params))}" if params else "",
             f"the header{'s' if len(headers) > 1 else ''} {', '.join(sorted(headers))}" if headers else ""]
    return f"{' and '.join(p for p in parts if p)} = {shown(value)}"


def with_overrides(iris_spec: Spec, value: str) -> tuple[dict[str, str], dict[str, str]]:
    auth = iris_spec.api_view.auth
    return ({name: value for name in auth.tenant_override_params},
            {name: value for name in auth.tenant_override_headers})


@pytest.mark.requirement("TEN-02")
@given(data=st.data())
def test_tenant_override_parameters_do_not_change_a_list(data, api, envelope, iris_spec, list_operation, base_query,
                                                        override_values):
    """The tenant parameters and headers the spec names, with the other tenant's ids or arbitrary
    values. TEN-02 is about widening the tenant: a deployment that refuses the unknown parameters (400)
    widens nothing, and whether it should refuse them is FLT-02's (a SHOULD) to judge."""
    op = list_operation
    key = record_key(op)
    query = dict(base_query(op), **{op.paging.pagesize_param: op.paging.max_pagesize})

    def listing(params: dict[str, str], headers: dict[str, str]) -> tuple[Exchange, Any]:
        exchange = api.get(op.path, {**query, **params}, headers=headers)
        if exchange.status != 200:
            return exchange, exchange.status
        items = envelope.items(exchange, "TEN-02")
        return exchange, ([key(item) for item in items], envelope.page_info(exchange, op, "TEN-02")["total"])

    base_ex, expected = listing({}, {})
    value = data.draw(override_values, label="tenant value")
    params, headers = with_overrides(iris_spec, value)
    exchange, got = listing(params, headers)
    if got == 400:
        return  # refused as an unknown parameter: nothing widened (FLT-02 judges whether it should be refused)
    culprits = []
    if got != expected:  # which of them changes it on its own
        culprits = [name for name in params if listing({name: value}, {})[1] != expected]
        culprits += [name for name in headers if listing({}, {name: value})[1] != expected]
    expect(got == expected, "TEN-02",
           f"{request_text(op.path, query)} with {overrides_text(params, headers, value)} added", exchange, base_ex,
           expected="the records and total it gives without them: the key alone decides the tenant",
           got=f"{f'HTTP {got}' if isinstance(got, int) else 'other records or another total'}, changed by "
               f"{', '.join(culprits) or 'none of them on its own'}")


@pytest.mark.requirement("TEN-02")
@given(data=st.data())
def test_tenant_override_does_not_change_the_answer_for_another_tenants_id(data, api, iris_spec, resource_operation,
                                                                          theirs, override_values):
    op = resource_operation
    _, their_items = theirs(op)
    record = draw_foreign_record(data, iris_spec, op, their_items)
    record_id = record.id
    value = data.draw(override_values, label="tenant value")
    params, headers = with_overrides(iris_spec, value)
    path = record.path
    plain = api.get(path)  # its verdict is TEN-01's; the overrides must not change it
    exchange = api.get(path, params, headers=headers)
    if exchange.status == 400 and plain.status != 400:
        return  # refused as an unknown parameter: nothing widened (FLT-02 judges whether it should be refused)
    expect((exchange.status, exchange.body) == (plain.status, plain.body), "TEN-02",
           f"GET {record.detail.path} with the id {shown(record_id)} of the other tenant's {op.resource_view.name} "
           f"and {overrides_text(params, headers, value)}", exchange, plain,
           expected=f"the answer without them (HTTP {plain.status}): the key alone decides the tenant")
