"""GEO-01..07: chargers near a point (``/chargers/status``).

Parameter and field names, units, the Earth radius, the tolerance and the result order come from
the spec (``x-geo``); query points are drawn around live stations (a random bearing and distance
from one), and expectations are computed from the tenant's station list, walked within budget.
Completeness is judged only where it can be: for stations fetched, clearly inside (or clearly
outside) the radius, and within the part of the result that was walked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import pytest
from hypothesis import example, given, strategies as st

from conformance.checks.expect import blocked_by, counted, expect, request_text, shown, some
from conformance.checks.geo import destination, haversine_km, tolerance_km
from conformance.inputs.pagination import fetch_page, walk
from conformance.contract import active
from conformance.inputs.sampling import Sample
from conformance.contract.spec import Geo as GeoView, Operation, Spec

SPEC = active.run().spec  # the run's spec, its overlays applied (the fixtures' iris_spec)
X_GEO = next(op.geo_view for op in SPEC.list_operations if op.geo_view is not None)  # for the explicit examples of GEO-01 only

#: Radii drawn on a log scale (km): from a street to the whole globe.
RADIUS_SCALES_KM = (0.5, 5.0, 50.0, 500.0, 5000.0, 20000.0)
NON_NUMBERS = st.sampled_from(["abc", "", "1,5", "12a", "0x1A", "--1", "1e", "NaN", "north", "1.2.3"])


def fmt(x: float) -> str:
    """A coordinate or radius as plain decimal text (no exponent), to 1e-7."""
    text = f"{x:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def short(x: float) -> str:
    """A coordinate, radius or distance as a failure shows it: two decimals (three digits below 1)."""
    text = f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


# -------------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class Query:
    lat: float
    lng: float
    radius: float
    unit: str | None  # None: radius_unit omitted (the default unit applies)


class Geo:
    """The spec's ``x-geo`` of one operation, and the geometry the checks need."""

    def __init__(self, spec: Spec, op: Operation):
        self.op, self.x = op, op.geo_view
        self.units: Mapping[str, float] = self.x.units
        self.station_list = spec.operation(self.x.station_list_operation)
        self.station_id_field = self.station_list.resource_view.id_field
        self.collection, self.point_id_field = charge_point_collection(spec, self.x.station_operation)

    # queries
    def params(self, q: Query) -> dict[str, str]:
        out = {self.x.lat_param: fmt(q.lat), self.x.lng_param: fmt(q.lng), self.x.radius_param: fmt(q.radius)}
        if q.unit is not None:
            out[self.x.unit_param] = q.unit
        return out

    def query(self, lat: float, lng: float, radius_km: float, unit: str | None) -> Query:
        """A query with the numbers as they are sent (rounded to their text)."""
        factor = self.units[unit or self.x.default_unit]
        return Query(float(fmt(lat)), float(fmt(lng)), float(fmt(max(radius_km, 0.001) / factor)), unit)

    def describe(self, q: Query) -> str:
        """``GET /chargers/status within 840.39 km of (18.88, 72.91)``: the query in a failure's words."""
        return f"GET {self.op.path} within {short(q.radius)} {q.unit or self.x.default_unit} of " \
               f"({short(q.lat)}, {short(q.lng)})"

    def tolerance_text(self) -> str:
        tol = self.x.tolerance
        return f"{tol.relative * 100:g} % or {tol.absolute_m:g} m tolerance"

    def radius_km(self, q: Query) -> float:
        return q.radius * self.units[q.unit or self.x.default_unit]

    def reported_km(self, q: Query, item: dict[str, Any]) -> float:
        return item[self.x.distance_field] * self.units[q.unit or self.x.default_unit]

    # geometry
    def km(self, lat1: float, lng1: float, lat2: float, lng2: float) -> float:
        return haversine_km(lat1, lng1, lat2, lng2, self.x.earth_radius_km)

    def tol(self, d_km: float) -> float:
        tol = self.x.tolerance
        return tolerance_km(d_km, tol.relative, tol.absolute_m)

    def pos(self, record: dict[str, Any]) -> tuple[float, float]:
        return record[self.x.lat_field], record[self.x.lng_field]

    def true_km(self, q: Query, record: dict[str, Any]) -> float:
        return self.km(q.lat, q.lng, *self.pos(record))

    # records
    def key(self, item: dict[str, Any]) -> tuple[Any, Any]:
        return item[self.x.station_id_field], item[self.x.charge_point_id_field]

    def station_keys(self, station: dict[str, Any]) -> set[tuple[Any, Any]]:
        return {(station[self.station_id_field], point[self.point_id_field])
                for point in station.get(self.collection) or []}


def charge_point_collection(spec: Spec, station_operation: str) -> tuple[str, str]:
    """Where a station lists its charge points: the ``reference-members`` entry whose parent is fetched
    through ``x-geo.station-operation`` names the collection and the member id field."""
    for op in spec.resource_list_operations:
        for rule in op.resource_view.reference_members:
            if rule.parent_operation == station_operation:
                return rule.collection, rule.member_id_field
    raise LookupError(f"the spec names no charge point collection of {station_operation} (reference-members)")


@dataclass
class Result:
    """The walked part of a /chargers/status result."""

    items: list[dict[str, Any]]
    pages: list
    cutoff_km: float  # every charge point nearer than this was walked (inf: a complete walk; 0: none known)
    #: what broke in the pagination of the walk (a lenient walk: the items are still judged)
    broken: list = field(default_factory=list)

    def keys(self, geo: Geo) -> set:
        return {geo.key(item) for item in self.items}


def need_every_item(*results: Result) -> None:
    """A completeness check found a charge point missing: when a walk's pagination broke, the item may
    have been lost by it, and the check is blocked by the pagination's failure, not failed."""
    __tracebackhide__ = True
    for result in results:
        if result.broken:
            raise blocked_by(result.broken[0])


@pytest.fixture(scope="session")
def geo(iris_spec, geo_operation) -> Geo:
    return Geo(iris_spec, geo_operation)


@pytest.fixture(scope="session")
def stations(discovery_api, envelope, geo: Geo, budget) -> list[dict[str, Any]]:
    """The tenant's stations, walked within budget (an input: its pages are shared by the workers)."""
    found = walk(discovery_api, envelope, geo.station_list, {}, max_pages=budget["max_pages"],
                 judge_paging=False).records
    if not found:
        pytest.skip("not run: no data: the tenant has no stations")
    return found


def run(api, envelope, geo: Geo, q: Query, budget, requirement_id: str, pagesize: int | None = None) -> Result:
    done = walk(api, envelope, geo.op, geo.params(q), pagesize=pagesize, max_pages=budget["max_pages"],
                requirement_id=requirement_id, judge_paging=False)
    items = done.records
    if done.complete:
        return Result(items, done.pages, math.inf, done.broken)
    # A walk cut short speaks for everything nearer than its last item only if it is in distance order
    # (GEO-04); when it is not, it speaks for nothing here.
    reported = [item[geo.x.distance_field] for item in items]
    ordered = all(a <= b for a, b in zip(reported, reported[1:]))
    return Result(items, done.pages, geo.true_km(q, items[-1]) if ordered and items else 0.0, done.broken)


def draw_point(data, geo: Geo, stations, max_offset_km: float) -> tuple[dict[str, Any], float, float, float]:
    """A live station and a point a random bearing and distance from it."""
    station = data.draw(st.sampled_from(stations), label="station")
    offset = data.draw(st.one_of(st.just(0.0), *(st.floats(0, max_offset_km / scale) for scale in (100, 10, 1))),
                       label="offset km")
    bearing = data.draw(st.floats(0, 360), label="bearing")
    lat, lng = destination(*geo.pos(station), bearing, offset, geo.x.earth_radius_km)
    return station, lat, lng, offset


#: How many of the stations nearest the point a neighbour-scale radius is drawn from.
NEIGHBOURS = 5


def draw_radius_km(data, geo: Geo, stations, lat: float, lng: float) -> float:
    """A radius that puts another live station near the circle (inside or out), one of the few nearest
    the point as often as any other (at the scale of its neighbours, where a pre-filter of latitudes or
    longitudes that is too narrow shows; a random station of a country-wide dataset is hundreds of km
    away), or a radius on a log scale."""
    source = data.draw(st.sampled_from(["neighbour", "neighbour", "any station", "scale"]), label="radius from")
    if source != "scale":
        away = {id(s): geo.km(lat, lng, *geo.pos(s)) for s in stations}
        pool = stations if source == "any station" else sorted(
            (s for s in stations if away[id(s)] > 0.001), key=lambda s: away[id(s)])[:NEIGHBOURS] or stations
        other = data.draw(st.sampled_from(pool), label="other station")
        return max(0.001, geo.km(lat, lng, *geo.pos(other)) * data.draw(st.floats(0.8, 1.2), label="radius factor"))
    return data.draw(st.sampled_from(RADIUS_SCALES_KM), label="radius scale") * data.draw(st.floats(0.2, 1.0),
                                                                                          label="radius factor")


def before(geo: Geo, d_km: float, cutoff_km: float) -> bool:
    """A charge point at ``d_km`` is clearly nearer than ``cutoff_km`` (inf: no cutoff)."""
    return math.isinf(cutoff_km) or d_km < cutoff_km - geo.tol(cutoff_km)


def with_points(geo: Geo, stations) -> list[dict[str, Any]]:
    return [s for s in stations if geo.station_keys(s)]


# ---------------------------------------------------------------------------------------- GEO-01

def bad_value(geo_x: GeoView, param: str):
    """Values ``param`` must refuse; None means the parameter is left out."""
    if param == geo_x.unit_param:
        units = set(geo_x.units)
        return st.one_of(st.sampled_from(["KM", "M", "Km", "mi", "", " km", "kilometers"]),
                         st.text(max_size=6)).filter(lambda v: v not in units)
    missing = st.just(None)
    if param == geo_x.radius_param:
        return st.one_of(missing, NON_NUMBERS, st.floats(max_value=0, allow_nan=False, allow_infinity=False).map(repr),
                         st.integers(max_value=0).map(str))
    bound = 90.0 if param == geo_x.lat_param else 180.0
    beyond = st.floats(min_value=bound, exclude_min=True, allow_nan=False, allow_infinity=False)
    return st.one_of(missing, NON_NUMBERS, beyond.map(repr), beyond.map(lambda v: repr(-v)))


GEO_PARAMS = [X_GEO.lat_param, X_GEO.lng_param, X_GEO.radius_param, X_GEO.unit_param]


@pytest.mark.requirement("GEO-01")
@given(case=st.sampled_from(GEO_PARAMS).flatmap(lambda p: st.tuples(st.just(p), bad_value(X_GEO, p))))
@example(case=(X_GEO.lat_param, None))
@example(case=(X_GEO.lng_param, None))
@example(case=(X_GEO.radius_param, None))
@example(case=(X_GEO.lat_param, "91"))
@example(case=(X_GEO.lat_param, "-91"))
@example(case=(X_GEO.lng_param, "180.5"))
@example(case=(X_GEO.radius_param, "0"))
@example(case=(X_GEO.radius_param, "-1"))
@example(case=(X_GEO.unit_param, "KM"))
@example(case=(X_GEO.unit_param, "mi"))
@example(case=(X_GEO.unit_param, ""))
def test_a_missing_or_out_of_range_point_radius_or_unit_is_a_validation_error(case, api, envelope, geo, geo_query):
    param, value = case
    params = dict(geo_query)
    if value is None:
        params.pop(param)
    else:
        params[param] = value
    exchange = api.get(geo.op.path, params)
    what = f"{param} missing" if value is None else f"{param} out of its type, range or enum"
    envelope.expect_error(exchange, "VALIDATION_ERROR", "GEO-01", f"{request_text(geo.op.path, params)} ({what})")
    envelope.expect_message_names(exchange, [param], "GEO-01", request_text(geo.op.path, params))


@pytest.mark.requirement("GEO-01")
def test_latitude_and_longitude_bounds_are_inclusive(api, geo, geo_query):
    for param, bound in ((geo.x.lat_param, 90), (geo.x.lat_param, -90),
                         (geo.x.lng_param, 180), (geo.x.lng_param, -180)):
        exchange = api.get(geo.op.path, dict(geo_query, **{param: bound}))
        expect(exchange.status == 200, "GEO-01",
               f"{request_text(geo.op.path, dict(geo_query, **{param: bound}))} ({param} on its inclusive bound)",
               exchange, expected="HTTP 200")


# ---------------------------------------------------------------------------------------- GEO-02

@pytest.mark.requirement("GEO-02")
@given(data=st.data())
def test_distance_is_the_great_circle_distance_in_the_requested_unit(data, api, envelope, geo, stations):
    station, lat, lng, offset = draw_point(data, geo, stations, data.draw(st.sampled_from([20.0, 2000.0])))
    unit = data.draw(st.one_of(st.none(), st.sampled_from(sorted(geo.units))), label="unit")
    q = geo.query(lat, lng, offset + data.draw(st.floats(0.001, 500)), unit)
    exchange, items, _ = fetch_page(api, envelope, geo.op, geo.params(q), 1, geo.op.paging.max_pagesize,
                                    "GEO-02")
    by_id = {s[geo.station_id_field]: s for s in stations}
    problems = []
    for item in items:
        distance = item.get(geo.x.distance_field)
        if not isinstance(distance, (int, float)) or isinstance(distance, bool):
            problems.append(f"{shown(geo.key(item))} with the distance {shown(distance)}, not a number")
            continue
        expected, got = geo.true_km(q, item), geo.reported_km(q, item)
        if abs(got - expected) > geo.tol(expected):
            unit = q.unit or geo.x.default_unit
            in_km = "" if geo.units[unit] == 1 else f" ({got:.4f} km)"
            problems.append(f"{shown(geo.key(item))} at {distance} {unit}{in_km} where the haversine distance is "
                            f"{expected:.4f} km")
        home = by_id.get(item[geo.x.station_id_field])
        if home is not None and not all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(geo.pos(item), geo.pos(home))):
            problems.append(f"{shown(geo.key(item))} at {geo.pos(item)} where its station is at {geo.pos(home)}")
    expect(not problems, "GEO-02", f"the distance and position of each item of {geo.describe(q)}", exchange,
           expected=f"the haversine distance from the query point to the item's lat/lng, in the requested unit "
                    f"({geo.tolerance_text()}), and the lat/lng of its station",
           got=f"{counted(len(problems), 'item')} wrong: {some(problems, as_is=True)}")


# ---------------------------------------------------------------------------------------- GEO-03

@pytest.mark.requirement("GEO-03")
@given(data=st.data())
def test_items_are_within_the_radius_and_every_charge_point_within_it_is_returned(data, api, envelope, geo, stations,
                                                                                   budget):
    """Completeness is judged for walked stations clearly inside the radius, reached without crossing
    the antimeridian (GEO-06 judges those), and clearly within the walked part of the result."""
    _, lat, lng, _ = draw_point(data, geo, stations, 500.0)
    q = geo.query(lat, lng, draw_radius_km(data, geo, stations, lat, lng), geo.x.default_unit)
    radius, margin = geo.radius_km(q), geo.tol(geo.radius_km(q))
    result = run(api, envelope, geo, q, budget, "GEO-03")
    returned = result.keys(geo)
    beyond, missing_points = [], []  # what is wrong: items beyond the radius; charge points within it left out
    for item in result.items:
        reported, true = geo.reported_km(q, item), geo.true_km(q, item)
        if max(reported, true) > radius + margin:
            beyond.append(f"{shown(geo.key(item))} at {short(max(reported, true))} km")
    for station in stations:
        d = geo.true_km(q, station)
        keys = geo.station_keys(station)
        if d < radius - margin and before(geo, d, result.cutoff_km) and abs(geo.pos(station)[1] - q.lng) <= 180:
            missing = keys - returned
            if missing:
                missing_points.append(f"station {shown(station[geo.station_id_field])} at {short(d)} km "
                                      f"({some(sorted(missing, key=repr))})")
        elif d > radius + margin and keys & returned:
            beyond.append(f"station {shown(station[geo.station_id_field])} at {short(d)} km "
                          f"({some(sorted(keys & returned, key=repr))})")
    problems = beyond + missing_points
    wanted = {"beyond": f"every item's distance <= the radius ({geo.tolerance_text()})",
              "missing": "every charge point of a station within the radius"}
    found = {"beyond": f"{counted(len(beyond), 'item')} beyond it, e.g. {some(beyond, as_is=True)}" if beyond else "",
             "missing": f"{counted(len(missing_points), 'station')} within it left out: "
                        f"{some(missing_points, as_is=True)}"
             if missing_points else ""}
    if missing_points and not beyond:
        need_every_item(result)
    broken = [part for part in ("beyond", "missing") if found[part]]
    expect(not problems, "GEO-03", f"the items of {geo.describe(q)}", *(result.pages[:1] if result.pages else []),
           expected=" and ".join(wanted[part] for part in broken), got="; ".join(found[part] for part in broken),
           kind=" and ".join(broken))


# ---------------------------------------------------------------------------------------- GEO-04

@pytest.mark.requirement("GEO-04")
@given(data=st.data())
def test_items_are_ordered_by_distance_then_station_then_charge_point(data, api, envelope, geo, stations, budget):
    """Ties: charge points at the same coordinates (same distance by construction) must follow the
    tie-breakers; distinct places whose reported distances happen to be equal may come in either order."""
    _, lat, lng, _ = draw_point(data, geo, stations, 500.0)
    unit = data.draw(st.sampled_from(sorted(geo.units)), label="unit")
    q = geo.query(lat, lng, draw_radius_km(data, geo, stations, lat, lng), unit)
    pagesize = data.draw(st.integers(1, geo.op.paging.max_pagesize), label="pagesize")
    result = run(api, envelope, geo, q, budget, "GEO-04", pagesize)
    distance_field, tiebreak = geo.x.order[0], geo.x.order[1:]
    problems: list[tuple[int, str]] = []  # (index of the first item of the pair, what is wrong)
    for index, (a, b) in enumerate(zip(result.items, result.items[1:])):
        if b[distance_field] < a[distance_field]:
            problems.append((index, f"{shown(geo.key(a))} at {short(a[distance_field])} before "
                                    f"{shown(geo.key(b))} at {short(b[distance_field])}"))
        elif geo.pos(a) == geo.pos(b) and [a[f] for f in tiebreak] > [b[f] for f in tiebreak]:
            problems.append((index, f"{shown(geo.key(a))} before {shown(geo.key(b))} at the same place "
                                    f"({short(a[distance_field])})"))
    page = problems[0][0] // pagesize if problems else 0
    expect(not problems, "GEO-04", f"the order of the items of {geo.describe(q)}, pages of {pagesize}",
           *result.pages[page:page + 2],
           expected=f"ordered by {', '.join(geo.x.order)}: distance ascending, ties at one place by "
                    f"{' then '.join(tiebreak)}",
           got=f"{counted(len(problems), 'pair')} out of order, e.g. "
               + some((f"items {i + 1} and {i + 2}: {text}" for i, text in problems), as_is=True))


# ---------------------------------------------------------------------------------------- GEO-05

def clear_keys(geo: Geo, q: Query, result: Result, cutoff_km: float, radius_km: float) -> set:
    """Keys of the items clearly before ``cutoff_km`` and clearly off the radius' boundary."""
    return {geo.key(item) for item in result.items
            if before(geo, geo.true_km(q, item), cutoff_km)
            and abs(geo.true_km(q, item) - radius_km) > geo.tol(radius_km)}


@pytest.mark.requirement("GEO-05")
@given(data=st.data())
def test_the_radius_unit_does_not_change_the_result_and_a_larger_radius_is_a_superset(data, api, envelope, geo,
                                                                                      stations, budget):
    _, lat, lng, _ = draw_point(data, geo, stations, 500.0)
    unit_a, unit_b = data.draw(st.permutations(sorted(geo.units)), label="units")[:2]
    radius_km = round(draw_radius_km(data, geo, stations, lat, lng), 3)  # whole metres: exact in every unit
    qa, qb = geo.query(lat, lng, radius_km, unit_a), geo.query(lat, lng, radius_km, unit_b)
    ra, rb = run(api, envelope, geo, qa, budget, "GEO-05"), run(api, envelope, geo, qb, budget, "GEO-05")
    cutoff = min(ra.cutoff_km, rb.cutoff_km)
    keys_a, keys_b = clear_keys(geo, qa, ra, cutoff, radius_km), clear_keys(geo, qb, rb, cutoff, radius_km)
    both = f"{geo.describe(qa)} and within {short(qb.radius)} {unit_b}"
    if keys_a != keys_b:
        need_every_item(ra, rb)
    expect(keys_a == keys_b, "GEO-05", f"the charge points of {both}", ra.pages[0], rb.pages[0],
           expected="the same charge points: the radius unit does not change the result",
           got=f"only with {unit_a}: {some(sorted(keys_a - keys_b, key=repr)) or 'none'}; "
               f"only with {unit_b}: {some(sorted(keys_b - keys_a, key=repr)) or 'none'}",
           kind="unit changes the result")
    in_b = {geo.key(item): geo.reported_km(qb, item) for item in rb.items}
    scaled = [f"{shown(geo.key(item))} at {geo.reported_km(qa, item):.4f} km and {in_b[geo.key(item)]:.4f} km"
              for item in ra.items if geo.key(item) in in_b
              and abs(geo.reported_km(qa, item) - in_b[geo.key(item)]) > geo.tol(geo.reported_km(qa, item))]
    expect(not scaled, "GEO-05", f"the distances of {both}", ra.pages[0], rb.pages[0],
           expected=f"the same distance of each charge point, converted to km ({geo.tolerance_text()})",
           got=f"other distances for {counted(len(scaled), 'charge point')}: {some(scaled, as_is=True)}",
           kind="distances do not scale")
    larger = geo.query(lat, lng, radius_km * data.draw(st.floats(1.1, 4.0), label="larger by"), unit_a)
    rl = run(api, envelope, geo, larger, budget, "GEO-05")
    lost = clear_keys(geo, qa, ra, min(ra.cutoff_km, rl.cutoff_km), radius_km) - rl.keys(geo)
    if lost:
        need_every_item(ra, rl)
    expect(not lost, "GEO-05", f"the charge points of {geo.describe(larger)} and within {short(qa.radius)} {unit_a}",
           ra.pages[0], rl.pages[0], expected="every charge point of the smaller radius within the larger one",
           got=f"{len(lost)} missing from the larger: {some(sorted(lost, key=repr))}", kind="larger radius lacks some")


# ---------------------------------------------------------------------------------------- GEO-06

def found_with_distance(api, envelope, geo: Geo, q: Query, station, budget, what: str) -> None:
    """The station's charge points are in the result of ``q`` with the right distance."""
    d = geo.true_km(q, station)
    result = run(api, envelope, geo, q, budget, "GEO-06")
    if not before(geo, d, result.cutoff_km):
        pytest.skip(f"not run: budget: {what} lies beyond the {len(result.items)} items walked")
    returned = {geo.key(item): item for item in result.items}
    missing = geo.station_keys(station) - set(returned)
    if missing:
        need_every_item(result)
    check = f"the items of {geo.describe(q)} for {what}"
    expect(not missing, "GEO-06", check, *result.pages[:2],
           expected=f"its charge points, {d:.4f} km from the query point (within the radius)",
           got=f"{some(sorted(missing, key=repr))} not returned", kind="station left out")
    wrong = [f"{shown(key)} at {geo.reported_km(q, returned[key]):.4f} km" for key in geo.station_keys(station)
             if abs(geo.reported_km(q, returned[key]) - d) > geo.tol(d)]
    expect(not wrong, "GEO-06", check, *result.pages[:2],
           expected=f"the haversine distance {d:.4f} km ({geo.tolerance_text()})", got=some(wrong, as_is=True),
           kind="wrong distance")


@pytest.mark.requirement("GEO-06")
@given(data=st.data())
def test_a_station_across_the_antimeridian_is_found(data, api, envelope, geo, stations, budget):
    candidates = [s for s in with_points(geo, stations) if abs(geo.pos(s)[1]) > 170]
    if not candidates:
        pytest.skip(f"not run: no data: no station near the antimeridian among the {len(stations)} stations walked")
    station = data.draw(st.sampled_from(candidates), label="station")
    s_lat, s_lng = geo.pos(station)
    past = data.draw(st.floats(1.0, 10.0), label="degrees past the antimeridian")
    lat = max(-90.0, min(90.0, s_lat + data.draw(st.floats(-1.0, 1.0), label="latitude offset")))
    lng = -math.copysign(180.0 - past, s_lng)  # on the other side of +-180 from the station
    d = geo.km(lat, lng, s_lat, s_lng)
    q = geo.query(lat, lng, d * data.draw(st.floats(1.05, 2.0), label="radius factor") + 1.0,
                  data.draw(st.sampled_from(sorted(geo.units)), label="unit"))
    found_with_distance(api, envelope, geo, q, station, budget,
                        f"station {shown(station[geo.station_id_field])} at {geo.pos(station)}, across the "
                        "antimeridian")


@pytest.mark.requirement("GEO-06")
@given(data=st.data())
def test_a_station_across_the_pole_is_found_at_the_right_distance(data, api, envelope, geo, stations, budget):
    candidates = [s for s in with_points(geo, stations) if abs(geo.pos(s)[0]) > 60]
    if not candidates:
        pytest.skip(f"not run: no data: no station near a pole among the {len(stations)} stations walked")
    station = data.draw(st.sampled_from(candidates), label="station")
    s_lat, s_lng = geo.pos(station)
    lat, lng = s_lat, (s_lng + 360.0) % 360.0 - 180.0  # same latitude, the other side of the pole
    d = geo.km(lat, lng, s_lat, s_lng)
    q = geo.query(lat, lng, d * data.draw(st.floats(1.05, 1.5), label="radius factor") + 1.0,
                  data.draw(st.sampled_from(sorted(geo.units)), label="unit"))
    found_with_distance(api, envelope, geo, q, station, budget,
                        f"station {shown(station[geo.station_id_field])} at {geo.pos(station)}, across the pole")


@pytest.mark.requirement("GEO-06")
@given(data=st.data())
def test_the_pole_and_the_antimeridian_are_single_points(data, api, envelope, geo, stations, budget):
    """The pole at any two longitudes, and lng=180 vs lng=-180, are the same place: same result."""
    station = data.draw(st.sampled_from(with_points(geo, stations) or stations), label="station")
    if data.draw(st.booleans(), label="pole (else antimeridian)"):
        lat = data.draw(st.sampled_from([90.0, -90.0]), label="pole")
        points = [(lat, data.draw(st.floats(-180, 180), label=f"lng {n}")) for n in (1, 2)]
    else:
        lat = data.draw(st.floats(-89.0, 89.0), label="lat")
        points = [(lat, 180.0), (lat, -180.0)]
    radius_km = geo.km(*points[0], *geo.pos(station)) * data.draw(st.floats(1.01, 1.5), label="radius factor") + 1.0
    unit = data.draw(st.sampled_from(sorted(geo.units)), label="unit")
    (qa, qb) = (geo.query(*p, radius_km, unit) for p in points)
    ra, rb = run(api, envelope, geo, qa, budget, "GEO-06"), run(api, envelope, geo, qb, budget, "GEO-06")
    cutoff = min(ra.cutoff_km, rb.cutoff_km)
    keys_a, keys_b = (clear_keys(geo, q, r, cutoff, geo.radius_km(q)) for q, r in ((qa, ra), (qb, rb)))
    both = f"{geo.describe(qa)} and of ({qb.lat}, {qb.lng}), the same place"
    expect(keys_a == keys_b, "GEO-06", f"the charge points of {both}", ra.pages[0], rb.pages[0],
           expected="the same charge points at both",
           got=f"only at the first: {some(sorted(keys_a - keys_b, key=repr)) or 'none'}; only at the second: "
               f"{some(sorted(keys_b - keys_a, key=repr)) or 'none'}", kind="one place, other charge points")
    in_b = {geo.key(item): geo.reported_km(qb, item) for item in rb.items}
    wrong = [f"{shown(geo.key(item))} at {geo.reported_km(qa, item):.4f} and {in_b[geo.key(item)]:.4f} km"
             for item in ra.items if geo.key(item) in in_b and abs(geo.reported_km(qa, item) - in_b[geo.key(item)])
             > geo.tol(geo.reported_km(qa, item))]
    expect(not wrong, "GEO-06", f"the distances of {both}", ra.pages[0], rb.pages[0],
           expected=f"the same distance of each charge point at both ({geo.tolerance_text()})",
           got=f"other distances for {counted(len(wrong), 'charge point')}: {some(wrong, as_is=True)}",
           kind="one place, other distances")


# ---------------------------------------------------------------------------------------- GEO-07

def member_collection(spec: Spec, parent_collection: str) -> tuple[str, str] | None:
    """Where a charge point lists its connectors: the ``reference-members`` entry whose parent is a
    member of ``parent_collection`` names the collection and the member id field."""
    for op in spec.resource_list_operations:
        for rule in op.resource_view.reference_members:
            if rule.parent_collection == parent_collection:
                return rule.collection, rule.member_id_field
    return None


def prefix_of(item_field: str, record_id_field: str) -> str | None:
    """``station_`` for an item's ``station_id`` naming a station's ``id`` (``station`` for
    ``stationId``, in any case): the item's other ``station_*`` fields are that station's fields."""
    if item_field.lower().endswith(record_id_field.lower()) and len(item_field) > len(record_id_field):
        return item_field[: -len(record_id_field)]
    return None


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def prefixed_field(name: str, prefix: str | None, record: dict[str, Any]) -> str | None:
    """The field of ``record`` that the item field ``name`` names after ``prefix`` (``station_name``
    and ``stationName`` both name a station's ``name``), or None."""
    if not prefix or not name.lower().startswith(prefix.lower()) or len(name) == len(prefix):
        return None
    rest = _norm(name[len(prefix):])
    return next((key for key in record if _norm(key) == rest), None)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def disagreements(geo: Geo, spec: Spec, item: dict[str, Any], station: dict[str, Any],
                  point: dict[str, Any]) -> list[str]:
    """Where ``item`` says something else than its station's detail: each item field compared with
    the charge point's field of that name, else the station's, else (``station_name``) the station's
    field the item's prefix names; a member collection (connectors) compared member by member."""
    station_prefix = prefix_of(geo.x.station_id_field, geo.station_id_field)
    point_prefix = prefix_of(geo.x.charge_point_id_field, geo.point_id_field)
    members = member_collection(spec, geo.collection)
    skip = {geo.x.distance_field, geo.x.station_id_field, geo.x.charge_point_id_field}
    out = []
    for name, value in item.items():
        if name in skip:
            continue
        if name in point:
            source, theirs, label = "charge point", point[name], name
        elif name in station:
            source, theirs, label = "station", station[name], name
        elif prefixed_field(name, station_prefix, station):
            label = prefixed_field(name, station_prefix, station)
            source, theirs = "station", station[label]
        elif prefixed_field(name, point_prefix, point):
            label = prefixed_field(name, point_prefix, point)
            source, theirs = "charge point", point[label]
        else:
            continue  # nothing in the detail to compare it with (e.g. last_updated)
        if members is not None and name == members[0] and isinstance(value, list) and isinstance(theirs, list):
            member_id = members[1]
            listed = {m.get(member_id): m for m in theirs if isinstance(m, dict)}
            for member in value:
                ref = listed.get(member.get(member_id)) if isinstance(member, dict) else None
                if ref is None:
                    which = member.get(member_id) if isinstance(member, dict) else member
                    out.append(f"{name} {member_id} {shown(which)} is not one of the {source}'s "
                               f"({some(sorted(listed, key=repr))})")
                else:
                    out += [f"{name} {shown(member.get(member_id))} {k} {shown(v)}, the {source}'s {shown(ref.get(k))}"
                            for k, v in member.items() if not same(v, ref.get(k))][:1]
        elif not same(value, theirs):
            out.append(f"{name} {shown(value)}, the {source}'s {label} {shown(theirs)}")
    return out


@pytest.fixture(scope="session")
def sampled_items(sampler, geo, stations) -> tuple[Sample, dict[str, Any]]:
    """The run's sample of the geo list's items: one query around a live station whose radius holds
    the whole Earth (half its circumference, from the spec's Earth radius), read at its first page
    and at random pages across the whole result (:mod:`conformance.inputs.sampling`)."""
    half_circumference_km = math.pi * geo.x.earth_radius_km * 1.001
    params = geo.params(geo.query(*geo.pos(stations[0]), half_circumference_km, None))
    return sampler.of(geo.op, params, "GEO-01"), params


@pytest.mark.requirement("GEO-07")
def test_each_sampled_item_agrees_with_its_station_detail(iris_spec, envelope, geo, sampled_items, details):
    """Every sampled item's station resolves and lists its charge point, with the same name and
    coordinates, and the same charge point status and connectors, as the station's detail."""
    sample, params = sampled_items
    if not sample.records:
        pytest.skip("not run: no data: the tenant has no charge points")
    problems: list[tuple[dict[str, Any], str, Any]] = []
    for item in sample.records:
        station_id, point_id = geo.key(item)
        exchange = details.get(geo.x.station_operation, station_id)
        expect(exchange.status < 500, "TRN-04",
               f"the detail {envelope.answered(exchange)} of station {shown(station_id)}", exchange,
               expected="HTTP 200, no 5xx", kind="a 5xx to a station's detail")
        if exchange.status != 200:
            problems.append((item, f"{shown(geo.key(item))}: its station does not resolve (HTTP {exchange.status})",
                             exchange))
            continue
        station = envelope.data(exchange, "GEO-07")
        points = (station.get(geo.collection) if isinstance(station, dict) else None) or []
        point = next((p for p in points if isinstance(p, dict) and p.get(geo.point_id_field) == point_id), None)
        if point is None:
            listed = [p.get(geo.point_id_field) for p in points if isinstance(p, dict)]
            problems.append((item, f"{shown(geo.key(item))}: its station lists only {some(listed) or 'none'}",
                             exchange))
            continue
        diff = disagreements(geo, iris_spec, item, station, point)
        if diff:
            problems.append((item, f"{shown(geo.key(item))}: " + ", ".join(diff), exchange))
    scope = (f"all {len(sample.records)} items" if sample.complete else
             f"the {len(sample.records)} sampled items (of {sample.total}: the first page and "
             f"{len(sample.random_pages)} random pages)")
    expect(not problems, "GEO-07", f"{scope} of {request_text(geo.op.path, params)}, each against its station's detail",
           *([sample.seen_on(problems[0][0]), problems[0][2]] if problems else []),
           expected="its station resolves and lists the charge point, with the same station name, coordinates, status "
                    "and connectors",
           got=f"for {counted(len(problems), 'item')}: " + some((text for _, text, _ in problems), as_is=True))
