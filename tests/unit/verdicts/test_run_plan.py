"""The request plan's pure parts (conformance.verdicts.plan): the cost table, the plan of a set of
tests and its narrowing, its time at a pace, a budget below it, and the plan beside what was sent.
Real runs: tests/system/test_plan.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from conformance.contract.requirements import parse_selection, selected
from conformance.runtime.budget import KEY_ROLES, Ledger
from conformance.verdicts import plan as planning
from conformance.verdicts.plan import (FIXED, NO_REQUIREMENT, CostTable, CostTableError, PlannedTest, ProfileCosts,
                                       Selection, actual_line, beside_actual, format_duration, make_plan, what_fits)

SMOKE = ProfileCosts(
    tests={"test_list[listTariffs]": {"primary": 10}, "test_list[listCustomers]": {"primary": 20},
           "test_two[x]": {"primary": 6, "other": 2}, "test_burst": {"primary": 100},
           "test_tenant[listTariffs]": {"primary": 3, "other_tenant": 3}},
    fixed={"primary": 2, "other": 1},
    # without the intrusive burst, test_list[listTariffs] pays for an input the burst shared
    sensitive=ProfileCosts(tests={"test_list[listTariffs]": {"primary": 12}, "test_list[listCustomers]": {"primary": 20},
                                  "test_two[x]": {"primary": 6, "other": 2},
                                  "test_tenant[listTariffs]": {"primary": 3, "other_tenant": 3}},
                           fixed={"primary": 2, "other": 1}))
DEFAULT = ProfileCosts(tests={name: {role: n * 3 for role, n in costs.items()} for name, costs in SMOKE.tests.items()},
                       fixed={"primary": 2, "other": 1})
TABLE = CostTable({"smoke": SMOKE, "default": DEFAULT}, "measured on a test table")

TESTS = [PlannedTest("test_list[listTariffs]", ("PAGE-01",), keys=("primary",)),
         PlannedTest("test_list[listCustomers]", ("PAGE-01",), keys=("primary",)),
         PlannedTest("test_two[x]", ("AUTH-01", "GEO-01"), keys=("primary",)),
         PlannedTest("test_burst", ("RATE-01",), intrusive=True, keys=("primary",)),
         PlannedTest("test_tenant[listTariffs]", ("TEN-01",), keys=("primary", "other_tenant"))]


def test_the_plan_is_the_tests_costs_per_family_and_key_and_the_fixed_costs():
    plan = make_plan(TABLE, "smoke", TESTS)
    assert plan.total == 10 + 20 + 8 + 100 + 6 + 3
    assert plan.by_key == {"primary": 141, "other_tenant": 3, "revoked": 0, "expired": 0, "other": 3}
    assert plan.primary == 141
    # a test of two requirements shares its requests among them, as the verdict model does
    assert plan.family_totals() == {"AUTH": 4, "TEN": 6, "RATE": 100, "PAGE": 30, "GEO": 4, FIXED: 3}
    assert plan.tests == 5 and not plan.excluded and not plan.estimated


def test_a_selection_narrows_the_plan_as_the_run_narrows_its_tests():
    only = make_plan(TABLE, "smoke", TESTS, Selection(parse_selection("page, GEO-01")))
    assert only.tests == 3 and only.total == 10 + 20 + 8 + 3
    assert only.excluded == {"not selected by --requirements": 2}
    assert selected(("FLT-SES-01",), ("FLT",)) and not selected(("GEO-10",), ("GEO-1",))


def test_a_sensitive_base_url_drops_the_intrusive_tests_and_uses_their_costs_without_them():
    plan = make_plan(TABLE, "smoke", TESTS, Selection(intrusive_allowed=False))
    assert plan.excluded == {"intrusive, against a sensitive base URL": 1}
    assert plan.total == 12 + 20 + 8 + 6 + 3  # the sensitive run's figures
    # a profile calibrated without a sensitive run falls back on its whole run's figures
    assert make_plan(TABLE, "default", TESTS, Selection(intrusive_allowed=False)).total == 30 + 60 + 24 + 18 + 3


def test_a_test_whose_key_is_not_given_is_not_planned():
    plan = make_plan(TABLE, "smoke", TESTS, Selection(keys=frozenset({"primary"})))
    assert plan.excluded == {"no other tenant key given": 1} and plan.by_key["other_tenant"] == 0


def test_an_unknown_test_is_estimated_from_its_function_else_from_the_median_test():
    tests = [PlannedTest("test_list[listStations]", ("PAGE-01",)), PlannedTest("test_new", ("DET-01",))]
    plan = make_plan(TABLE, "smoke", tests)
    assert plan.family_totals()["PAGE"] == 15  # the mean of test_list's two measured tests
    assert plan.family_totals()["DET"] == 10  # the median test: test_list[listTariffs] (10)
    assert set(plan.estimated) == {"test_list[listStations]", "test_new"}
    assert "mean of 2 measured tests of test_list" in plan.estimated["test_list[listStations]"]
    assert any("estimated (2 tests" in line for line in plan.lines())


def test_tests_of_no_requirement_are_planned_apart():
    plan = make_plan(TABLE, "smoke", [PlannedTest("test_list[listTariffs]")])
    assert plan.family_totals() == {NO_REQUIREMENT: 10, FIXED: 3}


def test_the_time_is_at_max_rps_else_at_a_typical_throttle_per_key():
    plan = make_plan(TABLE, "smoke", TESTS)
    assert plan.seconds() == pytest.approx(141 / planning.TYPICAL_RATE)  # the busiest key
    assert "20 requests a second per key (a typical gateway throttle" in plan.headline()
    paced = make_plan(TABLE, "smoke", TESTS, max_rps=5)
    assert paced.seconds() == pytest.approx(147 / 5) and "at --max-rps 5" in paced.headline()
    assert [format_duration(s) for s in (0.2, 40, 185, 3900)] == ["~1 s", "~40 s", "~3 min", "~1 h 05 min"]


def test_a_budget_below_the_plan_names_the_numbers_and_what_fits():
    plan = make_plan(TABLE, "default", TESTS)
    assert planning.below_budget(plan, plan.total - 1) and not planning.below_budget(plan, plan.total)
    assert not planning.below_budget(plan, None)
    fits = what_fits(TABLE, TESTS, Selection(), 200)
    assert fits == f"--profile smoke fits ({make_plan(TABLE, 'smoke', TESTS).total} requests)"
    text = planning.refusal(plan, 200, fits)
    assert f"{plan.total:,} requests" in text and f"primary key's share {plan.primary:,}" in text
    assert "--max-requests 200 " in text and "--profile smoke fits" in text
    # no profile fits: the most families the cheapest profile judges within the budget
    narrowed = what_fits(TABLE, TESTS, Selection(), 40)
    assert narrowed.startswith("--profile smoke --requirements AUTH,TEN,GEO fits (") and "3 of 5 families" in narrowed
    assert what_fits(TABLE, TESTS, Selection(), 2) == "no profile or family fits"
    # a profile the run may not use (thorough against a sensitive URL) is not offered
    assert "--profile smoke" in what_fits(TABLE, TESTS, Selection(), 10_000, profiles=["smoke"])


def test_the_plan_beside_what_was_sent():
    plan = make_plan(TABLE, "smoke", TESTS)
    sent = beside_actual(plan.to_json(), 150, {"primary": 146, "other_tenant": 3, "other": 1},
                         {"PAGE-01": 33.0, "AUTH-01": 4.0, "GEO-01": 4.0, "RATE-01": 97.0, "TEN-01": 6.0},
                         unattributed=2.0)
    assert sent["total"] == {"planned": 147, "sent": 150}
    assert sent["by_key"]["primary"] == {"planned": 141, "sent": 146}
    assert sent["by_key"]["revoked"] == {"planned": 0, "sent": 0}
    assert sent["by_family"]["PAGE"] == {"planned": 30, "sent": 33}
    assert sent["by_family"][NO_REQUIREMENT] == {"planned": 0, "sent": 2}
    assert sent["by_family"][FIXED] == {"planned": 3, "sent": 4}  # what no test was charged for
    line = actual_line(sent)
    assert line.startswith("plan: 147 requests planned, 150 sent (+2%); primary key 141 planned, 146 sent")
    assert "furthest off" not in line  # within 10 % (and 10 requests) everywhere
    off = beside_actual(plan.to_json(), 300, {"primary": 296}, {"RATE-01": 250.0})
    assert "furthest off: RATE 100 planned, 250 sent" in actual_line(off)


def test_the_cost_table_is_read_from_its_file(tmp_path):
    path = tmp_path / "costs.json"
    path.write_text(json.dumps({"calibrated": {"server": "a server", "seed": 1, "suite_version": "v", "date": "d"},
                                "profiles": {"smoke": {"fixed": {"primary": 3}, "tests": {"t": {"primary": 1}},
                                                       "sensitive": {"fixed": {}, "tests": {"t": {"primary": 2}}}}}}))
    table = CostTable.load(path)
    assert table.of("smoke").tests == {"t": {"primary": 1}}
    assert table.of("smoke", intrusive_allowed=False).tests == {"t": {"primary": 2}}
    assert "measured on a server from --seed 1" in table.source
    with pytest.raises(CostTableError, match="no figures for --profile thorough"):
        table.of("thorough")
    path.write_text("{}")
    with pytest.raises(CostTableError, match="calibrate_plan.py"):
        CostTable.load(path)


def test_the_committed_cost_table_has_every_profile():
    table = CostTable.load()
    assert set(table.profiles) == {"smoke", "default", "thorough"}
    for name in ("smoke", "default"):
        assert table.profiles[name].sensitive is not None
        assert table.profiles[name].fixed.get("primary", 0) >= 1  # the preflight


def test_a_collected_item_is_described_with_its_requirements_marks_and_keys():
    mark = SimpleNamespace(args=("TEN-01",))
    item = SimpleNamespace(name="test_t[listTariffs]", fixturenames=["api", "api_key", "other_tenant_key", "budget"],
                           iter_markers=lambda name: [mark] if name == "requirement" else [],
                           get_closest_marker=lambda name: None)
    test = PlannedTest.of(item)
    assert test == PlannedTest("test_t[listTariffs]", ("TEN-01",), False, ("primary", "other_tenant"))
    assert PlannedTest.from_json(json.loads(json.dumps(test.to_json()))) == test


def test_the_ledger_counts_this_processs_requests_per_key_role():
    ledger = Ledger.create()
    try:
        for role in ("primary", "primary", "revoked", "made-up"):
            ledger.acquire(role=role)
        assert ledger.sent == 4
        assert ledger.sent_by_role == {"primary": 2, "other_tenant": 0, "revoked": 1, "expired": 0, "other": 1}
        assert tuple(ledger.sent_by_role) == KEY_ROLES
    finally:
        ledger.close()
