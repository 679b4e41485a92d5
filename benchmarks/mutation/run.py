"""Mutation analysis of the reference server: the conformance suite's adequacy, measured.

    python benchmarks/mutation/run.py [--sample N] [--seed S] [--profile smoke|default] [--jobs 2]
                                      [--modules query,repository,...] [--session PATH] [--out DIR]
                                      [--no-escalate] [--time-limit SECONDS] [--triage PATH] [--fresh]
    python benchmarks/mutation/run.py --list [--sample N] [--seed S] [--modules ...]
    python benchmarks/mutation/run.py --score [--out DIR] [--triage PATH]

Needs the ``mutation`` extra (``pip install -e '.[mutation]'``: cosmic-ray). The tool rewrites source
files, so everything happens in throwaway copies of this checkout (its working tree as it is, uncommitted
changes included, in a temporary directory; one copy per job), never in the checkout itself.

1. cosmic-ray enumerates the mutants of the reference server's business logic (``--modules``, by default
   ``mutants.MODULES``) into a session (``--session``, an sqlite file).
2. ``--sample N`` of them are drawn at random with ``--seed`` (``mutants.sample``: a hash of the seed and
   of each mutant's name, which depends on the server's source only: the same sample before and after a
   change of the suite); the others are marked skipped in the session.
3. The clean server is judged first (the baseline): it must be CONFORMANT, or every mutant would look killed.
4. Each sampled mutant is applied by ``cosmic-ray exec`` in a copy, whose test command is the kill script
   (``kill.py``): the mutated server in its own process, the suite against it over HTTP, the outcome
   (killed, survived, cannot judge, timeout, error) and the requirements that FAILED. ``--jobs`` mutants at
   a time (2 at most: the machine has 2 cores), each in its own copy.
5. With ``--profile smoke`` (the default) the survivors are judged again with ``--profile default``
   (``--no-escalate``: not): smoke first, default where smoke misses.
6. It prints the mutation score, detected / (detected + survived), with Wilson's 95 % interval, overall, per
   module and per requirement family, and writes ``results.jsonl`` (one line per mutant) and
   ``summary.json`` to ``--out`` and the survivors, with their diffs, to the triage file (``--triage``,
   ``benchmarks/mutation-survivors.md``), keeping the verdicts already written there.

An interrupted run resumes where it stopped when run again with the same options on the same tree (the
session is kept); any change to the tree, the options or the tool starts afresh (``--fresh`` forces it).
``--score`` prints the score of the last run again with the triage file's verdicts: the score on
non-equivalent mutants (survivors triaged ``equivalent`` left out) and the escapes per family.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import queue
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import mutants as M  # noqa: E402
import triage as T  # noqa: E402
from suite_runner import suite_env  # noqa: E402

KILL_SCRIPT = "benchmarks/mutation/kill.py"  # relative to a copy: its own kill script
MARKER = "MUTATION-RESULT "
DEFAULT_SEED = 20261124
DEFAULT_OUT = ROOT / "reports" / "mutation"
DEFAULT_TRIAGE = ROOT / "benchmarks" / "mutation-survivors.md"
#: The kill script's bound per mutant (server start-up and suite), per profile; the tool's own timeout is
#: this plus TOOL_GRACE (the kill script stops in time; the tool's timeout is the backstop).
TIME_LIMITS = {"smoke": 240.0, "default": 420.0}
TOOL_GRACE = 90.0
MAX_JOBS = 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out).resolve()
    triage_path = Path(args.triage).resolve()
    if args.score:
        return print_scores(out, triage_path)
    try:
        from cosmic_ray.work_db import WorkDB  # noqa: F401
    except ImportError:
        print("cosmic-ray is not installed: pip install -e '.[mutation]'", file=sys.stderr)
        return 4
    out.mkdir(parents=True, exist_ok=True)
    session = Path(args.session).resolve() if args.session else out / "session.sqlite"
    workspace = Path(tempfile.mkdtemp(prefix="iris-mutation-"))
    try:
        return Analysis(args, out, session, triage_path, workspace).run()
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sample", type=int, default=None, metavar="N", help="mutants to judge (default: all)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"the sample's seed (default {DEFAULT_SEED})")
    parser.add_argument("--profile", choices=("smoke", "default"), default="smoke",
                        help="the suite's profile of the first pass (default smoke)")
    parser.add_argument("--no-escalate", action="store_true",
                        help="do not judge the survivors of a smoke pass again with the default profile")
    parser.add_argument("--jobs", type=int, default=MAX_JOBS, help=f"mutants at a time (at most {MAX_JOBS})")
    parser.add_argument("--modules", default=",".join(M.MODULES),
                        help=f"modules of conformance/reference to mutate (default {','.join(M.MODULES)})")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="bound of one mutant's judgement (default: smoke 240, default 420)")
    parser.add_argument("--session", default=None, help="the tool's session file (default OUT/session.sqlite)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="results and summary (default reports/mutation)")
    parser.add_argument("--triage", default=str(DEFAULT_TRIAGE), help="the triage file (default %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="start afresh even if the session could be resumed")
    parser.add_argument("--no-baseline", action="store_true", help="do not judge the clean server first")
    parser.add_argument("--list", action="store_true", help="print the sample and stop")
    parser.add_argument("--score", action="store_true",
                        help="print the last run's score again with the triage file's verdicts and stop")
    args = parser.parse_args(argv)
    args.modules = [m.strip().removesuffix(".py") for m in args.modules.split(",") if m.strip()]
    for module in args.modules:
        if not (ROOT / M.REFERENCE / f"{module}.py").is_file():
            parser.error(f"--modules: no module {M.REFERENCE}/{module}.py")
    if not 1 <= args.jobs <= MAX_JOBS:
        parser.error(f"--jobs: between 1 and {MAX_JOBS}")
    return args


@dataclass
class Job:
    """A sampled mutant: the tool's work item and our name for it."""

    item: object  # cosmic_ray.work_item.WorkItem
    mutant: M.Mutant


class Analysis:
    def __init__(self, args: argparse.Namespace, out: Path, session: Path, triage_path: Path, workspace: Path):
        self.args, self.out, self.session, self.triage_path, self.workspace = args, out, session, triage_path, workspace
        self.profiles = [args.profile] + (["default"] if args.profile == "smoke" and not args.no_escalate else [])
        self.copies: list[Path] = []
        self.started = time.monotonic()

    # -- the copies and the session ------------------------------------------------------------------------

    def run(self) -> int:
        from cosmic_ray.work_db import WorkDB

        # the triage file is the run's output, not its input: a run that wrote it can still be resumed
        files = [name for name in tracked_files(ROOT) if ROOT / name != self.triage_path]
        self.copies = [make_copy(ROOT, files, self.workspace / f"copy-{i}") for i in range(self.args.jobs)]
        plan = self.plan(files)
        resumed = self.open_session(plan)
        db = WorkDB(str(self.session), WorkDB.Mode.open)
        try:
            jobs, population, in_annotations = self.draw(db)
            print(f"mutants: {sum(population.values())} in {', '.join(f'{m} {n}' for m, n in population.items())} "
                  f"({in_annotations} more in annotations left out); "
                  f"sample {len(jobs)} (seed {self.args.seed}); profiles {' then '.join(self.profiles)}; "
                  f"jobs {self.args.jobs}; session {self.session}" + (" (resumed)" if resumed else ""))
            if self.args.list:
                for job in jobs:
                    print(f"  {job.mutant.path}:{job.mutant.line}  {job.mutant.key}")
                return 0
            if not self.args.no_baseline and not self.baseline():
                return 3
            results = {job.mutant.key: {} for job in jobs}
            survivors = self.judge_pass(db, jobs, self.profiles[0], results)
            for profile in self.profiles[1:]:
                if survivors:
                    extra = WorkDB(str(self.session.with_name(f"{self.session.stem}-{profile}.sqlite")),
                                   WorkDB.Mode.create)
                    try:
                        survivors = self.judge_pass(extra, survivors, profile, results)
                    finally:
                        extra.close()
        finally:
            db.close()
        records = [record(job, results[job.mutant.key]) for job in jobs]
        self.write(records, plan, population, in_annotations)
        return 0

    def plan(self, files: list[str]) -> dict:
        """What a session's results depend on: resumed only if all of it is the same."""
        from importlib.metadata import version

        tree = hashlib.sha256()
        for name in files:
            tree.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
        return {"tree_sha256": tree.hexdigest(), "tool": f"cosmic-ray {version('cosmic-ray')}",
                "modules": self.args.modules, "seed": self.args.seed, "sample": self.args.sample,
                "profiles": self.profiles, "time_limits": {p: self.time_limit(p) for p in self.profiles},
                "python": sys.version.split()[0]}

    def open_session(self, plan: dict) -> bool:
        plan_path = self.session.with_suffix(".plan.json")
        if (not self.args.fresh and self.session.exists() and plan_path.exists()
                and json.loads(plan_path.read_text()) == plan):
            return True
        for stale in self.session.parent.glob(f"{self.session.stem}*.sqlite"):
            stale.unlink()
        self.session.parent.mkdir(parents=True, exist_ok=True)
        config = self.config(self.args.profile)
        modules = [f"{M.REFERENCE}/{m}.py" for m in self.args.modules]
        config.write_text(config.read_text().replace("module-path = []", f"module-path = {json.dumps(modules)}"))
        init = subprocess.run([*cosmic_ray(), "init", str(config), str(self.session)], cwd=self.copies[0],
                              capture_output=True, text=True)
        if init.returncode != 0:
            raise SystemExit(f"cosmic-ray init failed:\n{init.stdout}{init.stderr}")
        plan_path.write_text(json.dumps(plan, indent=1, sort_keys=True))
        return False

    def config(self, profile: str) -> Path:
        """The tool's configuration: the kill script of the copy it runs in (its working directory)."""
        command = [sys.executable, KILL_SCRIPT, "--profile", profile, "--time-limit", str(self.time_limit(profile))]
        path = self.workspace / f"cosmic-ray-{profile}.toml"
        path.write_text("[cosmic-ray]\n"
                        "module-path = []\n"
                        f"timeout = {self.time_limit(profile) + TOOL_GRACE}\n"
                        "excluded-modules = []\n"
                        f"test-command = {json.dumps(shlex.join(command))}\n\n"
                        "[cosmic-ray.distributor]\n"
                        'name = "local"\n')
        return path

    def time_limit(self, profile: str) -> float:
        return self.args.time_limit or TIME_LIMITS[profile]

    def draw(self, db) -> tuple[list[Job], dict[str, int], int]:
        """The sample, in its random order, drawn from the mutants outside annotations; every other mutant of
        the session is marked skipped. Also the population per module and the number in annotations."""
        from cosmic_ray.work_item import WorkResult, WorkerOutcome

        spans = {m: M.annotation_spans((self.copies[0] / M.REFERENCE / f"{m}.py").read_text(encoding="utf-8"))
                 for m in self.args.modules}
        jobs, in_annotations = [], []
        for item in db.work_items:
            job = Job(item, mutant_of(item))
            annotated = M.in_spans(item.mutations[0].start_pos, spans[job.mutant.module])
            (in_annotations if annotated else jobs).append(job)
        population = Counter(job.mutant.module for job in jobs)
        chosen = {m.key: i for i, m in enumerate(M.sample((job.mutant for job in jobs), self.args.sample, self.args.seed))}
        done = {job_id for job_id, _ in db.results}
        for reason, skipped in ((f"not in the sample (seed {self.args.seed})",
                                 [job for job in jobs if job.mutant.key not in chosen]),
                                ("in an annotation, never evaluated: equivalent", in_annotations)):
            todo = [job.item.job_id for job in skipped if job.item.job_id not in done]
            if todo:
                db.set_multiple_results(todo, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
        sampled = sorted((job for job in jobs if job.mutant.key in chosen), key=lambda job: chosen[job.mutant.key])
        return sampled, {m: population[m] for m in self.args.modules}, len(in_annotations)

    # -- judging -------------------------------------------------------------------------------------------

    def baseline(self) -> bool:
        profile = self.profiles[0]
        print(f"baseline: the clean server, profile {profile} ...", flush=True)
        proc = subprocess.run([sys.executable, KILL_SCRIPT, "--profile", profile,
                               "--time-limit", str(self.time_limit(profile))],
                              cwd=self.copies[0], capture_output=True, text=True, env=tool_env())
        found = parse_output(proc.stdout)
        print(f"baseline: {found.get('outcome')} in {found.get('wall')} s"
              + (f" (FAILED {', '.join(found['failed'])})" if found.get("failed") else "")
              + (f": {found['reason']}" if found.get("reason") else ""), flush=True)
        if found.get("outcome") != "survived":
            print("the clean server is not CONFORMANT to the suite: nothing to measure", file=sys.stderr)
            return False
        return True

    def judge_pass(self, db, jobs: list[Job], profile: str, results: dict) -> list[Job]:
        """Judge ``jobs`` with ``profile`` (those already judged in ``db`` are read back); returns the survivors."""
        from cosmic_ray.work_item import WorkItem

        known = {item.job_id: result for item, result in db.completed_work_items}
        present = {item.job_id for item in db.work_items}
        missing = [job.item for job in jobs if job.item.job_id not in present]
        if missing:
            db.add_work_items(WorkItem(item.job_id, item.mutations) for item in missing)
        pending = [job for job in jobs if job.item.job_id not in known]
        for job in jobs:
            if job.item.job_id in known:
                results[job.mutant.key][profile] = judgement(known[job.item.job_id])
        if pending:
            print(f"{profile}: {len(pending)} mutants to judge ({len(jobs) - len(pending)} judged before)", flush=True)
        config = self.config(profile)
        free: queue.Queue[Path] = queue.Queue()
        for copy in self.copies:
            free.put(copy)
        done = len(jobs) - len(pending)
        with ThreadPoolExecutor(max_workers=len(self.copies)) as pool:
            futures = {pool.submit(self.mutate_and_test, job, config, free): job for job in pending}
            for future in as_completed(futures):
                job = futures[future]
                result = future.result()
                db.set_result(job.item.job_id, result)
                found = results[job.mutant.key][profile] = judgement(result)
                done += 1
                print(progress_line(done, len(jobs), job.mutant, found), flush=True)
        return [job for job in jobs if results[job.mutant.key][profile]["outcome"] == "survived"]

    def mutate_and_test(self, job: Job, config: Path, free: queue.Queue):
        """One mutant in a free copy: a session of its own, ``cosmic-ray exec`` in the copy."""
        from cosmic_ray.work_db import WorkDB
        from cosmic_ray.work_item import TestOutcome, WorkResult, WorkerOutcome

        copy = free.get()
        try:
            path = self.workspace / f"{job.item.job_id}.sqlite"
            single = WorkDB(str(path), WorkDB.Mode.create)
            single.add_work_item(job.item)
            single.close()
            proc = subprocess.run([*cosmic_ray(), "exec", str(config), str(path)], cwd=copy, capture_output=True,
                                  text=True, env=tool_env())
            single = WorkDB(str(path), WorkDB.Mode.open)
            try:
                completed = single.completed_work_items
            finally:
                single.close()
            path.unlink()
            if proc.returncode != 0 or not completed:
                return WorkResult(output=f"cosmic-ray exec exited {proc.returncode}: {(proc.stdout + proc.stderr)[-800:]}",
                                  test_outcome=TestOutcome.INCOMPETENT, worker_outcome=WorkerOutcome.EXCEPTION)
            return completed[0][1]
        finally:
            free.put(copy)

    # -- the results ---------------------------------------------------------------------------------------

    def write(self, records: list[dict], plan: dict, population: dict[str, int], in_annotations: int) -> None:
        results_path = self.out / "results.jsonl"
        results_path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
        survivors = [r for r in records if r["outcome"] == "survived"]
        existing = self.triage_path.read_text(encoding="utf-8") if self.triage_path.exists() else ""
        text, changes = T.merge(existing, survivors, {r["key"] for r in records})
        self.triage_path.write_text(text, encoding="utf-8")
        triaged = T.read(text)
        summary = summarize(records, triaged, plan, {"total": sum(population.values()), "by_module": population,
                                                     "in_annotations_left_out": in_annotations})
        summary.update(commit=git_commit(ROOT), wall_seconds=round(time.monotonic() - self.started, 1))
        (self.out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
        print_report(records, triaged, summary)
        print(f"\ntriage file {self.triage_path}: " + ", ".join(f"{len(v)} {k}" for k, v in changes.items()))
        print(f"results {results_path}\nsummary {self.out / 'summary.json'}")


def cosmic_ray() -> list[str]:
    return [sys.executable, "-m", "cosmic_ray.cli"]


def tool_env() -> dict[str, str]:
    """The tool's environment: a suite run's without keys (the kill script adds the mutated server's), and
    no bytecode written (a mutant must never be read from a cache of the clean source)."""
    return suite_env(None, {"PYTHONDONTWRITEBYTECODE": "1"})


def tracked_files(root: Path) -> list[str]:
    """The checkout's files as they are (uncommitted changes and new files included, ignored ones not)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, check=True,
                            capture_output=True).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (root / name).is_file())


def make_copy(root: Path, files: list[str], target: Path) -> Path:
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, destination)
    return target


def git_commit(root: Path) -> dict:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout.strip()
    return {"head": head, "dirty": bool(dirty)}


def mutant_of(item) -> M.Mutant:
    spec = item.mutations[0]
    return M.Mutant.from_spec(str(spec.module_path), spec.operator_name, spec.occurrence, spec.operator_args,
                              spec.start_pos[0], spec.definition_name)


def parse_output(output: str | None) -> dict:
    """The kill script's result line in a command's output ({} without one)."""
    for line in reversed((output or "").splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    return {}


def judgement(result) -> dict:
    """A tool's WorkResult as the kill script's outcome (the diff kept apart)."""
    found = parse_output(result.output)
    if found:
        return {**found, "diff": result.diff}
    if (result.output or "").strip() == "timeout":  # the tool's timeout: the kill script did not stop in time
        return {"outcome": "timeout", "reason": "the tool's timeout", "diff": result.diff}
    return {"outcome": "error", "reason": f"{result.worker_outcome.value}: {(result.output or '')[-800:]}",
            "diff": result.diff}


def record(job: Job, passes: dict[str, dict]) -> dict:
    """A mutant's line of results.jsonl: its last pass decides (a later pass only judges survivors)."""
    final_profile = list(passes)[-1] if passes else None
    final = passes.get(final_profile, {"outcome": "error", "reason": "not judged"})
    mutant = job.mutant
    return {"key": mutant.key, "module": mutant.module, "path": mutant.path, "line": mutant.line,
            "definition": mutant.definition, "operator": mutant.operator, "occurrence": mutant.occurrence,
            "outcome": final["outcome"], "profile": final_profile, "failed": final.get("failed") or [],
            "warned": final.get("warned") or [], "reason": final.get("reason"),
            "diff": T.mutation_diff(next((p["diff"] for p in passes.values() if p.get("diff")), "") or ""),
            "profiles": list(passes),
            "passes": {p: {k: v for k, v in found.items() if k != "diff"} for p, found in passes.items()}}


def progress_line(done: int, total: int, mutant: M.Mutant, found: dict) -> str:
    detail = (f"FAILED {', '.join(found['failed'])}" if found.get("failed")
              else (found.get("reason") or "")[:100].replace("\n", " "))
    wall = f"{found['wall']:6.1f}s" if isinstance(found.get("wall"), (int, float)) else "     - "
    return (f"[{done:>{len(str(total))}}/{total}] {found['outcome']:12} {wall}  "
            f"{mutant.module}.py:{mutant.line}  {mutant.operator}  {detail}")


def summarize(records: list[dict], triaged: dict, plan: dict, population: dict) -> dict:
    outcomes = Counter(r["outcome"] for r in records)
    non_equivalent, equivalent, untriaged = M.score_without_equivalents(records, triaged)
    return {
        **{k: plan[k] for k in ("tool", "modules", "seed", "sample", "profiles", "time_limits", "tree_sha256")},
        "population": population,
        "judged": len(records),
        "outcomes": {o: outcomes[o] for o in M.OUTCOMES},
        "score": M.score(r["outcome"] for r in records).to_json(),
        "score_non_equivalent": {**non_equivalent.to_json(), "equivalent": equivalent, "untriaged": untriaged},
        "by_module": {m: s.to_json() for m, s in M.by_module(records).items()},
        "by_family": {f: s.to_json() for f, s in M.by_family(records, triaged).items()},
        "survivors": [{k: r[k] for k in ("key", "path", "line", "operator", "profiles", "diff")}
                      for r in records if r["outcome"] == "survived"],
        "errors": [{k: r[k] for k in ("key", "path", "line", "reason")} for r in records if r["outcome"] == "error"],
        "wall_by_profile": {p: round(sum(r["passes"][p].get("wall") or 0 for r in records if p in r["passes"]), 1)
                            for p in plan["profiles"]},
    }


def print_report(records: list[dict], triaged: dict, summary: dict) -> None:
    outcomes = summary["outcomes"]
    print(f"\nmutation score ({summary['tool']}, seed {summary['seed']}, {summary['judged']} of "
          f"{summary['population']['total']} mutants, {' then '.join(summary['profiles'])}):")
    print("  " + ", ".join(f"{n} {o}" for o, n in outcomes.items())
          + "  (cannot judge and timeout count as detected; errors are left out)")
    print(f"  score                      {M.score(r['outcome'] for r in records).text()}")
    non_equivalent, equivalent, untriaged = M.score_without_equivalents(records, triaged)
    if equivalent or untriaged < outcomes["survived"]:
        print(f"  on non-equivalent mutants  {non_equivalent.text()}  ({equivalent} equivalent, "
              f"{untriaged} survivors not triaged)")
    print("\nper module:")
    for module, found in M.by_module(records).items():
        print(f"  {module:12} {found.text()}")
    print("\nper requirement family (a detected mutant counts for each family it FAILED; a survivor for its triage's):")
    for name, found in M.by_family(records, triaged).items():
        print(f"  {name:24} {found.text()}")
    survivors = [r for r in records if r["outcome"] == "survived"]
    if survivors:
        print(f"\nsurvivors ({len(survivors)}):")
        for r in survivors:
            verdict = (triaged.get(r["key"]) or {}).get("verdict") or "not triaged"
            print(f"  {r['path']}:{r['line']}  {r['key']}  [{verdict}]")
            for line in r["diff"].splitlines()[2:]:
                print(f"      {line}")
    for r in records:
        if r["outcome"] == "error":
            print(f"\nerror  {r['path']}:{r['line']}  {r['key']}: {r['reason']}")


def print_scores(out: Path, triage_path: Path) -> int:
    """``--score``: the last run's results with the triage file's verdicts as they are now."""
    results_path = out / "results.jsonl"
    if not results_path.exists():
        print(f"no results in {out}: run the analysis first", file=sys.stderr)
        return 4
    records = [json.loads(line) for line in results_path.read_text().splitlines() if line.strip()]
    summary = json.loads((out / "summary.json").read_text())
    triaged = T.read(triage_path.read_text(encoding="utf-8")) if triage_path.exists() else {}
    summary.update(summarize(records, triaged, summary, summary["population"]))
    print_report(records, triaged, summary)
    for problem in T.problems({r["key"]: triaged[r["key"]] for r in records if r["key"] in triaged}):
        print(f"triage: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
