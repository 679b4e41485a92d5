"""CI-native outputs of real runs: reports/summary.md (verdict line, counts, a table of what FAILED,
warned, was waived or not run with its first curl repro, the waivers), the same Markdown appended to
GITHUB_STEP_SUMMARY, and JUnit testcases that carry their requirement IDs as properties."""

from __future__ import annotations

import re

from acceptance_runs import STEP_SUMMARY_BEFORE


def summary(run) -> str:
    return (run.report_dir / "summary.md").read_text()


def test_summary_of_a_failing_run(acceptance):
    text = summary(acceptance.expired)
    assert text.splitlines()[0] == "## IRIS conformance: ❌ NOT CONFORMANT"
    assert "| passed | FAILED | warning | waived | blocked | not run |" in text
    assert "| 1 | 1 | 0 | 0 | 0 | 44 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| GEO-03 |"))
    assert "**FAILED**" in row and "waiver expired" in row
    curl = re.search(r"`(curl [^`]+)`", row).group(1)
    assert "/chargers/status" in curl and "iris_***" in curl
    assert "44 requirements not run" in text
    for key in acceptance.keys.values():
        assert key not in text and key.split("_", 1)[1] not in text


def test_summary_of_a_waived_run_lists_the_waivers(acceptance):
    text = summary(acceptance.waived)
    assert text.splitlines()[0] == "## IRIS conformance: ✅ CONFORMANT"
    assert "| 1 | 0 | 0 | 1 | 0 | 44 |" in text
    assert re.search(r"^\| GEO-03 \| MUST \| \*\*waived\*\* \| [^|]*; waived: .*jane\.doe@vendor\.example", text, re.M)
    assert re.search(r"^\| GEO-03 \| GET /chargers/status \| \*\*applied\*\* \|", text, re.M)
    assert re.search(r"^\| GEO-04 \| every operation \| \*\*unused\*\* \| GEO-04 passed", text, re.M)


def test_the_summary_is_appended_to_github_step_summary(acceptance):
    step = acceptance.step_summary.read_text()
    assert step.startswith(STEP_SUMMARY_BEFORE), "what earlier steps wrote is kept"
    assert step[len(STEP_SUMMARY_BEFORE):] == summary(acceptance.waived) + "\n"


def test_only_a_run_with_the_variable_appends_to_the_step_summary(acceptance):
    assert acceptance.clean.report_dir.joinpath("summary.md").exists()
    assert acceptance.expired.report_dir.joinpath("summary.md").exists()
    assert acceptance.step_summary.read_text().count("## IRIS conformance") == 1


def properties(case, name):
    return [v for n, v in case["properties"] if n == name]


def test_every_junit_testcase_carries_its_requirement_ids(acceptance):
    run = acceptance.expired
    assert run.testcases
    for case in run.testcases:
        assert properties(case, "requirement"), f"{case['name']} has no requirement property"
    failing = next(t for t in run.testcases if t["name"].startswith("test_items_are_within_the_radius"))
    assert failing["outcome"] == "failed"
    assert properties(failing, "requirement") == ["GEO-03"] and properties(failing, "violated_requirement") == ["GEO-03"]
    passing = next(t for t in run.testcases if t["name"].startswith("test_items_are_ordered_by_distance"))
    assert properties(passing, "requirement") == ["GEO-04"] and not properties(passing, "violated_requirement")
