"""DET-01, DET-02: detail endpoints agree with their lists, refuse malformed ids and do not find ids
that are not the tenant's. Lists, id fields and detail operations come from the spec
(``x-resource``: ``id-field``, ``detail-operation``); ids from live responses, the records DET-01
compares from the run's record sample (:mod:`conformance.inputs.sampling`: all through the list, not only
its first page)."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import example, given, strategies as st

from conformance.checks.expect import counted, expect, shown, some
from conformance.checks.records import detail_path, list_of
from conformance.inputs.strategies import not_positive_integers
from conformance.inputs.targets import id_type

#: Integer ids that are not an integer >= 1 in plain ASCII digits (contract §6, §7).
NOT_POSITIVE_INTEGERS = not_positive_integers()
SUFFIX_CHARS = string.ascii_letters + string.digits + "-_~"


# ------------------------------------------------------------------------------------- helpers

def differences(listed: dict[str, Any], detailed: Any) -> list[str]:
    """The fields of the list item whose value the detail does not repeat exactly (deep equality),
    each at its first differing value: ``charge_points[0].status: "Charging" listed, "Available" in the detail``."""
    if not isinstance(detailed, dict):
        return ["the detail's data is not an object"]
    return [deep_difference(name, value, detailed[name]) if name in detailed else f"{name}: missing in the detail"
            for name, value in listed.items() if name not in detailed or detailed[name] != value]


def deep_difference(where: str, listed: Any, detailed: Any) -> str:
    """Where ``listed`` and ``detailed`` first differ, inside lists and objects."""
    if isinstance(listed, dict) and isinstance(detailed, dict) and listed.keys() == detailed.keys():
        name = next(k for k in listed if listed[k] != detailed[k])
        return deep_difference(f"{where}.{name}", listed[name], detailed[name])
    if isinstance(listed, list) and isinstance(detailed, list) and len(listed) == len(detailed):
        index = next(i for i, (a, b) in enumerate(zip(listed, detailed)) if a != b)
        return deep_difference(f"{where}[{index}]", listed[index], detailed[index])
    return f"{where}: {shown(listed)[:60]} listed, {shown(detailed)[:60]} in the detail"


# --------------------------------------------------------------------------------------- DET-01

@pytest.mark.requirement("DET-01")
@given(data=st.data())
def test_detail_repeats_every_field_of_the_list_item(data, envelope, resource_operation, sampled, details):
    op = resource_operation
    sample = sampled(op)
    record = data.draw(st.sampled_from(sample.records), label="record")
    resource = op.resource_view
    exchange = details.get(resource.detail_operation, record[resource.id_field])
    listing = sample.seen_on(record)
    listed = f"the listed {resource.name} {shown(record[resource.id_field])}"
    detail = f"the detail {envelope.answered(exchange)} of {listed}"
    expect(exchange.status < 500, "TRN-04", detail, exchange, expected="HTTP 200, no 5xx",
           kind="a 5xx to a listed record's detail")
    expect(exchange.status == 200, "DET-01", detail, exchange, listing, expected="HTTP 200",
           kind="a listed record's detail refused")
    diff = differences(record, envelope.data(exchange, "DET-01"))
    expect(not diff, "DET-01", f"the fields of {listed} in its "
           f"detail {envelope.answered(exchange)}", listing, exchange,
           expected="every field of the list item, with the same value",
           got=f"{counted(len(diff), 'field')} of {len(record)} not the same: {some(diff, as_is=True)}",
           kind="a detail that differs from the list item")


# --------------------------------------------------------------------------------------- DET-02

@pytest.mark.requirement("DET-02")
@given(value=NOT_POSITIVE_INTEGERS)
@example(value="abc")
@example(value="0")
@example(value="-1")
@example(value="1.5")
@example(value="1e3")
@example(value=" 1")
def test_an_integer_id_that_is_not_a_positive_integer_is_a_validation_error(value, api, envelope, integer_id_operation):
    exchange = api.get(detail_path(integer_id_operation, value))
    envelope.expect_error(exchange, "VALIDATION_ERROR", "DET-02",
                          f"GET {integer_id_operation.path} with the id {shown(value)} (not an integer >= 1)")


@pytest.mark.requirement("DET-02")
@given(data=st.data())
def test_a_well_formed_id_that_is_not_the_tenants_is_not_found(data, api, envelope, iris_spec, detail_operation,
                                                                first_page):
    """An id past the largest of the list (the first pages sorted by id in each order hold both ends):
    larger for integers, a proper extension for strings (which sort after their prefix), so no record
    of the tenant has it."""
    listing = list_of(iris_spec, detail_operation)
    res = listing.resource_view
    id_field, sort = res.id_field, res.sort
    if id_field not in sort.fields:
        pytest.skip(f"not run: the spec declares no sort by {id_field!r} for {listing.operation_id}")
    seen = [record[id_field] for order in sort.orders  # both ends of the list
            for record in first_page(listing, {sort.sortby_param: id_field, sort.orderby_param: order})]
    if id_type(detail_operation) == "integer":
        unknown: Any = max(seen, default=0) + data.draw(st.integers(10**6, 10**12), label="beyond the largest id")
    else:
        if not seen:
            pytest.skip(f"not run: no data: the tenant has no {res.name} records")
        largest = max(seen, key=lambda v: str(v).lower())
        unknown = str(largest) + data.draw(st.text(SUFFIX_CHARS, min_size=1, max_size=8), label="suffix")
    expect(unknown not in seen, "DET-02", f"the id {shown(unknown)} the suite derived past every listed {res.name} id",
           expected="an id the tenant's list does not hold", got="the list holds it: cannot judge")
    exchange = api.get(detail_path(detail_operation, unknown))
    envelope.expect_error(exchange, "NOT_FOUND", "DET-02",
                          f"GET {detail_operation.path} with the id {shown(unknown)}, which sorts past every "
                          f"{res.name} id of the tenant")
