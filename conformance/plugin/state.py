"""The run's state, typed: what the plugin learnt when it was configured and what the run has judged.

One :class:`RunState` per pytest process (the controller and each xdist worker), kept in the
config's stash. Conformance tests read only what they need through fixtures; a test module's
``pytest_generate_tests`` may read :attr:`RunState.spec` through :func:`run_state`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.runtime.budget import Ledger
    from conformance.runtime.embedded import EmbeddedServer
    from conformance.checks.every_response import Findings, ResponseOracle
    from conformance.verdicts.model import Verdicts
    from conformance.runtime.shared_responses import SharedResponses
    from conformance.contract.spec import Spec
    from conformance.verdicts.waivers import Waivers


@dataclass
class RunState:
    spec: "Spec"
    verdicts: "Verdicts"
    #: whether the collected paths include the conformance suite (False for the project's own tests)
    suite_run: bool
    findings: "Findings"
    ledger: "Ledger | None" = None
    server: "EmbeddedServer | None" = None
    oracle: "ResponseOracle | None" = None
    #: why the run cannot judge the deployment, once it cannot
    fatal: str | None = None
    target: str = ""
    sensitive: bool = False
    sensitive_why: str = "no base URL"
    intrusive_allowed: bool = True
    #: the run's facts, shown once in the report header, the HTML report and conformance.json
    meta: dict[str, Any] = field(default_factory=dict)
    json_path: Path | None = None
    overlays: list = field(default_factory=list)  # conformance.contract.overlay.AppliedOverlay: .path, .sha256, .actions (one line each)
    #: the waivers in force (``--waivers``); empty when none were given
    waivers: "Waivers | None" = None
    #: when the run started (UTC, ISO 8601 to the second); the day waivers' expiry is judged on
    started: str = ""
    #: where the reports go (``--reports-dir``): manifest.json, summary.md and the copied inputs
    reports_dir: Path | None = None
    #: this process's ledger count when the last test phase was reported (the next phase's start)
    requests_reported: int = 0
    #: the deployment is remote (not on loopback, or slow): see conformance.plugin.remote
    remote: bool = False
    #: seconds per request of the preflight
    rtt: float = 0.0
    #: the workers of the run (conformance.plugin.remote.Concurrency)
    concurrency: Any = None
    #: discovery answers shared by the run's xdist workers (None in a serial run: one process, its own caches)
    responses: "SharedResponses | None" = None


STATE_KEY = pytest.StashKey[RunState]()


def run_state(config: pytest.Config) -> RunState:
    return config.stash[STATE_KEY]


def maybe_run_state(config: pytest.Config) -> RunState | None:
    return config.stash.get(STATE_KEY, None)
