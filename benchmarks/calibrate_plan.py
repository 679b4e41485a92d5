"""Calibrate the request plan: write its cost table, ``conformance/suite/costs.json``.

    python benchmarks/calibrate_plan.py [--profiles smoke,default,thorough] [--runs 4] [--seed N] [--output PATH]

Each profile runs --runs times (thorough once: its walks take minutes), serially (no xdist: every
test is charged for the inputs it was first to need, in the suite's own order), against the embedded
reference server with fixed seeds (--seed, then the next ones); and as many times again against the
same server made sensitive (``--sensitive-url``: the intrusive tests skipped, and the inputs they share
with other tests not fetched). Per test, the table keeps the mean of the requests it sent per key
role (its JUnit ``requests_by_key`` property); per profile, the mean of the run's fixed costs (what
the run sent that no test was charged for: the preflight) and of what the run sent in all. A run that
is not CONFORMANT is refused: a requirement that FAILED stops spending requests, so its figures would
be too low. Profiles not calibrated keep their figures from the file. Run it again whenever the
suite's requests change (about 15 minutes on two cores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import conformance  # noqa: E402
from conformance.runtime.embedded import SUITE_ARGS  # noqa: E402
from conformance.verdicts.model import JUNIT_REQUESTS_BY_KEY_PROPERTY  # noqa: E402
from conformance.verdicts.plan import COSTS_PATH  # noqa: E402
from suite_runner import run_suite  # noqa: E402

SEED = 20261124
#: the embedded server's base URL, made sensitive: the run that skips the intrusive tests
SENSITIVE = r"127\.0\.0\.1"
PROFILES = ("smoke", "default", "thorough")


def one_run(profile: str, seed: int, *extra: str) -> dict:
    """One serial run of ``profile`` on the embedded reference server: its tests' costs and fixed costs."""
    started = time.monotonic()
    run = run_suite(None, "--profile", profile, "--seed", str(seed), "--concurrency", "1", "--progress-interval", "0",
                    *extra, timeout=7200)
    seconds = time.monotonic() - started
    meta = run.conformance.get("meta", {})
    if run.returncode != 0 or meta.get("verdict") != "CONFORMANT":
        raise SystemExit(f"--profile {profile} {' '.join(extra)}: the run was not CONFORMANT (exit {run.returncode}); "
                         f"its figures would not be a clean run's:\n{run.output[-3000:]}")
    tests: dict[str, dict[str, int]] = {}
    for case in run.testcases:
        props = dict(case["properties"])
        if JUNIT_REQUESTS_BY_KEY_PROPERTY in props:  # (the every-response rows carry none)
            tests[case["name"]] = json.loads(props[JUNIT_REQUESTS_BY_KEY_PROPERTY])
    sent = dict(meta["requests_by_key"])
    charged = {role: sum(costs.get(role, 0) for costs in tests.values()) for role in sent}
    return {"measured": {"requests": meta["requests"], "by_key": sent, "tests": len(tests),
                         "seconds": round(seconds, 1)},
            "fixed": {role: sent[role] - charged[role] for role in sent}, "tests": tests}


def _mean(counts: list[dict[str, float]]) -> dict[str, float]:
    """Per key role, the mean of ``counts`` to a tenth (roles that are 0 left out)."""
    roles = dict.fromkeys(role for c in counts for role in c)
    means = {role: round(statistics.mean(c.get(role, 0) for c in counts), 1) for role in roles}
    return {role: int(n) if n == int(n) else n for role, n in means.items() if n}


def calibrate(profile: str, seed: int, runs: int, *extra: str) -> dict:
    """``runs`` runs of ``profile`` (a different seed each after the first): per test and for the fixed
    costs, the mean of the runs. Not the median: the rate-limit burst stops at the first 429, which on
    the reference server (500 requests a second per key) comes after one window's worth of requests or
    after two, as the machine is fast or busy, and the mean of the two is what a plan should expect."""
    figures = [one_run(profile, seed + n, *extra) for n in range(runs)]
    names = dict.fromkeys(name for f in figures for name in f["tests"])
    tests = {name: _mean([f["tests"].get(name, {}) for f in figures]) for name in sorted(names)}
    sent = [f["measured"]["requests"] for f in figures]
    measured = {"requests": round(statistics.mean(sent)), "runs": sent,
                "by_key": _mean([f["measured"]["by_key"] for f in figures]), "tests": len(tests),
                "seconds": round(statistics.mean(f["measured"]["seconds"] for f in figures), 1)}
    fixed = _mean([f["fixed"] for f in figures])
    print(f"  {profile}{' ' + ' '.join(extra) if extra else ''}: {measured['requests']:,} requests (mean of "
          f"{', '.join(f'{n:,}' for n in sent)}; {len(tests)} tests; fixed {sum(fixed.values()):g}) in "
          f"{measured['seconds']:.0f} s a run", flush=True)
    return {"measured": measured, "fixed": fixed, "tests": tests}


def calibrate_profile(profile: str, seed: int, runs: int) -> dict:
    """A profile's figures, and those of its run against a sensitive base URL (intrusive tests skipped;
    not for thorough, which a sensitive base URL refuses)."""
    figures = calibrate(profile, seed, runs)
    if profile != "thorough":
        figures["sensitive"] = calibrate(profile, seed, runs, "--sensitive-url", SENSITIVE)
    return figures


def write(path: Path, table: dict) -> None:
    """The table as JSON, one line per test (a recalibration's diff shows which tests changed)."""
    lines = ["{", f' "about": {json.dumps(table["about"])},', f' "calibrated": {json.dumps(table["calibrated"])},',
             ' "profiles": {']
    profiles = list(table["profiles"].items())
    for n, (name, figures) in enumerate(profiles):
        lines += _figures(json.dumps(name), figures, "  ", n == len(profiles) - 1)
    lines += [" }", "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads(path.read_text(encoding="utf-8"))  # it reads back


def _figures(name: str, figures: dict, indent: str, last: bool) -> list[str]:
    lines = [f'{indent}{name}: {{', f'{indent} "measured": {json.dumps(figures["measured"])},',
             f'{indent} "fixed": {json.dumps(figures["fixed"])},', f'{indent} "tests": {{']
    tests = list(figures["tests"].items())
    lines += [f'{indent}  {json.dumps(test)}: {json.dumps(costs)}{"," if i < len(tests) - 1 else ""}'
              for i, (test, costs) in enumerate(tests)]
    lines.append(f"{indent} }}" + ("," if "sensitive" in figures else ""))
    if "sensitive" in figures:
        lines += _figures('"sensitive"', figures["sensitive"], indent + " ", True)
    return lines + [indent + "}" + ("" if last else ",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--profiles", default=",".join(PROFILES), help=f"default {','.join(PROFILES)}")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the first run's seed (default {SEED})")
    parser.add_argument("--runs", type=int, default=4, help="runs per profile and variant, means (default 4; "
                                                            "thorough: 1)")
    parser.add_argument("--output", type=Path, default=COSTS_PATH, help=f"default {COSTS_PATH.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    profiles = [p for p in args.profiles.split(",") if p]
    table = json.loads(args.output.read_text(encoding="utf-8")) if args.output.exists() else {"profiles": {}}
    print(f"calibrating the request plan: --profile {', '.join(profiles)}, --seed {args.seed}, serial, "
          f"embedded reference server", flush=True)
    for profile in profiles:
        table["profiles"][profile] = calibrate_profile(profile, args.seed, 1 if profile == "thorough" else args.runs)
    table["about"] = ("the request plan's cost table (conformance.verdicts.plan): per profile, per test, the "
                      "requests it sent per key role; 'fixed': what no test was charged for (the preflight). "
                      "Written by `python benchmarks/calibrate_plan.py`; do not edit by hand.")
    table["calibrated"] = {"server": f"the embedded reference server ({' '.join(SUITE_ARGS)})", "seed": args.seed,
                           "suite_version": f"iris-conformance {conformance.__version__}",
                           "date": dt.date.today().isoformat()}
    table["profiles"] = {p: table["profiles"][p] for p in PROFILES if p in table["profiles"]}
    write(args.output, table)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
