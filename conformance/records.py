"""Records of list operations: what identifies one, as the spec says (``x-resource.id-field``, or a
geo list's station and charge point ids)."""

from __future__ import annotations

from typing import Any, Callable

from conformance.spec import Operation


def record_key(op: Operation) -> Callable[[dict[str, Any]], Any]:
    """What identifies a record of ``op``'s list: its id, or (station, charge point) for the geo list."""
    geo = op.geo_view
    if geo is not None:
        return lambda item: (item.get(geo.station_id_field), item.get(geo.charge_point_id_field))
    id_field = op.resource_view.id_field
    return lambda item: item.get(id_field)
