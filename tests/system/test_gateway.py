"""The suite behind an API gateway (tests/gateway_front.py, AWS API Gateway's documented behaviour in
front of the reference server): a transient error is TRN-04's finding alone, a throttle without
Retry-After is waited out, a quota ends the run with one CANNOT JUDGE that names it, and what the
gateway or a stage cache answered is named as such in every reason.

The first tests drive the suite's HTTP client directly; the others run the smoke profile through the
gateway and check the exact set of requirements it fails, and each reason."""

from __future__ import annotations

import pytest

import gateway_front
from conformance.runtime import client as http
from conformance.runtime.budget import Ledger
from conformance.runtime.client import ApiClient, make_session
from conformance.runtime.embedded import SUITE_ARGS, EmbeddedServer

#: The gateway's defaults in these tests: routing 403s, and a per-key throttle that the rate-limit
#: burst always outruns and the suite's learned pace keeps under.
THROTTLE = ("--throttle", "100", "--burst", "30")
#: What the gateway itself breaks with its defaults: its 403 for methods and paths it does not route
#: (TRN-02's 405, AUTH-05's 401 before routing, ENV-01's error envelope), and its throttle without
#: the contract's code and Retry-After (RATE-01, RATE-02); TRN-03's 404 is a SHOULD.
GATEWAY_FAILED = {"TRN-02", "AUTH-05", "ENV-01", "RATE-01", "RATE-02"}
GATEWAY_WARNED = {"TRN-03"}
AWS = "the AWS API Gateway"


@pytest.fixture(scope="module")
def upstream():
    server = EmbeddedServer(args=SUITE_ARGS)
    server.start()
    yield server
    server.stop()


def client(base_url: str, key: str, tmp_path, **session_args) -> tuple[ApiClient, Ledger]:
    ledger = Ledger.create()
    session = make_session(ledger, base_url=base_url, key_roles={key: "primary"}, **session_args)
    return ApiClient(base_url, key, session=session, timeout=5), ledger


# ------------------------------------------------------------------------------- the client

def test_a_server_error_that_does_not_repeat_is_sent_again_and_recorded(upstream, tmp_path):
    with gateway_front.Front(upstream.base_url, "--throttle", "0", "--fail", "1") as front:
        api, ledger = client(front.base_url, upstream.keys["primary"], tmp_path)
        answers = [api.get("/tariffs", {"page": n}) for n in (1, 2, 3)]
    assert [a.status for a in answers] == [200, 200, 200]  # every first attempt was a 502
    events = ledger.transients()
    assert len(events) == 3 and {first["status"] for first, _ in events} == {502}
    assert {retried["status"] for _, retried in events} == {200}
    assert ledger.totals().requests == 6 and ledger.totals().by_key["primary"] == 6
    assert front.stats()["answered"]["transient 502"] == 3


def test_a_server_error_that_repeats_is_the_answer(tmp_path):
    import hostile_servers as hostile

    with hostile.Hostile(hostile.server_error) as server:
        api, ledger = client(server.base_url, "iris_k", tmp_path)
        assert api.get("/tariffs").status == 500
    assert ledger.transients() == [] and ledger.totals().requests == 2


def test_a_throttle_without_retry_after_is_waited_out_with_backoff(upstream, tmp_path, monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_BASE", 0.05)
    with gateway_front.Front(upstream.base_url, "--throttle", "5", "--burst", "2") as front:
        api, ledger = client(front.base_url, upstream.keys["primary"], tmp_path)
        statuses = [api.get("/tariffs").status for _ in range(8)]
    assert statuses == [200] * 8
    totals = ledger.totals()
    assert totals.rate_limited >= 1 and totals.waited > 0 and front.stats()["answered"]["throttle 429"] >= 1
    assert ledger.pace() is not None  # the learned pace took the throttle into account


def test_a_quota_ends_the_run_at_once_and_says_so(upstream, tmp_path):
    with gateway_front.Front(upstream.base_url, "--throttle", "0", "--quota", "3") as front:
        api, ledger = client(front.base_url, upstream.keys["primary"], tmp_path)
        assert [api.get("/tariffs").status for _ in range(3)] == [200] * 3
        with pytest.raises(http.QuotaExhausted) as ended:
            api.get("/tariffs")
        with pytest.raises(http.CannotJudge):  # nothing more is sent
            api.get("/tariffs")
    reason = str(ended.value)
    assert reason.startswith("the primary key's quota is exhausted after 4 requests with it")
    assert "LimitExceededException" in reason and ledger.fatal() == reason
    assert front.stats()["answered"] == {"quota 429": 1}


# ---------------------------------------------------------------------------- whole runs

def through_the_gateway(upstream, run_suite, *gateway_args: str):
    with gateway_front.Front(upstream.base_url, *gateway_args) as front:
        run = run_suite(None, "--profile", "smoke", "--hypothesis-seed", "20261124", base_url=front.base_url,
                        keys=upstream.keys, timeout=900)
    return run, front.stats()


def reasons(run) -> dict[str, str]:
    return {r["id"]: r["why"] for r in run.conformance["requirements"] if r["verdict"] != "passed"}


def test_behind_the_gateway_only_what_the_gateway_breaks_fails_and_each_reason_names_it(upstream, run_suite):
    run, _ = through_the_gateway(upstream, run_suite, *THROTTLE)
    assert run.returncode == 1, run.output[-3000:]
    assert run.requirements_with("FAILED") == GATEWAY_FAILED, reasons(run)
    assert run.requirements_with("warning") == GATEWAY_WARNED
    assert not run.requirements_with("blocked") and not run.requirements_with("not run")
    for rid, why in reasons(run).items():
        assert f"answered by {AWS} (x-amzn-ErrorType: " in why, (rid, why)
    assert "TooManyRequestsException" in reasons(run)["RATE-01"]
    (group,) = run.conformance["answered_by_layers"]
    assert group["answered_by"] == AWS and set(group["requirements"]) == GATEWAY_FAILED | GATEWAY_WARNED
    summary = (run.report_dir / "summary.md").read_text()
    assert "Not answered by the API" in summary and "MissingAuthenticationTokenException" in summary
    assert "iris-conformance adapt" not in run.output  # the gateway's bodies are not the API's envelope


def test_transient_502s_fail_trn_04_alone(upstream, run_suite):
    run, stats = through_the_gateway(upstream, run_suite, *THROTTLE, "--fail", "0.01")
    assert stats["answered"]["transient 502"] >= 5
    assert run.requirements_with("FAILED") == GATEWAY_FAILED | {"TRN-04"}, reasons(run)
    assert run.requirements_with("warning") == GATEWAY_WARNED
    assert not run.requirements_with("blocked")
    why = reasons(run)["TRN-04"]
    assert f"transient: {stats['answered']['transient 502']} of " in why and "each succeeded when sent again" in why
    assert "FlakyFailure" not in run.output and "Exception Group" not in run.output


def test_a_quota_is_one_cannot_judge_that_names_it(upstream, run_suite):
    run, stats = through_the_gateway(upstream, run_suite, *THROTTLE, "--quota", "1500")
    assert run.returncode == 2, run.output[-3000:]
    meta = run.conformance["meta"]
    assert "the primary key's quota is exhausted after" in meta["cannot_judge"]
    assert "LimitExceededException" in meta["cannot_judge"] and "Limit Exceeded" in meta["cannot_judge"]
    lines = [line for line in run.output.splitlines() if line.startswith("CANNOT JUDGE:")]
    assert len(lines) == 1 and "quota" in lines[0]
    assert stats["answered"]["quota 429"] <= 3  # the run stopped at the first (one per worker at most)
    assert meta["requests_by_key"]["primary"] <= 1500 + 100


def test_a_cache_without_the_credential_in_its_key_fails_ten_01_and_is_named(upstream, run_suite):
    run, stats = through_the_gateway(upstream, run_suite, *THROTTLE, "--cache", "300")
    assert stats["answered"]["cache hit"] > 0
    failed = run.requirements_with("FAILED")
    assert "TEN-01" in failed and "served from a shared cache" in reasons(run)["TEN-01"]
    assert {"AUTH-02", "AUTH-04", "AUTH-05"} <= failed  # a cached 200 for no key, for an unknown key
    groups = {g["answered_by"]: g for g in run.conformance["answered_by_layers"]}
    assert "TEN-01" in groups["a shared cache"]["requirements"]
