"""Fixtures shared by the conformance tests. Operations are parametrized from the spec, and inputs
are derived from live responses, never from any particular dataset. The run's own fixtures (the spec,
sessions, clients, keys, budget) and the operations' parametrization are in :mod:`.fixtures`: defined
here, they exist for the suite's tests only."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from conformance.checks.expect import expect, request_text
from conformance.inputs.sampling import DetailCache, RecordSampler, Sample
from conformance.contract.spec import Operation, Spec
from conformance.suite.fixtures import *  # noqa: F401,F403  (and its pytest_generate_tests)

Query = dict[str, Any]


@pytest.fixture(scope="session")
def first_page(discovery_api, envelope) -> Callable[[Operation, Query], list[dict[str, Any]]]:
    """The records of a list's first page (largest page size), cached per operation and query."""
    cache: dict[tuple, list[dict[str, Any]]] = {}

    def fetch(op: Operation, query: Query | None = None) -> list[dict[str, Any]]:
        query = dict(query or {})
        key = (op.operation_id, tuple(sorted(query.items())))
        if key not in cache:
            params = dict(query, **{op.paging.pagesize_param: op.paging.max_pagesize})
            exchange = discovery_api.get(op.path, params)
            expect(exchange.status < 500, "TRN-04", f"the valid list request {request_text(op.path, params)}", exchange,
                   expected="HTTP 200, no 5xx", kind="a 5xx to a valid list request")
            if exchange.status != 200:
                pytest.fail(f"cannot derive inputs: {op.operation_id} answered {exchange.status}\n{exchange.describe()}")
            cache[key] = envelope.items(exchange)
        return cache[key]

    return fetch


#: A radius past half the Earth's circumference (20,015 km): every point is within it.
WHOLE_EARTH_KM = 20_100


@pytest.fixture(scope="session")
def geo_query_of(iris_spec: Spec, first_page, discovery_api) -> Callable[[Operation], Query]:
    """A query of a geo list operation around a live station, with the smallest radius of 1, 2, 4 ...
    km that holds two full pages of charge points (or, failing that, a radius that spans the globe);
    cached per operation.

    A deployment computes a distance for every station the radius may hold: a whole-Earth radius made
    each of the suite's geo requests cost as much as the tenant's whole data set (half a second at
    100k stations on the reference server), a near radius keeps it flat in the data set's size."""
    cache: dict[str, Query] = {}

    def make(op: Operation) -> Query:
        if op.operation_id not in cache:
            cache[op.operation_id] = _near_query(op)
        return dict(cache[op.operation_id])

    def _near_query(op: Operation) -> Query:
        geo, pag = op.geo_view, op.paging
        stations = first_page(iris_spec.operation(geo.station_list_operation))
        if not stations:
            pytest.skip("not run: no data: the tenant has no stations")
        station = stations[0]
        query = {geo.lat_param: station[geo.lat_field], geo.lng_param: station[geo.lng_field], geo.unit_param: "km"}
        enough = 2 * pag.max_pagesize
        radius = 1
        while radius < WHOLE_EARTH_KM:
            exchange = discovery_api.get(op.path, dict(query, **{geo.radius_param: radius, pag.pagesize_param: 1}))
            body = exchange.body if exchange.status == 200 else None
            meta = body.get(pag.meta_field) if isinstance(body, dict) else None
            total = meta.get(pag.total_field) if isinstance(meta, dict) else None
            if not isinstance(total, int):
                break  # the tests that use the query will say what is wrong with the answer
            if total >= enough:
                return dict(query, **{geo.radius_param: radius})
            radius *= 2
        return dict(query, **{geo.radius_param: WHOLE_EARTH_KM})

    return make


@pytest.fixture(scope="session")
def geo_query(iris_spec: Spec, geo_query_of) -> Query:
    """The near query of the spec's geo list operation (see ``geo_query_of``)."""
    ops = [op for op in iris_spec.list_operations if op.geo_view is not None]
    if not ops:
        pytest.skip("not run: the spec declares no geo list operation (x-geo)")
    return geo_query_of(ops[0])


@pytest.fixture(scope="session")
def base_query(geo_query_of) -> Callable[[Operation], Query]:
    """The smallest valid query of a list operation (a geo one needs a point and a radius)."""

    def make(op: Operation) -> Query:
        return geo_query_of(op) if op.geo_view is not None else {}

    return make



@pytest.fixture(scope="session")
def sampler(pytestconfig, discovery_api, envelope, iris_spec: Spec) -> RecordSampler:
    """The run's record sampler (first page, both ends of every sort field, random pages seeded from
    the run's seed; :mod:`conformance.inputs.sampling`), one sample per list shared by every check that
    reads records."""
    return RecordSampler(discovery_api, envelope, iris_spec, profile=pytestconfig.getoption("iris_profile"),
                         seed=pytestconfig.getoption("hypothesis_seed", None))


@pytest.fixture(scope="session")
def sampled(sampler: RecordSampler) -> Callable[[Operation], Sample]:
    """The sample of a resource list; skips (no data) when the tenant has none of its records."""

    def of(op: Operation) -> Sample:
        sample = sampler.of(op)
        if not sample.records:
            pytest.skip(f"not run: no data: the tenant has no {op.resource_view.name} records")
        return sample

    return of


@pytest.fixture(scope="session")
def details(discovery_api, iris_spec: Spec) -> DetailCache:
    """Detail lookups of the run, each distinct id fetched once (REF-01, DET-01, GEO-07)."""
    return DetailCache(discovery_api, iris_spec)
