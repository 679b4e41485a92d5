"""SES-01, REF-01 (and the value rules of ENV-01/ENV-02): records are consistent in themselves and
with the records they name, all through the data, not only on a first page.

Each list is read once per run through the record sampler (:mod:`conformance.inputs.sampling`): its first
page, both ends of every sort field and random pages across the whole range, enough records that a
defect in 3 % of them is met with probability >= 95 % (>= 80 % under ``--profile smoke``; every
record under ``thorough``). The same sample serves every test here and DET-01. The rules come from
the spec: the item schema's bounds, enums and patterns, its ``x-invariants`` (e.g. STARTED =>
end_time null), and ``x-resource.references`` / ``reference-members``; each distinct referenced id is
resolved once through its detail endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks import timestamps
from conformance.checks.expect import Violation, expect
from conformance.inputs.sampling import DetailCache, Sample, value_rule_violations
from conformance.contract.spec import Invariant, Operation, ReferenceMember, Spec

#: Problems quoted in a failure message (the count says how many there are).
QUOTED = 5


def invariants(spec: Spec, op: Operation, requirement_id: str) -> list[Invariant]:
    return [rule for rule in spec.record_schema(op).invariants if rule.id == requirement_id]


def how_sampled(op: Operation, sample: Sample) -> str:
    """``the 140 sampled session records (of 2000: ...)``, to follow ``3 of``."""
    name = op.resource_view.name
    if sample.complete:
        return f"all {len(sample.records)} {name} records"
    return (f"the {len(sample.records)} sampled {name} records (of {sample.total}: the first page, both ends of "
            f"every sort field, {len(sample.random_pages)} random pages)")


def evidence(sample: Sample, records: list[dict[str, Any]]) -> list:
    """The list pages the records were seen on (distinct, at most two)."""
    pages = []
    for record in records:
        page = sample.seen_on(record)
        if page is not None and page not in pages:
            pages.append(page)
    return pages[:2]


def broken_rules(record: dict[str, Any], rules: list[Invariant]) -> list[str]:
    """What ``record`` violates of the ``x-invariants`` rules: when {field: value} then {field, is, gte-field}."""
    out = []
    for rule in rules:
        if not all(record.get(field) == value for field, value in rule.when.items()):
            continue
        field, value = rule.field, record.get(rule.field)
        when = ", ".join(f"{k}={v}" for k, v in rule.when.items())
        if rule.must_be == "null" and value is not None:
            out.append(f"id {record.get('id')!r}: {when} but {field}={value!r} (must be null)")
        elif rule.must_be == "not-null" and value is None:
            out.append(f"id {record.get('id')!r}: {when} but {field} is null")
        elif rule.gte_field is not None and value is not None:
            other = record.get(rule.gte_field)
            later, earlier = timestamps.parse(value), timestamps.parse(other)
            if later is not None and earlier is not None and later < earlier:
                out.append(f"id {record.get('id')!r}: {when} but {field}={value!r} is before "
                           f"{rule.gte_field}={other!r}")
    return out


# -------------------------------------------------------------------------------- value rules

@pytest.mark.requirement("ENV-01", "ENV-02")
def test_sampled_records_keep_the_value_rules_of_their_schema(iris_spec, resource_operation, sampled):
    """Bounds (``energy_kwh`` >= 0 where the spec says so), enums, patterns, types and required
    members of the item schema, on records from all through the list: a rule broken by a few records
    deep in the data is as much a violation as one broken on the first page."""
    op = resource_operation
    sample = sampled(op)
    schema = iris_spec.record_schema(op).json_schema()
    id_field = op.resource_view.id_field
    broken: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for record in sample.records:
        for rid, what in value_rule_violations(schema, record):
            broken.setdefault(rid, []).append((record, f"{id_field} {record.get(id_field)!r}: {what}"))
    if broken:
        lines = []
        for rid, found in broken.items():
            records = list({id(r): r for r, _ in found}.values())
            lines.append(f"{rid}: {len(records)} of {how_sampled(op, sample)} break the item schema of the spec: "
                         + "; ".join(what for _, what in found[:QUOTED]))
        first = next(iter(broken.values()))
        raise Violation(list(broken), "\n".join(lines), tuple(evidence(sample, [r for r, _ in first])),
                        judged_all=True)


# --------------------------------------------------------------------------------------- SES-01

@pytest.mark.requirement("SES-01")
def test_end_time_agrees_with_the_session_status(iris_spec, invariant_operation, sampled):
    op = invariant_operation
    rules = invariants(iris_spec, op, "SES-01")
    sample = sampled(op)
    broken = [(record, text) for record in sample.records for text in broken_rules(record, rules)]
    expect(not broken, "SES-01", f"{len(broken)} of {how_sampled(op, sample)} break the rule: "
           + "; ".join(text for _, text in broken[:QUOTED]), *evidence(sample, [r for r, _ in broken]))


# --------------------------------------------------------------------------------------- REF-01

def resolve(details: DetailCache, operation_id: str, value: Any):
    """The detail of ``value`` (fetched once per run); a 5xx is TRN-04's."""
    exchange = details.get(operation_id, value)
    expect(exchange.status < 500, "TRN-04", f"{operation_id} for {value!r} was answered {exchange.status}", exchange)
    return exchange


def member_problems(record: dict[str, Any], members: tuple[ReferenceMember, ...], details: DetailCache,
                    envelope) -> tuple[list[str], list]:
    """Check ``reference-members``: each field names a member of a collection of its parent, the
    parent being a record fetched through ``parent-operation`` or the member found for ``parent-field``."""
    found: dict[str, dict[str, Any]] = {}
    problems, exchanges = [], []
    for rule in members:
        field, parent_field = rule.field, rule.parent_field
        if rule.parent_operation is not None:
            if record.get(parent_field) is None:
                break  # a null reference: reported with the references
            exchange = resolve(details, rule.parent_operation, record.get(parent_field))
            if exchange.status != 200:
                break  # the reference itself does not resolve: reported with the references
            parent = envelope.data(exchange, "REF-01")
            exchanges.append(exchange)
        elif parent_field in found:
            parent = found[parent_field]
        else:
            break  # its parent was not found: already reported
        collection = (parent.get(rule.collection) if isinstance(parent, dict) else None) or []
        match = next((m for m in collection if isinstance(m, dict)
                      and m.get(rule.member_id_field) == record.get(field)), None)
        if match is None:
            ids = [member.get(rule.member_id_field) for member in collection if isinstance(member, dict)]
            problems.append(f"{field}={record.get(field)!r} is not one of the {rule.collection} of "
                            f"{parent_field}={record.get(parent_field)!r}: {ids}")
            break
        found[field] = match
    return problems, exchanges


@pytest.mark.requirement("REF-01")
def test_references_of_sampled_records_resolve(envelope, referencing_operation, sampled, details):
    """Every reference of every sampled record resolves (200) through its detail endpoint with the same
    key, and every member reference (a charge point, its connector) is listed by its parent."""
    op = referencing_operation
    sample = sampled(op)
    resource = op.resource_view
    id_field = resource.id_field
    broken: list[tuple[dict[str, Any], str, list]] = []
    for record in sample.records:
        problems, exchanges = [], []
        for ref in resource.references:
            value = record.get(ref.field)
            if value is None:
                if not ref.nullable:
                    problems.append(f"{ref.field} is null")
                continue
            exchange = resolve(details, ref.operation, value)
            if exchange.status != 200:
                problems.append(f"{ref.field}={value!r} does not resolve "
                                f"({ref.operation} answered {exchange.status})")
                exchanges.append(exchange)
        more, member_exchanges = member_problems(record, resource.reference_members, details, envelope)
        if problems or more:
            broken.append((record, f"{resource.name} {record.get(id_field)!r}: " + "; ".join(problems + more),
                           exchanges + (member_exchanges if more else [])))
    expect(not broken, "REF-01", f"{len(broken)} of {how_sampled(op, sample)} reference what does not resolve or is not listed by its parent "
           f"({len(details)} distinct details read): " + " | ".join(text for _, text, _ in broken[:QUOTED]),
           *evidence(sample, [broken[0][0]] if broken else []), *(broken[0][2][:2] if broken else []))
