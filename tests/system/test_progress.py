"""The progress line of a long run (conformance.plugin.progress): its pure parts without a server, and
real runs against a reference server that answers every request 20 ms late."""

from __future__ import annotations

import re
from types import SimpleNamespace

from conformance.plugin.progress import (FamilyProgress, Plan, RunProgress, estimate_left, family, format_clock,
                                         format_left, format_line)
from conformance.verdicts.model import CANNOT_JUDGE_PROPERTY

LINE = re.compile(r"^progress (\d\d:\d\d) \| ([\d,]+) requests, ([\d.]+)/s \| (.+?) \| (.+)$", re.M)


def a_report(nodeid, when="call", outcome="passed", props=()):
    return SimpleNamespace(nodeid=nodeid, when=when, passed=outcome == "passed", user_properties=list(props))


# ----------------------------------------------------------------------------------- pure parts


def test_estimate_left_extrapolates_the_tests_finished():
    assert estimate_left(60.0, 10, 40) == 180.0
    assert estimate_left(60.0, 40, 40) == 0.0
    assert estimate_left(5.0, 0, 40) is None
    assert estimate_left(5.0, 0, 0) is None


def test_durations_are_formatted_for_a_terminal():
    assert format_clock(135) == "02:15"
    assert format_clock(3735) == "1:02:15"
    assert format_left(None) == "time left unknown"
    assert format_left(0.2) == "~1 s left"
    assert format_left(40) == "~40 s left"
    assert format_left(185) == "~3 min left"
    assert format_left(3900) == "~1 h 05 min left"


def test_the_line_collapses_families_done():
    families = [FamilyProgress("AUTH", 12, 12), FamilyProgress("PAGE", 34, 40), FamilyProgress("SORT", 0, 18)]
    assert format_line(135.4, 1234, 19.83, 180, families) == (
        "progress 02:15 | 1,234 requests, 19.8/s | ~3 min left | AUTH done, PAGE 34/40, SORT 0/18")


def test_a_family_is_the_id_prefix_and_families_follow_the_contract():
    assert family("FLT-SES-01") == "FLT" and family("AUTH-02") == "AUTH"
    plan = Plan({"t::geo": ("GEO-01",), "t::both": ("PAGE-01", "PAGE-02", "TRN-01"), "t::auth": ("AUTH-02",)})
    assert plan.families() == {"TRN": 1, "AUTH": 1, "PAGE": 1, "GEO": 1}  # a test counts once per family


def test_progress_counts_outcomes_and_what_was_not_judged(tmp_path):
    plan = Plan({"a": ("AUTH-02",), "b": ("AUTH-03",), "c": ("GEO-01", "GEO-02"), "d": ("GEO-03",)})
    plan.write(tmp_path / "plan.json")
    progress = RunProgress(plan=Plan.read(tmp_path / "plan.json"))
    progress.record(a_report("a", when="setup"))  # a setup that passed is not an outcome
    progress.record(a_report("a"))
    progress.record(a_report("b", when="setup", outcome="skipped"))
    progress.record(a_report("c", props=[(CANNOT_JUDGE_PROPERTY, "the time budget is spent")]))
    progress.record(a_report("every_response[TRN-04]"))  # not a collected test
    assert progress.families() == [FamilyProgress("AUTH", 2, 2), FamilyProgress("GEO", 1, 2)]
    assert progress.unjudged_requirements() == {"GEO-01", "GEO-02", "GEO-03"}


# ------------------------------------------------------------------------------------ real runs


def test_a_long_run_shows_progress_lines(start_reference, run_suite):
    server = start_reference("--latency-ms", "20")
    run = run_suite(server, "--profile", "smoke", "--requirements", "AUTH-02,GEO", "--progress-interval", "1")
    assert run.returncode == 0, run.output
    lines = LINE.findall(run.output)
    assert lines, run.output
    requests = [int(r.replace(",", "")) for _, r, _, _, _ in lines]
    assert requests == sorted(requests) and requests[-1] > 0
    assert all(re.fullmatch(r"~\d+ (s|min) left|~\d+ h \d\d min left|time left unknown", left)
               for _, _, _, left, _ in lines)
    assert any(left != "time left unknown" for _, _, _, left, _ in lines)
    assert any(float(rate) > 0 for _, _, rate, _, _ in lines)
    for *_, families in lines:
        assert re.fullmatch(r"AUTH (\d+/9|done), GEO (\d+/10|done)", families), families
    assert any("AUTH done" in families for *_, families in lines)
    for line in run.output.splitlines():  # every progress line is a line of its own
        assert "progress " not in line or line.startswith("progress ")


def test_no_progress_lines_with_interval_0(start_reference, run_suite):
    server = start_reference("--latency-ms", "20")
    run = run_suite(server, "--profile", "smoke", "--requirements", "AUTH-02", "--progress-interval", "0",
                    env_extra={"IRIS_PROGRESS_INTERVAL": "1"})  # the option wins over the environment
    assert run.returncode == 0, run.output
    assert run.conformance["meta"]["requests"] > 3
    assert "progress " not in run.output
