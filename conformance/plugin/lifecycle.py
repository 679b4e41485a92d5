"""Configuring a run: the spec, the request ledger, the seed and profile, the reports' paths, the
embedded reference server (with no ``--base-url``), and the preflight that decides whether the
deployment can be judged at all."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

import conformance
from conformance.verdicts import model as reporting
from conformance.contract import spec as specs
from conformance.verdicts import waivers as waiving
from conformance.runtime.budget import ENV as LEDGER_ENV
from conformance.runtime.budget import Ledger
from conformance.runtime.client import ApiClient, make_session
from conformance.runtime.embedded import SUITE_ARGS, EmbeddedServer
from conformance.checks.every_response import Findings, ResponseOracle, response_hook
from conformance.plugin import remote
from conformance.plugin.options import KEY_OPTIONS, is_strict, register_profiles
from conformance.plugin.safety import is_suite_run, sensitivity
from conformance.contract.overlay import ENV as OVERLAY_ENV
from conformance.contract.overlay import paths_from as overlay_paths
from conformance.runtime.preflight import check_deployment
from conformance.runtime.redaction import SECRETS
from conformance.runtime.shared_responses import SharedResponses
from conformance.plugin.state import STATE_KEY, RunState, maybe_run_state


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): contract requirement IDs this conformance test checks")
    config.addinivalue_line("markers", "intrusive: may trip alarms or exhaust the key's quota; skipped against "
                                       "a sensitive base URL unless --allow-intrusive")
    # pytest-xdist registers it too; without xdist (the main job installs no test extra) it is inert
    config.addinivalue_line("markers", "xdist_group(name): tests that share one xdist worker (--dist loadgroup)")
    worker = hasattr(config, "workerinput")
    spec_path = config.getoption("iris_spec") or str(specs.default_spec_path())
    overlays = overlay_paths(config.getoption("iris_overlay"))
    try:
        spec = specs.load(spec_path, overlays)
    except (specs.SpecError, OSError, yaml.YAMLError) as exc:  # before any request: exit 4, how to fix it
        raise pytest.UsageError(f"the spec cannot be used: {exc}") from None
    state = RunState(spec=spec, verdicts=reporting.Verdicts(strict=is_strict(config),
                                                            overlaid=spec.overlaid_requirements),
                     suite_run=is_suite_run(config), findings=Findings(), overlays=list(spec.overlays))
    config.stash[STATE_KEY] = state
    if not state.suite_run:
        return
    limits = {"max_requests": config.getoption("iris_max_requests"), "max_rps": config.getoption("iris_max_rps"),
              "max_duration": config.getoption("iris_max_duration")}
    if worker and os.environ.get(LEDGER_ENV):
        path, started = os.environ[LEDGER_ENV].rsplit("@", 1)
        state.ledger = Ledger(path, started=float(started), **limits)
        state.responses = SharedResponses(_responses_dir(state.ledger), salt=str(state.ledger.path))
    else:
        state.ledger = Ledger.create(**limits)
        # xdist workers share the file and the instant the run started
        os.environ[LEDGER_ENV] = f"{state.ledger.path}@{state.ledger.started!r}"
    # the instant the run started (UTC): in the manifest, and the day every process judges expiry on
    if not worker or not os.environ.get(STARTED_ENV):
        os.environ[STARTED_ENV] = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    state.started = os.environ[STARTED_ENV]
    state.waivers = _load_waivers(config, state)
    state.verdicts.waivers = state.waivers
    os.environ["IRIS_SPEC"] = str(spec.path)  # the schemathesis module loads it at import,
    os.environ[OVERLAY_ENV] = os.pathsep.join(spec.overlay_paths)  # with the same overlays
    os.environ["IRIS_PROFILE"] = config.getoption("iris_profile")  # and configures itself for it

    # Reproducibility: always run with a known hypothesis seed, printed and in the report.
    seed = config.getoption("iris_seed") or config.getoption("hypothesis_seed", None)
    if seed is None:
        seed = os.environ.get("IRIS_HYPOTHESIS_SEED") or str(random.SystemRandom().randrange(2**32))
    config.option.hypothesis_seed = str(seed)
    os.environ["IRIS_HYPOTHESIS_SEED"] = str(seed)  # xdist workers inherit it
    if config.getoption("dist", "no") == "load":
        config.option.dist = "loadgroup"  # the rate-limit tests share one burst: one worker runs them
    if not worker:
        reports = Path(config.getoption("iris_reports_dir"))
        if getattr(config.option, "htmlpath", None) is None:
            config.option.htmlpath = str(reports / "report.html")
            config.option.self_contained_html = True
        if getattr(config.option, "xmlpath", None) is None:
            config.option.xmlpath = str(reports / "junit.xml")
        state.json_path = reports / "conformance.json"
        state.reports_dir = reports

    if not config.getoption("base_url") and not worker:
        server = EmbeddedServer(args=SUITE_ARGS)
        server.start()
        state.server = server
        config.option.base_url = server.base_url
        os.environ["PYTEST_BASE_URL"] = server.base_url
        for name, (_, env, dest) in KEY_OPTIONS.items():
            if not config.getoption(dest):
                setattr(config.option, dest, server.keys[name])
                os.environ[env] = server.keys[name]
    state.target = "embedded reference server" if state.server else "external deployment"

    SECRETS.add(*(config.getoption(dest) for _, _, dest in KEY_OPTIONS.values()))
    base_url = config.getoption("base_url")
    state.sensitive, state.sensitive_why = sensitivity(config, base_url) if base_url else (False, "no base URL")
    state.intrusive_allowed = not state.sensitive or config.getoption("iris_allow_intrusive")
    if config.getoption("iris_profile") == "thorough" and not state.intrusive_allowed:
        raise pytest.UsageError(f"--profile thorough is intrusive and {base_url} is sensitive "
                                f"(it {state.sensitive_why}): pass --allow-intrusive, or use another profile")
    rtt = None
    if base_url and not worker:
        state.fatal, rtt = _preflight(config, state, base_url)
        if state.fatal:
            config.option.dist = "no"  # nothing to distribute: do not start xdist workers
    remote.configure(config, state, None if state.server else rtt)  # the embedded server is local
    register_profiles(remote.hypothesis_overrides(state.remote))
    if config.getoption("hypothesis_profile", None) is None:
        from hypothesis import settings

        settings.load_profile(f"iris-{config.getoption('iris_profile')}")
    _set_metadata(config, state)
    if base_url:
        from conformance.checks.schema import load_schema

        state.oracle = ResponseOracle(spec, load_schema(spec), base_url)
    from conformance.plugin.reporting import ConformanceRun

    config.pluginmanager.register(ConformanceRun(config, state), "iris-conformance-run")


#: the run's start (ISO 8601 UTC), shared with xdist workers
STARTED_ENV = "IRIS_RUN_STARTED"


def _load_waivers(config: pytest.Config, state: RunState) -> waiving.Waivers:
    """``--waivers``, validated before any request: a mistake in it is a usage error (exit 4)."""
    today = dt.datetime.fromisoformat(state.started).date()
    path = config.getoption("iris_waivers")
    if not path:
        return waiving.none(today)
    try:
        return waiving.load(path, state.spec, today)
    except waiving.WaiverError as exc:
        raise pytest.UsageError(f"the waivers cannot be used: {exc}") from None


def _preflight(config: pytest.Config, state: RunState, base_url: str) -> tuple[str | None, float | None]:
    """Why the deployment at ``base_url`` cannot be judged, or None (see ``conformance.runtime.preflight``),
    and the seconds its fastest answer took (None when the deployment cannot be judged)."""
    times: list[float] = []
    with run_session(config, state, evidence=False) as session:
        session.hooks["response"].append(lambda response, **_: times.append(response.elapsed.total_seconds()))
        reason = check_deployment(make_client(config, base_url, config.getoption("iris_api_key"), session,
                                              state.spec), state.spec)
    # the fastest answer: a busy machine slows some answers of a local server, never all of them
    rtt = min(times) if times and not reason else None
    return (state.ledger.set_fatal(reason) if reason else None), rtt


def run_session(config: pytest.Config, state: RunState, *, evidence: bool = True, **kwargs: Any):
    """An HTTP session of the run: every request through the ledger, every response through the
    every-response oracles (``evidence``)."""
    session = make_session(state.ledger, base_url=config.getoption("base_url"),
                           max_wait=config.getoption("iris_max_retry_wait"),
                           timeout=config.getoption("iris_timeout"),
                           max_bytes=int(config.getoption("iris_max_response_mb") * 2**20),
                           retry_after_header=state.spec.api_view.rate_limit.retry_after_header,
                           api_key_header=state.spec.api_view.auth.api_key_header,
                           key_roles={config.getoption(dest): role for role, (_, _, dest) in KEY_OPTIONS.items()
                                      if config.getoption(dest)}, **kwargs)
    if evidence and state.oracle is not None:
        session.hooks["response"].append(response_hook(state.oracle, state.findings))
    return session


def make_client(config: pytest.Config, base_url: str, key: str | None, session, spec: specs.Spec) -> ApiClient:
    auth = spec.api_view.auth
    return ApiClient(base_url, key, session=session, timeout=config.getoption("iris_timeout"),
                     api_key_header=auth.api_key_header, bearer_scheme=auth.bearer_scheme)


def _set_metadata(config: pytest.Config, state: RunState) -> None:
    spec = state.spec
    seed = config.getoption("hypothesis_seed")
    values = {
        "Base URL": config.getoption("base_url"),
        "Target": state.target,
        "Spec": f"{spec.path.name} v{spec.version} sha256:{spec.sha256[:16]}",
        "Overlays": assumptions(spec),
        "Suite version": f"iris-conformance {conformance.__version__}",
        "Seed": f"{seed} (replay with --seed {seed})",
        "Profile": config.getoption("iris_profile"),
        "Sensitive": f"{'yes' if state.sensitive else 'no'}: the base URL {state.sensitive_why}; "
                     f"intrusive tests {'run' if state.intrusive_allowed else 'skipped (--allow-intrusive runs them)'}",
        "Request limits": f"--max-requests {config.getoption('iris_max_requests') or 'none'}, "
                          f"--max-rps {config.getoption('iris_max_rps') or 'none'}, "
                          f"--max-duration {config.getoption('iris_max_duration') or 'none'} s, "
                          f"--request-timeout {config.getoption('iris_timeout'):g} s",
        "Concurrency": state.concurrency.describe() if state.concurrency else "1 worker",
        "Remote": ("yes: failing examples reported as found (no shrinking), a failed requirement spends no more "
                   "requests" if state.remote else "no"),
        "Strict": "yes (SHOULD violations fail)" if is_strict(config) else "no (SHOULD violations warn)",
        "Waivers": (f"{state.waivers.path} sha256:{state.waivers.sha256[:16]} ({len(state.waivers.waivers)} waiver"
                    f"{'s' if len(state.waivers.waivers) != 1 else ''})") if state.waivers and state.waivers.path
                   else "none",
        "Started": state.started,
    }
    state.meta = values
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover - pytest-metadata is a dependency
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is not None:
        # The run's facts are shown once, in the report's verdict banner: pytest-metadata's
        # Environment table keeps the toolchain (Python, platform, packages, plugins) only.
        for _, env, _dest in KEY_OPTIONS.values():
            metadata.pop(env, None)


def assumptions(spec: specs.Spec) -> str:
    """What a verdict assumes beyond the published contract: each overlay and its actions."""
    if not spec.overlays:
        return "none (judged against the packaged contract as published)"
    actions = [a for o in spec.overlays for a in o.actions]
    files = ", ".join(o.describe() for o in spec.overlays)
    lines = "; ".join(f"[{n}] {a.line()}" for n, a in enumerate(actions, 1))
    return f"this verdict assumes {len(actions)} deviations from the published contract ({files}): {lines}"


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = maybe_run_state(config)
    if state is None or not state.suite_run:
        return None
    lines = [f"iris-conformance: {k}: {v}" for k, v in state.meta.items() if k != "Overlays"]
    if state.spec.overlays:
        actions = [a for o in state.spec.overlays for a in o.actions]
        lines.append(f"iris-conformance: Overlays: this verdict assumes {len(actions)} deviations from the "
                     f"published contract: " + ", ".join(o.describe() for o in state.spec.overlays))
        lines += [f"iris-conformance:   [{n}] {a.line()}" for n, a in enumerate(actions, 1)]
    else:
        lines.append(f"iris-conformance: Overlays: {state.meta.get('Overlays')}")
    if state.fatal:
        lines.insert(0, f"iris-conformance: CANNOT JUDGE: {state.fatal}")
    return lines


def pytest_unconfigure(config: pytest.Config) -> None:
    state = maybe_run_state(config)
    if state is not None and state.server is not None:
        state.server.stop()
    if state is not None and state.ledger is not None and not hasattr(config, "workerinput"):
        # the deployment's data the workers shared: it does not outlive the run
        shutil.rmtree(_responses_dir(state.ledger), ignore_errors=True)


def _responses_dir(ledger: Ledger) -> Path:
    """Where the run's workers share their discovery answers: beside the ledger, in its private directory."""
    return ledger.path.parent / "responses"
