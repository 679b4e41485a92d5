"""The embedded reference server answers every error code of the contract, and its CLI works."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import get
from lab.embedded import lab_server


def _error(response):
    body = response.json()
    assert body["success"] is False
    return body["error"]["code"]


def test_start_line_names_the_base_url_and_every_key(reference):
    assert reference.base_url.startswith("http://127.0.0.1:")
    assert set(reference.keys) >= {"primary", "other_tenant", "revoked", "expired"}
    assert all(key.startswith("iris_") for key in reference.keys.values())


def test_validation_error(reference):
    response = get(reference, "/tariffs", pagesize="0")
    assert (response.status_code, _error(response)) == (400, "VALIDATION_ERROR")
    assert "pagesize" in response.json()["error"]["message"]


@pytest.mark.parametrize("headers, code", [
    ({}, "MISSING_API_KEY"),
    ({"x-api-key": ""}, "MISSING_API_KEY"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "MISSING_API_KEY"),
    ({"x-api-key": "not-an-iris-key"}, "INVALID_KEY_FORMAT"),
    ({"Authorization": "Bearer IRIS_abc"}, "INVALID_KEY_FORMAT"),
    ({"x-api-key": "iris_0000000000000000000000000000dead"}, "INVALID_API_KEY"),
])
def test_authentication_errors(reference, headers, code):
    response = get(reference, "/tariffs", key=None, headers=headers)
    assert (response.status_code, _error(response)) == (401, code)
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("which", ["revoked", "expired"])
def test_revoked_and_expired_keys_are_invalid(reference, which):
    response = get(reference, "/tariffs", key=which)
    assert (response.status_code, _error(response)) == (401, "INVALID_API_KEY")


def test_not_found(reference):
    response = get(reference, "/tariffs/999999999")
    assert (response.status_code, _error(response)) == (404, "NOT_FOUND")
    response = get(reference, "/no-such-thing")
    assert (response.status_code, _error(response)) == (404, "NOT_FOUND")


def test_method_not_allowed(reference):
    response = get(reference, "/tariffs", method="POST")
    assert (response.status_code, _error(response)) == (405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_rate_limit_exceeded_and_recovery(start_reference):
    server = start_reference("--rate-limit", "3", "--rate-window", "1")
    statuses = [get(server, "/tariffs").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = get(server, "/tariffs")
    assert _error(response) == "RATE_LIMIT_EXCEEDED"
    assert int(response.headers["Retry-After"]) >= 1
    assert get(server, "/tariffs", key="other_tenant").status_code == 200  # limits are per key


def test_internal_error_only_from_a_defect(start_lab):
    server = start_lab("--defect", "pagesize-crash")
    response = get(server, "/tariffs", pagesize="101")
    assert (response.status_code, _error(response)) == (500, "INTERNAL_ERROR")
    assert "Traceback" not in response.text


def test_every_response_is_json_and_never_echoes_the_key(reference):
    for path in ("/tariffs", "/customers", "/stations", "/sessions", "/nope"):
        response = get(reference, path)
        assert response.headers["Content-Type"].startswith("application/json")
        assert reference.keys["primary"] not in response.text


def test_the_lab_lists_its_defects():
    server = lab_server("--list-defects")
    out = subprocess.run(server.command(), env=server.environment(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "pagesize-crash" in out.stdout and "AUTH-02" in out.stdout


def test_the_clean_server_knows_no_defect_and_no_dialect():
    for option in ("--list-defects", "--defect=pagesize-crash", "--dialect=camel"):
        out = subprocess.run([sys.executable, "-m", "conformance.reference", option],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "unrecognized arguments" in out.stderr, option


def test_latency_delays_every_answer_in_parallel(start_reference):
    """--latency-ms (the remote rig): one answer takes at least the latency; 8 concurrent requests are
    delayed side by side, not one after the other (well under 8 x the latency)."""
    latency = 0.3
    server = start_reference("--latency-ms", str(int(latency * 1000)))
    started = time.monotonic()
    assert get(server, "/tariffs").status_code == 200
    assert time.monotonic() - started >= latency
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: get(server, "/tariffs").status_code, range(8)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 8
    assert latency <= elapsed < 4 * latency
