"""Waivers in real runs against the reference server (the shared acceptance runs, GEO-03 broken by
the lab's geo-03-bbox-only defect): one that applies passes the run and lists what it covered, one
that expired does not apply and says so, in conformance.json, the terminal and JUnit."""

from __future__ import annotations


def test_a_waiver_that_applies_passes_the_run_and_one_unused_is_listed(acceptance):
    run = acceptance.waived
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdict("GEO-03") == "waived" and run.verdict("GEO-04") == "passed"
    geo03 = next(r for r in run.conformance["requirements"] if r["id"] == "GEO-03")
    assert "jane.doe@vendor.example" in geo03["why"] and "release 4.2" in geo03["why"]
    assert geo03["repro"].startswith("curl ") and "/chargers/status" in geo03["repro"]
    assert run.conformance["counts"]["waived"] == 1 and run.conformance["counts"]["FAILED"] == 0
    uses = {u["requirement"]: u for u in run.conformance["waivers"]}
    assert uses["GEO-03"]["status"] == "applied" and uses["GEO-04"]["status"] == "unused"
    assert "GEO-04 passed" in uses["GEO-04"]["why"]
    assert run.conformance["meta"]["verdict"] == "CONFORMANT"
    assert "1 waived" in run.output and "waiver   GEO-04      unused" in run.output
    # the failing test is an expected failure, with its waiver, not a failure
    case = next(t for t in run.testcases if t["name"].startswith("test_items_are_within_the_radius"))
    assert case["outcome"] == "skipped" and "waived GEO-03" in case["message"]


def test_an_expired_waiver_does_not_apply_and_the_report_says_it_expired(acceptance):
    run = acceptance.expired
    assert run.returncode == 1, run.output[-3000:]
    assert run.verdict("GEO-03") == "FAILED"
    geo03 = next(r for r in run.conformance["requirements"] if r["id"] == "GEO-03")
    assert "waiver expired (it held until" in geo03["why"]
    (use,) = run.conformance["waivers"]
    assert use["status"] == "expired" and "the waiver does not apply" in use["why"]
    assert "waiver   GEO-03      expired" in run.output
    assert run.conformance["meta"]["verdict"] == "NOT CONFORMANT"
