"""Concrete requests of an operation: a valid one (its path filled with a live id, or its list query)
and the requests that turn it into an error (an invalid id or page size, an id the tenant does not
have), the live ids they are derived from, and another tenant's records. (Detail lookups cached per
run are :class:`conformance.inputs.sampling.DetailCache`.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, TypeVar

import pytest
from hypothesis import strategies as st

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.records import detail_path, list_of, record_key
from conformance.contract.spec import Operation, Spec


def live_ids(spec: Spec, first_page: Callable, op: Operation) -> list[Any]:
    """Ids of live records for the detail operation ``op`` (skips when the tenant has none)."""
    source = list_of(spec, op)
    ids = [record.get(source.resource_view.id_field) for record in first_page(source)]
    ids = [i for i in ids if i is not None]
    if not ids:
        pytest.skip(f"not run: no data: {source.operation_id} returned no records")
    return ids


def id_type(op: Operation) -> str | None:
    """The type of ``op``'s record ids: ``x-resource.id-type`` of a resource list, the schema type of
    the path parameter of a detail operation (None when it declares none)."""
    if op.resource_view is not None:
        return op.resource_view.id_type
    if op.path_params:
        return op.parameter(op.path_params[0]).type
    return None


def absent_id(op: Operation, ids: list[Any]) -> str:
    """A well-formed id of ``op``'s records that is not among ``ids`` (the ids seen live): past the
    largest for integer ids, a live id with a suffix for string ids."""
    if id_type(op) == "integer":
        numbers = [int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]
        return str(max(numbers, default=0) + 10**9)
    seen = {str(i) for i in ids}
    candidate = f"{ids[0]}-not-a-live-id" if ids else "iris-conformance-not-a-live-id"
    while candidate in seen:
        candidate += "-x"
    return candidate


def invalid_id(op: Operation) -> str | None:
    """An id the path parameter's schema refuses (400), or None when every non-empty string is valid."""
    param = op.parameter(op.path_params[0])
    if param.type == "integer":
        return str(int(param.minimum if param.minimum is not None else 1) - 1)
    return None


@dataclass
class Target:
    """A valid request of one operation, and what turns it into an error. ``source`` is the list
    operation whose records it returns (the operation itself for a list)."""

    op: Operation
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    invalid: tuple[str, dict[str, Any]] | None = None  # (path, params) refused with 400
    absent: str | None = None  # a path refused with 404
    source: Operation | None = None

    @property
    def key(self) -> Callable[[dict[str, Any]], Any]:
        """What identifies a record of the target's data."""
        return record_key(self.source or self.op)

    def valid(self, api: ApiClient) -> Exchange:
        return api.get(self.path, self.params)

    def errors(self, api: ApiClient) -> list[tuple[str, Exchange]]:
        """Every error status the target can provoke: 400, 401, 404, 405."""
        out = [("no credential", api.get(self.path, self.params, key=None)),
               ("POST without a body", api.request("POST", self.path, self.params))]
        if self.invalid is not None:
            out.append(("an invalid parameter", api.get(*self.invalid)))
        if self.absent is not None:
            out.append(("an id the tenant does not have", api.get(self.absent)))
        return out


@dataclass(frozen=True)
class ForeignRecord:
    """A record another tenant's key lists (TEN-01, TEN-02): its id, and the detail operation that
    reads it (``path``: its detail path)."""

    detail: Operation
    id: Any

    @property
    def path(self) -> str:
        return detail_path(self.detail, self.id)


def draw_foreign_record(data: Any, spec: Spec, op: Operation, their_items: list[dict[str, Any]]) -> ForeignRecord:
    """One of ``their_items`` (the other tenant's records of the resource list ``op``), drawn by
    hypothesis (``their id``)."""
    resource = op.resource_view
    record_id = data.draw(st.sampled_from([item[resource.id_field] for item in their_items]), label="their id")
    return ForeignRecord(spec.operation(resource.detail_operation), record_id)


def detail_target(spec: Spec, op: Operation, live: Any, ids: list[Any]) -> Target:
    """The request of the detail operation ``op`` for the live id ``live`` (``ids``: all seen live)."""
    bad = invalid_id(op)
    return Target(op, detail_path(op, live), invalid=(detail_path(op, bad), {}) if bad is not None else None,
                  absent=detail_path(op, absent_id(op, ids)), source=list_of(spec, op))


def list_target(op: Operation, params: dict[str, Any]) -> Target:
    """The request of the list operation ``op`` with the query ``params``."""
    pag = op.paging
    invalid = dict(params, **{pag.pagesize_param: pag.max_pagesize + 1})
    return Target(op, op.path, params, invalid=(op.path, invalid), source=op)


def first_target(spec: Spec, op: Operation, first_page: Callable, base_query: Callable) -> Target:
    """The same valid request of ``op`` every time: the first live id, or the list's base query."""
    if op.path_params:
        ids = live_ids(spec, first_page, op)
        return detail_target(spec, op, ids[0], ids)
    return list_target(op, dict(base_query(op)))


def draw_target(data: Any, spec: Spec, op: Operation, first_page: Callable, base_query: Callable) -> Target:
    """A valid request of ``op`` chosen by hypothesis among live values."""
    if op.path_params:
        ids = live_ids(spec, first_page, op)
        return detail_target(spec, op, data.draw(st.sampled_from(ids), label="id"), ids)
    pag = op.paging
    params = dict(base_query(op))
    params[pag.pagesize_param] = data.draw(st.integers(1, pag.max_pagesize), label="pagesize")
    return list_target(op, params)



C = TypeVar("C")


def spread(cases: Sequence[C], operations: Sequence[Operation]) -> list[tuple[C, Operation]]:
    """Every case sent once, and every operation sent at least one case: the cases are dealt to the
    operations in turn (cycling through whichever list is shorter). A rule that holds for the whole
    API (how a credential is read, how a refusal looks) is probed across both of its dimensions, the
    kinds of input and the routes, at the cost of the longer list rather than of their product."""
    if not cases or not operations:
        return []
    return [(cases[i % len(cases)], operations[i % len(operations)]) for i in range(max(len(cases), len(operations)))]
