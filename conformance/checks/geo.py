"""Great-circle geometry for the /chargers/status checks (GEO-02..06)."""

from __future__ import annotations

import math


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float, radius_km: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius_km * math.asin(min(1.0, math.sqrt(a)))


def tolerance_km(distance_km: float, relative: float, absolute_m: float) -> float:
    """The larger of ``relative`` of the distance and ``absolute_m`` metres."""
    return max(relative * distance_km, absolute_m / 1000.0)


def destination(lat: float, lng: float, bearing_deg: float, distance_km: float, radius_km: float) -> tuple[float, float]:
    """The point ``distance_km`` from (lat, lng) along ``bearing_deg``; longitude normalised to [-180, 180]."""
    d = distance_km / radius_km
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lng2 = (math.degrees(l2) + 540.0) % 360.0 - 180.0
    return max(-90.0, min(90.0, math.degrees(p2))), lng2
