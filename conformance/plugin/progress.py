"""How far a run of the suite is: the tests collected per requirement family, those finished, and
what stopped the run before the rest ran.

- The **plan**: every collected test's requirement IDs. The process that collects makes it; under
  pytest-xdist the controller collects nothing, so each worker writes its plan next to the run's
  ledger and the controller reads it when the worker's collection is finished.
- The **progress line**, on a long run, at most every ``--progress-interval`` seconds (controller
  only, a line of its own, shown under ``-q`` too)::

      progress 02:15 | 1,234 requests, 19.8/s | ~3 min left | AUTH done, PAGE 34/40, SORT 0/18

  The rate is over the last interval; the time left extrapolates the tests finished so far. Lines
  are written between test reports (pytest's terminal is not shared with a thread), so a single
  long test holds the next one back.
- The **interruption**: Ctrl-C, ``--max-duration``, ``--max-requests`` (or a deployment that died
  mid-run); every requirement a test of which did not run then is ``not run: interrupted (...)``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from conformance.verdicts import model as reporting
from conformance.contract import requirements
from conformance.contract.requirements import family
from conformance.runtime.budget import Ledger
from conformance.plugin.state import RunState, maybe_run_state
from conformance.verdicts.plan import PlannedTest, format_duration


@dataclass
class Plan:
    """The tests a run collected (after ``--requirements``), in order: node ID -> requirement IDs, and
    each as the request plan needs it (:class:`conformance.verdicts.plan.PlannedTest`)."""
    tests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    described: dict[str, PlannedTest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for nodeid, ids in self.tests.items():  # a plan made of requirement IDs alone
            self.described.setdefault(nodeid, PlannedTest(nodeid.rsplit("::", 1)[-1], tuple(ids)))

    @classmethod
    def of(cls, items: list[pytest.Item]) -> "Plan":
        described = {item.nodeid: PlannedTest.of(item) for item in items}
        return cls({nodeid: test.requirements for nodeid, test in described.items()}, described)

    def write(self, path: Path) -> None:
        """Atomically: the controller may read it at any time."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps({nodeid: test.to_json() for nodeid, test in self.described.items()}),
                           encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def read(cls, path: Path) -> "Plan":
        described = {nodeid: PlannedTest.from_json(test)
                     for nodeid, test in json.loads(path.read_text(encoding="utf-8")).items()}
        return cls({nodeid: test.requirements for nodeid, test in described.items()}, described)

    def families(self) -> dict[str, int]:
        """Tests collected per family, in the contract's order (a test counts in each of its families)."""
        order = {name: n for n, name in enumerate(requirements.families())}
        counts: dict[str, int] = {}
        for ids in self.tests.values():
            for name in dict.fromkeys(map(family, ids)):
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))))


@dataclass(frozen=True)
class FamilyProgress:
    name: str
    finished: int
    collected: int

    def describe(self) -> str:
        return f"{self.name} done" if self.finished >= self.collected else f"{self.name} {self.finished}/{self.collected}"


@dataclass(frozen=True)
class Interruption:
    """What stopped the run before every collected test ran."""
    kind: str  # one of KINDS
    why: str  # "--max-duration 60 s spent", "Ctrl-C", ...

    KINDS = ("ctrl-c", "max-duration", "max-requests", "cannot-judge", "stopped")

    @property
    def reason(self) -> str:
        """The verdict's reason for a requirement it kept from running."""
        return f"interrupted ({self.why})"

    def to_json(self, progress: "RunProgress") -> dict:
        return {"kind": self.kind, "why": self.reason, "tests_collected": len(progress.plan.tests),
                "tests_run": len(progress.judged & progress.plan.tests.keys())}


@dataclass
class RunProgress:
    """The controller's account of the run's tests: planned, finished, judged."""
    plan: Plan = field(default_factory=Plan)
    #: tests whose outcome was reported (call, or a setup that did not pass)
    finished: set[str] = field(default_factory=set)
    #: those of them that were judged (not skipped because the run could not judge any more)
    judged: set[str] = field(default_factory=set)
    #: a KeyboardInterrupt (Ctrl-C) ended the run
    ctrl_c: bool = False

    def record(self, report: pytest.TestReport) -> None:
        if not reporting.is_outcome(report):
            return
        self.finished.add(report.nodeid)
        if reporting.CANNOT_JUDGE_PROPERTY not in dict(report.user_properties):
            self.judged.add(report.nodeid)

    def families(self) -> list[FamilyProgress]:
        finished = {name: 0 for name in self.plan.families()}
        for nodeid in self.finished & self.plan.tests.keys():
            for name in dict.fromkeys(map(family, self.plan.tests[nodeid])):
                finished[name] += 1
        return [FamilyProgress(name, finished[name], total) for name, total in self.plan.families().items()]

    def unjudged_requirements(self, recorded: Callable[[str], bool] = lambda rid: True) -> set[str]:
        """The requirements some collected test of which was not judged, and those of the plan none of
        whose tests the verdicts ``recorded`` (a test a Ctrl-C stops midway under xdist may report an
        outcome the verdicts cannot read)."""
        return {rid for nodeid, ids in self.plan.tests.items() for rid in ids
                if nodeid not in self.judged or not recorded(rid)}

    def interruption(self, session: pytest.Session, ledger: Ledger, fatal: str | None) -> Interruption | None:
        """What stopped the run early, or None when it was not stopped. A budget is named when the
        ledger shows it spent (the run's first reason it could not judge came from it)."""
        totals = ledger.totals()
        if fatal and ledger.max_requests is not None and totals.requests >= ledger.max_requests:
            return Interruption("max-requests", f"--max-requests {ledger.max_requests} sent")
        if fatal and ledger.max_duration is not None and time.monotonic() - ledger.started > ledger.max_duration:
            return Interruption("max-duration", f"--max-duration {ledger.max_duration:g} s spent")
        if self.ctrl_c:
            return Interruption("ctrl-c", "Ctrl-C")
        if not self.unjudged_requirements():
            return None
        if fatal:
            return Interruption("cannot-judge", f"cannot judge: {fatal}")
        stop = session.shouldstop or session.shouldfail
        return Interruption("stopped", str(stop) if stop else "the run ended before they ran")


PROGRESS_KEY = pytest.StashKey[RunProgress]()


def run_progress(config: pytest.Config) -> RunProgress | None:
    """The controller's :class:`RunProgress` of a suite run (None elsewhere)."""
    return config.stash.get(PROGRESS_KEY, None)


# ------------------------------------------------------------------------------------ the line


def estimate_left(elapsed: float, finished: int, collected: int) -> float | None:
    """Seconds left if the tests still to run take as long as those finished took, on average."""
    if finished <= 0 or collected <= 0:
        return None
    return max(0.0, elapsed / finished * (collected - finished))


def format_clock(seconds: float) -> str:
    """``02:15``, ``1:02:15``."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def format_left(seconds: float | None) -> str:
    """``~40 s left``, ``~3 min left``, ``~1 h 05 min left``; ``time left unknown`` before any test finished."""
    return "time left unknown" if seconds is None else f"{format_duration(seconds)} left"


def format_line(elapsed: float, requests: int, rate: float, left: float | None,
                families: list[FamilyProgress]) -> str:
    parts = [f"progress {format_clock(elapsed)}", f"{requests:,} requests, {rate:.1f}/s", format_left(left)]
    if families:
        parts.append(", ".join(f.describe() for f in families))
    return " | ".join(parts)


class ProgressReporter:
    """The controller's plugin: keeps :class:`RunProgress` and writes the progress line."""

    def __init__(self, config: pytest.Config, state: RunState, progress: RunProgress, interval: float):
        self.config = config
        self.state = state
        self.progress = progress
        self.interval = interval
        # the last line's sample (monotonic time, requests sent); the run's start before the first
        self._last = (state.runtime.ledger.started, 0)
        self._first_test: float | None = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:  # not under xdist: the controller collected
            self.progress.plan = Plan.of(session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        if not self.progress.plan.tests:
            path = plan_path(self.state.runtime.ledger, node.gateway.id)
            if path.exists():
                self.progress.plan = Plan.read(path)

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        if self._first_test is None:
            self._first_test = time.monotonic()
        self._maybe_write()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.progress.record(report)
        self._maybe_write()

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        # pytest-xdist's own Interrupted (a KeyboardInterrupt) also stops a run for other reasons
        value = excinfo.value
        if type(value) is KeyboardInterrupt or (isinstance(value, KeyboardInterrupt)
                                                and "keyboard-interrupt" in str(value)):
            self.progress.ctrl_c = True

    def _maybe_write(self) -> None:
        now = time.monotonic()
        if self.interval <= 0 or now - self._last[0] < self.interval:
            return
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None:
            return
        requests = self.state.runtime.ledger.totals().requests
        rate = (requests - self._last[1]) / (now - self._last[0])
        self._last = (now, requests)
        collected = len(self.progress.plan.tests)
        finished = len(self.progress.finished & self.progress.plan.tests.keys())
        left = estimate_left(now - (self._first_test or now), finished, collected)
        terminal.ensure_newline()
        if getattr(getattr(terminal, "_tw", None), "width_of_current_line", 0):
            terminal.write("\n")  # after -q's or xdist's dots, which ensure_newline does not know of
        terminal.write_line(format_line(now - self.state.runtime.ledger.started, requests, rate, left,
                                        self.progress.families()))
        terminal.currentfspath = None  # the next result starts a line of its own, with its file's name
        terminal.flush()  # a CI log (a pipe) shows it now


def plan_path(ledger: Ledger, worker_id: str) -> Path:
    return ledger.path.parent / f"plan-{worker_id}.json"


def pytest_configure(config: pytest.Config) -> None:
    state = maybe_run_state(config)
    if state is None or hasattr(config, "workerinput"):
        return
    progress = RunProgress()
    config.stash[PROGRESS_KEY] = progress
    config.pluginmanager.register(
        ProgressReporter(config, state, progress, config.getoption("iris_progress_interval")), "iris-progress")


@pytest.hookimpl(trylast=True)  # after --requirements deselected what it does not run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = maybe_run_state(config)
    workerinput = getattr(config, "workerinput", None)
    if state is not None and workerinput is not None:
        Plan.of(items).write(plan_path(state.runtime.ledger, workerinput["workerid"]))
