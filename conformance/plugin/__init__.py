"""The pytest plugin (entry point ``pytest11``): inert unless the run is a run of the suite.

Installed in a virtualenv, this module is loaded by every pytest run there. It imports the standard
library and pytest only, registers the suite's command-line options and ini keys (so that ``pytest
conformance --base-url ...`` parses) without reading or validating any value, and in
``pytest_configure`` returns at once unless the collected paths are the conformance suite
(:func:`is_suite_run`). Only then does it register the concern modules, in dependency order (each
one's ``pytest_configure`` runs as it is registered):

- :mod:`.options`: the options' values (environment defaults parsed and validated), profiles, budgets;
- :mod:`.safety`: sensitive base URLs, intrusive tests and ``--requirements`` selection;
- :mod:`.remote`: remote deployments: concurrency, the hypothesis settings of failing runs, failed
  requirements that stop spending requests;
- :mod:`.lifecycle`: configuring a run (spec, ledger, seed, reports, the embedded server, keys,
  preflight, xdist workers' configuration), one step per function;
- :mod:`.evidence`: the every-response oracles on the suite's HTTP session, and their report rows;
- :mod:`.progress`: the progress line of a long run, and what an interruption kept from running;
- :mod:`.reporting`: verdicts per requirement, attribution, redaction, terminal/HTML/JSON reports;
- :mod:`.plan`: the requests a run will send (before it, against a remote or sensitive deployment)
  and, after it, beside what it sent. A plan-only collection (``--plan-collect FILE``, what
  ``iris-conformance plan`` runs) registers :mod:`.options`, :mod:`.lifecycle` and :mod:`.plan` only.

The fixtures and the operation parametrization the conformance tests use are the suite's own
(``conformance/suite/conftest.py``): they exist for the suite's tests only.

With no ``--base-url`` a run of the conformance suite starts the embedded reference server on a free
loopback port and uses its demo keys.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

#: registered in a run of the suite only, in dependency order
CONCERNS = (
    "conformance.plugin.options",
    "conformance.plugin.safety",
    "conformance.plugin.remote",
    "conformance.plugin.lifecycle",
    "conformance.plugin.evidence",
    "conformance.plugin.progress",
    "conformance.plugin.reporting",
    "conformance.plugin.plan",
)
#: registered instead in a plan-only collection (``--plan-collect``: no server, no request, no report)
PLAN_ONLY_CONCERNS = ("conformance.plugin.options", "conformance.plugin.lifecycle", "conformance.plugin.plan")

SUITE_DIR = Path(__file__).resolve().parents[1] / "suite"

KEY_OPTIONS = {
    # fixture name: (option, env var, dest)
    "primary": ("--api-key", "IRIS_API_KEY", "iris_api_key"),
    "other_tenant": ("--other-tenant-key", "IRIS_OTHER_TENANT_KEY", "iris_other_tenant_key"),
    "revoked": ("--revoked-api-key", "IRIS_REVOKED_API_KEY", "iris_revoked_api_key"),
    "expired": ("--expired-api-key", "IRIS_EXPIRED_API_KEY", "iris_expired_api_key"),
}

#: Options whose default is an environment variable: dest -> (variable, value when neither is given).
#: Read, parsed and validated in a run of the suite only (:mod:`.options`).
ENV_DEFAULTS: dict[str, tuple[str, str | None]] = {
    **{dest: (env, None) for _, env, dest in KEY_OPTIONS.values()},
    "iris_spec": ("IRIS_SPEC", None),
    "iris_seed": ("IRIS_SEED", None),
    "iris_sensitive_url": ("SENSITIVE_URL", None),
    "iris_max_requests": ("IRIS_MAX_REQUESTS", None),
    "iris_max_duration": ("IRIS_MAX_DURATION", "1800"),
    "iris_max_rps": ("IRIS_MAX_RPS", None),
    "iris_concurrency": ("IRIS_CONCURRENCY", "auto"),
    "iris_waivers": ("IRIS_WAIVERS", None),
    "iris_progress_interval": ("IRIS_PROGRESS_INTERVAL", "15"),
}


def is_suite_run(config: pytest.Config) -> bool:
    """True when the collected paths include the conformance suite (not for the project's own tests,
    nor for any other project's)."""
    if config.getoption("pyargs", False):
        return any(str(a).split("::")[0].startswith("conformance") for a in config.args)
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        if path == SUITE_DIR or SUITE_DIR in path.parents or path in SUITE_DIR.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)  # before pytest-html, junitxml and hypothesis read the options it sets
def pytest_configure(config: pytest.Config) -> None:
    if not is_suite_run(config):
        return
    for name in PLAN_ONLY_CONCERNS if config.getoption("iris_plan_collect", None) else CONCERNS:
        # not import_plugin: it would mark them for assertion rewriting (they assert nothing), and
        # warn when the suite's conftest imported them first
        config.pluginmanager.register(importlib.import_module(name), name)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The options only: their values are read (and environment defaults parsed) in a run of the suite."""
    parser.addini("sensitive_url", "regex of sensitive base URLs (see --sensitive-url)", default=None)
    group = parser.getgroup("iris-conformance", "IRIS External API conformance")
    for option, env, dest in KEY_OPTIONS.values():
        group.addoption(option, dest=dest, metavar="KEY",
                        help=f"API key (env {env}); prefer the environment variable, a command line is visible to other users")
    group.addoption("--overlay", dest="iris_overlay", action="append", default=None, metavar="FILE",
                    help="an OpenAPI Overlay 1.0 file applied to the spec before anything reads it (repeatable, "
                         "applied in order; env IRIS_OVERLAY, paths separated by ':'); `iris-conformance adapt` "
                         "drafts one for a deployment")
    group.addoption("--spec", dest="iris_spec", metavar="PATH",
                    help="OpenAPI spec the suite reads (default: the packaged specs/openapi.yaml; env IRIS_SPEC)")
    group.addoption("--request-timeout", dest="iris_timeout", default=5.0, metavar="SECONDS",
                    help="time one HTTP request may take to connect, to answer and to deliver its body (default 5)")
    group.addoption("--max-response-mb", dest="iris_max_response_mb", default=8.0, metavar="MB",
                    help="largest response body read; a larger one fails its request (default 8)")
    group.addoption("--seed", dest="iris_seed", metavar="N",
                    help="replay a run: the seed its report shows (env IRIS_SEED; default: a new random seed)")
    group.addoption("--sensitive-url", dest="iris_sensitive_url", metavar="REGEX",
                    help="base URLs matching REGEX are sensitive: intrusive tests are skipped there (ini "
                         "sensitive_url, env SENSITIVE_URL; default: every base URL that is not on loopback)")
    group.addoption("--allow-intrusive", dest="iris_allow_intrusive", action="store_true",
                    help="run intrusive tests (rate-limit burst, hostile values, thorough profile) even "
                         "against a sensitive base URL")
    group.addoption("--max-requests", dest="iris_max_requests", metavar="N",
                    help="stop the run (exit 2, cannot judge) once N requests were sent, over all xdist workers "
                         "(env IRIS_MAX_REQUESTS)")
    group.addoption("--max-duration", dest="iris_max_duration", metavar="SECONDS",
                    help="stop the run (exit 2, cannot judge) after SECONDS, e.g. against a deployment that "
                         "answers every request slowly (env IRIS_MAX_DURATION; default 1800; 0: no limit)")
    group.addoption("--max-rps", dest="iris_max_rps", metavar="RATE",
                    help="never send more than RATE requests per second, over all xdist workers (env IRIS_MAX_RPS)")
    group.addoption("--concurrency", dest="iris_concurrency", metavar="N|auto",
                    help="xdist workers sending requests at once, one budget and pace for all (env IRIS_CONCURRENCY; "
                         "default auto: 3 against a remote or slow deployment, 1 on loopback)")
    group.addoption("--max-retry-wait", dest="iris_max_retry_wait", default=30.0, metavar="SECONDS",
                    help="longest wait honoured for one 429 Retry-After before retrying (default 30)")
    group.addoption("--profile", dest="iris_profile", default="default", metavar="NAME",
                    help="how hard to look: smoke (CI gate), default, thorough (exhaustive walks, more examples)")
    group.addoption("--requirements", dest="iris_requirements", default=None, metavar="IDS",
                    help="run only the tests of these requirements: comma-separated IDs or prefixes (GEO, AUTH-02)")
    group.addoption("--waivers", dest="iris_waivers", metavar="FILE",
                    help="YAML file of waivers: a failure a waiver in force covers is 'waived' and does not fail "
                         "the run (env IRIS_WAIVERS)")
    group.addoption("--bundle", dest="iris_bundle", default=None, metavar="FILE.tar.gz",
                    help="also write the evidence bundle (reports, spec, overlays, waivers, manifest) as one archive")
    group.addoption("--progress-interval", dest="iris_progress_interval", metavar="SECONDS",
                    help="on a long run, a progress line (families, requests, rate, time left) at most every "
                         "SECONDS (env IRIS_PROGRESS_INTERVAL; default 15; 0: none)")
    group.addoption("--plan-collect", dest="iris_plan_collect", default=None, metavar="FILE",
                    help="plan only (what `iris-conformance plan` runs, with --collect-only): write the collected tests "
                         "to FILE; no server is started and no request is sent")
    group.addoption("--reports-dir", dest="iris_reports_dir", default="reports", metavar="DIR",
                    help="where a run of the suite writes report.html, junit.xml, conformance.json, summary.md and "
                         "manifest.json (default reports/)")
