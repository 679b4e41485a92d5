"""Command-line options of the suite, its profiles (hypothesis settings) and budgets (walks, samples)."""

from __future__ import annotations

import os

import pytest

KEY_OPTIONS = {
    # fixture name: (option, env var, dest)
    "primary": ("--api-key", "IRIS_API_KEY", "iris_api_key"),
    "other_tenant": ("--other-tenant-key", "IRIS_OTHER_TENANT_KEY", "iris_other_tenant_key"),
    "revoked": ("--revoked-api-key", "IRIS_REVOKED_API_KEY", "iris_revoked_api_key"),
    "expired": ("--expired-api-key", "IRIS_EXPIRED_API_KEY", "iris_expired_api_key"),
}

#: Hypothesis settings per --profile. No example database: a verdict depends on the seed alone.
PROFILES = {
    # smoke is a CI gate: a fast verdict, so failing examples are reported as found, not shrunk
    "smoke": {"max_examples": 8, "phases": ("explicit", "reuse", "generate", "target")},
    "default": {"max_examples": 10},
    "thorough": {"max_examples": 200},
}


def register_profiles(overrides: dict | None = None) -> None:
    """Register the profiles; ``overrides`` replace some of their settings (a remote deployment's)."""
    from hypothesis import HealthCheck, Phase, settings

    for name, values in PROFILES.items():
        values = dict(values)
        if "phases" in values:
            values["phases"] = [Phase[p] for p in values["phases"]]
        if overrides:
            keep = set(values.get("phases") or Phase)
            values.update(overrides)
            if "phases" in overrides:
                values["phases"] = [p for p in overrides["phases"] if p in keep]
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
    group.addoption("--overlay", dest="iris_overlay", action="append", default=None, metavar="FILE",
                    help="an OpenAPI Overlay 1.0 file applied to the spec before anything reads it (repeatable, "
                         "applied in order; env IRIS_OVERLAY, paths separated by ':'); `iris-conformance adapt` "
                         "drafts one for a deployment")
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
    group.addoption("--concurrency", dest="iris_concurrency", default=os.environ.get("IRIS_CONCURRENCY", "auto"),
                    metavar="N|auto",
                    help="xdist workers sending requests at once, one budget and pace for all (env IRIS_CONCURRENCY; "
                         "default auto: 3 against a remote or slow deployment, 1 on loopback)")
    group.addoption("--max-retry-wait", dest="iris_max_retry_wait", type=float, default=30.0, metavar="SECONDS",
                    help="longest wait honoured for one 429 Retry-After before retrying (default 30)")
    group.addoption("--profile", dest="iris_profile", choices=sorted(PROFILES), default="default",
                    help="how hard to look: smoke (CI gate), default, thorough (exhaustive walks, more examples)")
    group.addoption("--requirements", dest="iris_requirements", default=None, metavar="IDS",
                    help="run only the tests of these requirements: comma-separated IDs or prefixes (GEO, AUTH-02)")
    group.addoption("--waivers", dest="iris_waivers", default=os.environ.get("IRIS_WAIVERS"), metavar="FILE",
                    help="YAML file of waivers: a failure a waiver in force covers is 'waived' and does not fail "
                         "the run (env IRIS_WAIVERS)")
    group.addoption("--bundle", dest="iris_bundle", default=None, metavar="FILE.tar.gz",
                    help="also write the evidence bundle (reports, spec, overlays, waivers, manifest) as one archive")
    group.addoption("--progress-interval", dest="iris_progress_interval", type=float, metavar="SECONDS",
                    default=float(os.environ.get("IRIS_PROGRESS_INTERVAL") or 15),
                    help="on a long run, a progress line (families, requests, rate, time left) at most every "
                         "SECONDS (env IRIS_PROGRESS_INTERVAL; default 15; 0: none)")
    group.addoption("--reports-dir", dest="iris_reports_dir", default="reports", metavar="DIR",
                    help="where a run of the suite writes report.html, junit.xml, conformance.json, summary.md and "
                         "manifest.json (default reports/)")


def is_strict(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (ini ``strict``) also makes SHOULD violations fail the run."""
    try:
        value = config.getini("strict")  # pytest >= 9
    except ValueError:
        value = config.getoption("strict", False)
    return value is True or str(value).lower() in ("true", "1", "yes")


#: How much a property test may fetch, per --profile: pages walked per list, records sampled.
BUDGETS = {
    "smoke": {"max_pages": 3, "samples": 3, "rate_probe": 1000, "all_hostile_values": False},
    "default": {"max_pages": 10, "samples": 8, "rate_probe": 2000, "all_hostile_values": True},
    "thorough": {"max_pages": 10_000, "samples": 40, "rate_probe": 5000, "all_hostile_values": True},
}
