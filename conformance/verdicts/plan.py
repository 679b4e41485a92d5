"""The requests a run will send, before it sends any: the plan, and after the run, the plan beside
what was sent.

Against a real deployment a run's cost is its requests: a gateway throttles every key (tens of
requests a second) and a usage plan caps a key's requests per day. The plan says, per requirement
family (the ID's prefix; a test of several requirements shares its requests among them, as the
verdict model does) and per key role, how many requests a run will send, and how long that takes at
a pace. It is made of:

- the tests the run will run: the suite collected (no request sent), then narrowed as the run
  narrows it (:class:`Selection`: ``--requirements``, the intrusive tests against a sensitive base
  URL, the tests whose key was not given);
- the cost table, ``conformance/suite/costs.json`` (:class:`CostTable`): per profile, per test (its
  function's name with its parametrization, ``test_x[listTariffs]``), the requests it sent per key
  role, and the run's fixed costs (the preflight; requests no test was charged for), measured on the
  embedded reference server by ``python benchmarks/calibrate_plan.py``.

A test the table does not know (a new test, an operation an overlay adds) is estimated from the other
tests of its function (their mean), else from the profile's median test; the plan names them.

The figures are the reference server's: a deployment with more data, or a gateway that answers the
rate-limit burst sooner, sends somewhat different numbers. A selection (``--requirements``) may send
a little more than its tests' share of a whole run: inputs that the whole run fetched for a test of
another family are fetched for its own tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from conformance.contract import requirements
from conformance.contract.requirements import family
from conformance.runtime.budget import KEY_ROLES
from conformance.verdicts.model import requirement_ids

COSTS_PATH = Path(__file__).resolve().parents[1] / "suite" / "costs.json"
#: The pace a plan's time assumes without ``--max-rps``: a typical gateway throttle, per key.
TYPICAL_RATE = 20.0
#: The family of the requests of tests of no requirement, and of the run's fixed costs.
NO_REQUIREMENT = "(no requirement)"
FIXED = "(run: preflight)"
#: How the key roles are named to a user.
ROLE_LABELS = {"primary": "primary", "other_tenant": "other tenant", "revoked": "revoked", "expired": "expired",
               "other": "none or made up"}
#: The key roles a test needs, by the fixture that gives it the key.
KEY_FIXTURES = {"api_key": "primary", "other_tenant_key": "other_tenant", "revoked_key": "revoked",
                "expired_key": "expired"}

Costs = dict[str, float]  # key role -> requests


class CostTableError(Exception):
    """The cost table cannot be read, or has no figures for a profile."""


def format_duration(seconds: float) -> str:
    """``~40 s``, ``~3 min``, ``~1 h 05 min``."""
    if seconds < 60:
        return f"~{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"~{minutes} min"
    return f"~{minutes // 60} h {minutes % 60:02d} min"


def _add(into: Costs, costs: dict[str, float], share: float = 1.0) -> None:
    for role, n in costs.items():
        into[role] = into.get(role, 0.0) + n * share


def _keys_text(costs: Costs) -> str:
    return ", ".join(f"{ROLE_LABELS.get(role, role)} {round(n):,}" for role, n in costs.items() if round(n))


# ------------------------------------------------------------------------------- the tests


@dataclass(frozen=True)
class PlannedTest:
    """A collected test, as the plan needs it."""
    #: its function's name with its parametrization: ``test_x[listTariffs]``
    name: str
    requirements: tuple[str, ...] = ()
    intrusive: bool = False
    #: the key roles it needs a key of (it is skipped without one)
    keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, item: Any) -> "PlannedTest":
        """A collected pytest item: its requirements (markers), intrusive or not, the keys its fixtures need."""
        return cls(item.name, tuple(requirement_ids(item.iter_markers("requirement"))),
                   item.get_closest_marker("intrusive") is not None,
                   tuple(dict.fromkeys(KEY_FIXTURES[f] for f in getattr(item, "fixturenames", ()) if f in KEY_FIXTURES)))

    @property
    def function(self) -> str:
        return self.name.split("[", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "requirements": list(self.requirements), "intrusive": self.intrusive,
                "keys": list(self.keys)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PlannedTest":
        return cls(data["name"], tuple(data.get("requirements", ())), bool(data.get("intrusive")),
                   tuple(data.get("keys", ())))


@dataclass(frozen=True)
class Selection:
    """What narrows the collected tests to those a run runs."""
    #: ``--requirements`` (:func:`conformance.contract.requirements.parse_selection`); () selects all
    requirements: tuple[str, ...] = ()
    #: False against a sensitive base URL without ``--allow-intrusive``
    intrusive_allowed: bool = True
    #: the key roles a key was given for
    keys: frozenset[str] = frozenset(KEY_FIXTURES.values())

    def excludes(self, test: PlannedTest) -> str | None:
        """Why the run does not run ``test`` (None: it runs it)."""
        if self.requirements and not requirements.selected(test.requirements, self.requirements):
            return "not selected by --requirements"
        if test.intrusive and not self.intrusive_allowed:
            return "intrusive, against a sensitive base URL"
        missing = [ROLE_LABELS[k] for k in test.keys if k not in self.keys]
        if missing:
            return f"no {' or '.join(missing)} key given"
        return None


# -------------------------------------------------------------------------- the cost table


@dataclass(frozen=True)
class ProfileCosts:
    #: test name -> requests per key role
    tests: dict[str, Costs]
    #: requests no test was charged for (the preflight), per key role
    fixed: Costs
    #: the same profile's costs in a run that skips the intrusive tests (against a sensitive base URL):
    #: a test that was first to need an input the intrusive tests share (the hostile values' answers)
    #: paid for it in the whole run, and does not there
    sensitive: "ProfileCosts | None" = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProfileCosts":
        sensitive = data.get("sensitive")
        return cls(tests=dict(data["tests"]), fixed=dict(data["fixed"]),
                   sensitive=cls.from_json(sensitive) if sensitive else None)

    def cost(self, test: PlannedTest) -> tuple[Costs, str | None]:
        """The requests ``test`` sends per key role, and how it was estimated (None: measured)."""
        if test.name in self.tests:
            return self.tests[test.name], None
        kin = [costs for name, costs in self.tests.items() if name.split("[", 1)[0] == test.function]
        if kin:
            mean: Costs = {}
            for costs in kin:
                _add(mean, costs, 1 / len(kin))
            return mean, f"the mean of {len(kin)} measured test{'s' if len(kin) != 1 else ''} of {test.function}"
        return self.median(), "the profile's median test (no test of its function was measured)"

    def median(self) -> Costs:
        if not self.tests:
            return {}
        ranked = sorted(self.tests.values(), key=lambda costs: sum(costs.values()))
        return ranked[len(ranked) // 2]


@dataclass(frozen=True)
class CostTable:
    profiles: dict[str, ProfileCosts]
    #: where the figures come from (the server, the seed, when), for the plan's reader
    source: str
    #: profile -> the runs its figures are the mean of
    runs: dict[str, int] = field(default_factory=dict)

    def describe(self, profile: str) -> str:
        runs = self.runs.get(profile, 1)
        return f"{self.source}{f'; the mean of {runs} runs' if runs > 1 else ''}"

    @classmethod
    def load(cls, path: Path | str = COSTS_PATH) -> "CostTable":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            about = data["calibrated"]
            profiles = {name: ProfileCosts.from_json(p) for name, p in data["profiles"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CostTableError(f"the cost table {path} cannot be read ({exc}); "
                                 "`python benchmarks/calibrate_plan.py` writes it") from None
        return cls(profiles, f"measured on {about['server']} from --seed {about['seed']} ({about['suite_version']}, "
                             f"{about['date']})", {name: len(p["measured"].get("runs", [0]))
                                                   for name, p in data["profiles"].items() if "measured" in p})

    def of(self, profile: str, intrusive_allowed: bool = True) -> ProfileCosts:
        """The costs of ``profile``'s tests, in a run that runs the intrusive tests or not."""
        if profile not in self.profiles:
            raise CostTableError(f"the cost table has no figures for --profile {profile} "
                                 f"(it has {', '.join(self.profiles) or 'none'})")
        costs = self.profiles[profile]
        return costs if intrusive_allowed or costs.sensitive is None else costs.sensitive


# -------------------------------------------------------------------------------- the plan


@dataclass
class RequestPlan:
    """The requests a run will send: per requirement family and key role, and the fixed costs."""
    profile: str
    #: family -> key role -> requests (a test of several requirements shares its among them)
    by_family: dict[str, Costs] = field(default_factory=dict)
    #: requests no test is charged for (the preflight), per key role
    fixed: Costs = field(default_factory=dict)
    tests: int = 0
    #: why tests collected are not run -> how many
    excluded: dict[str, int] = field(default_factory=dict)
    #: tests the table does not know -> how they were estimated
    estimated: dict[str, str] = field(default_factory=dict)
    source: str = ""
    #: --max-rps: the pace of the plan's time (None: TYPICAL_RATE per key)
    max_rps: float | None = None

    @property
    def by_key(self) -> Costs:
        keys: Costs = {role: 0.0 for role in KEY_ROLES}
        for costs in (*self.by_family.values(), self.fixed):
            _add(keys, costs)
        return keys

    @property
    def total(self) -> int:
        return round(sum(self.by_key.values()))

    @property
    def primary(self) -> int:
        return round(self.by_key.get("primary", 0.0))

    def family_totals(self) -> dict[str, int]:
        """Requests per family, in the contract's order, then tests of no requirement and the fixed costs."""
        order = {name: n for n, name in enumerate(requirements.families())}
        rows = sorted(self.by_family.items(), key=lambda kv: order.get(kv[0], len(order)))
        totals = {name: round(sum(costs.values())) for name, costs in rows}
        if self.fixed:
            totals[FIXED] = round(sum(self.fixed.values()))
        return totals

    def seconds(self) -> float:
        """The time the requests take at ``--max-rps`` (all keys together), else at TYPICAL_RATE per
        key (each key throttled on its own, so the busiest key sets the time)."""
        if self.max_rps:
            return self.total / self.max_rps
        return max(self.by_key.values(), default=0.0) / TYPICAL_RATE

    def pace(self) -> str:
        if self.max_rps:
            return f"at --max-rps {self.max_rps:g}"
        return (f"at {TYPICAL_RATE:g} requests a second per key (a typical gateway throttle; "
                f"--max-rps sets the pace)")

    def headline(self) -> str:
        """``4,212 requests (primary 3,520, ...) for 417 tests of --profile smoke; ~4 min at ...``"""
        return (f"{self.total:,} requests ({_keys_text(self.by_key)}) for {self.tests} tests of --profile "
                f"{self.profile}; {format_duration(self.seconds())} {self.pace()}")

    def lines(self) -> list[str]:
        """The plan for a terminal: the headline, the families, what was left out or estimated."""
        lines = [self.headline(),
                 "per family: " + ", ".join(f"{name} {n:,}" for name, n in self.family_totals().items())]
        if self.excluded:
            lines.append("not run: " + "; ".join(f"{n} test{'s' if n != 1 else ''} ({why})"
                                                 for why, n in self.excluded.items()))
        if self.estimated:
            names = list(self.estimated)
            lines.append(f"estimated ({len(names)} test{'s' if len(names) != 1 else ''} the cost table does not "
                         f"know): " + "; ".join(f"{n}: {how}" for n, how in list(self.estimated.items())[:5])
                         + (f"; and {len(names) - 5} more" if len(names) > 5 else ""))
        lines.append(f"figures {self.source}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "total": self.total,
                "by_key": {role: round(n) for role, n in self.by_key.items()},
                "by_family": self.family_totals(), "tests": self.tests, "excluded": dict(self.excluded),
                "estimated": dict(self.estimated), "seconds": round(self.seconds(), 1), "pace": self.pace(),
                "source": self.source}


def make_plan(table: CostTable, profile: str, tests: Iterable[PlannedTest], selection: Selection = Selection(),
              max_rps: float | None = None) -> RequestPlan:
    """The plan of a run of ``profile`` that collected ``tests`` and runs those ``selection`` keeps."""
    costs = table.of(profile, selection.intrusive_allowed)
    plan = RequestPlan(profile, fixed=dict(costs.fixed), source=table.describe(profile), max_rps=max_rps or None)
    for test in tests:
        why = selection.excludes(test)
        if why:
            plan.excluded[why] = plan.excluded.get(why, 0) + 1
            continue
        cost, estimated = costs.cost(test)
        if estimated:
            plan.estimated[test.name] = estimated
        plan.tests += 1
        ids = test.requirements or (NO_REQUIREMENT,)
        for rid in ids:  # as the verdict model counts them
            _add(plan.by_family.setdefault(family(rid) if test.requirements else rid, {}), cost, 1 / len(ids))
    return plan


# ------------------------------------------------------------------------------ a budget


def what_fits(table: CostTable, tests: list[PlannedTest], selection: Selection, budget: int,
              max_rps: float | None = None, profiles: Iterable[str] | None = None) -> str:
    """The most thorough of ``profiles`` (default: the table's) whose plan fits ``budget`` requests,
    else the most families the cheapest profile can judge within it (as ``--requirements``), else
    that nothing fits."""
    plans = {profile: make_plan(table, profile, tests, selection, max_rps)
             for profile in (profiles if profiles is not None else table.profiles)}
    fitting = sorted((p for p in plans.values() if p.total <= budget and p.tests), key=lambda p: p.total)
    if fitting:
        best = fitting[-1]  # the most thorough profile that fits
        return f"--profile {best.profile} fits ({best.total:,} requests)"
    smallest = min(plans.values(), key=lambda p: p.total)
    chosen: list[str] = []
    plan = None
    for name in sorted(smallest.by_family, key=lambda f: sum(smallest.by_family[f].values())):
        if name == NO_REQUIREMENT:
            continue
        trial = make_plan(table, smallest.profile, tests,
                          Selection(tuple(chosen + [name]), selection.intrusive_allowed, selection.keys), max_rps)
        if trial.total <= budget:
            chosen.append(name)
            plan = trial
    if plan is None:
        return "no profile or family fits"
    order = requirements.families()
    chosen.sort(key=lambda f: order.index(f) if f in order else len(order))
    return (f"--profile {smallest.profile} --requirements {','.join(chosen)} fits ({plan.total:,} requests, "
            f"{len(chosen)} of {len([f for f in smallest.by_family if f != NO_REQUIREMENT])} families)")


def below_budget(plan: RequestPlan, budget: int | None) -> bool:
    """A ``--max-requests`` budget below the plan's total (so below what the primary key alone may need too)."""
    return budget is not None and budget < plan.total


def refusal(plan: RequestPlan, budget: int, fits: str) -> str:
    """The usage error of a budget below the plan, against a sensitive deployment."""
    return (f"--max-requests {budget:,} is below the plan of this run: {plan.total:,} requests (the primary key's "
            f"share {plan.primary:,}) with --profile {plan.profile}; against a sensitive deployment the run would "
            f"stop part-way and leave what it did not reach unjudged. Give --max-requests {plan.total:,} or more "
            f"(the plan is an estimate: {round(plan.total * 1.1):,} leaves 10 % to spare), or narrow the run: "
            f"{fits}. `iris-conformance plan` shows the plan")


# ----------------------------------------------------------------------- beside the actual


def beside_actual(plan: dict[str, Any], sent_total: int, sent_by_key: dict[str, int],
                  sent_by_requirement: dict[str, float], unattributed: float = 0.0) -> dict[str, Any]:
    """``meta.plan`` of conformance.json: the plan (:meth:`RequestPlan.to_json`) and what the run sent,
    in all, per key role and per family (the requests no test was charged for under ``FIXED``)."""
    families: dict[str, float] = {}
    for rid, n in sent_by_requirement.items():
        families[family(rid)] = families.get(family(rid), 0.0) + n
    if unattributed:
        families[NO_REQUIREMENT] = unattributed
    charged = sum(families.values())
    if sent_total - charged >= 0.5:
        families[FIXED] = sent_total - charged
    names = list(dict.fromkeys([*plan["by_family"], *families]))
    return {
        "profile": plan["profile"],
        "total": {"planned": plan["total"], "sent": sent_total},
        "by_key": {role: {"planned": plan["by_key"].get(role, 0), "sent": sent_by_key.get(role, 0)}
                   for role in dict.fromkeys([*plan["by_key"], *sent_by_key])},
        "by_family": {name: {"planned": plan["by_family"].get(name, 0), "sent": round(families.get(name, 0.0))}
                      for name in names},
        "plan": plan,
    }


def _off(planned: float, sent: float) -> str:
    if not planned:
        return "unplanned"
    return f"{(sent - planned) / planned:+.0%}"


def actual_line(comparison: dict[str, Any]) -> str:
    """One terminal line: planned and sent, in all, for the primary key, and the family furthest off."""
    total, primary = comparison["total"], comparison["by_key"].get("primary", {"planned": 0, "sent": 0})
    line = (f"plan: {total['planned']:,} requests planned, {total['sent']:,} sent "
            f"({_off(total['planned'], total['sent'])}); primary key {primary['planned']:,} planned, "
            f"{primary['sent']:,} sent")
    off = [(abs(row["sent"] - row["planned"]), name, row) for name, row in comparison["by_family"].items()
           if name != FIXED and abs(row["sent"] - row["planned"]) >= max(10, 0.1 * row["planned"])]
    if off:
        _, name, row = max(off)
        line += f"; furthest off: {name} {row['planned']:,} planned, {row['sent']:,} sent"
    return line


__all__ = ["COSTS_PATH", "TYPICAL_RATE", "CostTable", "CostTableError", "PlannedTest", "RequestPlan", "Selection",
           "actual_line", "below_budget", "beside_actual", "format_duration", "make_plan", "refusal", "what_fits"]
