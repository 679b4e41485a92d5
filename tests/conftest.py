"""Fixtures for the project's own tests: reference servers (clean, or the lab's with a defect or a
dialect) and a way to run the conformance suite against one in a subprocess and read its verdicts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
import requests

import acceptance_runs
import suite_runner
from conformance.runtime.embedded import EmbeddedServer
from lab.embedded import lab_server
from suite_runner import SuiteRun


@pytest.fixture(scope="session")
def reference():
    """A clean reference server shared by the tests that only read from it."""
    server = EmbeddedServer()
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def _starting(make: Callable[..., EmbeddedServer]) -> Iterator[Callable[..., EmbeddedServer]]:
    servers = []

    def start(*args: str) -> EmbeddedServer:
        server = make(*args)
        server.start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def start_reference():
    """Start clean reference servers with extra arguments (e.g. ``--latency-ms 40``); stopped after the test."""
    with _starting(lambda *args: EmbeddedServer(args=args)) as start:
        yield start


@pytest.fixture
def start_lab():
    """Start the lab's reference servers (tests/lab: the same with ``--defect NAME``, ``--dialect NAME``);
    stopped after the test."""
    with _starting(lab_server) as start:
        yield start


def get(server: EmbeddedServer, path: str, *, key: str | None = "primary", headers=None, method="GET", **params):
    all_headers = {"x-api-key": server.keys[key]} if key else {}
    all_headers.update(headers or {})
    return requests.request(method, server.base_url + path, params=params, headers=all_headers, timeout=10)


@pytest.fixture
def run_suite(tmp_path):
    """Run the conformance suite in a subprocess against a server; return its verdicts."""

    def run(server, *args: str, **kwargs) -> SuiteRun:
        return suite_runner.run_suite(server, *args, workdir=tmp_path, **kwargs)

    return run


@pytest.fixture(scope="session")
def acceptance(tmp_path_factory) -> acceptance_runs.AcceptanceRuns:
    """Targeted runs, clean and against a defect, with waivers that apply, expire and go unused,
    made once for the whole session (all xdist workers share them; read-only)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    return acceptance_runs.make(root / "acceptance")
