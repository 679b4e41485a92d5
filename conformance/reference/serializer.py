"""The wire shapes of the contract (§4 envelopes, §6 and §8 resources) and the JSON responses.

Each resource has one method, used by both its list and its detail endpoint (DET-01). Every
response, errors included, is ``application/json`` with the §4 envelope; error messages are fixed
texts and never contain request data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from starlette.responses import Response

from .repository import PageResult

MEDIA_TYPE = "application/json"


class Serializer:
    # ----------------------------------------------------------------------------- resources
    def tariff(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "name": row["name"],
            "type": row["type"],
            "currency": row["currency"],
            "isactive": bool(row["isactive"]),
            "created_at": row["created_at"],
            "rules": [self.tariff_rule(rule) for rule in row.get("rules", [])],
        }

    def tariff_rule(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "price": row["price"],
            "unit": row["unit"],
            "start_time": row["start_time"],
            "end_time": row["end_time"],
            "days": json.loads(row["days"]),
        }

    def customer(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "name": row["name"],
            "email": row["email"],
            "phone": row["phone"],
            "created_at": row["created_at"],
        }

    def station(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "name": row["name"],
            "address": row["address"],
            "city": row["city"],
            "state": row["state"],
            "country": row["country"],
            "lat": row["lat"],
            "lng": row["lng"],
            "always_open": bool(row["always_open"]),
            "opening_hours": row["opening_hours"],
            "created_at": row["created_at"],
            "charge_points": [self.charge_point(point) for point in row.get("charge_points", [])],
        }

    def charge_point(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "status": row["status"],
            "connectors": [self.connector(connector) for connector in row.get("connectors", [])],
        }

    def connector(self, row: dict) -> dict:
        return {"id": row["id"], "type": row["type"], "power_kw": row["power_kw"], "status": row["status"]}

    def session(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "user_id": row["user_id"],
            "charge_station_id": row["charge_station_id"],
            "charge_point_id": row["charge_point_id"],
            "connector_id": row["connector_id"],
            "tariff_id": row["tariff_id"],
            "status": row["status"],
            "start_time": row["start_time"],
            "end_time": row["end_time"],
            "energy_kwh": row["energy_kwh"],
            "cost": row["cost"],
            "currency": row["currency"],
        }

    def charger(self, row: dict) -> dict:
        return {
            "station_id": row["station_id"],
            "station_name": row["station_name"],
            "charge_point_id": row["charge_point_id"],
            "lat": row["lat"],
            "lng": row["lng"],
            "distance": row["distance"],
            "status": row["status"],
            "connectors": [self.connector(connector) for connector in row.get("connectors", [])],
            "last_updated": row["last_updated"],
        }

    # ----------------------------------------------------------------------------- envelopes
    def list_body(self, result: PageResult, item: Callable[[dict], dict]) -> dict:
        pagesize = result.paging.pagesize
        return {
            "success": True,
            "data": [item(row) for row in result.items],
            "pagination": {
                "page": result.paging.page,
                "pagesize": pagesize,
                "total": result.total,
                "totalpages": (result.total + pagesize - 1) // pagesize,
            },
        }

    def detail_body(self, data: dict) -> dict:
        return {"success": True, "data": data}

    def error_body(self, code: str, message: str, details: list[dict] | None = None) -> dict:
        error: dict = {"code": code, "message": message}
        if details:
            error["details"] = details
        return {"success": False, "error": error}

    # ----------------------------------------------------------------------------- responses
    def render(self, body: dict) -> bytes:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")

    def response(self, status: int, body: dict, headers: Mapping[str, str] | None = None) -> Response:
        return Response(self.render(body), status_code=status, headers=dict(headers or {}), media_type=MEDIA_TYPE)

    def ok_list(self, result: PageResult, item: Callable[[dict], dict]) -> Response:
        return self.response(200, self.list_body(result, item))

    def ok_detail(self, data: dict) -> Response:
        return self.response(200, self.detail_body(data))

    def error(self, status: int, code: str, message: str, details: list[dict] | None = None,
              headers: Mapping[str, str] | None = None) -> Response:
        return self.response(status, self.error_body(code, message, details), headers)

    def unauthorized(self, status: int, code: str, message: str, headers: Mapping[str, str]) -> Response:
        return self.error(status, code, message, headers=headers)

    def rate_limited(self, headers: Mapping[str, str]) -> Response:
        return self.error(429, "RATE_LIMIT_EXCEEDED", "Too many requests: wait and retry", headers=headers)

    def validation_error(self, message: str, details: list[dict]) -> Response:
        return self.error(400, "VALIDATION_ERROR", message, details)

    def not_found(self, what: str = "Resource") -> Response:
        return self.error(404, "NOT_FOUND", f"{what} not found")

    def method_not_allowed(self, allowed: tuple[str, ...] = ("GET", "HEAD")) -> Response:
        return self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed: only GET is supported",
                          headers={"Allow": ", ".join(allowed)})

    def internal_error(self) -> Response:
        return self.error(500, "INTERNAL_ERROR", "Internal server error")
