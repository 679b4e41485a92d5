"""The run's state, typed, in three parts with one job each:

- :class:`RunConfig` (frozen): what the plugin decided when it configured the run, once;
- :class:`Runtime`: what the run works with (the ledger, the embedded server, the every-response
  oracle, the answers the workers share);
- :class:`Judgement`: what the run has judged (the verdicts, the every-response findings, and why
  it cannot judge the deployment, once it cannot).

One :class:`RunState` per pytest process of a suite run (the controller and each xdist worker), kept
in the config's stash. Conformance tests read only what they need through fixtures; a test module
that needs the spec at import time reads :func:`conformance.contract.active.run` (the same :class:`Spec` the fixtures use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.contract import active

if TYPE_CHECKING:
    from conformance.checks.every_response import Findings, ResponseOracle
    from conformance.contract.spec import Spec
    from conformance.plugin.remote import Concurrency
    from conformance.runtime.budget import Ledger
    from conformance.runtime.embedded import EmbeddedServer
    from conformance.runtime.shared_responses import SharedResponses
    from conformance.verdicts.model import Verdicts
    from conformance.verdicts.plan import RequestPlan
    from conformance.verdicts.waivers import Waivers


@dataclass(frozen=True)
class RunConfig:
    """What the run is: made once, at the end of ``pytest_configure``."""
    spec: "Spec"
    #: --profile
    profile: str
    #: the hypothesis seed of the run (every process of the run uses it)
    seed: str
    #: when the run started (UTC, ISO 8601 to the second); the day waivers' expiry is judged on
    started: str
    #: the deployment (--base-url, or the embedded server's), None when there is none
    base_url: str | None
    #: "embedded reference server" or "external deployment"
    target: str
    sensitive: bool
    #: why the base URL is (not) sensitive, for skip reasons and the report
    sensitive_why: str
    intrusive_allowed: bool
    #: the waivers in force (``--waivers``); none when none were given
    waivers: "Waivers"
    #: the deployment is remote (not on loopback, or slow): see conformance.plugin.remote
    remote: bool = False
    #: seconds per request of the preflight (0 when there was none: in a worker, against the embedded server)
    rtt: float = 0.0
    #: the workers of the run (None in an xdist worker)
    concurrency: "Concurrency | None" = None
    #: where the reports go (``--reports-dir``; None in an xdist worker): manifest.json, summary.md, the inputs
    reports_dir: Path | None = None
    json_path: Path | None = None
    #: the requests the run will send, made before its first request against a remote or sensitive
    #: deployment (None otherwise, and in an xdist worker)
    plan: "RequestPlan | None" = None
    #: the run's facts, shown once in the report header, the HTML report and conformance.json
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    """What the run works with."""
    ledger: "Ledger"
    #: the embedded reference server, when the run started it (controller only)
    server: "EmbeddedServer | None" = None
    #: the every-response oracles (None without a base URL)
    oracle: "ResponseOracle | None" = None
    #: discovery answers shared by the run's xdist workers (None in a serial run: one process, its own caches)
    responses: "SharedResponses | None" = None
    #: this process's ledger counts per key role when the last test phase was reported (the next
    #: phase's start; the preflight's requests are no test's)
    requests_reported: dict[str, int] = field(default_factory=dict)

    def phase_requests(self) -> dict[str, int]:
        """The requests this process sent, per key role, since the last call (roles that sent none
        left out)."""
        now = dict(self.ledger.sent_by_role)
        sent = {role: n - self.requests_reported.get(role, 0) for role, n in now.items()}
        self.requests_reported = now
        return {role: n for role, n in sent.items() if n}


@dataclass
class Judgement:
    """What the run has judged."""
    verdicts: "Verdicts"
    findings: "Findings"
    #: why the run cannot judge the deployment, once it cannot
    fatal: str | None = None


@dataclass
class RunState:
    """The state of one process of a suite run (the controller, or an xdist worker)."""

    config: RunConfig
    runtime: Runtime
    judged: Judgement


STATE_KEY = pytest.StashKey[RunState]()


def run_state(config: pytest.Config) -> RunState:
    return config.stash[STATE_KEY]


def maybe_run_state(config: pytest.Config) -> RunState | None:
    return config.stash.get(STATE_KEY, None)


def begin(config: pytest.Config, state: RunState) -> None:
    """The run is configured: its state is in ``config``'s stash, its spec and profile in
    :mod:`conformance.contract.active` (for test modules that need them at import time)."""
    config.stash[STATE_KEY] = state
    active.activate(state.config.spec, state.config.profile)


def end(config: pytest.Config) -> None:
    state = maybe_run_state(config)
    if state is not None:
        active.deactivate(state.config.spec)
