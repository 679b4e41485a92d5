"""The spec-driven random-data mock (tests/mock_server.py, the stand-in for Prism's dynamic mode)
answers every operation of the spec with schema-valid random data, and the suite judges it harshly
but finishes with its reports."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import requests

import mock_server
from suite_runner import run_suite

MOCK = Path(mock_server.__file__)


def json_schema(schema):
    """An OpenAPI 3.0 schema as JSON Schema draft 4 (``nullable`` as a null type; draft 4 for the boolean
    ``exclusiveMinimum`` of OpenAPI 3.0)."""
    if isinstance(schema, list):
        return [json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: json_schema(v) for k, v in schema.items() if k != "nullable" and not k.startswith("x-")}
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


@pytest.fixture(scope="module")
def mock():
    process = subprocess.Popen([sys.executable, str(MOCK), "--port", "0", "--seed", "7"], stdout=subprocess.PIPE,
                               text=True)
    info = json.loads(process.stdout.readline())
    yield info
    process.terminate()
    assert process.wait(timeout=30) == 0  # stops cleanly on SIGTERM


def _url(mock, path: str) -> str:
    return mock["base_url"] + path.replace("{id}", "1")


SPEC = mock_server.load_spec()
OPERATIONS = mock_server.operations(SPEC)


@pytest.mark.parametrize("method, path, operation", OPERATIONS, ids=[op["operationId"] for _, _, op in OPERATIONS])
def test_every_operation_answers_200_with_a_schema_valid_body(mock, method, path, operation):
    response = requests.request(method, _url(mock, path), headers={"x-api-key": mock["keys"]["primary"]}, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    jsonschema.Draft4Validator(json_schema(mock_server.response_schema(operation, "200"))).validate(response.json())


def test_new_random_data_on_every_request(mock):
    headers = {"Authorization": f"Bearer {mock['keys']['primary']}"}  # the alternative scheme works too
    first, second = (requests.get(_url(mock, "/stations"), headers=headers, timeout=10) for _ in range(2))
    assert first.status_code == second.status_code == 200
    assert first.json() != second.json()


def test_no_credentials_get_the_documented_401(mock):
    response = requests.get(_url(mock, "/tariffs"), timeout=10)
    assert response.status_code == 401
    schema = mock_server.response_schema(SPEC["paths"]["/tariffs"]["get"], "401")
    jsonschema.Draft4Validator(json_schema(schema)).validate(response.json())


def test_undefined_paths_and_methods_are_refused(mock):
    assert requests.get(mock["base_url"] + "/nothing-here", timeout=10).status_code == 404
    assert requests.post(_url(mock, "/tariffs"), timeout=10).status_code == 405


@pytest.mark.parametrize("pattern", [r"^[A-Z]{3}$", r"^([01]\d|2[0-3]):[0-5]\d$", r"(^|[\s,])GET($|[\s,])",
                                     r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"])
def test_generated_strings_match_simple_patterns(pattern):
    generator = mock_server.Generator(random.Random(1))
    assert all(re.search(pattern, generator.matching(pattern)) for _ in range(50))


def test_smoke_suite_fails_the_mock_and_writes_its_reports(mock, tmp_path):
    run = run_suite(None, "--profile", "smoke", "--seed", "1", base_url=mock["base_url"], keys=mock["keys"],
                    workdir=tmp_path)
    assert run.returncode == 1, run.output[-3000:]
    assert len(run.requirements_with("FAILED")) >= 10, run.requirements_with("FAILED")
    for name in ("report.html", "junit.xml", "conformance.json"):
        assert (run.report_dir / name).stat().st_size > 0, name
