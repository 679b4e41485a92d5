"""Fixtures for the project's own tests: reference servers (clean or with a defect) and a way to run
the conformance suite against one in a subprocess and read its verdicts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from conformance.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def reference():
    """A clean reference server shared by the tests that only read from it."""
    server = EmbeddedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def start_reference():
    """Start reference servers with extra arguments (e.g. ``--defect NAME``); stopped after the test."""
    servers = []

    def start(*args: str) -> EmbeddedServer:
        server = EmbeddedServer(args=tuple(args))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def get(server: EmbeddedServer, path: str, *, key: str | None = "primary", headers=None, method="GET", **params):
    all_headers = {"x-api-key": server.keys[key]} if key else {}
    all_headers.update(headers or {})
    return requests.request(method, server.base_url + path, params=params, headers=all_headers, timeout=10)


@dataclass
class SuiteRun:
    returncode: int
    output: str
    testcases: list[dict]
    conformance: dict
    report_dir: Path

    def failed_tests(self) -> list[str]:
        return [t["name"] for t in self.testcases if t["outcome"] in ("failed", "error")]

    def verdict(self, requirement_id: str) -> str:
        return next(r["verdict"] for r in self.conformance["requirements"] if r["id"] == requirement_id)

    def requirements_with(self, verdict: str) -> set[str]:
        return {r["id"] for r in self.conformance["requirements"] if r["verdict"] == verdict}


@pytest.fixture
def run_suite(tmp_path):
    """Run the conformance suite in a subprocess against ``server``; return its verdicts."""

    def run(server: EmbeddedServer | None, *args: str, base_url: str | None = None, keys: dict | None = None,
            timeout: float = 600) -> SuiteRun:
        report_dir = tmp_path / "reports"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IRIS_", "PYTEST_"))}
        keys = keys if keys is not None else (server.keys if server else {})
        names = {"primary": "IRIS_API_KEY", "other_tenant": "IRIS_OTHER_TENANT_KEY",
                 "revoked": "IRIS_REVOKED_API_KEY", "expired": "IRIS_EXPIRED_API_KEY"}
        for name, var in names.items():
            if keys.get(name):
                env[var] = keys[name]
        url = base_url or (server.base_url if server else None)
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "conformance" / "suite"), "-p", "no:cacheprovider",
               "--reports-dir", str(report_dir), "-q", "-rN", *args]
        if url:
            cmd += ["--base-url", url]
        proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
        junit = report_dir / "junit.xml"
        testcases = _read_junit(junit) if junit.exists() else []
        conf_path = report_dir / "conformance.json"
        conformance = json.loads(conf_path.read_text()) if conf_path.exists() else {"requirements": []}
        return SuiteRun(proc.returncode, proc.stdout + proc.stderr, testcases, conformance, report_dir)

    return run


def _read_junit(path: Path) -> list[dict]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
        cases.append({"name": case.get("name"), "classname": case.get("classname"), "outcome": outcome})
    return cases
