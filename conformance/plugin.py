"""The pytest plugin (entry point ``pytest11``): options, the embedded server, shared fixtures,
secret redaction, requirement verdicts and report content.

With no ``--base-url`` a run of the conformance suite starts the embedded reference server on a free
loopback port and uses its demo keys.
"""

from __future__ import annotations

import html
import os
import random
import re
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any

import pytest
import yaml

import conformance
from conformance import report as reporting
from conformance import requirements
from conformance import spec as specs
from conformance.budget import ENV as LEDGER_ENV
from conformance.budget import CannotJudge, Ledger
from conformance.client import ApiClient, TransportFailure, make_session
from conformance.embedded import SUITE_ARGS, EmbeddedServer
from conformance.preflight import check_deployment
from conformance.redaction import SECRETS, redact

SUITE_DIR = Path(__file__).resolve().parent / "suite"

KEY_OPTIONS = {
    # fixture name: (option, env var, dest)
    "primary": ("--api-key", "IRIS_API_KEY", "iris_api_key"),
    "other_tenant": ("--other-tenant-key", "IRIS_OTHER_TENANT_KEY", "iris_other_tenant_key"),
    "revoked": ("--revoked-api-key", "IRIS_REVOKED_API_KEY", "iris_revoked_api_key"),
    "expired": ("--expired-api-key", "IRIS_EXPIRED_API_KEY", "iris_expired_api_key"),
}

_state_key = pytest.StashKey[dict]()

#: Hypothesis settings per --profile. No example database: a verdict depends on the seed alone.
PROFILES = {
    # smoke is a CI gate: a fast verdict, so failing examples are reported as found, not shrunk
    "smoke": {"max_examples": 8, "phases": ("explicit", "reuse", "generate", "target")},
    "default": {"max_examples": 10},
    "thorough": {"max_examples": 200},
}


def _register_profiles() -> None:
    from hypothesis import HealthCheck, Phase, settings

    for name, values in PROFILES.items():
        values = dict(values)
        if "phases" in values:
            values["phases"] = [Phase[p] for p in values["phases"]]
        # derandomize=False: with CI set in the environment, hypothesis' own "ci" profile (derandomize
        # on) is the default the profiles would inherit, and the seed would not decide the examples.
        settings.register_profile(
            f"iris-{name}", deadline=None, database=None, print_blob=False, derandomize=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
            **values,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("sensitive_url", "regex of sensitive base URLs (see --sensitive-url)", default=None)
    group = parser.getgroup("iris-conformance", "IRIS External API conformance")
    for option, env, dest in KEY_OPTIONS.values():
        group.addoption(option, dest=dest, default=os.environ.get(env), metavar="KEY",
                        help=f"API key (env {env}); prefer the environment variable, a command line is visible to other users")
    group.addoption("--spec", dest="iris_spec", default=os.environ.get("IRIS_SPEC"), metavar="PATH",
                    help="OpenAPI spec the suite reads (default: the packaged specs/openapi.yaml; env IRIS_SPEC)")
    group.addoption("--request-timeout", dest="iris_timeout", type=float, default=5.0, metavar="SECONDS",
                    help="time one HTTP request may take to connect, to answer and to deliver its body (default 5)")
    group.addoption("--max-response-mb", dest="iris_max_response_mb", type=float, default=8.0, metavar="MB",
                    help="largest response body read; a larger one fails its request (default 8)")
    group.addoption("--seed", dest="iris_seed", default=os.environ.get("IRIS_SEED"), metavar="N",
                    help="replay a run: the seed its report shows (env IRIS_SEED; default: a new random seed)")
    group.addoption("--sensitive-url", dest="iris_sensitive_url", default=os.environ.get("SENSITIVE_URL"),
                    metavar="REGEX",
                    help="base URLs matching REGEX are sensitive: intrusive tests are skipped there (ini "
                         "sensitive_url, env SENSITIVE_URL; default: every base URL that is not on loopback)")
    group.addoption("--allow-intrusive", dest="iris_allow_intrusive", action="store_true",
                    help="run intrusive tests (rate-limit burst, hostile values, thorough profile) even "
                         "against a sensitive base URL")
    group.addoption("--max-requests", dest="iris_max_requests", type=int, metavar="N",
                    default=int(os.environ["IRIS_MAX_REQUESTS"]) if os.environ.get("IRIS_MAX_REQUESTS") else None,
                    help="stop the run (exit 2, cannot judge) once N requests were sent, over all xdist workers "
                         "(env IRIS_MAX_REQUESTS)")
    group.addoption("--max-duration", dest="iris_max_duration", type=float, metavar="SECONDS",
                    default=float(os.environ.get("IRIS_MAX_DURATION") or 1800),
                    help="stop the run (exit 2, cannot judge) after SECONDS, e.g. against a deployment that "
                         "answers every request slowly (env IRIS_MAX_DURATION; default 1800; 0: no limit)")
    group.addoption("--max-rps", dest="iris_max_rps", type=float, metavar="RATE",
                    default=float(os.environ["IRIS_MAX_RPS"]) if os.environ.get("IRIS_MAX_RPS") else None,
                    help="never send more than RATE requests per second, over all xdist workers (env IRIS_MAX_RPS)")
    group.addoption("--max-retry-wait", dest="iris_max_retry_wait", type=float, default=30.0, metavar="SECONDS",
                    help="longest wait honoured for one 429 Retry-After before retrying (default 30)")
    group.addoption("--profile", dest="iris_profile", choices=sorted(PROFILES), default="default",
                    help="how hard to look: smoke (CI gate), default, thorough (exhaustive walks, more examples)")
    group.addoption("--requirements", dest="iris_requirements", default=None, metavar="IDS",
                    help="run only the tests of these requirements: comma-separated IDs or prefixes (GEO, AUTH-02)")
    group.addoption("--reports-dir", dest="iris_reports_dir", default="reports", metavar="DIR",
                    help="where a run of the suite writes report.html, junit.xml and conformance.json (default reports/)")


def is_strict(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (ini ``strict``) also makes SHOULD violations fail the run."""
    try:
        value = config.getini("strict")  # pytest >= 9
    except ValueError:
        value = config.getoption("strict", False)
    return value is True or str(value).lower() in ("true", "1", "yes")


def _is_suite_run(config: pytest.Config) -> bool:
    """True when the collected paths include the conformance suite (not for the project's own tests)."""
    if config.getoption("pyargs", False):
        return any(str(a).split("::")[0].startswith("conformance") for a in config.args)
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == SUITE_DIR or SUITE_DIR in path.parents or path in SUITE_DIR.parents:
            return True
    return False


LOOPBACK_HOSTS = re.compile(r"localhost|127(?:\.\d{1,3}){3}|::1|0:0:0:0:0:0:0:1", re.IGNORECASE)


def sensitivity(config: pytest.Config, base_url: str) -> tuple[bool, str]:
    """Whether ``base_url`` is sensitive, and why (for skip reasons and the report)."""
    pattern = config.getoption("iris_sensitive_url")
    source = "--sensitive-url"
    if pattern is None:
        pattern, source = config.getini("sensitive_url"), "ini sensitive_url"
    if pattern is not None:
        sensitive = re.search(pattern, base_url) is not None
        return sensitive, f"{'matches' if sensitive else 'does not match'} {source} {pattern!r}"
    host = urlsplit(base_url).hostname or ""
    if LOOPBACK_HOSTS.fullmatch(host):
        return False, "is on loopback"
    return True, "is not on loopback (by default every such URL is sensitive; see --sensitive-url)"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): contract requirement IDs this conformance test checks")
    config.addinivalue_line("markers", "intrusive: may trip alarms or exhaust the key's quota; skipped against "
                                       "a sensitive base URL unless --allow-intrusive")
    # pytest-xdist registers it too; without xdist (the main job installs no test extra) it is inert
    config.addinivalue_line("markers", "xdist_group(name): tests that share one xdist worker (--dist loadgroup)")
    state: dict[str, Any] = {"suite_run": _is_suite_run(config), "server": None, "fatal": None}
    config.stash[_state_key] = state
    worker = hasattr(config, "workerinput")

    spec_path = config.getoption("iris_spec") or str(specs.default_spec_path())
    try:
        state["spec"] = specs.load(spec_path)
    except (specs.SpecError, OSError, yaml.YAMLError) as exc:  # before any request: exit 4, how to fix it
        raise pytest.UsageError(f"the spec cannot be used: {exc}") from None
    state["verdicts"] = reporting.Verdicts(strict=is_strict(config))
    if not state["suite_run"]:
        return
    limits = {"max_requests": config.getoption("iris_max_requests"), "max_rps": config.getoption("iris_max_rps"),
              "max_duration": config.getoption("iris_max_duration")}
    if worker and os.environ.get(LEDGER_ENV):
        path, started = os.environ[LEDGER_ENV].rsplit("@", 1)
        state["ledger"] = Ledger(path, started=float(started), **limits)
    else:
        state["ledger"] = Ledger.create(**limits)
        # xdist workers share the file and the instant the run started
        os.environ[LEDGER_ENV] = f"{state['ledger'].path}@{state['ledger'].started!r}"
    os.environ["IRIS_SPEC"] = str(state["spec"].path)  # the schemathesis module loads it at import
    os.environ["IRIS_PROFILE"] = config.getoption("iris_profile")  # and configures itself for it

    _register_profiles()
    if config.getoption("hypothesis_profile", None) is None:
        from hypothesis import settings

        settings.load_profile(f"iris-{config.getoption('iris_profile')}")
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
        state["json_path"] = reports / "conformance.json"

    if not config.getoption("base_url") and not worker:
        server = EmbeddedServer(args=SUITE_ARGS)
        server.start()
        state["server"] = server
        config.option.base_url = server.base_url
        os.environ["PYTEST_BASE_URL"] = server.base_url
        for name, (_, env, dest) in KEY_OPTIONS.items():
            if not config.getoption(dest):
                setattr(config.option, dest, server.keys[name])
                os.environ[env] = server.keys[name]
        state["target"] = "embedded reference server"
    else:
        state["target"] = "external deployment" if not state["server"] else "embedded reference server"

    SECRETS.add(*(config.getoption(dest) for _, _, dest in KEY_OPTIONS.values()))
    base_url = config.getoption("base_url")
    state["sensitive"], state["sensitive_why"] = sensitivity(config, base_url) if base_url else (False, "no base URL")
    state["intrusive_allowed"] = not state["sensitive"] or config.getoption("iris_allow_intrusive")
    if config.getoption("iris_profile") == "thorough" and not state["intrusive_allowed"]:
        raise pytest.UsageError(f"--profile thorough is intrusive and {base_url} is sensitive "
                                f"(it {state['sensitive_why']}): pass --allow-intrusive, or use another profile")
    _set_metadata(config, state)
    if base_url and not worker:
        state["fatal"] = _preflight(config, state, base_url)
        if state["fatal"]:
            config.option.dist = "no"  # nothing to distribute: do not start xdist workers
    config.pluginmanager.register(ConformanceRun(config, state), "iris-conformance-run")


def _preflight(config: pytest.Config, state: dict[str, Any], base_url: str) -> str | None:
    """Why the deployment at ``base_url`` cannot be judged, or None (see ``conformance.preflight``)."""
    with _session(config, state) as session:
        reason = check_deployment(_client(config, base_url, config.getoption("iris_api_key"), session,
                                          state["spec"]), state["spec"])
    return state["ledger"].set_fatal(reason) if reason else None


def _session(config: pytest.Config, state: dict[str, Any], **kwargs: Any):
    return make_session(state["ledger"], base_url=config.getoption("base_url"),
                        max_wait=config.getoption("iris_max_retry_wait"),
                        timeout=config.getoption("iris_timeout"),
                        max_bytes=int(config.getoption("iris_max_response_mb") * 2**20), **kwargs)


def _set_metadata(config: pytest.Config, state: dict[str, Any]) -> None:
    spec: specs.Spec = state["spec"]
    values = {
        "Base URL": config.getoption("base_url"),
        "Target": state["target"],
        "Spec": f"{spec.path.name} v{spec.version} sha256:{spec.sha256[:16]}",
        "Suite version": f"iris-conformance {conformance.__version__}",
        "Seed": f"{config.getoption('hypothesis_seed')} (replay with --seed {config.getoption('hypothesis_seed')})",
        "Profile": config.getoption("iris_profile"),
        "Sensitive": f"{'yes' if state['sensitive'] else 'no'}: the base URL {state['sensitive_why']}; "
                     f"intrusive tests {'run' if state['intrusive_allowed'] else 'skipped (--allow-intrusive runs them)'}",
        "Request limits": f"--max-requests {config.getoption('iris_max_requests') or 'none'}, "
                          f"--max-rps {config.getoption('iris_max_rps') or 'none'}, "
                          f"--max-duration {config.getoption('iris_max_duration') or 'none'} s, "
                          f"--request-timeout {config.getoption('iris_timeout'):g} s",
        "Strict": "yes (SHOULD violations fail)" if is_strict(config) else "no (SHOULD violations warn)",
    }
    state["meta"] = values
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover - pytest-metadata is a dependency
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is not None:
        for env, _dest in ((e, d) for _, e, d in KEY_OPTIONS.values()):
            metadata.pop(env, None)
        metadata.update(values)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_state_key, {})
    if not state.get("suite_run"):
        return None
    lines = [f"iris-conformance: {k}: {v}" for k, v in state.get("meta", {}).items()]
    if state.get("fatal"):
        lines.insert(0, f"iris-conformance: CANNOT JUDGE: {state['fatal']}")
    return lines


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_state_key, {})
    server = state.get("server")
    if server is not None:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_state_key, {})
    if state.get("suite_run") and not state.get("intrusive_allowed", True):
        skip = pytest.mark.skip(reason=f"not run: intrusive, and the base URL is sensitive (it "
                                       f"{state['sensitive_why']}); --allow-intrusive runs it")
        for item in items:
            if item.get_closest_marker("intrusive"):
                item.add_marker(skip)
    wanted = [w.strip().upper() for w in (config.getoption("iris_requirements") or "").split(",") if w.strip()]
    if not wanted:
        return
    selected, deselected = [], []
    for item in items:
        ids = reporting.requirement_ids(item.iter_markers("requirement"))
        chosen = any(rid == w or rid.startswith(w + "-") for rid in ids for w in wanted)
        (selected if chosen else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


# ---------------------------------------------------------------------------------------- fixtures


def iris_state(config: pytest.Config) -> dict[str, Any]:
    return config.stash[_state_key]


@pytest.fixture(scope="session")
def iris_spec(pytestconfig: pytest.Config) -> specs.Spec:
    """The loaded OpenAPI spec (``--spec``)."""
    return iris_state(pytestconfig)["spec"]


@pytest.fixture(scope="session")
def http_session(pytestconfig: pytest.Config):
    """The keep-alive session shared by the suite; a 429 is waited out and retried."""
    with _session(pytestconfig, iris_state(pytestconfig)) as session:
        yield session


@pytest.fixture(scope="session")
def probe_session(pytestconfig: pytest.Config):
    """A session that returns 429s as they come: for the rate-limit tests only."""
    with _session(pytestconfig, iris_state(pytestconfig), retry_429=False) as session:
        yield session


@pytest.fixture(scope="session")
def intrusive_allowed(pytestconfig: pytest.Config) -> bool:
    """False against a sensitive base URL without --allow-intrusive: leave out what may trip alarms."""
    return iris_state(pytestconfig).get("intrusive_allowed", True)


@pytest.fixture(scope="session")
def api_base_url(base_url: str | None) -> str:
    if not base_url:
        pytest.skip("needs --base-url (env PYTEST_BASE_URL), or a run of the suite that starts the embedded server")
    return base_url


def _key(config: pytest.Config, name: str) -> str:
    option, env, dest = KEY_OPTIONS[name]
    value = config.getoption(dest)
    if not value:
        pytest.skip(f"needs {option} (env {env})")
    SECRETS.add(value)
    return value


@pytest.fixture(scope="session")
def api_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "primary")


@pytest.fixture(scope="session")
def other_tenant_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "other_tenant")


@pytest.fixture(scope="session")
def revoked_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "revoked")


@pytest.fixture(scope="session")
def expired_key(pytestconfig: pytest.Config) -> str:
    return _key(pytestconfig, "expired")


def _client(config: pytest.Config, base_url: str, key: str | None, session, spec: specs.Spec) -> ApiClient:
    auth = spec.api["auth"]
    return ApiClient(base_url, key, session=session, timeout=config.getoption("iris_timeout"),
                     api_key_header=auth["api-key-header"], bearer_scheme=auth["bearer-scheme"])


@pytest.fixture(scope="session")
def api(pytestconfig, api_base_url, api_key, http_session, iris_spec) -> ApiClient:
    """A client authenticated with the primary key (``--api-key``)."""
    return _client(pytestconfig, api_base_url, api_key, http_session, iris_spec)


@pytest.fixture(scope="session")
def other_tenant_api(pytestconfig, api_base_url, other_tenant_key, http_session, iris_spec) -> ApiClient:
    """A client authenticated with the other tenant's key (``--other-tenant-key``)."""
    return _client(pytestconfig, api_base_url, other_tenant_key, http_session, iris_spec)


@pytest.fixture(scope="session")
def probe_api(api: ApiClient, probe_session) -> ApiClient:
    """Like ``api`` but 429s come back as they are: for the rate-limit tests only."""
    return api.with_session(probe_session)


@pytest.fixture(scope="session")
def envelope(iris_spec: specs.Spec):
    """Reads bodies through the envelope the spec describes."""
    from conformance.envelope import Envelope

    return Envelope(iris_spec)


#: How much a property test may fetch, per --profile: pages walked per list, records sampled.
BUDGETS = {
    "smoke": {"max_pages": 3, "samples": 3, "rate_probe": 1000, "all_hostile_values": False},
    "default": {"max_pages": 10, "samples": 8, "rate_probe": 2000, "all_hostile_values": True},
    "thorough": {"max_pages": 10_000, "samples": 40, "rate_probe": 5000, "all_hostile_values": True},
}


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> dict[str, int]:
    """Bounds for walks and samples under the selected --profile (cost flat in dataset size)."""
    return dict(BUDGETS[pytestconfig.getoption("iris_profile")])


@pytest.fixture(scope="session")
def iris_auth_headers(api: ApiClient) -> dict[str, str]:
    return api.auth_headers()


# ------------------------------------------------------------------------------- reporting hooks


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    ids = reporting.requirement_ids(item.iter_markers("requirement"))
    if _report_transport_problem(item, call, report, ids):
        _redact_report(report)
        return
    if ids:
        report.user_properties.append((reporting.REQUIREMENTS_PROPERTY, ",".join(ids)))
        failed_ids = item.stash.get(FAILED_REQUIREMENTS, None)
        if report.failed and failed_ids:
            report.user_properties.append((reporting.FAILED_REQUIREMENTS_PROPERTY, ",".join(failed_ids)))
        _format_schema_failure(item, call, report)
        _downgrade_should_failure(item, report, failed_ids or ids)
    _redact_report(report)


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(node: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    """schemathesis rewrites a failure's text here, after the report was logged: format and redact again."""
    if isinstance(report, pytest.TestReport):
        _format_schema_failure(node, call, report)
        _redact_report(report)


def _format_schema_failure(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> None:
    operation = getattr(item, "operation_label", None)
    if operation and report.failed and call.excinfo is not None and hasattr(call.excinfo.value, "exceptions"):
        from conformance.schema_checks import failure_text

        ids = item.stash.get(FAILED_REQUIREMENTS, None) or reporting.requirement_ids(item.iter_markers("requirement"))
        report.longrepr = failure_text(call.excinfo.value, operation, ids)


def _find(exc: BaseException | None, kind: type) -> BaseException | None:
    """``exc`` or the first exception of type ``kind`` inside it (groups, causes, contexts)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        todo += [*getattr(current, "exceptions", ()), current.__cause__, current.__context__]
    return None


CANNOT_JUDGE_PROPERTY = "cannot_judge"


def _report_transport_problem(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport,
                              ids: list[str]) -> bool:
    """A test that could not get an answer: one line, no traceback. When the run cannot judge the
    deployment any more the test is not run (skipped) and the run stops; one request without an
    answer fails its test with the request."""
    if call.excinfo is None or not report.failed:
        return False
    fatal = _find(call.excinfo.value, CannotJudge)
    if fatal is not None:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"not run: cannot judge: {fatal}")
        report.user_properties.append((CANNOT_JUDGE_PROPERTY, str(fatal)))
        return True
    failure = _find(call.excinfo.value, TransportFailure)
    if failure is not None:
        label = ", ".join(ids) or "request"
        report.longrepr = f"{label}: a request got no usable HTTP answer: {failure}"
        return True
    return False


#: Tests that check several requirements (the schema-driven ones) record here which of them failed.
FAILED_REQUIREMENTS = pytest.StashKey[list]()


def _downgrade_should_failure(item: pytest.Item, report: pytest.TestReport, ids: list[str]) -> None:
    """A failure of SHOULD requirements only is a warning, unless --strict."""
    if not (report.failed and report.when == "call") or is_strict(item.config):
        return
    if not all(requirements.get(rid).is_should for rid in ids):
        return
    message = redact(report.longreprtext)
    report.outcome = "passed"
    report.longrepr = None
    report.user_properties.append((reporting.WARNING_PROPERTY, message))
    report.sections.append(("SHOULD violation (warning; --strict makes it fail)", message))


def _redact_report(report: pytest.TestReport) -> None:
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        path, line, message = report.longrepr
        report.longrepr = (path, line, redact(str(message)))
    elif report.longrepr is not None:
        report.longrepr = redact(str(report.longrepr))
    report.sections = [(title, redact(content)) for title, content in report.sections]
    report.user_properties = [(k, redact(str(v)) if isinstance(v, str) else v) for k, v in report.user_properties]
    extras = getattr(report, "extras", None)
    if extras:
        for extra in extras:
            if isinstance(extra.get("content"), str):
                extra["content"] = redact(extra["content"])


#: Exit status of a run that could not judge the deployment (pytest's own "interrupted").
CANNOT_JUDGE_EXIT = pytest.ExitCode.INTERRUPTED


class ConformanceRun:
    """Session-level bookkeeping of a suite run, registered as a plugin by ``pytest_configure``."""

    def __init__(self, config: pytest.Config, state: dict[str, Any]):
        self.config = config
        self.state = state
        self.session: pytest.Session | None = None

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        if self.state["fatal"]:
            # nothing can be judged: no collection, no tests, one reason (the report is still written)
            pytest.exit(f"cannot judge: {self.state['fatal']}", returncode=CANNOT_JUDGE_EXIT)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # runs on the controller under xdist too, so the verdicts are complete there
        self.state["verdicts"].record(report)
        reason = dict(report.user_properties).get(CANNOT_JUDGE_PROPERTY)
        if reason and not self.state["fatal"]:
            self.state["fatal"] = reason
            self._stop(f"cannot judge: {reason}")

    def _stop(self, reason: str) -> None:
        if self.session is not None:
            self.session.shouldstop = reason
        dsession = self.config.pluginmanager.getplugin("dsession")  # pytest-xdist's controller
        if dsession is not None:
            dsession.shouldstop = reason

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        self.state["fatal"] = self.state["fatal"] or self.state["ledger"].fatal()
        if self.state["fatal"]:
            session.exitstatus = CANNOT_JUDGE_EXIT
        if "json_path" in self.state:
            totals = self.state["ledger"].totals()
            meta = dict(self.state.get("meta", {}), requests=totals.requests, rate_limited=totals.rate_limited,
                        seconds_waited_for_429=round(totals.waited, 3), requests_per_second=round(totals.rate, 2),
                        cannot_judge=self.state["fatal"], exit_status=int(session.exitstatus))
            self.state["verdicts"].write_json(self.state["json_path"], meta)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.is_worker:
            return
        verdicts: reporting.Verdicts = self.state["verdicts"]
        terminalreporter.section("IRIS conformance")
        if self.state["fatal"]:
            terminalreporter.write_line(f"CANNOT JUDGE: {self.state['fatal']}", red=True, bold=True)
        for row in verdicts.rows():
            if row["verdict"] in ("FAILED", "warning"):
                terminalreporter.write_line(f"{row['verdict']:8} {row['id']:11} {row['level']:6} {row['text'][:90]}")
                if row["repro"]:
                    terminalreporter.write_line(f"         {row['repro'][:200]}")
        terminalreporter.write_line("sent: " + self.state["ledger"].totals().describe())
        counts = verdicts.counts()
        terminalreporter.write_line("requirements: " + ", ".join(f"{n} {v}" for v, n in counts.items()))

    def pytest_html_results_summary(self, prefix: list, summary: list, postfix: list, session: pytest.Session) -> None:
        fatal = self.state["fatal"] or self.state["ledger"].fatal()
        if fatal:
            prefix.append(redact(f'<p style="color:#b00;font-weight:bold">CANNOT JUDGE: {html.escape(fatal)}</p>'))
        meta = "".join(f"<li><b>{k}</b>: {html.escape(str(v))}</li>" for k, v in self.state.get("meta", {}).items())
        sent = html.escape(self.state["ledger"].totals().describe())
        prefix.append(redact(f"<ul>{meta}<li><b>Sent</b>: {sent}</li></ul>"))
        postfix.append(self.state["verdicts"].html_table())

    def pytest_html_report_title(self, report) -> None:
        report.title = "IRIS External API conformance report"
