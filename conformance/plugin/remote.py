"""Remote deployments: latency hidden behind a few concurrent workers, failing runs kept bounded.

A deployment is *remote* when its base URL is not on loopback, or when the fastest of the preflight's
answers took ``REMOTE_RTT`` or more (a loopback URL behind a tunnel, or the benchmarks' remote rig). There a
run's cost is round trips, not CPU, so against a remote deployment:

- ``--concurrency auto`` (the default) runs the tests on ``REMOTE_WORKERS`` pytest-xdist workers
  (``--dist loadgroup``). They share one ledger: one request budget, one pace (``--max-rps`` and the
  pace learned from the deployment's 429s, see :meth:`conformance.runtime.budget.Ledger.learn_from_429`)
  and one verdict. ``--concurrency 1`` keeps a run serial; ``-n`` given by hand wins.

On loopback this applies only when the preflight found the deployment slow.

A failing run costs no more than a passing one, against any deployment (the ``smoke`` and
``default`` profiles; ``thorough``, before an acceptance, keeps hypothesis' shrinking):

- failing examples are reported as found: hypothesis does not shrink them, and a property test stops
  at its first failure instead of looking for more distinct ones (``report_multiple_bugs`` off);
- a requirement that has FAILED (or warned) stops spending requests: a later test all of whose
  requirements already failed is not run (``not run: ... already failed``), since its verdict cannot change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.verdicts import model as reporting
from conformance.plugin.safety import LOOPBACK_HOSTS
from conformance.plugin.state import RunState, maybe_run_state

#: A deployment whose fastest preflight answer took this long (seconds) is judged like a remote one
#: (a local server on a loaded machine answers some requests slowly, not all of them).
REMOTE_RTT = 0.03
#: xdist workers against a remote deployment under ``--concurrency auto``.
REMOTE_WORKERS = 3


@dataclass(frozen=True)
class Concurrency:
    workers: int
    why: str

    def describe(self) -> str:
        return f"{self.workers} worker{'s' if self.workers != 1 else ''} ({self.why})"


def parse_concurrency(text: str | None) -> int | None:
    """``--concurrency``: "auto" (None) or a whole number of workers >= 1; a usage error otherwise."""
    if text is None or str(text).strip().lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise pytest.UsageError(f"--concurrency {text!r}: give 'auto' or a whole number of workers >= 1 "
                                "(env IRIS_CONCURRENCY)")
    return value


def choose(requested: int | None, remote: bool, rtt: float, max_rps: float | None,
           xdist: bool) -> Concurrency:
    """How many workers to run: what was asked, else ``REMOTE_WORKERS`` against a remote deployment
    (fewer when ``--max-rps`` times the round trip needs fewer requests in flight), else one."""
    if requested is not None:
        workers, why = requested, "--concurrency"
    elif not remote:
        return Concurrency(1, f"auto: local deployment, {rtt * 1000:.0f} ms per request")
    else:
        workers = REMOTE_WORKERS
        if max_rps:
            workers = max(1, min(REMOTE_WORKERS, math.ceil(max_rps * rtt * 1.5)))
        why = f"auto: remote deployment, {rtt * 1000:.0f} ms per request"
    if workers > 1 and not xdist:
        return Concurrency(1, f"{why}; pytest-xdist is not installed, so the run is serial")
    return Concurrency(workers, why)


def configure(config: pytest.Config, rtt: float | None, fatal: str | None) -> tuple[bool, float, Concurrency]:
    """In the controller, after the preflight (``rtt``: its fastest answer, None against the embedded
    server): whether the deployment is remote, the round trip, and the workers that hide its latency
    (started by pytest-xdist, whose options this sets). Its xdist workers take the judgement from it."""
    if config.getoption("dist", "no") == "load":
        config.option.dist = "loadgroup"  # the rate-limit tests share one burst: one worker runs them
    host = urlsplit(config.getoption("base_url") or "").hostname or ""
    rtt = rtt or 0.0
    remote = not LOOPBACK_HOSTS.fullmatch(host) or rtt >= REMOTE_RTT
    by_hand = bool(getattr(config.option, "numprocesses", None)) or config.getoption("dist", "no") != "no"
    if by_hand:
        return remote, rtt, Concurrency(int(getattr(config.option, "numprocesses", 0) or 1), "-n given")
    concurrency = choose(parse_concurrency(config.getoption("iris_concurrency")), remote, rtt,
                         config.getoption("iris_max_rps"), config.pluginmanager.has_plugin("xdist"))
    if concurrency.workers > 1 and not fatal:
        # what pytest-xdist's own pytest_cmdline_main does for -n N; its pytest_configure (trylast)
        # then starts the workers
        config.option.numprocesses = concurrency.workers
        config.option.dist = "loadgroup"
        config.option.tx = ["popen"] * concurrency.workers
    return remote, rtt, concurrency


#: The profiles whose failing runs are kept as cheap as passing ones (thorough shrinks its examples).
BOUNDED_PROFILES = ("smoke", "default")


def hypothesis_overrides(profile: str) -> dict:
    """The hypothesis settings that keep a failing run as cheap as a passing one: failing examples
    reported as found (no shrinking: on the catalogue's pagination defect, shrinking made the default
    profile's run 7.9 times as long as a clean one, 17,620 requests against 6,810), one failure per
    property. None for the thorough profile."""
    if profile not in BOUNDED_PROFILES:
        return {}
    from hypothesis import Phase

    return {"phases": [p for p in Phase if p not in (Phase.shrink, Phase.explain)], "report_multiple_bugs": False}


# --------------------------------------------------------------- failed requirements stop


def _failed_path(state: RunState) -> Path:
    return state.runtime.ledger.path.with_suffix(".failed")


def record_failed(state: RunState, requirement_ids: list[str]) -> None:
    """A test of the run FAILED (or warned) on these requirements (shared with every xdist worker)."""
    path = _failed_path(state)
    if not requirement_ids:
        return
    with open(path, "a", encoding="utf-8") as out:  # one short append: atomic between processes
        out.write(",".join(requirement_ids) + "\n")


def already_failed(state: RunState) -> set[str]:
    path = _failed_path(state)
    try:
        return {rid for line in path.read_text(encoding="utf-8").splitlines() for rid in line.split(",") if rid}
    except FileNotFoundError:
        return set()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = maybe_run_state(item.config)
    if state is None or state.config.profile not in BOUNDED_PROFILES:
        return
    ids = reporting.requirement_ids(item.iter_markers("requirement"))
    if ids and set(ids) <= already_failed(state):
        pytest.skip(f"not run: {', '.join(ids)} already failed; a failed requirement spends no more requests "
                    "(its verdict cannot change)")
