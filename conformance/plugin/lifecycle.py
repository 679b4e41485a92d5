"""Configuring a run of the suite, one step per function, in the order they depend on each other:
the markers, the spec, when the run started, the request ledger, the seed, the reports' paths, the
deployment (the embedded reference server with no ``--base-url``), the keys, the waivers, the base
URL's sensitivity, the preflight that decides whether the deployment can be judged at all, remote and
concurrency, the hypothesis profile, the run's facts (metadata) and the every-response oracle.

Under pytest-xdist the controller configures the run and gives each worker what the run's processes
share (the ledger, the start, the seed, the spec and its overlays, "remote", the base URL and the
keys) through xdist's own channel: ``pytest_configure_node`` puts it in the worker's ``workerinput``,
which the worker reads in its ``pytest_configure``. Nothing of it goes through ``os.environ`` or a
file (the keys stay in the memory of the run's processes)."""

from __future__ import annotations

import dataclasses
import datetime as dt
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
from conformance.runtime.budget import Ledger
from conformance.runtime.client import ApiClient, make_session
from conformance.runtime.embedded import SUITE_ARGS, EmbeddedServer
from conformance.checks.every_response import Findings, ResponseOracle, response_hook
from conformance.plugin import plan as planning
from conformance.plugin import remote
from conformance.plugin.options import KEY_OPTIONS, is_strict, register_profiles
from conformance.plugin.safety import sensitivity
from conformance.contract.overlay import paths_from as overlay_paths
from conformance.runtime.preflight import check_deployment
from conformance.runtime.redaction import SECRETS
from conformance.runtime.shared_responses import SharedResponses
from conformance.plugin import state as run_states
from conformance.plugin.state import Judgement, RunConfig, RunState, Runtime, maybe_run_state, run_state
from conformance.verdicts.plan import RequestPlan

#: the key of the run's configuration in an xdist worker's ``workerinput``
WORKERINPUT = "iris_conformance"


def pytest_configure(config: pytest.Config) -> None:
    """The run's state, step by step (each step may use what the steps before it made)."""
    if planning.plan_only(config):
        return _plan_only(config)
    given = _from_controller(config)  # None in the controller (or a serial run)
    _markers(config)
    spec = _spec(config, given)
    started = _started(given)
    ledger = _ledger(config, given)
    seed = _seed(config, given)
    reports_dir = _reports(config) if given is None else None
    server = _deployment(config, given)
    base_url = config.getoption("base_url")
    _keys(config)
    waivers = _waivers(config, spec, started)
    sensitive, why, intrusive_allowed = _sensitivity(config, base_url)
    plan = _plan(config, given, spec, base_url, sensitive, intrusive_allowed)  # before any request
    fatal, rtt = _preflight(config, ledger, spec, base_url) if base_url and given is None else (None, None)
    is_remote, rtt, concurrency = _remote(config, given, None if server else rtt, fatal)  # embedded: local
    if not fatal:  # a loopback deployment the preflight found slow
        plan = plan or _plan(config, given, spec, base_url, sensitive, intrusive_allowed, remote=is_remote)
    _hypothesis_profile(config)
    run = RunConfig(spec=spec, profile=config.getoption("iris_profile"), seed=seed, started=started,
                    base_url=base_url, target="embedded reference server" if server else "external deployment",
                    sensitive=sensitive, sensitive_why=why, intrusive_allowed=intrusive_allowed, waivers=waivers,
                    remote=is_remote, rtt=rtt, concurrency=concurrency, reports_dir=reports_dir,
                    json_path=reports_dir / "conformance.json" if reports_dir else None, plan=plan)
    run = dataclasses.replace(run, meta=_facts(config, run))
    _hide_keys_from_metadata(config)
    runtime = Runtime(ledger=ledger, server=server, oracle=_oracle(spec, base_url),
                      responses=SharedResponses(_responses_dir(ledger), salt=str(ledger.path)) if given else None,
                      requests_reported=dict(ledger.sent_by_role))  # the preflight's: no test's
    verdicts = reporting.Verdicts(strict=is_strict(config), waivers=waivers, overlaid=spec.overlaid_requirements)
    state = RunState(run, runtime, Judgement(verdicts=verdicts, findings=Findings(), fatal=fatal))
    run_states.begin(config, state)
    from conformance.plugin.reporting import ConformanceRun

    config.pluginmanager.register(ConformanceRun(config, state), "iris-conformance-run")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist, in the controller, before it starts a worker: what the worker takes from the run."""
    node.workerinput[WORKERINPUT] = for_workers(node.config, run_state(node.config))


def for_workers(config: pytest.Config, state: RunState) -> dict[str, Any]:
    """What every process of the run shares, JSON-able (xdist sends it to the worker over its channel)."""
    run, ledger = state.config, state.runtime.ledger
    return {"spec": str(run.spec.path), "overlays": list(run.spec.overlay_paths), "ledger": str(ledger.path),
            "clock": ledger.started, "started": run.started, "seed": run.seed, "remote": run.remote,
            "base_url": run.base_url, "keys": {dest: config.getoption(dest) for _, _, dest in KEY_OPTIONS.values()}}


def _from_controller(config: pytest.Config) -> dict[str, Any] | None:
    """In an xdist worker, the run's configuration its controller gave it (see :func:`for_workers`)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    if WORKERINPUT not in workerinput:
        raise pytest.UsageError("this xdist worker of a conformance run got no configuration from its controller")
    return workerinput[WORKERINPUT]


def _markers(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): contract requirement IDs this conformance test checks")
    config.addinivalue_line("markers", "intrusive: may trip alarms or exhaust the key's quota; skipped against "
                                       "a sensitive base URL unless --allow-intrusive")
    # pytest-xdist registers it too; without xdist (the main job installs no test extra) it is inert
    config.addinivalue_line("markers", "xdist_group(name): tests that share one xdist worker (--dist loadgroup)")


def _spec(config: pytest.Config, given: dict | None) -> specs.Spec:
    """``--spec`` with the ``--overlay`` files applied; a spec that cannot be used is a usage error (exit 4)."""
    if given is not None:
        path, overlays = given["spec"], tuple(given["overlays"])
    else:
        path = config.getoption("iris_spec") or str(specs.default_spec_path())
        overlays = overlay_paths(config.getoption("iris_overlay"))
    try:
        return specs.load(path, overlays)
    except (specs.SpecError, OSError, yaml.YAMLError) as exc:  # before any request: exit 4, how to fix it
        raise pytest.UsageError(f"the spec cannot be used: {exc}") from None


def _started(given: dict | None) -> str:
    """The instant the run started (UTC): in the manifest, and the day every process judges expiry on."""
    return given["started"] if given else dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _ledger(config: pytest.Config, given: dict | None) -> Ledger:
    """The run's request ledger: the controller makes it, its workers open the same file and clock."""
    limits = {"max_requests": config.getoption("iris_max_requests"), "max_rps": config.getoption("iris_max_rps"),
              "max_duration": config.getoption("iris_max_duration")}
    if given is not None:
        return Ledger(given["ledger"], started=given["clock"], **limits)
    return Ledger.create(**limits)


def _seed(config: pytest.Config, given: dict | None) -> str:
    """Reproducibility: always run with a known hypothesis seed, printed and in the report."""
    seed = given["seed"] if given else config.getoption("iris_seed") or config.getoption("hypothesis_seed", None)
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    config.option.hypothesis_seed = str(seed)
    return str(seed)


def _reports(config: pytest.Config) -> Path:
    """``--reports-dir``: where report.html and junit.xml go (unless given), and the plugin's own reports."""
    reports = Path(config.getoption("iris_reports_dir"))
    if getattr(config.option, "htmlpath", None) is None:
        config.option.htmlpath = str(reports / "report.html")
        config.option.self_contained_html = True
    if getattr(config.option, "xmlpath", None) is None:
        config.option.xmlpath = str(reports / "junit.xml")
    return reports


def _deployment(config: pytest.Config, given: dict | None) -> EmbeddedServer | None:
    """The base URL and keys: in a worker, the controller's; with no ``--base-url``, the embedded
    reference server's (started here, stopped when the run ends), each key not given its demo key."""
    if given is not None:
        config.option.base_url = given["base_url"]
        for dest, key in given["keys"].items():
            setattr(config.option, dest, key)
        return None
    if config.getoption("base_url"):
        return None
    server = EmbeddedServer(args=SUITE_ARGS)
    server.start()
    config.add_cleanup(server.stop)
    config.option.base_url = server.base_url
    for name, (_, _, dest) in KEY_OPTIONS.items():
        if not config.getoption(dest):
            setattr(config.option, dest, server.keys[name])
    return server


def _keys(config: pytest.Config) -> None:
    """Keys never leave the process: every report, log line and file of the run has them redacted."""
    SECRETS.add(*(config.getoption(dest) for _, _, dest in KEY_OPTIONS.values()))


def _waivers(config: pytest.Config, spec: specs.Spec, started: str) -> waiving.Waivers:
    """``--waivers``, validated before any request: a mistake in it is a usage error (exit 4)."""
    today = dt.datetime.fromisoformat(started).date()
    path = config.getoption("iris_waivers")
    if not path:
        return waiving.none(today)
    try:
        return waiving.load(path, spec, today)
    except waiving.WaiverError as exc:
        raise pytest.UsageError(f"the waivers cannot be used: {exc}") from None


def _plan(config: pytest.Config, given: dict | None, spec: specs.Spec, base_url: str | None, sensitive: bool,
          intrusive_allowed: bool, remote: bool | None = None) -> RequestPlan | None:
    """The requests the run will send (in the controller): before the preflight (``remote`` None)
    against a sensitive deployment or one not on loopback, after it against a loopback one it found
    slow (``remote``). ``--max-requests`` below it against a sensitive deployment is a usage error."""
    if given is not None or not base_url:
        return None
    early = planning.needs_plan(base_url, sensitive)
    if not (early if remote is None else remote and not early):
        return None
    return planning.before_run(config, spec, sensitive, intrusive_allowed)


def _plan_only(config: pytest.Config) -> None:
    """A plan-only collection (``--plan-collect``): the spec and the markers the tests are collected
    with, and nothing that sends a request or writes a report (no server, no ledger, no preflight)."""
    _markers(config)
    spec = _spec(config, None)
    _hypothesis_profile(config)
    started = _started(None)
    run = RunConfig(spec=spec, profile=config.getoption("iris_profile"), seed="0", started=started, base_url=None,
                    target="none (plan only)", sensitive=False, sensitive_why="plan only", intrusive_allowed=True,
                    waivers=_waivers(config, spec, started))
    run_states.begin(config, RunState(run, Runtime(ledger=None), Judgement(verdicts=reporting.Verdicts(),
                                                                            findings=Findings())))


def _sensitivity(config: pytest.Config, base_url: str | None) -> tuple[bool, str, bool]:
    """Whether the base URL is sensitive and why, and whether intrusive tests run against it; the
    thorough profile (intrusive) against a sensitive URL is a usage error."""
    sensitive, why = sensitivity(config, base_url) if base_url else (False, "no base URL")
    allowed = not sensitive or config.getoption("iris_allow_intrusive")
    if config.getoption("iris_profile") == "thorough" and not allowed:
        raise pytest.UsageError(f"--profile thorough is intrusive and {base_url} is sensitive "
                                f"(it {why}): pass --allow-intrusive, or use another profile")
    return sensitive, why, allowed


def _remote(config: pytest.Config, given: dict | None, rtt: float | None,
            fatal: str | None) -> tuple[bool, float, remote.Concurrency | None]:
    """Whether the deployment is remote, the preflight's round trip and the run's workers: the
    controller judges (:func:`conformance.plugin.remote.configure`), its workers take its judgement."""
    if given is not None:
        return given["remote"], 0.0, None
    return remote.configure(config, rtt, fatal)


def _hypothesis_profile(config: pytest.Config) -> None:
    """The profiles (with the settings that keep failing runs cheap), and --profile's unless
    --hypothesis-profile."""
    register_profiles(remote.hypothesis_overrides(config.getoption("iris_profile")))
    if config.getoption("hypothesis_profile", None) is None:
        from hypothesis import settings

        settings.load_profile(f"iris-{config.getoption('iris_profile')}")


def _oracle(spec: specs.Spec, base_url: str | None) -> ResponseOracle | None:
    """The every-response oracles (with the spec's response schemas), when there is a deployment."""
    if not base_url:
        return None
    from conformance.checks.schema import load_schema

    return ResponseOracle(spec, load_schema(spec), base_url)


def _preflight(config: pytest.Config, ledger: Ledger, spec: specs.Spec,
               base_url: str) -> tuple[str | None, float | None]:
    """Why the deployment at ``base_url`` cannot be judged, or None (see ``conformance.runtime.preflight``),
    and the seconds its fastest answer took (None when the deployment cannot be judged). A run that
    cannot judge starts no xdist workers."""
    times: list[float] = []
    with _session(config, ledger, spec) as session:
        session.hooks["response"].append(lambda response, **_: times.append(response.elapsed.total_seconds()))
        reason = check_deployment(make_client(config, base_url, config.getoption("iris_api_key"), session, spec),
                                  spec)
    if reason:
        config.option.dist = "no"  # nothing to distribute: do not start xdist workers
        return ledger.set_fatal(reason), None
    # the fastest answer: a busy machine slows some answers of a local server, never all of them
    return None, min(times) if times else None


def run_session(config: pytest.Config, state: RunState, **kwargs: Any):
    """An HTTP session of the run: every request through the ledger, every response through the
    every-response oracles."""
    session = _session(config, state.runtime.ledger, state.config.spec, **kwargs)
    if state.runtime.oracle is not None:
        session.hooks["response"].append(response_hook(state.runtime.oracle, state.judged.findings))
    return session


def _session(config: pytest.Config, ledger: Ledger, spec: specs.Spec, **kwargs: Any):
    """An HTTP session whose every request goes through the ledger (budget, pace, 429s)."""
    return make_session(ledger, base_url=config.getoption("base_url"),
                        max_wait=config.getoption("iris_max_retry_wait"), timeout=config.getoption("iris_timeout"),
                        max_bytes=int(config.getoption("iris_max_response_mb") * 2**20),
                        retry_after_header=spec.api_view.rate_limit.retry_after_header,
                        api_key_header=spec.api_view.auth.api_key_header,
                        key_roles={config.getoption(dest): role for role, (_, _, dest) in KEY_OPTIONS.items()
                                   if config.getoption(dest)}, **kwargs)


def make_client(config: pytest.Config, base_url: str, key: str | None, session, spec: specs.Spec) -> ApiClient:
    auth = spec.api_view.auth
    return ApiClient(base_url, key, session=session, timeout=config.getoption("iris_timeout"),
                     api_key_header=auth.api_key_header, bearer_scheme=auth.bearer_scheme)


def _facts(config: pytest.Config, run: RunConfig) -> dict[str, str]:
    """The run's facts, as the report header, the HTML report's banner and conformance.json show them."""
    spec, waivers = run.spec, run.waivers
    return {
        "Base URL": run.base_url,
        "Target": run.target,
        "Spec": f"{spec.path.name} v{spec.version} sha256:{spec.sha256[:16]}",
        "Overlays": assumptions(spec),
        "Suite version": f"iris-conformance {conformance.__version__}",
        "Seed": f"{run.seed} (replay with --seed {run.seed})",
        "Profile": run.profile,
        "Sensitive": f"{'yes' if run.sensitive else 'no'}: the base URL {run.sensitive_why}; "
                     f"intrusive tests {'run' if run.intrusive_allowed else 'skipped (--allow-intrusive runs them)'}",
        "Request limits": f"--max-requests {config.getoption('iris_max_requests') or 'none'}, "
                          f"--max-rps {config.getoption('iris_max_rps') or 'none'}, "
                          f"--max-duration {config.getoption('iris_max_duration') or 'none'} s, "
                          f"--request-timeout {config.getoption('iris_timeout'):g} s",
        "Concurrency": run.concurrency.describe() if run.concurrency else "1 worker",
        "Remote": "yes (not on loopback, or slow)" if run.remote else "no",
        "Failing runs": ("bounded: failing examples reported as found (no shrinking), a failed requirement spends "
                         "no more requests" if run.profile in remote.BOUNDED_PROFILES else
                         "thorough: failing examples shrunk"),
        "Strict": "yes (SHOULD violations fail)" if is_strict(config) else "no (SHOULD violations warn)",
        "Waivers": (f"{waivers.path} sha256:{waivers.sha256[:16]} ({len(waivers.waivers)} waiver"
                    f"{'s' if len(waivers.waivers) != 1 else ''})") if waivers and waivers.path else "none",
        "Started": run.started,
        **({"Plan": run.plan.headline()} if run.plan else {}),
    }


def _hide_keys_from_metadata(config: pytest.Config) -> None:
    """The run's facts are shown once, in the report's verdict banner: pytest-metadata's Environment
    table keeps the toolchain (Python, platform, packages, plugins) only, and never a key."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover - pytest-metadata is a dependency
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is not None:
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
    if state is None:
        return None
    run = state.config
    lines = [f"iris-conformance: {k}: {v}" for k, v in run.meta.items() if k != "Overlays"]
    if run.plan:  # (the last fact)
        lines += [f"iris-conformance:   {line}" for line in run.plan.lines()[1:]]
    if run.spec.overlays:
        actions = [a for o in run.spec.overlays for a in o.actions]
        lines.append(f"iris-conformance: Overlays: this verdict assumes {len(actions)} deviations from the "
                     f"published contract: " + ", ".join(o.describe() for o in run.spec.overlays))
        lines += [f"iris-conformance:   [{n}] {a.line()}" for n, a in enumerate(actions, 1)]
    else:
        lines.append(f"iris-conformance: Overlays: {run.meta.get('Overlays')}")
    if state.judged.fatal:
        lines.insert(0, f"iris-conformance: CANNOT JUDGE: {state.judged.fatal}")
    return lines


def pytest_unconfigure(config: pytest.Config) -> None:
    state = maybe_run_state(config)
    run_states.end(config)
    if state is not None and state.runtime.ledger is not None and not hasattr(config, "workerinput"):
        # the deployment's data the workers shared: it does not outlive the run
        shutil.rmtree(_responses_dir(state.runtime.ledger), ignore_errors=True)


def _responses_dir(ledger: Ledger) -> Path:
    """Where the run's workers share their discovery answers: beside the ledger, in its private directory."""
    return ledger.path.parent / "responses"
