"""Reading the data: every query is scoped to one tenant (TEN-01/02).

The repository returns plain dicts (rows with their children attached); shaping them for the wire
is the serializer's job. User input only ever reaches SQLite as bound parameters, searches use
``instr`` on lower-cased shadow columns (never ``LIKE``), and numbers that SQLite cannot hold
(huge page offsets, ids past 64 bits) are settled in Python before any query.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Any

from .query import ChargerQuery, CustomerQuery, Paging, SessionQuery, Sorting, StationQuery, TariffQuery

EARTH_RADIUS_KM = 6371.0088
MAX_SQLITE_INT = 2 ** 63 - 1
IN_CHUNK = 500
"""Most values bound to one ``IN (...)`` list (SQLite limits the variables of a statement)."""


def chunks(values: list, size: int = IN_CHUNK) -> list[list]:
    return [values[start:start + size] for start in range(0, len(values), size)]


@dataclass(frozen=True)
class PageResult:
    items: list[dict]
    total: int
    paging: Paging


@dataclass(frozen=True)
class _Table:
    name: str
    columns: str
    sort: dict[str, tuple[str, bool]]
    """sortby field -> (column, nullable)"""
    search: tuple[str, ...]
    key: str = "id"


TARIFFS = _Table(
    "tariffs", "id, name, type, currency, isactive, created_at",
    {"id": ("id", False), "name": ("name_lc", False), "type": ("type", False), "created_at": ("created_at", False)},
    ("name_lc",))
CUSTOMERS = _Table(
    "customers", "id, name, email, phone, created_at",
    {"id": ("id_lc", False), "name": ("name_lc", False), "email": ("email_lc", False),
     "created_at": ("created_at", False)},
    ("name_lc", "phone_lc", "email_lc"))
STATIONS = _Table(
    "stations", "id, name, address, city, state, country, lat, lng, always_open, opening_hours, created_at",
    {"id": ("id", False), "name": ("name_lc", False), "city": ("city_lc", False), "state": ("state_lc", False),
     "created_at": ("created_at", False)},
    ("name_lc", "address_lc", "city_lc", "state_lc"))
SESSIONS = _Table(
    "sessions", "id, user_id, charge_station_id, charge_point_id, connector_id, tariff_id, status, start_time,"
    " end_time, energy_kwh, cost, currency",
    {"id": ("id", False), "start_time": ("start_time", False), "energy_kwh": ("energy_kwh", False),
     "cost": ("cost", False)},
    ("user_id_lc", "charge_point_id_lc"))


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance on the mean Earth sphere; longitude differences wrap naturally."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lng2 - lng1) / 2
    h = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(max(0.0, h))))


class Repository:
    #: How many /chargers/status answers :meth:`stations_within` keeps.
    NEAR_CACHE_SIZE = 8

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._near_cache: dict[tuple, tuple[list[tuple[float, int]], int]] = {}
        self._points_by_station: dict[int, tuple[str, ...]] | None = None

    # ------------------------------------------------------------------------------- tariffs
    def tariffs(self, tenant_id: int, query: TariffQuery) -> PageResult:
        conditions, args = self.search_condition(TARIFFS, query.search)
        if query.type is not None:
            conditions.append("type = ?")
            args.append(query.type)
        if query.isactive is not None:
            conditions.append("isactive = ?")
            args.append(int(query.isactive))
        result = self.list(TARIFFS, tenant_id, conditions, args, query.sorting, query.paging)
        self.attach_rules(result.items)
        return result

    def tariff(self, tenant_id: int, tariff_id: int) -> dict | None:
        item = self.one(TARIFFS, tenant_id, tariff_id)
        if item is not None:
            self.attach_rules([item])
        return item

    def attach_rules(self, tariffs: list[dict]) -> None:
        if not tariffs:
            return
        by_id = {tariff["id"]: tariff for tariff in tariffs}
        for tariff in tariffs:
            tariff["rules"] = []
        marks = ", ".join("?" * len(by_id))
        for row in self.conn.execute(
                f"SELECT id, tariff_id, price, unit, start_time, end_time, days FROM tariff_rules"
                f" WHERE tariff_id IN ({marks}) ORDER BY tariff_id, position, id", list(by_id)):
            by_id[row["tariff_id"]]["rules"].append(dict(row))

    # ----------------------------------------------------------------------------- customers
    def customers(self, tenant_id: int, query: CustomerQuery) -> PageResult:
        conditions, args = self.search_condition(CUSTOMERS, query.search)
        return self.list(CUSTOMERS, tenant_id, conditions, args, query.sorting, query.paging)

    def customer(self, tenant_id: int, customer_id: str) -> dict | None:
        row = self.conn.execute(f"SELECT {CUSTOMERS.columns} FROM customers WHERE tenant_id = ? AND id = ?",
                                (tenant_id, customer_id)).fetchone()
        return dict(row) if row is not None else None

    # ------------------------------------------------------------------------------ stations
    def stations(self, tenant_id: int, query: StationQuery) -> PageResult:
        conditions, args = self.search_condition(STATIONS, query.search)
        for column, value in (("city_lc", query.city), ("state_lc", query.state)):
            if value is not None:
                conditions.append(f"{column} = ?")
                args.append(value.lower())
        if query.always_open is not None:
            conditions.append("always_open = ?")
            args.append(int(query.always_open))
        result = self.list(STATIONS, tenant_id, conditions, args, query.sorting, query.paging)
        self.attach_charge_points(result.items)
        return result

    def station(self, tenant_id: int, station_id: int) -> dict | None:
        item = self.one(STATIONS, tenant_id, station_id)
        if item is not None:
            self.attach_charge_points([item])
        return item

    def attach_charge_points(self, stations: list[dict]) -> None:
        if not stations:
            return
        by_id = {station["id"]: station for station in stations}
        for station in stations:
            station["charge_points"] = []
        marks = ", ".join("?" * len(by_id))
        points: dict[str, dict] = {}
        for row in self.conn.execute(
                f"SELECT id, station_id, status, last_updated FROM charge_points WHERE station_id IN ({marks})"
                f" ORDER BY station_id, position, id", list(by_id)):
            point = dict(row, connectors=[])
            points[point["id"]] = point
            by_id[point["station_id"]]["charge_points"].append(point)
        for row in self.conn.execute(
                f"SELECT c.charge_point_id, c.id, c.type, c.power_kw, c.status FROM connectors c"
                f" JOIN charge_points p ON p.id = c.charge_point_id WHERE p.station_id IN ({marks})"
                f" ORDER BY c.charge_point_id, c.id", list(by_id)):
            points[row["charge_point_id"]]["connectors"].append(dict(row))

    # ------------------------------------------------------------------------------ sessions
    def sessions(self, tenant_id: int, query: SessionQuery) -> PageResult:
        conditions, args = self.search_condition(SESSIONS, query.search)
        if query.start_date is not None:
            conditions.append("start_time >= ?")
            args.append(query.start_date)
        if query.end_date is not None:
            conditions.append("start_time <= ?")
            args.append(query.end_date)
        if query.status is not None:
            conditions.append("status = ?")
            args.append(query.status)
        if query.charge_station_id is not None:
            if query.charge_station_id > MAX_SQLITE_INT:
                return PageResult([], 0, query.paging)
            conditions.append("charge_station_id = ?")
            args.append(query.charge_station_id)
        if query.user_id is not None:
            conditions.append("user_id = ?")
            args.append(query.user_id)
        return self.list(SESSIONS, tenant_id, conditions, args, query.sorting, query.paging)

    def session(self, tenant_id: int, session_id: int) -> dict | None:
        return self.one(SESSIONS, tenant_id, session_id)

    # ------------------------------------------------------------------------------ chargers
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        """Charge points within the radius, nearest first (ties by station id, then charge point id).

        The stations within the radius come from :meth:`stations_within` (a bounding-box pre-filter,
        then the exact haversine distance once per station; the last few results are kept, so walking
        the pages of one query measures its distances once). Each station's charge points, in id order,
        fill the requested page; only that page's charge points are then read in full.
        """
        radius_km = query.radius_km
        hits, total = self.stations_within(tenant_id, query.lat, query.lng, radius_km)
        offset = query.paging.offset
        if offset >= total:
            return PageResult([], total, query.paging)
        points = self.points_by_station()
        page: list[tuple[float, int, str]] = []
        skip, room = offset, query.paging.pagesize
        for distance, station_id in hits:
            ids = points.get(station_id, ())
            if skip >= len(ids):
                skip -= len(ids)
                continue
            page.extend((distance, station_id, point) for point in ids[skip:skip + room - len(page)])
            skip = 0
            if len(page) >= room:
                break
        rows = {}
        for some in chunks([point for _, _, point in page]):
            rows.update((row["charge_point_id"], row) for row in self.conn.execute(
                "SELECT s.id AS station_id, s.name AS station_name, s.lat, s.lng, p.id AS charge_point_id,"
                " p.status, p.last_updated FROM stations s JOIN charge_points p ON p.station_id = s.id"
                f" WHERE s.tenant_id = ? AND p.id IN ({', '.join('?' * len(some))})", [tenant_id, *some]))
        scale = 1000.0 if query.radius_unit == "m" else 1.0
        items = [dict(rows[point], distance=distance * scale) for distance, _station, point in page]
        self.attach_connectors(items)
        return PageResult(items, total, query.paging)

    def stations_within(self, tenant_id: int, lat: float, lng: float,
                        radius_km: float) -> tuple[list[tuple[float, int]], int]:
        """(distance in km, station id) of the tenant's stations within ``radius_km``, nearest first
        (ties by station id), and the number of charge points they hold. The last
        :attr:`NEAR_CACHE_SIZE` answers are kept: the data never changes while the server runs.

        The candidates come from a bounding box of the circle on the index ``stations (tenant_id,
        lat, lng)`` (see :meth:`latitude_band`, :meth:`longitude_range`); the haversine distance decides.
        """
        key = (tenant_id, lat, lng, radius_km)
        cache = self._near_cache
        if key in cache:
            cache[key] = cache.pop(key)  # most recently used last
            return cache[key]
        sql = "SELECT s.id, s.lat, s.lng FROM stations s WHERE s.tenant_id = ?"
        args: list[Any] = [tenant_id]
        band = self.latitude_band(lat, radius_km)
        if band is not None:
            sql += " AND s.lat BETWEEN ? AND ?"
            args.extend(band)
            reach = self.longitude_range(lat, lng, radius_km)
            if reach is not None:
                sql += " AND s.lng BETWEEN ? AND ?"
                args.extend(reach)
        hits = []
        for station_id, station_lat, station_lng in self.conn.execute(sql, args):
            distance = haversine_km(lat, lng, station_lat, station_lng)
            if distance <= radius_km:
                hits.append((distance, station_id))
        hits.sort()
        points = self.points_by_station()
        answer = hits, sum(len(points.get(station_id, ())) for _, station_id in hits)
        cache[key] = answer
        while len(cache) > self.NEAR_CACHE_SIZE:
            del cache[next(iter(cache))]
        return answer

    def points_by_station(self) -> dict[int, tuple[str, ...]]:
        """Charge point ids of every station, in id order (read once: the data never changes)."""
        if self._points_by_station is None:
            grouped: dict[int, list[str]] = {}
            for station_id, point_id in self.conn.execute(
                    "SELECT station_id, id FROM charge_points ORDER BY station_id, id"):
                grouped.setdefault(station_id, []).append(point_id)
            self._points_by_station = {k: tuple(v) for k, v in grouped.items()}
        return self._points_by_station

    @staticmethod
    def latitude_band(lat: float, radius_km: float) -> tuple[float, float] | None:
        """Latitudes that can hold a point within ``radius_km`` of latitude ``lat``.

        Along a meridian the great-circle distance is exactly R * |dlat|, and no path is shorter,
        so every point within the radius has |dlat| <= radius / R. The band is widened a little
        against rounding. None means no restriction (the band covers every latitude).
        """
        angle = radius_km / EARTH_RADIUS_KM
        if not angle < math.pi:
            return None
        spread = math.degrees(angle) * (1 + 1e-9) + 1e-7
        low, high = lat - spread, lat + spread
        if low <= -90 and high >= 90:
            return None
        return low, high

    @staticmethod
    def longitude_range(lat: float, lng: float, radius_km: float) -> tuple[float, float] | None:
        """Longitudes that can hold a point within ``radius_km`` of (``lat``, ``lng``), as one interval
        inside [-180, 180]; None means no restriction.

        A circle of angular radius a around latitude phi that does not contain a pole spans
        |dlng| <= asin(sin a / cos phi) (the meridians tangent to it). There is no restriction when the
        circle reaches a pole (every longitude), comes near one (asin is ill-conditioned there: the
        margin could not cover its rounding), or when the interval would cross the antimeridian (it
        would have to wrap: the pre-filter stays one BETWEEN). The reach is widened a little against
        rounding, like the latitude band.
        """
        angle = radius_km / EARTH_RADIUS_KM * (1 + 1e-9)
        if abs(lat) + math.degrees(angle) >= 89.0:
            return None
        ratio = math.sin(angle) / math.cos(math.radians(lat))
        if not ratio < 0.99:
            return None
        reach = math.degrees(math.asin(ratio)) * (1 + 1e-9) + 1e-7
        low, high = lng - reach, lng + reach
        if low <= -180 or high >= 180:
            return None
        return low, high

    def attach_connectors(self, points: list[dict]) -> None:
        if not points:
            return
        by_id = {point["charge_point_id"]: point for point in points}
        for point in points:
            point["connectors"] = []
        for some in chunks(list(by_id)):
            for row in self.conn.execute(
                    f"SELECT charge_point_id, id, type, power_kw, status FROM connectors"
                    f" WHERE charge_point_id IN ({', '.join('?' * len(some))}) ORDER BY charge_point_id, id", some):
                by_id[row["charge_point_id"]]["connectors"].append(dict(row))

    # ------------------------------------------------------------------------------- generic
    def search_condition(self, table: _Table, search: str | None) -> tuple[list[str], list[Any]]:
        """Literal, case-insensitive substring match on any of the table's search fields."""
        if not search:
            return [], []
        term = search.lower()
        condition = " OR ".join(f"instr({column}, ?) > 0" for column in table.search)
        return [f"({condition})"], [term] * len(table.search)

    def order_by(self, table: _Table, sorting: Sorting) -> str:
        direction = "DESC" if sorting.descending else "ASC"
        column, nullable = table.sort[sorting.field]
        terms = []
        if nullable:
            terms.append(f"({column} IS NULL) {direction}")
        terms.append(f"{column} {direction}")
        if column != table.key:
            terms.append(f"{table.key} {direction}")
        return ", ".join(terms)

    def list(self, table: _Table, tenant_id: int, conditions: list[str], args: list[Any],
             sorting: Sorting, paging: Paging) -> PageResult:
        where = " AND ".join(["tenant_id = ?", *conditions])
        args = [tenant_id, *args]
        total = self.conn.execute(f"SELECT COUNT(*) FROM {table.name} WHERE {where}", args).fetchone()[0]
        offset = paging.offset
        if offset >= total:
            return PageResult([], total, paging)
        rows = self.conn.execute(
            f"SELECT {table.columns} FROM {table.name} WHERE {where} ORDER BY {self.order_by(table, sorting)}"
            f" LIMIT ? OFFSET ?", [*args, paging.pagesize, offset]).fetchall()
        return PageResult([dict(row) for row in rows], total, paging)

    def one(self, table: _Table, tenant_id: int, item_id: int) -> dict | None:
        if not 1 <= item_id <= MAX_SQLITE_INT:
            return None
        row = self.conn.execute(f"SELECT {table.columns} FROM {table.name} WHERE tenant_id = ? AND id = ?",
                                (tenant_id, item_id)).fetchone()
        return dict(row) if row is not None else None
