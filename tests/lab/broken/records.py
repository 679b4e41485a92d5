"""Defects of detail endpoints, sessions and chargers near a point (DET-01/02, SES-01, REF-01, GEO-01..07).

Each is a mistake a real implementation could make, confined to one component and one requirement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance.reference.query import ChargerQuery, Paging, Params, QueryParser
from conformance.reference.repository import EARTH_RADIUS_KM, PageResult, Repository
from conformance.reference.serializer import Serializer

from ..defects import defect

STALE_STATUS = "Available"
"""What a stale status cache says about every charge point: its status when it was commissioned."""


# ---------------------------------------------------------------------------------------- details

@defect("det-01-detail-stale-status", requirement="DET-01", component="serializer",
        description="a station's detail shows its charge points' status from a stale cache (Available), "
                    "unlike the list")
class DetailStaleStatusSerializer(Serializer):
    def ok_detail(self, data: dict):
        if data.get("charge_points"):
            data = dict(data, charge_points=[dict(point, status=STALE_STATUS) for point in data["charge_points"]])
        return super().ok_detail(data)


@defect("det-02-id-zero-not-found", requirement="DET-02", component="parser",
        description="a path id of zeros passes the digits check and is looked up: 404 instead of 400")
class IdZeroNotFoundParser(QueryParser):
    def integer_id(self, raw: str, param: str = "id") -> int:
        if raw and raw.isascii() and raw.isdigit() and not raw.lstrip("0"):
            return 0
        return super().integer_id(raw, param)


# --------------------------------------------------------------------------------------- sessions

@defect("ses-01-started-session-with-end-time", requirement="SES-01", component="serializer",
        description="a missing end_time is filled with start_time (COALESCE), so STARTED sessions have an end_time")
class CoalescedEndTimeSerializer(Serializer):
    def session(self, row: dict) -> dict:
        body = super().session(row)
        if body["end_time"] is None:
            body["end_time"] = body["start_time"]
        return body


@defect("ref-01-session-dangling-tariff", requirement="REF-01", component="serializer",
        description="sessions carry the tariff's id in the old billing system (id + 1000), which resolves to nothing")
class LegacyTariffIdSerializer(Serializer):
    def session(self, row: dict) -> dict:
        body = super().session(row)
        if body["tariff_id"] is not None:
            body["tariff_id"] += 1000
        return body


# ------------------------------------------------------------------------- records deep in the data

class CorruptedRecords(Repository):
    """The same code over data in which a few records, spread across it, are wrong: what the
    database of a deployment holds after years of imports, renumberings and deletions.

    Each subclass names one SQL statement (:attr:`CORRUPTION`); it is run once, before the first
    request is answered, so that lists, filters, sorts, searches and details all agree about the
    corrupted records (and a suite meets them only where it reads them). Stacked defects run each
    of their statements."""

    CORRUPTION = ""
    #: The repository methods that answer a request (each runs the corruption first).
    READS = ("tariffs", "tariff", "customers", "customer", "stations", "station", "sessions", "session",
             "chargers_near")

    def corrupt(self) -> None:
        done = self.__dict__.setdefault("_corruptions_run", set())
        for cls in type(self).__mro__:
            sql = cls.__dict__.get("CORRUPTION")
            if sql and sql not in done:
                with self.conn:
                    self.conn.execute(sql)
                done.add(sql)


def _corrupting(name: str) -> Callable[..., Any]:
    def read(self: CorruptedRecords, *args: Any, **kwargs: Any) -> Any:
        self.corrupt()
        return getattr(super(CorruptedRecords, self), name)(*args, **kwargs)

    read.__name__ = name
    return read


for _name in CorruptedRecords.READS:
    setattr(CorruptedRecords, _name, _corrupting(_name))


@defect("ses-negative-energy", requirement="ENV-01", component="repository",
        description="every 33rd session (3 %) has a negative energy_kwh (a meter that rolled over between "
                    "start and stop), below the spec's minimum 0")
class NegativeEnergyRepository(CorruptedRecords):
    CORRUPTION = "UPDATE sessions SET energy_kwh = -ROUND(energy_kwh + 0.1, 1) WHERE id % 33 = 5"


@defect("ref-01-dangling-user", requirement="REF-01", component="repository",
        description="every 30th customer was erased but its sessions (3 % of them) kept its user_id, which "
                    "resolves to nothing")
class DanglingUserRepository(CorruptedRecords):
    CORRUPTION = "DELETE FROM customers WHERE pk % 30 = 0"


@defect("ref-01-connector-elsewhere", requirement="REF-01", component="repository",
        description="every 33rd session (3 %) names a connector its charge point does not have (the charge "
                    "point's connectors were renumbered after the session)")
class ConnectorElsewhereRepository(CorruptedRecords):
    CORRUPTION = ("UPDATE sessions SET connector_id = (SELECT MAX(c.id) + 1 FROM connectors c"
                  " WHERE c.charge_point_id = sessions.charge_point_id) WHERE id % 33 = 16")


@defect("ref-01-foreign-tariff", requirement="REF-01", component="repository",
        description="every 33rd session (3 %) carries a tariff of the other tenant (a tariff looked up without "
                    "its tenant when the session was billed): getTariff with the session's key is 404")
class ForeignTariffRepository(CorruptedRecords):
    CORRUPTION = ("UPDATE sessions SET tariff_id = (SELECT MIN(t.id) FROM tariffs t"
                  " WHERE t.tenant_id <> sessions.tenant_id) WHERE id % 33 = 27")


# --------------------------------------------------------------------------------------- chargers

@defect("geo-01-lat-91-accepted", requirement="GEO-01", component="parser",
        description="lat is range-checked with the longitude bounds (-180..180): lat=91 is accepted")
class LatitudeWithLongitudeBoundsParser(QueryParser):
    def number(self, params: Params, name: str, low: float, high: float) -> float:
        if name == "lat":
            low, high = -180.0, 180.0
        return super().number(params, name, low, high)


class ChargerRework(Repository):
    """Helpers for the chargers defects: the whole result of a query, then re-filtered or re-ordered."""

    def everything(self, tenant_id: int, query: ChargerQuery, radius_km: float | None = None) -> list[dict]:
        """Every charger within ``radius_km`` (default: the query's radius), nearest first, in the query's unit."""
        wide = replace(query, paging=Paging(1, 10 ** 9))
        if radius_km is not None:
            wide = replace(wide, radius=radius_km * (1000.0 if query.radius_unit == "m" else 1.0))
        return Repository.chargers_near(self, tenant_id, wide).items

    @staticmethod
    def page(items: list[dict], query: ChargerQuery) -> PageResult:
        offset = query.paging.offset
        return PageResult(items[offset:offset + query.paging.pagesize], len(items), query.paging)

    @staticmethod
    def longitude_reach(query: ChargerQuery) -> float | None:
        """Half-width in degrees of longitude of the circle, None when it contains a pole."""
        angle = query.radius_km / EARTH_RADIUS_KM
        if abs(query.lat) + math.degrees(angle) >= 90:
            return None
        return math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(query.lat)))))


@defect("geo-02-distance-truncated", requirement="GEO-02", component="repository",
        description="distance is stored in a DECIMAL(..,1) km column: truncated to 0.1 km, off by up to 100 m")
class TruncatedDistanceRepository(Repository):
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        result = super().chargers_near(tenant_id, query)
        scale = 1000.0 if query.radius_unit == "m" else 1.0
        for item in result.items:
            item["distance"] = math.floor(item["distance"] / scale * 10) / 10 * scale
        return result


@defect("geo-03-bbox-only", requirement="GEO-03", component="repository",
        description="only a latitude/longitude bounding box of the circle is applied: its corners are returned too")
class BoundingBoxRepository(ChargerRework):
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        spread = math.degrees(query.radius_km / EARTH_RADIUS_KM)
        reach = self.longitude_reach(query)

        def in_box(item: dict) -> bool:
            dlng = abs((item["lng"] - query.lng + 540.0) % 360.0 - 180.0)
            return abs(item["lat"] - query.lat) <= spread and (reach is None or dlng <= reach)

        return self.page([item for item in self.everything(tenant_id, query, 20100.0) if in_box(item)], query)


@defect("geo-04-unsorted", requirement="GEO-04", component="repository",
        description="results are ordered by station_id, charge_point_id (the ORDER BY lost its distance term)")
class UnsortedRepository(ChargerRework):
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        items = self.everything(tenant_id, query)
        return self.page(sorted(items, key=lambda item: (item["station_id"], item["charge_point_id"])), query)


@defect("geo-05-metres-treated-as-km", requirement="GEO-05", component="repository",
        description="the radius filter ignores radius_unit=m (1000 m is read as 1000 km); distances are still in m")
class MetresAsKilometresRepository(Repository):
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        if query.radius_unit != "m":
            return super().chargers_near(tenant_id, query)
        result = super().chargers_near(tenant_id, replace(query, radius_unit="km"))
        for item in result.items:
            item["distance"] *= 1000.0
        return result


@defect("geo-06-no-antimeridian-wrap", requirement="GEO-06", component="repository",
        description="a longitude pre-filter lng BETWEEN lng0-w AND lng0+w does not wrap at +-180")
class NoWrapRepository(ChargerRework):
    def chargers_near(self, tenant_id: int, query: ChargerQuery) -> PageResult:
        reach = self.longitude_reach(query)
        items = [item for item in self.everything(tenant_id, query)
                 if reach is None or abs(item["lng"] - query.lng) <= reach]
        return self.page(items, query)


@defect("geo-07-wrong-station-name", requirement="GEO-07", component="serializer",
        description="/chargers/status shows the old name of every 33rd station (3 % of the charge points), "
                    "renamed since in the station's detail")
class StaleStationNameSerializer(Serializer):
    def charger(self, row: dict) -> dict:
        body = super().charger(row)
        if body["station_id"] % 33 == 2:
            body["station_name"] = f"{body['station_name']} (old)"
        return body


@defect("geo-07-stale-status", requirement="GEO-07", component="serializer",
        description="/chargers/status reads charge point status from a stale cache (Available), unlike the station")
class StaleChargerStatusSerializer(Serializer):
    def charger(self, row: dict) -> dict:
        return dict(super().charger(row), status=STALE_STATUS)
