"""`iris-conformance plan` and the plan of a run (conformance.plugin.plan): the plan of the reference
server's run within 10 % of what the run sent, narrowed by --requirements and by a sensitive base URL,
a budget below it refused against a sensitive deployment, and no request sent to plan. The pure
parts: tests/unit/verdicts/test_run_plan.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conformance.plugin.options import BUDGETS

from hostile_servers import Hostile, server_error
from suite_runner import ROOT, suite_env

#: a seed other than the calibration's (benchmarks/calibrate_plan.py): the plan is not a replay
SEED = "7"


def plan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "plan", *args], cwd=ROOT, capture_output=True,
                          text=True, env=suite_env(None, env), timeout=300)


def plan_json(*args: str, env: dict | None = None) -> dict:
    proc = plan(*args, "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("profile", ["smoke", "default"])
def test_the_plan_of_the_reference_servers_run_is_within_10_percent_of_what_it_sent(run_suite, profile):
    planned = plan_json("--profile", profile)
    run = run_suite(None, "--profile", profile, "--seed", SEED)
    assert run.returncode == 0, run.output[-3000:]
    meta = run.conformance["meta"]
    sent, by_key = meta["requests"], meta["requests_by_key"]
    beside = meta["plan"]
    # The rate-limit burst stops at its first 429, which comes sooner or later with the machine's load
    # (a busy CI runner sends it slower: up to the profile's probe bound); the plan holds its mean. The
    # rest of the run is judged within 10 %, the burst within its bound.
    burst_planned, burst_sent = planned["by_family"]["RATE"], beside["by_family"]["RATE"]["sent"]
    assert burst_sent <= BUDGETS[profile]["rate_probe"] + 100, burst_sent
    rest_planned, rest_sent = planned["total"] - burst_planned, sent - burst_sent
    assert abs(rest_planned - rest_sent) <= 0.1 * rest_sent, (rest_planned, rest_sent)
    primary_planned, primary_sent = planned["by_key"]["primary"] - burst_planned, by_key["primary"] - burst_sent
    assert abs(primary_planned - primary_sent) <= 0.1 * primary_sent, (primary_planned, primary_sent)
    # after the run: the same plan beside what was sent, in conformance.json and on the terminal
    assert beside["total"] == {"planned": planned["total"], "sent": sent}
    assert beside["by_key"]["primary"] == {"planned": planned["by_key"]["primary"], "sent": by_key["primary"]}
    assert set(beside["by_family"]) >= {"AUTH", "GEO", "PAGE", "TRN"}
    assert f"plan: {planned['total']:,} requests planned, {sent:,} sent" in run.output


def test_requirements_and_a_sensitive_url_narrow_the_plan():
    whole = plan_json("--profile", "default")
    geo = plan_json("--profile", "default", "--requirements", "GEO")
    assert 0 < geo["total"] < whole["total"] / 5
    assert set(geo["by_family"]) == {"GEO", "(run: preflight)"}
    assert geo["excluded"] == {"not selected by --requirements": whole["tests"] - geo["tests"]}
    sensitive = plan_json("--profile", "default", "--base-url", "https://iris.example.com/api/v1/d2s/external",
                          env={"IRIS_OTHER_TENANT_KEY": "iris_x", "IRIS_REVOKED_API_KEY": "iris_y",
                               "IRIS_EXPIRED_API_KEY": "iris_z"})
    assert sensitive["sensitive"] and sensitive["excluded"].get("intrusive, against a sensitive base URL", 0) >= 10
    assert sensitive["by_family"]["RATE"] < whole["by_family"]["RATE"] / 10  # the burst is intrusive
    assert sensitive["total"] < whole["total"]
    allowed = plan_json("--profile", "default", "--base-url", "https://iris.example.com/api/v1/d2s/external",
                        "--allow-intrusive", env={"IRIS_OTHER_TENANT_KEY": "iris_x", "IRIS_REVOKED_API_KEY": "iris_y",
                                                  "IRIS_EXPIRED_API_KEY": "iris_z"})
    assert allowed["total"] == whole["total"]
    # without the other keys, their tests are not planned
    alone = plan_json("--profile", "default", "--base-url", "https://iris.example.com/api/v1/d2s/external")
    assert alone["by_key"]["other_tenant"] == 0 and any("no other tenant key" in why for why in alone["excluded"])


def test_planning_sends_no_request_and_a_budget_below_the_plan_refuses_to_start(run_suite):
    with Hostile(server_error) as deployment:
        env = {"IRIS_API_KEY": "iris_plan_test_key"}
        proc = plan("--profile", "smoke", "--base-url", deployment.base_url, "--sensitive-url", "127", env=env)
        assert proc.returncode == 0, proc.stderr
        assert "sends no request" in proc.stdout and "requests (primary" in proc.stdout
        refused = plan("--profile", "smoke", "--base-url", deployment.base_url, "--sensitive-url", "127",
                       "--max-requests", "100", env=env)
        assert refused.returncode == 4 and "--max-requests 100 is below the plan" in refused.stderr
        run = run_suite(None, "--profile", "smoke", "--sensitive-url", "127", "--max-requests", "100",
                        base_url=deployment.base_url, keys={"primary": "iris_plan_test_key"})
        assert run.returncode == 4, run.output[-2000:]
        assert "--max-requests 100 is below the plan of this run" in run.output
        assert "primary key's share" in run.output and "fits (" in run.output
        assert deployment.connections == 0  # neither the plans nor the refused run sent a request
