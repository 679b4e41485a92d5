"""Fixtures shared by the conformance tests. Operations are parametrized from the spec, and inputs
are derived from live responses, never from any particular dataset."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from conformance.spec import Operation, Spec

Query = dict[str, Any]


@pytest.fixture(scope="session")
def first_page(api, envelope) -> Callable[[Operation, Query], list[dict[str, Any]]]:
    """The records of a list's first page (largest page size), cached per operation and query."""
    cache: dict[tuple, list[dict[str, Any]]] = {}

    def fetch(op: Operation, query: Query | None = None) -> list[dict[str, Any]]:
        query = dict(query or {})
        key = (op.operation_id, tuple(sorted(query.items())))
        if key not in cache:
            params = dict(query, **{op.pagination["pagesize-param"]: op.pagination["max-pagesize"]})
            exchange = api.get(op.path, params)
            if exchange.status != 200:
                pytest.fail(f"cannot derive inputs: {op.operation_id} answered {exchange.status}\n{exchange.describe()}")
            cache[key] = envelope.items(exchange)
        return cache[key]

    return fetch


#: A radius past half the Earth's circumference (20,015 km): every point is within it.
WHOLE_EARTH_KM = 20_100


@pytest.fixture(scope="session")
def geo_query(iris_spec: Spec, first_page, api) -> Query:
    """A query of /chargers/status around a live station, with the smallest radius of 1, 2, 4 ... km
    that holds two full pages of charge points (or, failing that, a radius that spans the globe).

    A deployment computes a distance for every station the radius may hold: a whole-Earth radius made
    each of the suite's geo requests cost as much as the tenant's whole data set (half a second at
    100k stations on the reference server), a near radius keeps it flat in the data set's size."""
    geo = iris_spec.operation("getChargerStatus").geo
    op = iris_spec.operation("getChargerStatus")
    stations = first_page(iris_spec.operation(geo["station-list-operation"]))
    if not stations:
        pytest.skip("not run: no data: the tenant has no stations")
    station = stations[0]
    query = {geo["lat-param"]: station[geo["lat-field"]], geo["lng-param"]: station[geo["lng-field"]],
             geo["unit-param"]: "km"}
    pag = op.pagination
    enough = 2 * pag["max-pagesize"]
    radius = 1
    while radius < WHOLE_EARTH_KM:
        exchange = api.get(op.path, dict(query, **{geo["radius-param"]: radius, pag["pagesize-param"]: 1}))
        body = exchange.body if exchange.status == 200 else None
        meta = body.get(pag["meta-field"]) if isinstance(body, dict) else None
        total = meta.get(pag["total-field"]) if isinstance(meta, dict) else None
        if not isinstance(total, int):
            break  # the tests that use the query will say what is wrong with the answer
        if total >= enough:
            return dict(query, **{geo["radius-param"]: radius})
        radius *= 2
    return dict(query, **{geo["radius-param"]: WHOLE_EARTH_KM})


@pytest.fixture(scope="session")
def base_query(iris_spec: Spec, request) -> Callable[[Operation], Query]:
    """The smallest valid query of a list operation (the geo one needs a point and a radius)."""

    def make(op: Operation) -> Query:
        return dict(request.getfixturevalue("geo_query")) if op.geo else {}

    return make


def record_key(op: Operation) -> Callable[[dict[str, Any]], Any]:
    """What identifies a record of ``op``'s list: its id, or (station, charge point) for the geo list."""
    if op.geo:
        geo = op.geo
        return lambda item: (item.get(geo["station-id-field"]), item.get(geo["charge-point-id-field"]))
    id_field = op.resource["id-field"]
    return lambda item: item.get(id_field)
