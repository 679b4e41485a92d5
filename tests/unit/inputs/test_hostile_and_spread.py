"""The smoke battery's hostile values by kind of parameter (conformance.inputs.hostile) and the dealing
of cases to routes (conformance.inputs.targets.spread): fewer requests, no class and no route left out."""

from __future__ import annotations

import pytest

from conformance.contract import spec as specs
from conformance.inputs.hostile import BY_TYPE, HOSTILE_VALUES, battery, kind_of
from conformance.inputs.targets import spread


@pytest.fixture(scope="module")
def spec() -> specs.Spec:
    return specs.load()


def test_every_class_of_the_smoke_battery_reaches_a_parameter_of_its_kind(spec):
    kinds = {kind_of(p) for op in spec.operations.values() for p in op.parameters}
    assert kinds == {"integer", "number", "boolean", "enum", "string"}
    assert set().union(*BY_TYPE.values()) <= set(HOSTILE_VALUES)
    listing = spec.operation("listTariffs")
    assert kind_of(listing.parameter("pagesize")) == "integer" and kind_of(listing.parameter("type")) == "enum"
    assert kind_of(listing.parameter("isactive")) == "boolean" and kind_of(listing.parameter("search")) == "string"
    assert kind_of(spec.operation("getChargerStatus").parameter("lat")) == "number"
    # the parameters that crash a naive parser get the values that crash it
    kind = {(p.name, label) for p, label, _ in battery(listing.parameters, "kind")}
    assert ("pagesize", "one past int64") in kind and ("search", "4 KB string") in kind
    every = battery(listing.parameters, "every")
    assert len(every) == len(HOSTILE_VALUES) * len(listing.parameters)


@pytest.mark.parametrize("mode", ["kind", "spread", "every"])
def test_each_battery_sends_its_classes_and_every_class_reaches_every_operation_from_spread_on(spec, mode):
    for op in spec.operations.values():
        if not op.parameters:
            continue
        sent = battery(op.parameters, mode)
        assert len(sent) == len({(p.name, label) for p, label, _ in sent})  # nothing twice
        for param in op.parameters:  # each parameter gets its kind's classes, in every battery
            assert set(BY_TYPE[kind_of(param)]) <= {label for p, label, _ in sent if p is param}
        if mode != "kind":
            assert {label for _, label, _ in sent} == set(HOSTILE_VALUES), op.operation_id
        assert all(HOSTILE_VALUES[label] == value for _, label, value in sent)


def test_the_batteries_grow_from_kind_to_spread_to_every(spec):
    params = [op.parameters for op in spec.operations.values()]
    size = {mode: sum(len(battery(ps, mode)) for ps in params) for mode in ("kind", "spread", "every")}
    assert size["kind"] < size["spread"] < 0.5 * size["every"]
    assert size["kind"] < 0.5 * 9 * sum(map(len, params))  # the former smoke battery: 9 classes in every parameter
    with pytest.raises(ValueError, match="unknown battery"):
        battery(params[0], "all")


@pytest.mark.parametrize("cases, routes", [(9, 9), (16, 9), (3, 9), (1, 5), (5, 1)])
def test_every_case_is_sent_and_every_route_is_tried(cases, routes):
    dealt = spread(list(range(cases)), [f"op{i}" for i in range(routes)])
    assert len(dealt) == max(cases, routes)
    assert {c for c, _ in dealt} == set(range(cases)) and {r for _, r in dealt} == {f"op{i}" for i in range(routes)}
    assert spread([], ["op"]) == [] and spread([1], []) == []
