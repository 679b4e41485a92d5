"""Command-line options of the suite, its profiles (hypothesis settings) and budgets (walks, samples)."""

from __future__ import annotations

import os

import pytest

from conformance.plugin import ENV_DEFAULTS, KEY_OPTIONS  # noqa: F401  (KEY_OPTIONS: for its users)


#: Hypothesis settings per --profile. No example database: a verdict depends on the seed alone.
PROFILES = {
    # smoke is a CI gate: a fast verdict, so failing examples are reported as found, not shrunk
    "smoke": {"max_examples": 5, "phases": ("explicit", "reuse", "generate", "target")},
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


#: Options whose value is a number: dest -> (option, type, what a valid value is).
NUMBERS: dict[str, tuple[str, type, str]] = {
    "iris_max_requests": ("--max-requests", int, "a whole number of requests >= 0"),
    "iris_max_rps": ("--max-rps", float, "requests per second >= 0 (0: no limit)"),
    "iris_max_duration": ("--max-duration", float, "seconds >= 0 (0: no limit)"),
    "iris_progress_interval": ("--progress-interval", float, "seconds >= 0 (0: no progress line)"),
    "iris_timeout": ("--request-timeout", float, "seconds >= 0"),
    "iris_max_response_mb": ("--max-response-mb", float, "megabytes >= 0"),
    "iris_max_retry_wait": ("--max-retry-wait", float, "seconds >= 0"),
}


def pytest_configure(config: pytest.Config) -> None:
    """The options' values, before anything reads them: an option not given takes its environment
    variable's value (or its default), numbers are parsed, and a bad value is a usage error (exit 4)
    that says which option or variable it came from."""
    from_env: dict[str, str] = {}
    for dest, (env, default) in ENV_DEFAULTS.items():
        if getattr(config.option, dest, None) is None:
            value = os.environ.get(env)
            if value:
                from_env[dest] = env
            setattr(config.option, dest, value or default)
    for dest, (option, kind, what) in NUMBERS.items():
        value = getattr(config.option, dest)
        if isinstance(value, str):
            setattr(config.option, dest, _number(value, kind, what, option, from_env.get(dest)))
    profile = config.getoption("iris_profile")
    if profile not in PROFILES:
        raise pytest.UsageError(f"--profile {profile!r}: choose one of {', '.join(sorted(PROFILES))}")


def _number(value: str, kind: type, what: str, option: str, env: str | None) -> int | float:
    """``value`` as a number >= 0; a usage error naming ``option`` (or ``env``, where it came from) else."""
    try:
        number = kind(value)
    except ValueError:
        number = -1
    if number >= 0:
        return number
    if env:
        raise pytest.UsageError(f"{env}={value!r} in the environment (the default of {option}) is not {what}: "
                                f"fix or unset {env}, or give {option}")
    raise pytest.UsageError(f"{option} {value!r} is not {what}")


def is_strict(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (ini ``strict``) also makes SHOULD violations fail the run."""
    try:
        value = config.getini("strict")  # pytest >= 9
    except ValueError:
        value = config.getoption("strict", False)
    return value is True or str(value).lower() in ("true", "1", "yes")


#: How much a property test may fetch, per --profile: pages walked per list, records sampled.
BUDGETS = {
    "smoke": {"max_pages": 3, "samples": 3, "rate_probe": 1000, "hostile_values": "kind"},
    "default": {"max_pages": 10, "samples": 8, "rate_probe": 2000, "hostile_values": "spread"},
    "thorough": {"max_pages": 10_000, "samples": 40, "rate_probe": 5000, "hostile_values": "every"},
}
