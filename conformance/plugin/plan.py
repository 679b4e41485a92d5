"""The request plan in a run of the suite (:mod:`conformance.verdicts.plan` computes it):

- **plan-only collection** (``--plan-collect FILE``, what ``iris-conformance plan`` and a run against a
  remote or sensitive deployment start in a subprocess): the suite is collected and its tests written
  to FILE; no embedded server, no preflight, no request, no report (see
  :func:`conformance.plugin.lifecycle.pytest_configure`);
- **before a run** against a remote or sensitive deployment: the plan in the run's facts (the header,
  the HTML banner), and ``--max-requests`` below it refused against a sensitive deployment (exit 4);
- **after a run**: ``meta.plan`` of ``conformance.json`` and one terminal line set the plan beside
  what was sent (a run with no plan before it is planned from the tests it collected).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.contract import requirements
from conformance.plugin import KEY_OPTIONS
from conformance.plugin.safety import LOOPBACK_HOSTS
from conformance.plugin.state import RunState, maybe_run_state
from conformance.verdicts import plan as planning
from conformance.verdicts.plan import CostTable, PlannedTest, RequestPlan, Selection

#: dest of ``--plan-collect FILE``
COLLECT_DEST = "iris_plan_collect"
#: environment a plan-only collection does not inherit: keys, a base URL, options of the caller's run
_NOT_INHERITED = ("IRIS_", "PYTEST_", "SENSITIVE_URL")


class PlanError(Exception):
    """The suite could not be collected for a plan."""


def plan_only(config: pytest.Config) -> bool:
    return bool(config.getoption(COLLECT_DEST, None))


@dataclass(frozen=True)
class PlanOptions:
    """What a plan depends on: the options of the run that change what runs, and its pace."""
    profile: str
    spec: str | None = None
    overlays: tuple[str, ...] = ()
    selection: Selection = Selection()
    max_rps: float | None = None

    @classmethod
    def of_run(cls, config: pytest.Config, state: RunState | None = None, *, spec=None,
               intrusive_allowed: bool | None = None) -> "PlanOptions":
        """The options of this run (its spec as loaded, its keys as given)."""
        spec = spec or state.config.spec
        allowed = state.config.intrusive_allowed if intrusive_allowed is None else intrusive_allowed
        keys = frozenset(role for role, (_, _, dest) in KEY_OPTIONS.items() if config.getoption(dest))
        return cls(profile=config.getoption("iris_profile"), spec=str(Path(spec.path).resolve()),
                   overlays=tuple(spec.overlay_paths),
                   selection=Selection(requirements.parse_selection(config.getoption("iris_requirements")),
                                       allowed, keys),
                   max_rps=config.getoption("iris_max_rps") or None)


# ------------------------------------------------------------------------- plan-only collection


def collect(options: PlanOptions, timeout: float = 300) -> list[PlannedTest]:
    """The suite's tests, collected in a subprocess in plan-only mode (no request is sent). Its own
    ini file, working directory and environment: the caller's ``addopts`` (``-n``, ``--html``) and
    keys do not reach it."""
    with tempfile.TemporaryDirectory(prefix="iris-plan-") as tmp:
        out, ini = Path(tmp) / "tests.json", Path(tmp) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "-c", str(ini), "--rootdir", tmp,
               "-p", "no:cacheprovider", "--collect-only", "-q", "--plan-collect", str(out),
               "--profile", options.profile]
        if options.spec:
            cmd += ["--spec", options.spec]
        for overlay in options.overlays:
            cmd += ["--overlay", overlay]
        env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise PlanError(f"the suite could not be collected for a plan (exit {proc.returncode}): {tail}")
        return [PlannedTest.from_json(t) for t in json.loads(out.read_text(encoding="utf-8"))]


def pytest_collection_finish(session: pytest.Session) -> None:
    """In plan-only mode: the tests collected, written for the process that asked."""
    path = session.config.getoption(COLLECT_DEST, None)
    if path:
        tests = [PlannedTest.of(item).to_json() for item in session.items]
        Path(path).write_text(json.dumps(tests), encoding="utf-8")


# ------------------------------------------------------------------------------- before a run


def make(options: PlanOptions, tests: list[PlannedTest], table: CostTable | None = None) -> RequestPlan:
    return planning.make_plan(table or CostTable.load(), options.profile, tests, options.selection, options.max_rps)


def refusal(options: PlanOptions, tests: list[PlannedTest], plan: RequestPlan, budget: int | None,
            table: CostTable | None = None) -> str | None:
    """Why ``--max-requests`` cannot be used against a sensitive deployment (None: it can)."""
    if not planning.below_budget(plan, budget):
        return None
    table = table or CostTable.load()
    profiles = [p for p in table.profiles if options.selection.intrusive_allowed or p != "thorough"]
    fits = planning.what_fits(table, tests, options.selection, budget, options.max_rps, profiles)
    return planning.refusal(plan, budget, fits)


def needs_plan(base_url: str, sensitive: bool) -> bool:
    """A run is planned before its first request against a sensitive deployment, or one not on loopback."""
    return sensitive or not LOOPBACK_HOSTS.fullmatch(urlsplit(base_url).hostname or "")


def before_run(config: pytest.Config, spec, sensitive: bool, intrusive_allowed: bool) -> RequestPlan | None:
    """The plan of this run, before its first request; ``--max-requests`` below it against a sensitive
    deployment is a usage error (exit 4) that names the numbers and what fits. A plan that cannot be
    made (no cost table) is a warning: the run goes on, ``--max-requests`` still caps it."""
    options = PlanOptions.of_run(config, spec=spec, intrusive_allowed=intrusive_allowed)
    try:
        table = CostTable.load()
        tests = collect(options)
        plan = make(options, tests, table)
    except (PlanError, planning.CostTableError) as exc:
        config.issue_config_time_warning(pytest.PytestWarning(f"iris-conformance: the run cannot be planned: {exc}"),
                                         stacklevel=2)
        return None
    why = refusal(options, tests, plan, config.getoption("iris_max_requests") or None, table) if sensitive else None
    if why:
        raise pytest.UsageError(why)
    return plan


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """The plan comes first: in the header (the run's facts), and under ``-q``, which shows no header,
    as lines of its own."""
    state = maybe_run_state(session.config)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if state is None or state.config.plan is None or terminal is None or session.config.get_verbosity() >= 0:
        return
    for line in state.config.plan.lines():
        terminal.write_line(f"plan: {line}")


# -------------------------------------------------------------------------------- after a run


def after_run(config: pytest.Config, state: RunState, collected: list[PlannedTest]) -> dict[str, Any] | None:
    """``meta.plan``: the plan (made before the run, else from the tests it collected) beside what was sent."""
    plan = state.config.plan
    if plan is None and collected:
        try:
            plan = make(PlanOptions.of_run(config, state), collected)
        except planning.CostTableError:
            return None
    if plan is None:
        return None
    verdicts, totals = state.judged.verdicts, state.runtime.ledger.totals()
    return planning.beside_actual(plan.to_json(), totals.requests, totals.by_key,
                                  {rid: r.requests for rid, r in verdicts.results.items()},
                                  verdicts.unattributed_requests)

