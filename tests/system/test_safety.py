"""Production safety and reproducibility, against real local servers: sensitive URLs and intrusive
tests, one request budget and pace for the whole run (xdist included), 429s waited out, --seed."""

from __future__ import annotations

import pytest

from conformance.runtime.embedded import SUITE_ARGS
from conformance.plugin.safety import sensitivity


class FakeConfig:
    def __init__(self, option=None, ini=None):
        self.option, self.ini = option, ini

    def getoption(self, name):
        return self.option

    def getini(self, name):
        return self.ini


@pytest.mark.parametrize("url, option, ini, sensitive", [
    ("http://127.0.0.1:8000/api", None, None, False),
    ("http://localhost/api", None, None, False),
    ("http://[::1]:8000/api", None, None, False),
    ("https://uat.example.com/api", None, None, True),
    ("http://10.0.0.7/api", None, None, True),
    ("https://uat.example.com/api", r"prod", None, False),
    ("https://prod.example.com/api", r"prod", None, True),
    ("https://prod.example.com/api", None, r"prod\.example", True),
    ("http://127.0.0.1/api", r"127\.0\.0\.1", None, True),
])
def test_every_non_loopback_url_is_sensitive_unless_configured(url, option, ini, sensitive):
    assert sensitivity(FakeConfig(option, ini), url)[0] is sensitive


def intrusive_outcomes(run):
    return {t["name"]: t["outcome"] for t in run.testcases
            if t["name"].startswith(("test_over_the_limit", "test_no_hostile", "test_quotes_and_sql"))}


def test_intrusive_tests_are_skipped_against_a_sensitive_url_unless_allowed(start_reference, run_suite):
    # A limit the burst reaches on a loaded machine too (the embedded default, 500 in 1 s, is not
    # reached when the machine cannot send 500 requests in a second), in a short window: at 100 in
    # 10 s the TRN-04 battery itself was held to 10 requests a second (90 s for the test).
    server = start_reference("--rate-limit", "150", "--rate-window", "2")
    args = ("--profile", "smoke", "--requirements", "RATE-01,TRN-04", "--sensitive-url", r"127\.0\.0\.1")
    guarded = run_suite(server, *args)
    assert guarded.returncode == 0, guarded.output[-2000:]
    assert intrusive_outcomes(guarded) and set(intrusive_outcomes(guarded).values()) == {"skipped"}
    assert guarded.verdict("RATE-01") == "not run"
    assert "intrusive" in guarded.output and "sensitive" in guarded.conformance["meta"]["Sensitive"]

    allowed = run_suite(server, *args, "--allow-intrusive")
    assert allowed.returncode == 0, allowed.output[-2000:]
    assert set(intrusive_outcomes(allowed).values()) == {"passed"}
    assert allowed.verdict("RATE-01") == "passed"


def test_the_thorough_profile_is_refused_against_a_sensitive_url(run_suite):
    run = run_suite(None, "--profile", "thorough", "--sensitive-url", "127")
    assert run.returncode == 4 and "--allow-intrusive" in run.output


def test_max_requests_is_one_budget_for_the_whole_run_under_xdist(run_suite):
    run = run_suite(None, "--profile", "smoke", "-n", "2", "--max-requests", "150")
    assert run.returncode == 2, run.output[-2000:]
    assert run.conformance["meta"]["requests"] == 150
    assert "--max-requests 150" in run.conformance["meta"]["cannot_judge"]
    assert not run.failed_tests()


def test_max_rps_paces_the_whole_run_under_xdist(run_suite):
    run = run_suite(None, "--profile", "smoke", "-n", "2", "--max-rps", "40", "--requirements", "PAGE-01,SORT")
    assert run.returncode == 0, run.output[-2000:]
    meta = run.conformance["meta"]
    assert meta["requests"] > 80
    assert meta["requests_per_second"] <= 40 * 1.05, meta


def test_429s_are_waited_out_not_reported(start_reference, run_suite):
    server = start_reference("--rate-limit", "40", "--rate-window", "1")
    run = run_suite(server, "--profile", "smoke", "--requirements", "PAGE,SORT")
    assert run.returncode == 0, run.output[-3000:]
    assert run.conformance["meta"]["rate_limited"] > 0, "the limit was never hit: the test proves nothing"


def test_a_full_run_under_xdist_matches_a_serial_one(start_reference, run_suite):
    """One server, one burst (its tests on one worker), complete reports. The limit is one a loaded
    machine's burst reaches (200 requests a second; the embedded default needs 500)."""
    server = start_reference("--rate-limit", "400", "--rate-window", "2")
    run = run_suite(server, "--profile", "smoke", "-n", "2", "--seed", "7")
    assert run.returncode == 0, run.output[-3000:]
    assert run.requirements_with("passed") == {r["id"] for r in run.conformance["requirements"]}
    assert len(run.testcases) > 300
    assert run.conformance["meta"]["Base URL"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("ci", [None, "true"], ids=["local", "CI=true"])
def test_the_seed_decides_the_run(start_reference, run_suite, ci):
    """The same seed replays the same run; another seed draws other examples. With CI set as well:
    hypothesis' own "ci" profile derandomizes, and a suite profile inheriting it ignored --seed."""
    args = ("--profile", "smoke", "--requirements", "PAGE,SORT,SRCH,FLT")
    env = {"CI": ci}
    runs = []
    for seed in ("20261124", "20261124", "7"):
        server = start_reference(*SUITE_ARGS)
        runs.append(run_suite(server, *args, "--seed", seed, env_extra=env))
    first, second, other = runs
    assert first.returncode == second.returncode == other.returncode == 0
    assert first.conformance["meta"]["Seed"].startswith("20261124")
    assert [(t["name"], t["outcome"]) for t in first.testcases] == [(t["name"], t["outcome"]) for t in second.testcases]
    assert first.conformance["requirements"] == second.conformance["requirements"]
    assert first.conformance["meta"]["requests"] == second.conformance["meta"]["requests"]
    assert other.conformance["meta"]["requests"] != first.conformance["meta"]["requests"], \
        "another seed sent exactly the same number of requests: the seed does not decide the examples"
