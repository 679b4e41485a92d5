"""Run the conformance suite against the reference server with each defect switched on, and print the
table defect -> killed? -> requirement, with the kill rate.

    python tests/kill_table.py [--jobs 2] [--profile smoke] [--targeted] [DEFECT ...]

A defect is killed when the suite's verdict on the requirement it breaks is FAILED (warning for a
SHOULD requirement). "Also failed" lists the MUST requirements the run failed besides that one and the
defect's declared collateral: it should be empty. --targeted runs only the tests of the defect's
requirements (fast; cannot see unrelated failures).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.defects import DEFECTS  # noqa: E402
from lab.embedded import lab_server  # noqa: E402
from suite_runner import run_adapt, run_suite  # noqa: E402

from conformance.contract import requirements # noqa: E402


SEED = 20261124
#: Targeted: a limit the smoke profile's rate probe can reach within the few tests selected.
TARGETED_LIMIT = ("--rate-limit", "250", "--rate-window", "5")
#: Targeted at a RATE requirement (whose runs send few requests besides the burst): a window long
#: enough that a loaded machine's burst leaves several seconds of it, since a 429 that arrives with
#: 1 s of the window left makes rate-02-retry-after-too-short's Retry-After: 1 right by accident.
TARGETED_RATE_LIMIT = ("--rate-limit", "150", "--rate-window", "10")
#: A whole-suite run: near the suite's own pace, so that thousands of requests are not slowed to 50 a
#: second, and a window longer than a second, or a Retry-After of 1 s and a per-second X-RateLimit-Limit
#: (rate-02-retry-after-too-short, rate-03-limit-per-second) would be right by accident.
WHOLE_SUITE_LIMIT = ("--rate-limit", "600", "--rate-window", "2")


@dataclass
class Outcome:
    name: str
    requirement: str
    expected: str
    verdict: str
    unrelated: list[str]
    seconds: float
    #: every requirement the run FAILED or warned
    judged: frozenset[str] = frozenset()
    collateral: frozenset[str] = frozenset()
    #: requirements not passed (FAILED, warning, waived, blocked) with no reason in conformance.json or summary.md
    unexplained: tuple[str, ...] = ()
    #: requirements the run left blocked
    blocked: frozenset[str] = frozenset()
    #: the MUST requirements the run FAILED
    failed_must: frozenset[str] = frozenset()

    @property
    def should_fails_a_must(self) -> bool:
        """A defect of a SHOULD requirement made a MUST requirement FAIL (its verdict would be NOT
        CONFORMANT for a deployment that only misses a recommendation)."""
        return self.expected == "warning" and bool(self.failed_must)

    @property
    def killed(self) -> bool:
        return self.verdict == self.expected


def draft_overlay(dialect: str, workdir: Path) -> Path:
    """The overlay ``iris-conformance adapt`` drafts against the clean reference server in ``dialect``."""
    server = lab_server("--dialect", dialect, *WHOLE_SUITE_LIMIT)
    server.start()
    try:
        draft = run_adapt(server, workdir)
    finally:
        server.stop()
    if draft.returncode != 0:
        raise SystemExit(f"adapt failed against the {dialect} dialect:\n{draft.output}")
    return draft.path


def run_defect(name: str, *, profile: str = "smoke", targeted: bool = False, extra: tuple[str, ...] = (),
               dialect: str | None = None, overlay: Path | None = None) -> Outcome:
    defect = DEFECTS[name]
    expected = "warning" if requirements.get(defect.requirement).is_should else "FAILED"
    collateral = set(defect.collateral)
    # A fixed seed: the project's own tests give the same verdict on every run (override with extra).
    args = ["--profile", profile, "--hypothesis-seed", str(SEED), *extra]
    if targeted:
        args += ["--requirements", ",".join([defect.requirement, *sorted(collateral)])]
    started = time.monotonic()
    limit = WHOLE_SUITE_LIMIT if not targeted else (
        TARGETED_RATE_LIMIT if defect.requirement.startswith("RATE-") else TARGETED_LIMIT)
    if overlay is not None:
        args += ["--overlay", str(overlay)]
    server = lab_server("--defect", name, *limit, *(("--dialect", dialect) if dialect else ()))
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix=f"kill-{name}-") as tmp:
            run = run_suite(server, *args, workdir=Path(tmp))
            missing_reasons = unexplained(run)
            blocked = frozenset(run.requirements_with("blocked"))
            failed_must = frozenset(r for r in run.requirements_with("FAILED") if not requirements.get(r).is_should)
    finally:
        server.stop()
    unrelated = sorted(run.requirements_with("FAILED") - {defect.requirement} - collateral)
    judged = frozenset(run.requirements_with("FAILED") | run.requirements_with("warning"))
    return Outcome(name, defect.requirement, expected, run.verdict(defect.requirement), unrelated,
                   time.monotonic() - started, judged, frozenset(collateral), missing_reasons, blocked,
                   failed_must)


#: the verdicts that must carry a reason (what was checked, expected and got)
EXPLAINED = ("FAILED", "warning", "waived", "blocked")


def unexplained(run) -> tuple[str, ...]:
    """The requirements a run did not pass whose reason is empty in conformance.json or in
    summary.md's table (its ``why`` column)."""
    rows = [r for r in run.conformance["requirements"] if r["verdict"] in EXPLAINED]
    summary = (run.report_dir / "summary.md").read_text(encoding="utf-8")
    cells = {}
    for line in summary.splitlines():
        parts = [p.strip() for p in line.split(" | ")]
        if line.startswith("| ") and len(parts) >= 5 and parts[2].strip("*") in EXPLAINED:
            cells[parts[0].removeprefix("| ")] = parts[3]
    return tuple(r["id"] for r in rows if not r["why"].strip() or not cells.get(r["id"], "").strip())


def attribution(outcomes: list[Outcome]) -> tuple[float, float, float]:
    """Precision (of the requirements a run FAILED or warned, the share that the defect breaks: its
    own requirement or its declared collateral), exact precision (its own requirement only) and
    recall (the share of defects whose own requirement got the verdict it should)."""
    flagged = sum(len(o.judged) for o in outcomes)
    right = sum(len(o.judged & ({o.requirement} | o.collateral)) for o in outcomes)
    exact = sum(o.requirement in o.judged for o in outcomes)
    recall = sum(o.killed for o in outcomes) / len(outcomes) if outcomes else 1.0
    return (right / flagged if flagged else 1.0), (exact / flagged if flagged else 1.0), recall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("defects", nargs="*", help="defects to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--targeted", action="store_true")
    parser.add_argument("--dialect", help="the reference server speaks this dialect; the suite runs with the overlay "
                                          "`iris-conformance adapt` drafts against its clean server")
    args = parser.parse_args(argv)
    names = args.defects or sorted(DEFECTS)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kill-table-"))
    overlay = draft_overlay(args.dialect, workdir) if args.dialect else None
    if overlay is not None:
        print(f"dialect {args.dialect}: the suite runs with the overlay adapt drafted ({overlay})")
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda n: run_defect(n, profile=args.profile, targeted=args.targeted,
                                                      dialect=args.dialect, overlay=overlay), names))
    width = max(len(o.name) for o in outcomes)
    print(f"{'defect':{width}}  {'requirement':11}  killed  verdict   also failed")
    for o in outcomes:
        print(f"{o.name:{width}}  {o.requirement:11}  {'yes' if o.killed else 'NO':6}  {o.verdict:8}  "
              f"{', '.join(o.unrelated) or '-'}")
    killed = sum(o.killed for o in outcomes)
    clean = sum(not o.unrelated for o in outcomes)
    covered = {o.requirement for o in outcomes if o.killed}
    print(f"\nkill rate: {killed}/{len(outcomes)} = {killed / len(outcomes):.0%}; "
          f"no unrelated MUST failure: {clean}/{len(outcomes)}; requirements with a killed defect: "
          f"{len(covered)}/{len(requirements.registry())}; wall {time.monotonic() - started:.0f} s")
    if not args.targeted:
        precision, exact, recall = attribution(outcomes)
        print(f"attribution: precision {precision:.1%} (FAILED/warned requirements that the defect breaks, "
              f"collateral included), {exact:.1%} (its own requirement only); recall {recall:.1%}")
        worst = max(outcomes, key=lambda o: len(o.blocked))
        print(f"blocked: {sum(len(o.blocked) for o in outcomes)} requirement verdicts over {len(outcomes)} runs; "
              f"at most {len(worst.blocked)} in one run ({worst.name}: {', '.join(sorted(worst.blocked)) or '-'})")
        shoulds = [o.name for o in outcomes if o.should_fails_a_must]
        print(f"SHOULD defects that failed a MUST requirement: {', '.join(shoulds) or 'none'}")
    missing = sorted(set(requirements.registry()) - covered) if not args.defects else []
    if missing:
        print(f"requirements without a killed defect: {', '.join(missing)}")
    return 0 if killed == len(outcomes) and clean == len(outcomes) and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
