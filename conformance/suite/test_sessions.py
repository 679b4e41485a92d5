"""SES-01, REF-01: sessions are consistent in themselves and with the records they name.

The cross-field rules come from the item schema's ``x-invariants`` (e.g. STARTED => end_time null),
the references from ``x-resource.references`` / ``reference-members``; sessions are sampled from
live list pages in drawn sort orders and status filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, strategies as st

from conformance.expect import expect
from conformance.pagination import fetch_page
from conformance.plugin import iris_state
from conformance.spec import Operation, Spec
from conformance.suite.test_detail import DetailCache


def item_schema(spec: Spec, op: Operation) -> dict[str, Any]:
    """The schema of one record of a list operation's 200 response."""
    body = op.raw["responses"]["200"]["content"]["application/json"]["schema"]
    return body["properties"][spec.envelope["data-field"]]["items"]


def invariants(spec: Spec, op: Operation, requirement_id: str) -> list[dict[str, Any]]:
    return [rule for rule in item_schema(spec, op).get("x-invariants", []) if rule.get("id") == requirement_id]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec: Spec = iris_state(metafunc.config)["spec"]
    choices = {
        "invariant_operation": [op for op in spec.resource_list_operations if invariants(spec, op, "SES-01")],
        "referencing_operation": [op for op in spec.resource_list_operations if op.resource.get("references")],
    }
    for name, ops in choices.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, ops, ids=[op.operation_id for op in ops], scope="session")


@pytest.fixture(scope="session")
def details(api, iris_spec) -> DetailCache:
    return DetailCache(api, iris_spec)


@pytest.fixture(scope="session")
def pages(api, envelope):
    """List pages (largest page size) by operation, query and page number, each fetched once."""
    cache: dict[tuple, tuple] = {}

    def fetch(op: Operation, query: dict[str, Any], page: int):
        key = (op.operation_id, tuple(sorted(query.items())), page)
        if key not in cache:
            cache[key] = fetch_page(api, envelope, op, query, page, op.pagination["max-pagesize"])
        return cache[key]

    return fetch


def draw_sessions(data, op: Operation, pages, budget, filters: dict[str, list[str]]):
    """A live page of ``op``: drawn sort field and order, an optional enum filter, a page within budget."""
    sort = op.resource["sort"]
    query: dict[str, Any] = {
        sort["sortby-param"]: data.draw(st.sampled_from(sorted(sort["fields"])), label="sortby"),
        sort["orderby-param"]: data.draw(st.sampled_from(sort["orders"]), label="orderby"),
    }
    if filters:
        param = data.draw(st.sampled_from(sorted(filters)), label="filter")
        value = data.draw(st.one_of(st.none(), st.sampled_from(filters[param])), label=param)
        if value is not None:
            query[param] = value
    _, _, info = pages(op, query, 1)
    page = data.draw(st.integers(1, max(1, min(info["totalpages"], budget["max_pages"]))), label="page")
    exchange, items, _ = pages(op, query, page)
    return exchange, items


def timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def broken_rules(record: dict[str, Any], rules: list[dict[str, Any]]) -> list[str]:
    """What ``record`` violates of the ``x-invariants`` rules: when {field: value} then {field, is, gte-field}."""
    out = []
    for rule in rules:
        if not all(record.get(field) == value for field, value in rule["when"].items()):
            continue
        then = rule["then"]
        field, value = then["field"], record.get(then["field"])
        when = ", ".join(f"{k}={v}" for k, v in rule["when"].items())
        must_be_null = "is" in then and then["is"] in (None, "null")  # YAML reads a bare `null` as None
        if must_be_null and value is not None:
            out.append(f"id {record.get('id')!r}: {when} but {field}={value!r} (must be null)")
        elif then.get("is") == "not-null" and value is None:
            out.append(f"id {record.get('id')!r}: {when} but {field} is null")
        elif "gte-field" in then and value is not None:
            other = record.get(then["gte-field"])
            later, earlier = timestamp(value), timestamp(other)
            if later is not None and earlier is not None and later < earlier:
                out.append(f"id {record.get('id')!r}: {when} but {field}={value!r} is before "
                           f"{then['gte-field']}={other!r}")
    return out


# --------------------------------------------------------------------------------------- SES-01

@pytest.mark.requirement("SES-01")
@given(data=st.data())
def test_end_time_agrees_with_the_session_status(data, iris_spec, invariant_operation, pages, budget):
    op = invariant_operation
    rules = invariants(iris_spec, op, "SES-01")
    conditioned = {field for rule in rules for field in rule["when"]}
    enum_filters = {f["param"]: f["values"] for f in op.resource.get("filters", [])
                    if f.get("match") == "enum" and f["field"] in conditioned}
    _, _, info = pages(op, {}, 1)
    if info["total"] == 0:
        pytest.skip(f"not run: no data: the tenant has no {op.resource['name']} records")
    exchange, items = draw_sessions(data, op, pages, budget, enum_filters)
    broken = [text for record in items for text in broken_rules(record, rules)]
    expect(not broken, "SES-01", f"{len(broken)} record(s) on this page break the rule: " + "; ".join(broken[:5]),
           exchange)


# --------------------------------------------------------------------------------------- REF-01

def member_problems(record: dict[str, Any], members: list[dict[str, Any]], details: DetailCache,
                    envelope) -> tuple[list[str], list]:
    """Check ``reference-members``: each field names a member of a collection of its parent, the
    parent being a record fetched through ``parent-operation`` or the member found for ``parent-field``."""
    found: dict[str, dict[str, Any]] = {}
    problems, exchanges = [], []
    for rule in members:
        field, parent_field = rule["field"], rule["parent-field"]
        if "parent-operation" in rule:
            exchange = details.get(rule["parent-operation"], record[parent_field])
            exchanges.append(exchange)
            if exchange.status != 200:
                problems.append(f"{parent_field}={record[parent_field]!r} does not resolve "
                                f"({rule['parent-operation']} answered {exchange.status})")
                break
            parent = envelope.data(exchange, "REF-01")
        elif parent_field in found:
            parent = found[parent_field]
        else:
            break  # its parent was not found: already reported
        collection = parent.get(rule["collection"]) or []
        match = next((m for m in collection if m.get(rule["member-id-field"]) == record[field]), None)
        if match is None:
            ids = [member.get(rule["member-id-field"]) for member in collection]
            problems.append(f"{field}={record[field]!r} is not one of the {rule['collection']} of "
                            f"{parent_field}={record[parent_field]!r}: {ids}")
            break
        found[field] = match
    return problems, exchanges


@pytest.mark.requirement("REF-01")
@given(data=st.data())
def test_references_of_a_session_resolve(data, envelope, referencing_operation, pages, budget, details):
    op = referencing_operation
    _, _, info = pages(op, {}, 1)
    if info["total"] == 0:
        pytest.skip(f"not run: no data: the tenant has no {op.resource['name']} records")
    listing, items = draw_sessions(data, op, pages, budget, {})
    if not items:
        return
    record = data.draw(st.sampled_from(items), label="record")
    problems, exchanges = [], []
    for ref in op.resource["references"]:
        value = record.get(ref["field"])
        if value is None:
            if not ref.get("nullable"):
                problems.append(f"{ref['field']} is null")
            continue
        exchange = details.get(ref["operation"], value)
        if exchange.status != 200:
            problems.append(f"{ref['field']}={value!r} does not resolve "
                            f"({ref['operation']} answered {exchange.status})")
            exchanges.append(exchange)
    more, member_exchanges = member_problems(record, op.resource.get("reference-members", []), details, envelope)
    problems += more
    expect(not problems, "REF-01", f"{op.resource['name']} {record.get(op.resource['id-field'])!r}: "
           + "; ".join(problems), listing, *exchanges, *(member_exchanges if more else []))
