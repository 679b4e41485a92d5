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

import re
from typing import Any

import pytest

from conformance.checks import timestamps
from conformance.checks.expect import Violation, counted, expect, shown, some
from conformance.checks.failures import Failure, Observed
from conformance.inputs.sampling import DetailCache, Sample, value_rule_violations
from conformance.contract.spec import Invariant, Operation, ReferenceMember, Spec

#: Problems quoted in a failure message (the count says how many there are).
QUOTED = 3


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


def rule_text(rule: Invariant) -> str:
    """An ``x-invariants`` rule in words: ``end_time null when status=STARTED``."""
    when = ", ".join(f"{k}={v}" for k, v in rule.when.items())
    if rule.must_be in ("null", "not-null"):
        return f"{rule.field} {rule.must_be.replace('-', ' ')} when {when}"
    return f"{rule.field} not before {rule.gte_field} when {when}"


def broken_rules(record: dict[str, Any], rules: list[Invariant]) -> list[tuple[Invariant, str]]:
    """What ``record`` violates of the ``x-invariants`` rules (when {field: value} then {field, is,
    gte-field}): each rule broken, and the record's values that break it."""
    out = []
    for rule in rules:
        if not all(record.get(field) == value for field, value in rule.when.items()):
            continue
        field, value = rule.field, record.get(rule.field)
        record_id = shown(record.get("id"))
        if rule.must_be == "null" and value is not None:
            out.append((rule, f"{record_id} with {field} {shown(value)}"))
        elif rule.must_be == "not-null" and value is None:
            out.append((rule, f"{record_id} with {field} null"))
        elif rule.gte_field is not None and value is not None:
            other = record.get(rule.gte_field)
            later, earlier = timestamps.parse(value), timestamps.parse(other)
            if later is not None and earlier is not None and later < earlier:
                out.append((rule, f"{record_id} with {field} {shown(value)} before {rule.gte_field} {shown(other)}"))
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
            if rid == "ENV-02":  # the value is the evidence; the pattern it should match is in the expectation
                what = re.sub(r" (does not match|is not valid under) .*$", "", what)
            broken.setdefault(rid, []).append((record, f"{id_field} {shown(record.get(id_field))}: {what}"))
    if broken:
        failures = []
        for rid, found in broken.items():
            records = list({id(r): r for r, _ in found}.values())
            failures.append(Failure(
                rid, f"the {'timestamps' if rid == 'ENV-02' else 'values'} of {how_sampled(op, sample)}",
                expected=SCHEMA_RULES[rid],
                got=f"{counted(len(found), 'value')} in {counted(len(records), 'record')} break it: "
                    + some((what for _, what in found), QUOTED, as_is=True),
                evidence=tuple(Observed.of(e) for e in evidence(sample, records))))
        first = next(iter(broken.values()))
        raise Violation(list(broken), "\n".join(f"{f.requirement_id}: {f.check}; expected {f.expected}; got {f.got}"
                                                for f in failures),
                        tuple(evidence(sample, [r for r, _ in first])), judged_all=True, failures=failures)


#: What the item schema asks of a record's values, by the requirement a broken rule is blamed on.
SCHEMA_RULES = {"ENV-01": "the types, bounds, enums, patterns and required members of the item schema of the spec",
                "ENV-02": "the item schema's date-time form: ISO 8601 in UTC, like 2026-11-20T08:15:00Z"}


# --------------------------------------------------------------------------------------- SES-01

@pytest.mark.requirement("SES-01")
def test_end_time_agrees_with_the_session_status(iris_spec, invariant_operation, sampled):
    op = invariant_operation
    rules = invariants(iris_spec, op, "SES-01")
    sample = sampled(op)
    broken = [(record, rule, text) for record in sample.records for rule, text in broken_rules(record, rules)]
    fields = ", ".join(dict.fromkeys(rule.field for rule in rules))
    expect(not broken, "SES-01", f"the {fields} of {how_sampled(op, sample)}",
           *evidence(sample, [r for r, _, _ in broken]),
           expected=" and ".join(dict.fromkeys(rule_text(rule) for _, rule, _ in broken)),
           got=f"{counted(len(broken), 'record')} break it: "
               + some((text for _, _, text in broken), QUOTED, as_is=True))


# --------------------------------------------------------------------------------------- REF-01

def resolve(details: DetailCache, envelope, operation_id: str, value: Any):
    """The detail of ``value`` (fetched once per run); a 5xx is TRN-04's."""
    exchange = details.get(operation_id, value)
    expect(exchange.status < 500, "TRN-04", f"the detail {envelope.answered(exchange)} of a referenced record",
           exchange, expected="HTTP 200, no 5xx", kind="a 5xx to a referenced record's detail")
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
            exchange = resolve(details, envelope, rule.parent_operation, record.get(parent_field))
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
            problems.append(f"{field} {shown(record.get(field))} not among the {rule.collection} of "
                            f"{parent_field} {shown(record.get(parent_field))} ({some(ids) or 'none'})")
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
                    problems.append(f"{ref.field} null")
                continue
            exchange = resolve(details, envelope, ref.operation, value)
            if exchange.status != 200:
                problems.append(f"{ref.field} {shown(value)} not found ({ref.operation}: HTTP {exchange.status})")
                exchanges.append(exchange)
        more, member_exchanges = member_problems(record, resource.reference_members, details, envelope)
        if problems or more:
            broken.append((record, f"{resource.name} {shown(record.get(id_field))}: " + ", ".join(problems + more),
                           exchanges + (member_exchanges if more else [])))
    expect(not broken, "REF-01", f"the references of {how_sampled(op, sample)}",
           *evidence(sample, [broken[0][0]] if broken else []), *(broken[0][2][:2] if broken else []),
           expected="each reference found through its detail operation (HTTP 200) with the same key, each member "
                    "reference (a charge point, a connector) listed by its parent",
           got=f"{counted(len(broken), 'record')} with a reference that does not resolve or is not listed "
               f"({len(details)} distinct details read): "
               + some((text for _, text, _ in broken), QUOTED, as_is=True))
