"""The smoke battery's hostile values by kind of parameter (conformance.inputs.hostile) and the dealing
of cases to routes (conformance.inputs.targets.spread): fewer requests, no class and no route left out."""

from __future__ import annotations

import pytest

from conformance.contract import spec as specs
from conformance.inputs.hostile import BY_TYPE, HOSTILE_VALUES, kind_of, values_for
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
    assert "one past int64" in values_for(listing.parameter("pagesize"), every_class=False)
    assert "4 KB string" in values_for(listing.parameter("search"), every_class=False)
    assert values_for(listing.parameter("search"), every_class=True) == HOSTILE_VALUES


def test_the_smoke_battery_is_less_than_half_of_every_class_in_every_parameter(spec):
    params = [p for op in spec.operations.values() for p in op.parameters]
    smoke = sum(len(values_for(p, every_class=False)) for p in params)
    assert smoke < 0.5 * 9 * len(params)  # the former smoke battery: 9 classes in every parameter


@pytest.mark.parametrize("cases, routes", [(9, 9), (16, 9), (3, 9), (1, 5), (5, 1)])
def test_every_case_is_sent_and_every_route_is_tried(cases, routes):
    dealt = spread(list(range(cases)), [f"op{i}" for i in range(routes)])
    assert len(dealt) == max(cases, routes)
    assert {c for c, _ in dealt} == set(range(cases)) and {r for _, r in dealt} == {f"op{i}" for i in range(routes)}
    assert spread([], ["op"]) == [] and spread([1], []) == []
