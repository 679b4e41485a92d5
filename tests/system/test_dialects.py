"""The reference server's dialects (``--dialect camel``, ``--dialect bare``): they differ from the
contract, and from each other, on ASSUMED points only, and every defect stays visible in each.

The expected shapes are written out here (:data:`SHAPES`), not read from
``lab.dialects``: these tests are the dialects' definition from outside, over HTTP.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import yaml

from conftest import get
from conformance.contract import spec as specs
from conformance.runtime.embedded import EmbeddedServer
from lab import OVERLAYS
from lab.embedded import lab_server
from suite_runner import ROOT


@dataclass(frozen=True)
class Shape:
    """How a dialect dresses the API (what a client of it sees)."""

    success: str | None
    items: str
    detail_wrapped: bool
    error: str | None
    meta: str
    members: tuple[str, str, str, str]  # page, pagesize, total, totalpages
    max_pagesize: int
    limit_header: str
    remaining_header: str
    timestamp: re.Pattern[str]
    fields: dict[str, str]  # native record field -> the dialect's (the others keep their name)

    def field(self, native: str) -> str:
        return self.fields.get(native, native)

    def error_code(self, body: Any) -> Any:
        holder = body if self.error is None else body.get(self.error, {})
        return holder.get("code") if isinstance(holder, dict) else None

    def record(self, body: dict[str, Any]) -> dict[str, Any]:
        return body[self.items] if self.detail_wrapped else body

    def page(self, body: dict[str, Any]) -> dict[str, int]:
        meta = body[self.meta]
        return dict(zip(("page", "pagesize", "total", "totalpages"), (meta[m] for m in self.members)))


NATIVE_NAMES = ("created_at", "charge_points", "power_kw", "user_id", "charge_station_id", "charge_point_id",
                "connector_id", "tariff_id", "start_time", "end_time", "energy_kwh", "always_open", "opening_hours",
                "station_id", "station_name", "last_updated")
CAMEL_NAMES = ("createdAt", "chargePoints", "powerKw", "userId", "chargeStationId", "chargePointId", "connectorId",
               "tariffId", "startTime", "endTime", "energyKwh", "alwaysOpen", "openingHours", "stationId",
               "stationName", "lastUpdated")

SHAPES: dict[str, Shape] = {
    "native": Shape("success", "data", True, "error", "pagination", ("page", "pagesize", "total", "totalpages"), 100,
                    "X-RateLimit-Limit", "X-RateLimit-Remaining",
                    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), {}),
    "camel": Shape("success", "data", True, "error", "meta", ("page", "pageSize", "total", "totalPages"), 100,
                   "RateLimit-Limit", "RateLimit-Remaining",
                   re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00"), dict(zip(NATIVE_NAMES, CAMEL_NAMES))),
    "bare": Shape(None, "items", False, None, "paging", ("page", "per_page", "total", "pages"), 50,
                  "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining",
                  re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), {"created_at": "created", "energy_kwh": "energy"}),
}
DIALECTS = ("camel", "bare")

#: native record fields of each resource, nested collections by their native name
RECORDS = {
    "/tariffs": {"id", "name", "type", "currency", "isactive", "created_at", "rules"},
    "/customers": {"id", "name", "email", "phone", "created_at"},
    "/stations": {"id", "name", "address", "city", "state", "country", "lat", "lng", "always_open", "opening_hours",
                  "created_at", "charge_points"},
    "/sessions": {"id", "user_id", "charge_station_id", "charge_point_id", "connector_id", "tariff_id", "status",
                  "start_time", "end_time", "energy_kwh", "cost", "currency"},
}
RULE = {"id", "price", "unit", "start_time", "end_time", "days"}
CHARGE_POINT = {"id", "status", "connectors"}
CONNECTOR = {"id", "type", "power_kw", "status"}
CHARGER = {"station_id", "station_name", "charge_point_id", "lat", "lng", "distance", "status", "connectors",
           "last_updated"}
TIMESTAMPS = {"created_at", "start_time", "end_time", "last_updated"}  # record fields that hold one (rules: HH:MM)
NEAR = {"lat": "19.0", "lng": "72.85", "radius": "50"}
SORTABLE = {"/tariffs": ("id", "name", "type", "created_at"), "/customers": ("id", "name", "email", "created_at"),
            "/stations": ("id", "name", "city", "state", "created_at"),
            "/sessions": ("id", "start_time", "energy_kwh", "cost")}


@pytest.fixture(scope="module")
def servers():
    """One clean server per dialect, the native one included, over the same data."""
    started: dict[str, EmbeddedServer] = {}
    try:
        for name in ("native", *DIALECTS):
            started[name] = lab_server("--dialect", name)
            started[name].start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def names(shape: Shape, native: set[str]) -> set[str]:
    return {shape.field(name) for name in native}


def body_of(response: requests.Response) -> Any:
    assert response.headers["Content-Type"].startswith(("application/json", "text/plain")), response.headers
    return response.json()


# ----------------------------------------------------------------------------------- shapes

@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path", sorted(RECORDS))
def test_list_body(servers, dialect, path):
    shape = SHAPES[dialect]
    response = get(servers[dialect], path, pagesize="3")
    body = body_of(response)
    assert response.status_code == 200
    assert set(body) == {shape.items, shape.meta} | ({shape.success} if shape.success else set())
    if shape.success:
        assert body[shape.success] is True
    assert set(body[shape.meta]) == set(shape.members)
    assert shape.page(body)["pagesize"] == 3 and shape.page(body)["page"] == 1
    assert len(body[shape.items]) == 3
    for record in body[shape.items]:
        assert set(record) == names(shape, RECORDS[path])
        for rule in record.get("rules", []):
            assert set(rule) == names(shape, RULE)
        for point in record.get(shape.field("charge_points"), []):
            assert set(point) == CHARGE_POINT
            for connector in point["connectors"]:
                assert set(connector) == names(shape, CONNECTOR)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_charger_status_items(servers, dialect):
    shape = SHAPES[dialect]
    body = body_of(get(servers[dialect], "/chargers/status", pagesize="5", **NEAR))
    assert body[shape.items], "no charger near Mumbai"
    for item in body[shape.items]:
        assert set(item) == names(shape, CHARGER)
        assert all(set(c) == names(shape, CONNECTOR) for c in item["connectors"])
        assert shape.timestamp.fullmatch(item[shape.field("last_updated")])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path", sorted(RECORDS))
def test_detail_body_is_the_list_record(servers, dialect, path):
    shape = SHAPES[dialect]
    listed = body_of(get(servers[dialect], path, pagesize="1"))[shape.items][0]
    response = get(servers[dialect], f"{path}/{listed['id']}")
    body = body_of(response)
    assert response.status_code == 200
    if shape.detail_wrapped:
        assert set(body) == {shape.success, shape.items} and body[shape.success] is True
    assert shape.record(body) == listed


@pytest.mark.parametrize("dialect", DIALECTS)
def test_timestamps(servers, dialect):
    shape = SHAPES[dialect]
    for path in ("/tariffs", "/customers", "/stations", "/sessions"):
        for record in body_of(get(servers[dialect], path, pagesize="20"))[shape.items]:
            for native in TIMESTAMPS & RECORDS[path]:
                value = record[shape.field(native)]
                assert value is None or shape.timestamp.fullmatch(value), (path, native, value)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_records_hold_the_native_values(servers, dialect):
    """Only names and the timestamp form differ: the same session, value for value."""
    shape = SHAPES[dialect]
    native = body_of(get(servers["native"], "/sessions/1"))["data"]
    record = shape.record(body_of(get(servers[dialect], "/sessions/1")))
    for name, value in native.items():
        theirs = record[shape.field(name)]
        if name in TIMESTAMPS and value is not None:
            assert theirs[:19] == value[:19]
        else:
            assert theirs == value, name


def error_shape(shape: Shape, body: Any) -> set[str]:
    return set(body) if shape.error is None else set(body) | {f"{shape.error}.{k}" for k in body[shape.error]}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_not_found(servers, dialect):
    shape = SHAPES[dialect]
    for path in ("/tariffs/999999999", "/customers/nobody-here", "/no-such-thing"):
        response = get(servers[dialect], path)
        body = body_of(response)
        assert response.status_code == 404 and shape.error_code(body) == "NOT_FOUND", (path, body)
        if shape.error is None:
            assert set(body) == {"code", "message"}
        else:
            assert set(body) == {shape.success, shape.error} and body[shape.success] is False
            assert set(body[shape.error]) == {"code", "message"}


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_pagesize_bound(servers, dialect):
    shape = SHAPES[dialect]
    bound = shape.max_pagesize
    ok = get(servers[dialect], "/sessions", pagesize=str(bound))
    assert ok.status_code == 200 and shape.page(ok.json())["pagesize"] == bound
    assert len(ok.json()[shape.items]) == bound
    for value in (bound + 1, 100 if bound < 100 else None, 101):
        if value is None:
            continue
        refused = get(servers[dialect], "/sessions", pagesize=str(value))
        body = refused.json()
        assert (refused.status_code, shape.error_code(body)) == (400, "VALIDATION_ERROR"), value
        details = body["details"] if shape.error is None else body[shape.error]["details"]
        assert details == [{"param": "pagesize", "message": f"pagesize must be an integer between 1 and {bound}"}]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("headers, code", [({}, "MISSING_API_KEY"), ({"x-api-key": "nope"}, "INVALID_KEY_FORMAT"),
                                           ({"Authorization": "Bearer iris_0000dead"}, "INVALID_API_KEY")])
def test_unauthorized(servers, dialect, headers, code):
    shape = SHAPES[dialect]
    response = get(servers[dialect], "/stations", key=None, headers=headers)
    body = body_of(response)
    assert (response.status_code, shape.error_code(body)) == (401, code)
    assert "WWW-Authenticate" in response.headers
    assert error_shape(shape, body) == ({"code", "message"} if shape.error is None
                                        else {shape.success, shape.error, "error.code", "error.message"})


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_rate_limit_headers(start_lab, dialect):
    shape = SHAPES[dialect]
    server = start_lab("--dialect", dialect, "--rate-limit", "2", "--rate-window", "30")
    first = get(server, "/tariffs")
    assert first.headers[shape.limit_header] == "2" and first.headers[shape.remaining_header] == "1"
    others = {h for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "RateLimit-Limit", "RateLimit-Remaining",
                          "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining")} - {shape.limit_header, shape.remaining_header}
    assert not others & set(first.headers)
    get(server, "/tariffs")
    refused = get(server, "/tariffs")
    assert (refused.status_code, shape.error_code(refused.json())) == (429, "RATE_LIMIT_EXCEEDED")
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers[shape.remaining_header] == "0"


def order(server: EmbeddedServer, shape: Shape, path: str, sortby: str, orderby: str = "DESC") -> list[Any]:
    response = get(server, path, sortby=sortby, orderby=orderby, pagesize="30")
    assert response.status_code == 200, (path, sortby, response.text[:300])
    return [record["id"] for record in response.json()[shape.items]]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path, field", [(p, f) for p, fields in sorted(SORTABLE.items()) for f in fields])
def test_sortby_takes_the_dialects_names(servers, dialect, path, field):
    shape = SHAPES[dialect]
    expected = order(servers["native"], SHAPES["native"], path, field)
    assert order(servers[dialect], shape, path, shape.field(field)) == expected
    if shape.field(field) != field:  # the native name is no sort field of the dialect
        refused = get(servers[dialect], path, sortby=field)
        assert (refused.status_code, shape.error_code(refused.json())) == (400, "VALIDATION_ERROR")
        message = refused.json()["message"] if shape.error is None else refused.json()[shape.error]["message"]
        assert shape.field(field) in message and f" {field}" not in message


@pytest.mark.parametrize("dialect", DIALECTS)
def test_default_sort_and_case_sensitive_sortby(servers, dialect):
    shape = SHAPES[dialect]
    assert order(servers[dialect], shape, "/sessions", shape.field("start_time"), "ASC") == \
        [r["id"] for r in get(servers[dialect], "/sessions", pagesize="30").json()[shape.items]]
    for wrong in ("CreatedAt", "created_At", "createdat" if dialect == "camel" else "Created"):
        refused = get(servers[dialect], "/customers", sortby=wrong)
        assert refused.status_code == 400, wrong


# ------------------------------------------------------------------ documented points unchanged

#: (method, path, params, headers: "key" | "none" | a header dict)
REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("GET", "/tariffs", {}, "key"), ("GET", "/tariffs/1", {}, "key"), ("GET", "/tariffs/abc", {}, "key"),
    ("GET", "/tariffs/0", {}, "key"), ("GET", "/tariffs/999999", {}, "key"), ("GET", "/customers/user123", {}, "key"),
    ("GET", "/customers/nobody", {}, "key"), ("GET", "/stations/1", {}, "key"), ("GET", "/sessions/1", {}, "key"),
    ("GET", "/sessions/-1", {}, "key"), ("GET", "/nope", {}, "key"), ("GET", "/tariffs/1/rules", {}, "key"),
    ("POST", "/tariffs", {}, "key"), ("DELETE", "/sessions/1", {}, "key"), ("PUT", "/nope", {}, "key"),
    ("GET", "/tariffs", {}, "none"), ("GET", "/tariffs", {}, {"x-api-key": ""}),
    ("GET", "/tariffs", {}, {"Authorization": "Basic dXNlcjpwYXNz"}), ("GET", "/stations", {}, {"x-api-key": "abc"}),
    ("GET", "/stations", {}, {"Authorization": "bearer iris_unknown"}), ("GET", "/nope", {}, "none"),
    ("GET", "/tariffs", {"page": "0"}, "key"), ("GET", "/tariffs", {"pagesize": "0"}, "key"),
    ("GET", "/tariffs", {"pagesize": "50"}, "key"), ("GET", "/tariffs", {"page": "99999"}, "key"),
    ("GET", "/tariffs", {"orderby": "sideways"}, "key"), ("GET", "/tariffs", {"orderby": "desc"}, "key"),
    ("GET", "/tariffs", {"sortby": "bogus"}, "key"), ("GET", "/tariffs", {"sortby": "name"}, "key"),
    ("GET", "/tariffs", {"type": "ENERGY"}, "key"), ("GET", "/tariffs", {"type": "energy"}, "key"),
    ("GET", "/tariffs", {"isactive": "TRUE"}, "key"), ("GET", "/tariffs", {"isactive": "yes"}, "key"),
    ("GET", "/stations", {"city": "mumbai", "always_open": "false"}, "key"), ("GET", "/stations", {"always_open": "1"}, "key"),
    ("GET", "/sessions", {"start_date": "2026-01-01 00:00:00", "end_date": "2026-02-01 00:00:00"}, "key"),
    ("GET", "/sessions", {"start_date": "2026-02-01 00:00:00", "end_date": "2026-01-01 00:00:00"}, "key"),
    ("GET", "/sessions", {"start_date": "2026-01-01"}, "key"), ("GET", "/sessions", {"status": "STOPPED"}, "key"),
    ("GET", "/sessions", {"status": "stopped"}, "key"), ("GET", "/sessions", {"charge_station_id": "0"}, "key"),
    ("GET", "/sessions", {"user_id": "user123", "search": "CP"}, "key"), ("GET", "/sessions", {"unknown": "x"}, "key"),
    ("GET", "/chargers/status", NEAR, "key"), ("GET", "/chargers/status", {"lat": "91", "lng": "0", "radius": "1"}, "key"),
    ("GET", "/chargers/status", {"lat": "0", "lng": "0"}, "key"),
    ("GET", "/chargers/status", {**NEAR, "radius_unit": "mi"}, "key"),
    ("GET", "/chargers/status", {**NEAR, "radius": "50000", "radius_unit": "m"}, "key"),
]


def answer(server: EmbeddedServer, shape: Shape, method: str, path: str, params: dict[str, str],
           auth: Any) -> tuple[Any, ...]:
    headers = {"x-api-key": server.keys["primary"]} if auth == "key" else {} if auth == "none" else auth
    response = requests.request(method, server.base_url + path, params=params, headers=headers, timeout=10)
    body = response.json()
    code = shape.error_code(body) if response.status_code >= 400 else None
    total = shape.page(body)["total"] if response.status_code == 200 and shape.meta in body else None
    return (response.status_code, code, total, response.headers.get("Allow"),
            "WWW-Authenticate" in response.headers, response.headers["Content-Type"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_documented_points_are_the_natives(servers, dialect):
    """Same paths, statuses, error codes, Allow, challenges and totals as the native server."""
    native = [answer(servers["native"], SHAPES["native"], *request) for request in REQUESTS]
    theirs = [answer(servers[dialect], SHAPES[dialect], *request) for request in REQUESTS]
    for request, mine, other in zip(REQUESTS, native, theirs):
        assert other == mine, request


# -------------------------------------------------------------------- defects in each dialect

def start(start_lab, dialect: str, defect: str, *more: str) -> tuple[EmbeddedServer, Shape]:
    return start_lab("--dialect", dialect, "--defect", defect, *more), SHAPES[dialect]


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_list_without_success(start_lab, dialect):
    server, shape = start(start_lab, dialect, "env-01-list-without-success")
    body = get(server, "/tariffs").json()
    if shape.success:
        assert shape.success not in body and shape.meta in body  # the flag is what is missing
    else:
        assert shape.items not in body and isinstance(body["data"], list)  # records under another member
        assert set(body) == {"data", shape.meta}
    detail = get(server, "/tariffs/1").json()
    assert shape.record(detail)["id"] == 1 and (not shape.success or detail[shape.success] is True)
    assert shape.error_code(get(server, "/tariffs/0").json()) == "VALIDATION_ERROR"


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_error_success_true(start_lab, dialect):
    server, shape = start(start_lab, dialect, "env-01-error-success-true")
    response = get(server, "/tariffs/999999")
    body = response.json()
    assert response.status_code == 404
    assert shape.error_code(body) == "NOT_FOUND"  # the code stays readable: only the envelope is wrong
    if shape.success:
        assert body[shape.success] is True
    else:  # the flag the bare envelope does not have
        assert body == {"success": True, "code": "NOT_FOUND", "message": "Tariff not found"}
    listed = get(server, "/tariffs").json()  # 2xx bodies are clean
    assert shape.items in listed and shape.meta in listed


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_timestamps_with_offset(start_lab, dialect):
    server, shape = start(start_lab, dialect, "env-02-timestamps-with-offset")
    created = shape.record(get(server, "/tariffs/1").json())[shape.field("created_at")]
    assert created.endswith("+05:30") and not shape.timestamp.fullmatch(created)
    if dialect == "camel":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+05:30", created)
    else:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30", created)


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_pagesize_off_by_one(start_lab, dialect):
    server, shape = start(start_lab, dialect, "page-01-pagesize-101-accepted")
    bound = shape.max_pagesize
    accepted = get(server, "/sessions", pagesize=str(bound + 1))
    assert accepted.status_code == 200 and shape.page(accepted.json())["pagesize"] == bound + 1
    assert get(server, "/sessions", pagesize=str(bound + 2)).status_code == 400


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_pagesize_clamped(start_lab, dialect):
    server, shape = start(start_lab, dialect, "page-01-pagesize-over-max-clamped")
    bound = shape.max_pagesize
    clamped = get(server, "/sessions", pagesize=str(bound + 1))
    assert clamped.status_code == 200 and shape.page(clamped.json())["pagesize"] == bound
    assert len(clamped.json()[shape.items]) == bound


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_pagesize_crash(start_lab, dialect):
    server, shape = start(start_lab, dialect, "pagesize-crash")
    bound = shape.max_pagesize
    assert get(server, "/sessions", pagesize=str(bound)).status_code == 200
    crashed = get(server, "/sessions", pagesize=str(bound + 1))
    assert (crashed.status_code, shape.error_code(crashed.json())) == (500, "INTERNAL_ERROR")


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
@pytest.mark.parametrize("defect", ["rate-03-remaining-negative", "rate-03-limit-per-second"])
def test_rate_limit_header_defects(start_lab, dialect, defect):
    server, shape = start(start_lab, dialect, defect, "--rate-limit", "20", "--rate-window", "10")
    if defect == "rate-03-remaining-negative":
        for _ in range(21):
            response = get(server, "/tariffs")
        assert response.status_code == 429 and response.headers[shape.remaining_header] == "-1"
    else:
        response = get(server, "/tariffs")
        assert response.headers[shape.limit_header] == "2" and response.headers[shape.remaining_header] == "19"


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_undefined_path_200(start_lab, dialect):
    server, shape = start(start_lab, dialect, "trn-03-undefined-path-200")
    response = get(server, "/nope")
    body = response.json()
    assert response.status_code == 200 and body[shape.items] == [] and shape.meta not in body


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_undefined_path_gateway_403(start_lab, dialect):
    server, shape = start(start_lab, dialect, "trn-03-undefined-path-403-gateway")
    response = get(server, "/nope")
    assert response.status_code == 403 and response.json() == {"message": "Missing Authentication Token"}
    assert shape.error_code(response.json()) is None


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_errors_as_text_plain(start_lab, dialect):
    server, shape = start(start_lab, dialect, "trn-01-errors-as-text-plain")
    response = get(server, "/tariffs/999999")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert shape.error_code(response.json()) == "NOT_FOUND"  # the body is still the dialect's
    assert int(response.headers["Content-Length"]) == len(response.content)


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_drops_currency(start_lab, dialect):
    server, shape = start(start_lab, dialect, "tariff-drops-currency")
    record = shape.record(get(server, "/tariffs/1").json())
    assert "currency" not in record and shape.field("created_at") in record


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_negative_energy(start_lab, dialect):
    server, shape = start(start_lab, dialect, "ses-negative-energy")
    energy = shape.field("energy_kwh")
    lowest = get(server, "/sessions", sortby=energy, pagesize="1").json()[shape.items][0]
    assert lowest[energy] < 0


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_totalpages_floor(start_lab, dialect):
    server, shape = start(start_lab, dialect, "page-02-totalpages-floor")
    page = shape.page(get(server, "/sessions", pagesize="7").json())
    assert page["total"] % 7 and page["totalpages"] == page["total"] // 7 != math.ceil(page["total"] / 7)


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_wrong_station_name(start_lab, dialect):
    """Every 33rd station's charge points show its old name, under the dialect's station name field."""
    server, shape = start(start_lab, dialect, "geo-07-wrong-station-name")
    station_id, station_name = shape.field("station_id"), shape.field("station_name")
    renamed = next(shape.record(r.json()) for r in (get(server, f"/stations/{i}") for i in (2, 35, 68, 101))
                   if r.status_code == 200)
    items = get(server, "/chargers/status", lat=str(renamed["lat"]), lng=str(renamed["lng"]), radius="30",
                pagesize="50").json()[shape.items]
    assert any(item[station_id] == renamed["id"] for item in items)
    for item in items:
        old = item[station_id] % 33 == 2
        assert item[station_name].endswith(" (old)") is old, item
        if item[station_id] == renamed["id"]:
            assert item[station_name] == renamed["name"] + " (old)"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_unknown_sortby_ignored(start_lab, dialect):
    """A native name the dialect renamed is an unknown sort field: the defect ignores it."""
    server, shape = start(start_lab, dialect, "sort-02-sortby-unknown-ignored")
    response = get(server, "/customers", sortby="created_at")
    assert response.status_code == 200
    assert get(server, "/customers", sortby=shape.field("created_at")).json() != response.json()


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_validation_before_auth(start_lab, dialect):
    """The gateway validates with the server's rules: its bound, the dialect's sort names."""
    server, shape = start(start_lab, dialect, "auth-05-validation-before-auth")
    bad = {"x-api-key": "iris_unknown"}
    over = get(server, "/sessions", key=None, headers=bad, pagesize=str(shape.max_pagesize + 1))
    assert (over.status_code, shape.error_code(over.json())) == (400, "VALIDATION_ERROR")
    within = get(server, "/sessions", key=None, headers=bad, pagesize=str(shape.max_pagesize),
                 sortby=shape.field("energy_kwh"))
    assert (within.status_code, shape.error_code(within.json())) == (401, "INVALID_API_KEY")
    if shape.field("energy_kwh") != "energy_kwh":
        renamed = get(server, "/sessions", key=None, headers=bad, sortby="energy_kwh")
        assert renamed.status_code == 400


# ------------------------------------------------ the overlays describe the dialects (ground truth)

SPEC = ROOT / "specs" / "openapi.yaml"


def adapted_spec(dialect: str) -> dict[str, Any]:
    """specs/openapi.yaml with the dialect's overlay applied by the suite's own loader (anchors
    expanded, action by action, every target must match, no documented point changed)."""
    if dialect == "native":
        return specs.unshared(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    return specs.Spec(SPEC, [str(OVERLAYS / f"{dialect}.overlay.yaml")]).openapi_document()


def deref(document: dict[str, Any], node: Any) -> Any:
    """``node`` with local ``$ref``s (the suite's :func:`conformance.contract.spec.deref`) and a
    one-branch ``allOf`` followed."""
    for _ in range(10):
        _, node = specs.deref(document, node)
        if isinstance(node, dict) and len(node.get("allOf", [])) == 1 and "properties" not in node:
            node = node["allOf"][0]
        else:
            return node
    return node


def ok_schema(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    response = deref(document, op["responses"]["200"])
    return deref(document, response["content"]["application/json"]["schema"])


def property_names(document: dict[str, Any], schema: Any) -> set[str]:
    return set(deref(document, schema)["properties"])


def check_record(document: dict[str, Any], schema: dict[str, Any], record: dict[str, Any], stamp: re.Pattern[str],
                 where: str) -> None:
    """``record`` has exactly the schema's properties, all required, nested records (charge points,
    connectors, tariff rules) included, and its timestamps match the spec's pattern."""
    assert set(record) == set(schema["properties"]) == set(schema["required"]), where
    for name, prop in schema["properties"].items():
        prop, value = deref(document, prop), record[name]
        if prop.get("format") == "date-time" and value is not None:
            assert stamp.fullmatch(value) and re.fullmatch(prop["pattern"], value), (where, name, value)
        items = deref(document, prop.get("items"))
        if isinstance(items, dict) and "properties" in items:
            for element in value:
                check_record(document, items, element, stamp, f"{where}.{name}[]")


@pytest.mark.parametrize("dialect", ("native", *DIALECTS))
def test_the_overlay_describes_the_dialect(servers, dialect):
    """What the adapted spec says (envelope, pagination, record fields, sort fields, the bound, the
    timestamp form, the rate-limit headers, the geo fields) is what the dialect's server answers."""
    document = adapted_spec(dialect)
    server = servers[dialect]
    api = document["x-api"]
    envelope = api["envelope"]
    success, data, error = envelope["success-field"], envelope["data-field"], envelope["error-field"]
    wrapped = envelope.get("detail-wrapped", True)
    stamp = re.compile(api["timestamp-pattern"])
    rate = api["rate-limit"]
    for path, item in document["paths"].items():
        op = item["get"]
        concrete = path.replace("{id}", "1" if "customers" not in path else "user123")
        params = NEAR if "x-geo" in op else {}
        response = get(server, concrete, **params)
        body = response.json()
        assert response.status_code == 200, path
        assert rate["limit-header"] in response.headers and rate["remaining-header"] in response.headers, path
        assert set(deref(document, op["responses"]["200"]).get("headers", {})) == \
            {rate["limit-header"], rate["remaining-header"]}, path
        schema = ok_schema(document, op)
        if success:
            assert body[success] is True
        else:
            assert "success" not in body
        if "x-pagination" in op:
            pagination = op["x-pagination"]
            assert set(body) == set(schema["properties"]) == set(schema["required"]), path
            records = body[data]
            meta = pagination["meta-field"]
            assert set(body[meta]) == {pagination[k] for k in ("page-field", "pagesize-field", "total-field",
                                                               "totalpages-field")}
            assert set(body[meta]) == property_names(document, schema["properties"][meta])
            bound = pagination["max-pagesize"]
            pagesize = next(deref(document, p) for p in op["parameters"]
                            if deref(document, p)["name"] == pagination["pagesize-param"])
            assert pagesize["schema"]["maximum"] == bound
            assert deref(document, schema["properties"][meta])["properties"][pagination["pagesize-field"]][
                "maximum"] == bound
            assert get(server, concrete, **params, pagesize=str(bound)).status_code == 200
            assert get(server, concrete, **params, pagesize=str(bound + 1)).status_code == 400
            item_schema = deref(document, schema["properties"][data]["items"])
        else:
            records = [body[data] if wrapped else body]
            item_schema = deref(document, schema["properties"][data]) if wrapped else schema
        assert records, path
        fields = set(item_schema["properties"])
        for record in records:
            check_record(document, item_schema, record, stamp, path)
        resource = op.get("x-resource")
        if resource:
            sort = resource["sort"]
            assert {resource["id-field"], sort["default"], sort["tiebreak"], *sort["fields"],
                    *resource["search"]["fields"], *(f["field"] for f in resource["filters"]),
                    *(r["field"] for r in resource.get("references", []))} <= fields, path
            sortby = next(deref(document, p) for p in op["parameters"]
                          if deref(document, p)["name"] == sort["sortby-param"])
            assert sortby["schema"]["enum"] == list(sort["fields"]) and sortby["schema"]["default"] == sort["default"]
            for name in sort["fields"]:
                assert get(server, concrete, sortby=name).status_code == 200, (path, name)
            for member in resource.get("reference-members", []):
                assert member["field"] in fields
        geo = op.get("x-geo")
        if geo:
            assert {v for k, v in geo.items() if k.endswith("-field")} <= fields
            assert geo["order"] == [geo["distance-field"], geo["station-id-field"], geo["charge-point-id-field"]]
    refused = get(server, "/tariffs", pagesize="0").json()
    holder = refused if error is None else refused[error]
    assert holder[envelope["error-code-field"]] == "VALIDATION_ERROR" and envelope["error-message-field"] in holder
    error_schema = deref(document, document["components"]["schemas"]["Error"])
    assert set(refused) <= set(error_schema["properties"]) and set(error_schema["required"]) <= set(refused)
    session = document["components"]["schemas"]["Session"]
    names = set(session["properties"])
    assert {rule["then"]["field"] for rule in session["x-invariants"]} <= names
    assert {r["field"] for r in session["x-references"]} <= names
