"""Records of list operations: what identifies one, as the spec says (``x-resource.id-field``, or a
geo list's station and charge point ids), the list a detail operation belongs to, the path of one
record's detail, and the records a filter or a search is checked against."""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote

import pytest

from conformance.contract.spec import Operation, Spec

Record = dict[str, Any]


def record_key(op: Operation) -> Callable[[dict[str, Any]], Any]:
    """What identifies a record of ``op``'s list: its id, or (station, charge point) for the geo list."""
    geo = op.geo_view
    if geo is not None:
        return lambda item: (item.get(geo.station_id_field), item.get(geo.charge_point_id_field))
    id_field = op.resource_view.id_field
    return lambda item: item.get(id_field)


def list_of(spec: Spec, detail: Operation) -> Operation:
    """The list operation whose ``x-resource.detail-operation`` is ``detail``."""
    for candidate in spec.resource_list_operations:
        if candidate.resource_view.detail_operation == detail.operation_id:
            return candidate
    raise LookupError(f"no list operation in the spec names {detail.operation_id} as its detail-operation")


def detail_path(op: Operation, value: Any) -> str:
    """``op``'s path with its (first) path parameter set to ``value``, percent-encoded (``/`` too)."""
    return op.path.replace("{%s}" % op.path_params[0], quote(str(value), safe=""))


def by_tiebreak(op: Operation) -> dict[str, str]:
    """The query that sorts ``op``'s list by its tiebreak field (in the default order)."""
    sort = op.resource_view.sort
    return {sort.sortby_param: sort.tiebreak}


def known_records(op: Operation, first_page: Callable[..., list[Record]]) -> list[Record]:
    """The unfiltered first page sorted by the tiebreak field: the records a filter or a search is
    checked against (their matches come first among its results). Skips when the list is empty."""
    records = first_page(op, by_tiebreak(op))
    if not records:
        pytest.skip(f"not run: no data: {op.operation_id} has no records")
    return records


def search_param(op: Operation) -> str | None:
    """The search parameter of ``op``'s list, or None when the spec declares no search."""
    return op.resource_view.search_param


def search_param_or_skip(op: Operation) -> str:
    """The search parameter of ``op``'s list; skips the test when the spec declares no search."""
    param = search_param(op)
    if param is None:
        pytest.skip(f"not run: the spec declares no search for {op.operation_id}")
    return param
