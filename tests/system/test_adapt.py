"""``iris-conformance adapt`` against the reference server in each of its dialects: the draft it writes
lets the suite pass with zero failures, without it the run fails and hints at adapt, the same overlay
against the native dialect fails clearly, and the defects keep being killed in the dialect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.contract import spec as specs
from conformance.adapt.probe import rate_limit_header_pairs
from kill_table import draft_overlay, run_defect
from suite_runner import run_adapt

DIALECTS = ("camel", "bare")
#: defects whose meaning each dialect must keep (envelope, names, timestamps, bound, headers, logic)
KILL_SAMPLE = ("env-01-error-success-true", "env-01-list-without-success", "env-02-timestamps-with-offset",
               "page-01-pagesize-101-accepted", "rate-03-remaining-negative", "tariff-drops-currency",
               "geo-07-wrong-station-name")
LIMIT = ("--rate-limit", "600", "--rate-window", "2")
#: the requirements of the runs that must fail: what reads the envelopes and the records
NARROW = "ENV,DET,PAGE-02"


def draft_for(start, tmp_path: Path, *server_args: str):
    server = start(*server_args, *LIMIT)
    draft = run_adapt(server, tmp_path)
    assert draft.returncode == 0, draft.output
    return server, draft


def test_against_the_native_dialect_the_draft_has_no_actions(start_reference, tmp_path):
    _, draft = draft_for(start_reference, tmp_path)
    document = yaml.safe_load(draft.text)
    assert document["overlay"] == "1.0.0" and document["actions"] == []
    assert "no deviation on an ASSUMED point" in draft.output
    requests = int(draft.output.split("adapt: ", 1)[1].split(" requests", 1)[0])
    assert requests <= 200
    specs.Spec(specs.default_spec_path(), [str(draft.path)])  # and it loads


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_draft_lets_the_suite_pass_in_the_dialect_and_nowhere_else(dialect, start_lab, start_reference,
                                                                        run_suite, tmp_path):
    server, draft = draft_for(start_lab, tmp_path, "--dialect", dialect)
    document = yaml.safe_load(draft.text)
    assert document["actions"], draft.output
    requests = int(draft.output.split("adapt: ", 1)[1].split(" requests", 1)[0])
    assert requests <= 200
    # every action says why, and no key is in the draft
    assert "# deviation 1 [" in draft.text and "confidence:" in draft.text and "curl " in draft.text
    assert server.keys["primary"] not in draft.text
    for action in document["actions"]:
        assert action["description"].startswith("[")

    adapted = run_suite(server, "--profile", "smoke", "--overlay", str(draft.path))
    assert adapted.returncode == 0, adapted.output[-3000:]
    assert adapted.failed_tests() == []
    assert adapted.requirements_with("FAILED") == set()
    meta = adapted.conformance["meta"]
    assert meta["overlays"] and meta["overlays"][0]["sha256"] and meta["overlays"][0]["actions"]
    assert meta["Overlays"].startswith("this verdict assumes ")
    assert "this verdict assumes" in (adapted.report_dir / "report.html").read_text(encoding="utf-8")
    assert any(row["assumes_overlay"] for row in adapted.conformance["requirements"])

    # (the envelope, detail and pagination requirements only: the whole suite fails the same way, slower)
    unadapted = run_suite(server, "--profile", "smoke", "--requirements", NARROW)
    assert unadapted.returncode == 1
    assert "FAILED" in {row["verdict"] for row in unadapted.conformance["requirements"]}
    assert "iris-conformance adapt" in unadapted.output and unadapted.conformance["meta"]["hint"]

    native = start_reference(*LIMIT)
    elsewhere = run_suite(native, "--profile", "smoke", "--requirements", NARROW, "--overlay", str(draft.path))
    assert elsewhere.returncode == 1
    assert "ENV-01" in elsewhere.requirements_with("FAILED") or "DET-01" in elsewhere.requirements_with("FAILED")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("defect", KILL_SAMPLE)
def test_a_defect_is_killed_in_the_dialect_as_in_the_native_one(dialect, defect, tmp_path):
    # (tests/system/test_mutants.py kills each of them in the native dialect)
    dialected = run_defect(defect, targeted=True, dialect=dialect, overlay=_overlay(dialect, tmp_path))
    assert dialected.killed, dialected


_DRAFTS: dict[str, Path] = {}


def _overlay(dialect: str, tmp_path: Path) -> Path:
    """One draft per dialect and worker process (adapt is deterministic against the same server)."""
    if dialect not in _DRAFTS:
        directory = tmp_path.parent / f"draft-{dialect}"
        directory.mkdir(exist_ok=True)
        _DRAFTS[dialect] = draft_overlay(dialect, directory)
    return _DRAFTS[dialect]


@pytest.mark.parametrize("headers, pairs", [
    ({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "3"}, [("X-RateLimit-Limit", "X-RateLimit-Remaining", True)]),
    ({"RateLimit-Limit": "20", "RateLimit-Remaining": "0", "Content-Length": "4"},
     [("RateLimit-Limit", "RateLimit-Remaining", True)]),
    ({"X-Rate-Limit-Limit": "20", "X-Rate-Limit-Remaining": "19"}, [("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", True)]),
    # Kong: one pair per window
    ({"X-RateLimit-Limit-Minute": "60", "X-RateLimit-Remaining-Minute": "3"},
     [("X-RateLimit-Limit-Minute", "X-RateLimit-Remaining-Minute", True)]),
    # named otherwise: found by its shape, not by its name
    ({"X-Quota-Limit": "20", "X-Quota-Remaining": "7"}, [("X-Quota-Limit", "X-Quota-Remaining", False)]),
    # not a pair: Remaining above Limit, not integers, no prefix, only one of the two
    ({"X-Quota-Limit": "20", "X-Quota-Remaining": "30"}, []),
    ({"X-Quota-Limit": "many", "X-Quota-Remaining": "some"}, []),
    ({"Limit": "2", "Remaining": "1"}, []),
    ({"X-RateLimit-Limit": "20"}, []),
])
def test_rate_limit_headers_are_found_by_name_or_by_shape(headers, pairs):
    assert rate_limit_header_pairs(headers) == pairs
