"""ENV-01, ENV-02: the response envelope of every operation, and the form of every timestamp.

Envelope field names, error codes and their statuses come from ``x-api``; which fields are
timestamps comes from the response schemas (every ``format: date-time``), never from field names.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest
from hypothesis import given, strategies as st

from conformance.runtime.client import Exchange
from conformance.checks.expect import expect, shown, some
from conformance.contract.spec import Operation, Schema
from conformance.checks.records import detail_path
from conformance.inputs.strategies import FEW
from conformance.inputs.targets import draw_target, live_ids

# ------------------------------------------------------------------------------------ ENV-01


@pytest.mark.requirement("ENV-01")
@FEW
@given(data=st.data())
def test_success_bodies_have_success_true_and_data(data, api, iris_spec, any_operation, first_page, base_query):
    op = any_operation
    env = iris_spec.envelope_view
    exchange = draw_target(data, iris_spec, op, first_page, base_query).valid(api)
    if not 200 <= exchange.status < 300:  # which status it deserves is other requirements' business
        pytest.skip(f"not run: a valid request of {op.operation_id} was answered {exchange.status}")
    body = exchange.body
    answered = f"{op.method} {op.path}"
    expect(env.success_holds(body, True), "ENV-01", f"the HTTP {exchange.status} body of {answered}", exchange,
           expected=env.describe_success(op.is_list))
    if op.is_list:
        meta = op.paging.meta_field
        expect(isinstance(env.items(body), list) and isinstance(body.get(meta), dict), "ENV-01",
               f"the list body of {answered}", exchange,
               expected=f"an array {env.data_field!r} and an object {meta!r}")
    else:
        expect(isinstance(env.record(body), dict), "ENV-01", f"the detail body of {answered}", exchange,
               expected=f"{env.describe_success(False)} (an object)")


@pytest.mark.requirement("ENV-01")
@FEW
@given(data=st.data())
def test_error_bodies_have_success_false_and_the_code_of_their_status(data, api, envelope, iris_spec, any_operation,
                                                                      first_page, base_query):
    op = any_operation
    env = iris_spec.envelope_view
    codes = iris_spec.api_view.errors
    # Which status each provocation deserves is other requirements' business (AUTH-02, TRN-02,
    # PAGE-01, DET-02); here every error that comes back must be a well-formed error envelope.
    errors = [(what, ex) for what, ex in draw_target(data, iris_spec, op, first_page, base_query).errors(api)
              if ex.status >= 400]
    if not errors:
        pytest.skip(f"not run: no request provoked an error from {op.operation_id}")
    for what, exchange in errors:
        body, answered = exchange.body, f"{exchange.request.method} {op.path} ({what})"
        expect(env.success_holds(body, False) and env.error_object(body) is not None,
               "ENV-01", f"the error body of {answered}", exchange, expected=env.describe_error())
        code = envelope.error_code(exchange)
        expect(code in codes, "ENV-01", f"the error code of {answered}", exchange,
               expected=f"one of the codes of the spec ({', '.join(sorted(codes))})", got=f"code {shown(code)}")
        expect(int(codes[code]) == exchange.status, "ENV-01", f"the status of the error {code} answering {answered}",
               exchange, expected=f"HTTP {codes[code]}, the status of {code}")


# ------------------------------------------------------------------------------------ ENV-02


def timestamps(schema: Schema, instance: Any, where: str = "$") -> Iterator[tuple[str, Any]]:
    """(location, value) of every non-null value that ``schema`` declares ``format: date-time``."""
    for part in schema.all_of:
        yield from timestamps(part, instance, where)
    if schema.format == "date-time":
        if instance is not None:
            yield where, instance
        return
    if isinstance(instance, dict):
        for name, sub in schema.properties.items():
            if name in instance:
                yield from timestamps(sub, instance[name], f"{where}.{name}")
    elif isinstance(instance, list) and schema.items is not None:
        for index, item in enumerate(instance):
            yield from timestamps(schema.items, item, f"{where}[{index}]")


def ok_schema(op: Operation) -> Schema:
    return op.response_schema("200")


def declares_timestamps(schema: Schema) -> bool:
    return schema.declares_format("date-time")


def not_utc(pattern: str, value: Any) -> str | None:
    """Why ``value`` is not an ISO 8601 UTC timestamp of the spec's form, or None."""
    if not isinstance(value, str) or not re.search(pattern, value):
        return f"{shown(value)} (not the spec's timestamp form)"
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError as error:
        return f"{shown(value)} (not a valid date-time: {error})"
    if parsed.utcoffset() != timedelta(0):
        return f"{shown(value)} (not UTC)"
    return None


def expect_utc_timestamps(pattern: str, schema: Schema, body: Any, exchange: Exchange, what: str) -> None:
    __tracebackhide__ = True
    found = list(timestamps(schema, body))
    if not found:
        pytest.skip(f"not run: no data: {what} holds no timestamp value")
    bad = [(where, why) for where, value in found if (why := not_utc(pattern, value))]
    expect(not bad, "ENV-02", f"the timestamps in {what}", exchange,
           expected="ISO 8601 date-times in UTC, like 2026-11-20T08:15:00Z",
           got=f"{len(bad)} of {len(found)} not: " + some((f"{where} = {why}" for where, why in bad), as_is=True))


@pytest.mark.requirement("ENV-02")
def test_list_timestamps_are_iso8601_utc(api, iris_spec, list_operation, base_query):
    op = list_operation
    if not declares_timestamps(ok_schema(op)):
        pytest.skip(f"not applicable: the spec declares no timestamp in {op.operation_id}")
    pag = op.paging
    exchange = api.get(op.path, dict(base_query(op), **{pag.pagesize_param: pag.max_pagesize}))
    if exchange.status != 200:
        pytest.skip(f"not run: {op.operation_id} was answered {exchange.status}")
    expect_utc_timestamps(iris_spec.api_view.timestamp_pattern, ok_schema(op), exchange.body, exchange,
                          f"the first page of GET {op.path}")


@pytest.mark.requirement("ENV-02")
@given(data=st.data())
def test_detail_timestamps_are_iso8601_utc(data, api, iris_spec, detail_operation, first_page):
    op = detail_operation
    if not declares_timestamps(ok_schema(op)):
        pytest.skip(f"not applicable: the spec declares no timestamp in {op.operation_id}")
    record_id = data.draw(st.sampled_from(live_ids(iris_spec, first_page, op)), label="id")
    exchange = api.get(detail_path(op, record_id))
    if exchange.status != 200:
        pytest.skip(f"not run: {op.operation_id} of a live id was answered {exchange.status}")
    expect_utc_timestamps(iris_spec.api_view.timestamp_pattern, ok_schema(op), exchange.body, exchange,
                          f"the detail GET {op.path} of the id {shown(record_id)}")
