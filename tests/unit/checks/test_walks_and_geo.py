"""Unit tests of the library's walks (conformance.inputs.pagination) and geo maths (conformance.checks.geo), on a
fake deployment in memory: no server, so they run in milliseconds."""

from __future__ import annotations

import json
import math

import pytest
import requests

from conformance.contract import spec as specs
from conformance.runtime.client import Exchange
from conformance.checks.envelope import Envelope
from conformance.checks.expect import Violation
from conformance.checks.geo import destination, haversine_km, tolerance_km
from conformance.inputs.pagination import walk

EARTH_KM = 6371.0088


class FakeList:
    """A list operation's pages over ``records``, as the spec's envelope describes them; ``shift``
    makes every page after the first start early (a PAGE-04 defect), ``drift`` changes the total
    on later pages (a PAGE-05 defect)."""

    def __init__(self, spec: specs.Spec, op: specs.Operation, records: list[dict], shift: int = 0, drift: int = 0):
        self.spec, self.op, self.records, self.shift, self.drift = spec, op, records, shift, drift
        self.sent = 0

    def get(self, path: str, params: dict) -> Exchange:
        self.sent += 1
        pag = self.op.paging
        page, size = int(params[pag.page_param]), int(params[pag.pagesize_param])
        start = (page - 1) * size
        total = len(self.records) + (self.drift if page > 1 else 0)
        items = self.records[start:start + size]
        if page > 1 and self.shift:  # the same page length, starting early: the last record of the page before
            items = (self.records[start - self.shift:start] + items)[:len(items)]
        env = self.spec.envelope_view
        body = {env.success_field: True, env.data_field: items,
                pag.meta_field: {pag.page_field: page, pag.pagesize_field: size, pag.total_field: total,
                                 pag.totalpages_field: math.ceil(total / size)}}
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.request = requests.Request("GET", "http://x" + path, params=params).prepare()
        return Exchange(response)


@pytest.fixture(scope="module")
def spec() -> specs.Spec:
    return specs.load(None)


@pytest.fixture
def tariffs(spec):
    op = spec.operation("listTariffs")
    return op, [{op.resource_view.id_field: i} for i in range(1, 48)]


def test_a_walk_yields_every_record_once(spec, tariffs):
    op, records = tariffs
    fake = FakeList(spec, op, records)
    result = walk(fake, Envelope(spec), op, pagesize=10)
    assert result.items == records and result.complete and result.total == 47
    assert fake.sent == 5


def test_a_walk_stops_at_its_page_bound(spec, tariffs):
    op, records = tariffs
    result = walk(FakeList(spec, op, records), Envelope(spec), op, pagesize=10, max_pages=2)
    assert len(result.items) == 20 and not result.complete


def test_overlapping_pages_are_a_page_04_violation_of_the_walk(spec, tariffs):
    """Whoever walks (a SRCH-01 test, a filter test), the overlap is blamed on PAGE-04."""
    op, records = tariffs
    with pytest.raises(Violation) as caught:
        walk(FakeList(spec, op, records, shift=1), Envelope(spec), op, pagesize=10, requirement_id="SRCH-01")
    assert caught.value.requirement_ids == ("PAGE-04",)


def test_a_page_of_the_wrong_length_is_a_page_03_violation(spec, tariffs):
    op, records = tariffs
    with pytest.raises(Violation) as caught:
        walk(FakeList(spec, op, records, drift=-10), Envelope(spec), op, pagesize=10, requirement_id="FLT-01")
    assert caught.value.requirement_ids in (("PAGE-03",), ("PAGE-05",))


def test_a_total_that_changes_between_pages_is_a_page_05_violation(spec, tariffs):
    op, records = tariffs
    with pytest.raises(Violation) as caught:
        walk(FakeList(spec, op, records, drift=3), Envelope(spec), op, pagesize=10)
    assert caught.value.requirement_ids == ("PAGE-05",)


def test_haversine_known_distances():
    assert haversine_km(0, 0, 0, 0, EARTH_KM) == 0
    # a quarter of the equator, and a pole to the equator: a quarter of the circumference
    assert haversine_km(0, 0, 0, 90, EARTH_KM) == pytest.approx(math.pi * EARTH_KM / 2)
    assert haversine_km(90, 0, 0, 123, EARTH_KM) == pytest.approx(math.pi * EARTH_KM / 2)
    # across the antimeridian: 0.2 degrees of longitude on the equator, not 359.8
    assert haversine_km(0, 179.9, 0, -179.9, EARTH_KM) == pytest.approx(0.2 * math.pi / 180 * EARTH_KM)


@pytest.mark.parametrize("lat, lng, bearing, km", [(19.07, 72.87, 45, 12.5), (0, 179.95, 90, 20), (89.9, 10, 180, 5),
                                                   (-33.9, 151.2, 270, 1000)])
def test_destination_is_at_the_distance_it_was_asked_for(lat, lng, bearing, km):
    lat2, lng2 = destination(lat, lng, bearing, km, EARTH_KM)
    assert -180 <= lng2 <= 180 and -90 <= lat2 <= 90
    assert haversine_km(lat, lng, lat2, lng2, EARTH_KM) == pytest.approx(km, rel=1e-9)


def test_tolerance_is_the_larger_of_relative_and_absolute():
    assert tolerance_km(1000, 1e-3, 10) == pytest.approx(1.0)
    assert tolerance_km(1, 1e-3, 10) == pytest.approx(0.01)
