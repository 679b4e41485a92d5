"""Benchmarks of the conformance suite and of the embedded reference server; prints figures, asserts nothing.

    python benchmarks/run.py [--runs 3] [--scale-runs 1] [--sizes 1000,10000,100000] [--only SECTION ...]
                             [--quick] [--json PATH] [--sample all|NAME,...] [--remote-profiles smoke,default]
                             [--latency-ms 100]

Sections (all by default):

  profiles    the suite's ``smoke`` and ``default`` profiles and plain ``st run specs/openapi.yaml --checks all``
              against the same reference server (its default data set), side by side: medians over --runs of
              wall time, requests sent, requests per second and the peak memory of the test process. Requests
              are counted by the server (``--stats-file``), so the suite and schemathesis are counted alike. For
              each profile, the suite's plan of the run (``iris-conformance plan``) beside what it sent.
  throughput  the reference server's throughput on a list endpoint under load from separate processes,
              beside a bare Starlette hello-world on the same machine (the ceiling).
  scale       wall time and requests of ``smoke`` and ``default`` at --sizes records per tenant
              (``--size N``), and their growth from the smallest to the largest size.
  queries     the reference server's own latency at each size: list, deep page, search, filter, sort and
              geo queries (median of repeated requests, inputs taken from the server's first pages).
  remote      the remote rig: the reference server with --latency-ms 100 (every answer 100 ms late, concurrent
              answers in parallel) and --rate-limit 20 --rate-window 1 (20 requests per second per key). Side by
              side, one run each: wall time, requests (counted by the server), requests per second and the kill
              count over a fixed sample of the defect catalogue (KILL_SAMPLE; --sample all: the whole catalogue)
              of ``smoke``, ``default`` and plain ``st run --checks all``; the same profiles' kill count on
              loopback (the kill table's server limits); kills per minute (kills / minutes of the clean run);
              the ``default`` profile against a spec-driven random-data mock (Prism's dynamic mode when env PRISM
              names its binary, else tests/mock_server.py) under the same latency, beside the clean run. It also
              runs ``profiles`` once (the loopback targets) unless ``profiles`` runs anyway.

Every suite run uses the same --seed. The targets of the performance issue are checked at the end
(MET or MISSED). Runs are sequential; other load on the machine skews the figures (``uptime`` first).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.runtime.embedded import SUITE_ARGS  # noqa: E402  (the embedded server's own arguments)
from conformance.contract import requirements # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
import kill_table  # noqa: E402  (the loopback kill count is the kill table's own run)
from lab.defects import DEFECTS  # noqa: E402
from lab.embedded import lab_server  # noqa: E402
from suite_runner import read_run, suite_command, suite_env  # noqa: E402

SEED = 20261124
PROFILES = ("smoke", "default")
TARGETS = {"smoke_wall": 10.0, "default_wall": 60.0, "growth": 1.3, "smoke_besides_burst": 2000,
           "default_besides_burst": 4000, "smoke_primary": 1500, "failing_ratio": 1.5, "plan_error": 0.10}
NO_RATE_LIMIT = ("--rate-limit", "1000000000", "--rate-window", "1")
#: The remote rig: every answer this late (ms), and this rate limit per key.
REMOTE_LATENCY_MS = 100
REMOTE_RATE_LIMIT = ("--rate-limit", "20", "--rate-window", "1")
#: The defects the remote section's kill counts are taken over: MUST defects of 8 families, fixed so that
#: figures compare from run to run (--sample all: the whole catalogue).
KILL_SAMPLE = ("auth-04-revoked-key-accepted", "page-04-offset-off-by-one", "sort-02-tiebreak-always-asc",
               "flt-ses-02-status-filter-ignored", "geo-03-bbox-only", "ten-01-cross-tenant-detail",
               "rate-01-not-enforced", "tariff-drops-currency")
#: Kill runs of one tool at a time, at most this many at once: they mostly sleep on the latency and the
#: rate limit (each defective server has its own), so the whole sample runs as one batch.
KILL_JOBS = 8
REMOTE_TARGETS = {"smoke_wall": 120.0, "default_wall": 240.0, "kills_per_minute_vs_st": 5.0,
                  "kills_per_minute_vs_st_aim": 10.0, "mock_vs_clean": 1.5}
REPORTS = ("report.html", "junit.xml", "conformance.json")
ST_RULE = ("st run kills a defect when it reports a failure (operation, check code) against the defective server "
           "that it does not report against the clean one under the same rig and seed")
SUITE_RULE = ("the suite kills a defect when the verdict of the defect's requirement is FAILED (warning for a "
              "SHOULD one), as in tests/kill_table.py")


# ----------------------------------------------------------------------------------- processes


@dataclass
class Server:
    """A server process that printed a line when it was ready (its ``base_url`` and ``keys``): the lab's
    reference server (started as the tests start it: the kill runs switch its defects on) or a mock."""

    info: dict
    startup: float  # seconds until it was ready
    pid: int
    terminate: Callable[[], None]
    stats_path: Path | None = None  # --stats-file of the reference server
    stopped: bool = False

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    @classmethod
    def reference(cls, *args: str, stats: bool = False) -> "Server":
        """The reference server with ``args`` (``--defect NAME`` too: the lab's), counting the requests it
        serves when ``stats``."""
        stats_path = Path(tempfile.mkstemp(prefix="iris-bench-stats-", suffix=".json")[1]) if stats else None
        server = lab_server(*args, *(("--stats-file", str(stats_path)) if stats_path else ()))
        started = time.monotonic()
        info = server.start()
        return cls(info, time.monotonic() - started, server.pid, server.stop, stats_path)

    @classmethod
    def program(cls, cmd: list[str], ready: Callable[[str], dict | None] = json.loads) -> "Server":
        """Another server program; ``ready`` reads a line of its output: its info (``base_url``, ``keys``)
        once it is ready, None to read on."""
        started = time.monotonic()
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        info = None
        while info is None:
            line = process.stdout.readline()
            if not line:
                raise SystemExit(f"did not start: {' '.join(cmd)}")
            info = ready(line)
        # whatever it writes later (Prism logs every request) must not fill the pipe and stall it
        threading.Thread(target=process.stdout.read, daemon=True).start()

        def terminate() -> None:
            process.terminate()
            process.wait(timeout=60)

        return cls(info, time.monotonic() - started, process.pid, terminate)

    @classmethod
    def mock(cls, latency_ms: float) -> "Server":
        """A spec-driven random-data mock: Prism's dynamic mode when env PRISM names its binary (it has no
        latency option: its answers are not delayed), else the stand-in tests/mock_server.py."""
        prism = os.environ.get("PRISM")
        if not prism:
            return cls.program([sys.executable, str(ROOT / "tests" / "mock_server.py"), "--port", "0", "--seed",
                                str(SEED), "--latency-ms", str(latency_ms)])
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        keys = {name: f"iris_prism{os.urandom(8).hex()}" for name in ("primary", "other_tenant", "revoked", "expired")}

        def ready(line: str) -> dict | None:
            found = re.search(r"listening on (http://\S+)", line)
            return {"base_url": found.group(1).rstrip("/"), "keys": keys, "mock": "prism"} if found else None

        return cls.program([prism, "mock", "-d", "-h", "127.0.0.1", "-p", str(port), "--seed", str(SEED),
                            str(ROOT / "specs" / "openapi.yaml")], ready=ready)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> dict:
        """Stop the server (once); its --stats-file figures (empty without one)."""
        if self.stopped:
            return {}
        self.stopped = True
        self.terminate()
        if not self.stats_path:
            return {}
        stats = json.loads(self.stats_path.read_text() or "{}")
        self.stats_path.unlink()
        return stats


def measured(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[int, float, float, str]:
    """Run ``cmd``: exit status, wall seconds, peak RSS in MB (of the process itself), output tail."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        tail = out.read().decode(errors="replace")[-1500:]
    return process.returncode, wall, usage.ru_maxrss / 1024, tail


@dataclass
class Run:
    tool: str
    wall: float
    requests: int
    peak_mb: float
    exit_status: int
    rps: float = 0.0
    suite_counted: int | None = None  # the suite's own count (its JSON report), beside the server's
    verdicts: dict[str, str] | None = None  # the suite's verdict per requirement (conformance.json)
    reports: list[str] | None = None  # the suite's reports that were written (of REPORTS)
    failures: list[str] | None = None  # st run's failures, "OPERATION CHECK-CODE" (its JUnit report)
    planned: int | None = None  # the suite's plan of the run (conformance.json meta.plan), in all
    planned_primary: int | None = None  # ... and with the primary key
    sent_primary: int | None = None  # what the suite counted with the primary key
    by_key: dict[str, int] | None = None  # what the suite counted per key role (conformance.json)
    by_requirement: dict[str, int] | None = None  # what each requirement's tests sent (conformance.json)

    def __post_init__(self) -> None:
        self.rps = self.requests / self.wall if self.wall else 0.0


def suite_run(server: Server, profile: str, *, counted_by_server: bool, expected_status: tuple[int, ...] = (0,)) -> Run:
    """One suite run; its exit status is reported on stderr unless it is one of ``expected_status``."""
    with tempfile.TemporaryDirectory(prefix="iris-bench-") as tmp:
        reports = Path(tmp) / "reports"
        cmd = suite_command("--profile", profile, "--seed", str(SEED), report_dir=reports, base_url=server.base_url)
        status, wall, peak, tail = measured(cmd, suite_env(server.info["keys"]), ROOT)
        doc = read_run(status, tail, reports).conformance
        written = [name for name in REPORTS if (reports / name).is_file() and (reports / name).stat().st_size]
    if status not in expected_status:
        print(f"  ! suite --profile {profile} exited {status}:\n{tail}", file=sys.stderr)
    counted = int(doc.get("meta", {}).get("requests") or 0)
    plan = doc.get("meta", {}).get("plan") or {}
    return Run(f"suite {profile}", wall, counted, peak, status, suite_counted=counted if counted_by_server else None,
               verdicts={r["id"]: r["verdict"] for r in doc.get("requirements", [])}, reports=written,
               planned=plan.get("total", {}).get("planned"),
               planned_primary=plan.get("by_key", {}).get("primary", {}).get("planned"),
               sent_primary=(doc.get("meta", {}).get("requests_by_key") or {}).get("primary"),
               by_key=dict(doc.get("meta", {}).get("requests_by_key") or {}),
               by_requirement={r["id"]: round(r.get("requests") or 0) for r in doc.get("requirements", [])})


def st_run(server: Server) -> Run:
    url = server.base_url
    with tempfile.TemporaryDirectory(prefix="iris-bench-st-") as tmp:
        cmd = [str(Path(sys.executable).parent / "st"), "run", "specs/openapi.yaml", "--checks", "all", "--url", url,
               "-H", f"x-api-key: {server.info['keys']['primary']}", "--seed", str(SEED),
               "--report", "junit", "--report-dir", tmp, "--no-color"]
        status, wall, peak, _ = measured(cmd, suite_env(None), ROOT)
        failures = sorted({f"{case.get('name')} {code}" for junit in Path(tmp).glob("*.xml")
                           for case in ET.parse(junit).getroot().iter("testcase")
                           for failure in case.iter("failure")
                           for code in re.findall(r"^- (ST\d+) ", failure.text or "", re.M) or [failure.get("message")]})
    return Run("st run --checks all", wall, 0, peak, status, failures=failures)


def served_run(tool: str, *server_args: str, expected_status: tuple[int, ...] = (0,)) -> Run:
    """One run of ``tool`` (a profile, or "st") against a fresh reference server started with
    ``server_args``, its requests counted by the server."""
    server = Server.reference(*server_args, stats=True)
    try:
        run = st_run(server) if tool == "st" else suite_run(server, tool, counted_by_server=True,
                                                              expected_status=expected_status)
    finally:
        stats = server.stop()
    run.requests = int(stats.get("requests", 0))
    run.rps = run.requests / run.wall if run.wall else 0.0
    return run


def median_run(runs: list[Run]) -> Run:
    pick = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    out = Run(pick.tool, statistics.median(r.wall for r in runs), int(statistics.median(r.requests for r in runs)),
              statistics.median(r.peak_mb for r in runs), max(r.exit_status for r in runs))
    counted = [r.suite_counted for r in runs if r.suite_counted is not None]
    out.suite_counted = int(statistics.median(counted)) if counted else None
    out.planned, out.planned_primary = pick.planned, pick.planned_primary  # the same plan for every run
    primary = [r.sent_primary for r in runs if r.sent_primary is not None]
    out.sent_primary = int(statistics.median(primary)) if primary else None
    out.by_key, out.by_requirement = pick.by_key, pick.by_requirement  # the median-wall run's breakdown
    return out


#: The requirement whose test sends the rate-limit probe's burst: "besides the burst" leaves it out.
BURST_REQUIREMENT = "RATE-01"
#: The failing run of the loopback failing-run ratio: one pagination defect.
FAILING_DEFECT = "page-04-offset-off-by-one"


def print_request_breakdown(table: dict[str, Run]) -> None:
    """Per profile: requests in all and besides the burst, per key role, the ten most expensive requirements."""
    for name in PROFILES:
        r = table.get(name)
        if r is None or not r.by_requirement:
            continue
        burst = r.by_requirement.get(BURST_REQUIREMENT, 0)
        keys = ", ".join(f"{k} {n:,}" for k, n in sorted((r.by_key or {}).items(), key=lambda kv: -kv[1]))
        print(f"  {name}: {r.suite_counted or r.requests:,} requests, {(r.suite_counted or r.requests) - burst:,} besides "
              f"the burst ({BURST_REQUIREMENT}: {burst:,}); per key: {keys}")
        costly = sorted(((rid, n) for rid, n in r.by_requirement.items() if n and rid != BURST_REQUIREMENT),
                        key=lambda kv: -kv[1])[:10]
        print(f"  {name}: the ten most expensive requirements besides the burst: "
              + ", ".join(f"{rid} {n}" for rid, n in costly))


# ------------------------------------------------------------------------------------ sections


def section_profiles(runs: int) -> dict:
    """smoke, default and st run against fresh default-data servers (one per run, counting requests)."""
    print(f"profiles: {runs} run(s) each, medians; server: the embedded one ({' '.join(SUITE_ARGS)})")
    results: dict[str, list[Run]] = {}
    for _ in range(runs):
        for name in (*PROFILES, "st"):
            results.setdefault(name, []).append(served_run(name, *SUITE_ARGS))
    table = {name: median_run(rs) for name, rs in results.items()}
    st_wall = table["st"].wall
    print(f"  {'':22} {'wall s':>7} {'requests':>9} {'req/s':>7} {'peak MB':>8} {'exit':>5} {'vs st wall':>11}")
    for name, r in table.items():
        print(f"  {r.tool:22} {r.wall:7.1f} {r.requests:9d} {r.rps:7.0f} {r.peak_mb:8.0f} {r.exit_status:5d} "
              f"{r.wall / st_wall:10.2f}x")
    for name in PROFILES:
        r = table[name]
        gap = r.requests - (r.suite_counted or 0)
        print(f"  {name}: the suite counted {r.suite_counted} requests, the server served {r.requests}"
              + (" (every request went through the suite's budget)" if gap == 0 else
                 f" ({gap} sent outside the suite's session: not budgeted)"))
    print_request_breakdown(table)
    failing = [served_run(profile, *SUITE_ARGS, "--defect", FAILING_DEFECT, expected_status=(1,))
               for profile in ("default",) for _ in range(runs)]
    bad, clean = median_run(failing), table["default"]
    print(f"  failing run (default, loopback, {FAILING_DEFECT}): {bad.wall:.1f} s and {bad.requests:,} requests against "
          f"{clean.wall:.1f} s and {clean.requests:,} clean: {bad.wall / clean.wall:.2f}x the wall, "
          f"{bad.requests / clean.requests:.2f}x the requests (aim <= 1.5x)")
    table["failing default"] = bad
    breakdown = {name: {"requests": table[name].suite_counted or table[name].requests,
                        "besides_burst": (table[name].suite_counted or table[name].requests)
                        - (table[name].by_requirement or {}).get(BURST_REQUIREMENT, 0),
                        "by_key": table[name].by_key or {}, "by_requirement": table[name].by_requirement or {},
                        "planned": table[name].planned}
                 for name in PROFILES}
    breakdown["failing_ratio"] = bad.wall / clean.wall
    for name in PROFILES:
        r = table[name]
        if r.planned and r.suite_counted:
            print(f"  {name}: planned {r.planned:,} requests before the run, sent {r.suite_counted:,} "
                  f"({(r.suite_counted - r.planned) / r.planned:+.1%}); primary key planned {r.planned_primary:,}, "
                  f"sent {r.sent_primary:,} ({(r.sent_primary - r.planned_primary) / r.planned_primary:+.1%})")
    return {"runs": {n: [asdict(r) for r in rs] for n, rs in results.items()},
            "median": {n: asdict(r) for n, r in table.items()}, "breakdown": breakdown}


def _load_worker(url: str, headers: dict[str, str], seconds: float, connections: int, queue) -> None:  # noqa: ANN001
    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    counts, latencies, lock = [0, 0], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
        ok = bad = 0
        mine = []
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status == 200:
                ok += 1
            else:
                bad += 1
        with lock:
            counts[0] += ok
            counts[1] += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((counts[0], counts[1], latencies))


def load(url: str, headers: dict[str, str], seconds: float, processes: int = 2, connections: int = 4) -> dict:
    """GET ``url`` from ``processes`` separate processes with ``connections`` keep-alive connections
    each, for ``seconds``: requests per second (all 200) and latency percentiles."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_load_worker, args=(url, headers, seconds, connections, queue))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    ok, bad = sum(r[0] for r in results), sum(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[2])
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0  # noqa: E731
    return {"rps": ok / seconds, "non_200": bad, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "clients": f"{processes} processes x {connections} connections"}


def section_throughput(seconds: float) -> dict:
    print(f"throughput: {seconds:g} s of load per endpoint from 2 processes x 4 keep-alive connections")
    out = {}
    with Server.reference(*NO_RATE_LIMIT) as reference:
        headers = {"x-api-key": reference.info["keys"]["primary"]}
        for label, path in (("reference /stations?pagesize=20", "/stations?pagesize=20"),
                            ("reference /sessions?pagesize=100", "/sessions?pagesize=100")):
            out[label] = load(reference.base_url + path, headers, seconds)
    with Server.program([sys.executable, str(ROOT / "benchmarks" / "hello.py")]) as hello:
        out["starlette hello-world (ceiling)"] = load(hello.base_url + "/hello", {}, seconds)
    ceiling = out["starlette hello-world (ceiling)"]["rps"]
    for label, r in out.items():
        print(f"  {label:36} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:5.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
              f"{r['rps'] / ceiling:5.0%} of the ceiling" + (f"  ({r['non_200']} not 200!)" if r["non_200"] else ""))
    return out


def section_scale(sizes: list[int], runs: int) -> dict:
    print(f"scale: --size {', '.join(map(str, sizes))}; {runs} run(s) per profile and size, medians")
    out: dict[str, dict] = {}
    for size in sizes:
        with Server.reference(*SUITE_ARGS, "--size", str(size)) as server:
            rows = {p: median_run([suite_run(server, p, counted_by_server=False) for _ in range(runs)])
                    for p in PROFILES}
            out[str(size)] = {"startup_s": server.startup, "server_peak_mb": server.peak_rss_mb(),
                              **{p: asdict(r) for p, r in rows.items()}}
        print(f"  size {size:>7}: server up in {server.startup:5.1f} s, "
              + "; ".join(f"{p} {r.wall:5.1f} s {r.requests:5d} requests (exit {r.exit_status})"
                          for p, r in rows.items()))
    low, high = out[str(sizes[0])], out[str(sizes[-1])]
    growth = {p: {"wall": high[p]["wall"] / low[p]["wall"], "requests": high[p]["requests"] / low[p]["requests"]}
              for p in PROFILES}
    for p, g in growth.items():
        print(f"  growth {sizes[0]} -> {sizes[-1]}, {p}: wall {g['wall']:.2f}x, requests {g['requests']:.2f}x")
    out["growth"] = growth
    return out


def _get(conn: http.client.HTTPConnection, base_path: str, path: str, params: dict, key: str) -> tuple[int, dict]:
    conn.request("GET", base_path + path + ("?" + urlencode(params) if params else ""), headers={"x-api-key": key})
    response = conn.getresponse()
    body = response.read()
    return response.status, json.loads(body) if body else {}


def section_queries(sizes: list[int], repeat: int) -> dict:
    print(f"queries: the reference server's latency per query, median of {repeat} requests, by --size")
    out: dict[str, dict] = {}
    for size in sizes:
        with Server.reference(*NO_RATE_LIMIT, "--size", str(size)) as server:
            url = urlsplit(server.base_url)
            key = server.info["keys"]["primary"]
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
            _, sessions = _get(conn, url.path, "/sessions", {"pagesize": 5}, key)
            _, stations = _get(conn, url.path, "/stations", {"pagesize": 5}, key)
            session, station = sessions["data"][0], stations["data"][0]
            last = max(1, sessions["pagination"]["totalpages"] * 5 // 100)
            queries = {
                "list, first page": ("/sessions", {"pagesize": 100}),
                "list, last page": ("/sessions", {"pagesize": 100, "page": last}),
                "sort by a text field": ("/customers", {"sortby": "name", "orderby": "DESC", "pagesize": 100}),
                "search": ("/sessions", {"search": session["user_id"], "pagesize": 100}),
                "filter": ("/sessions", {"status": session["status"], "pagesize": 100}),
                "detail": (f"/stations/{station['id']}", {}),
                "geo, 10 km": ("/chargers/status", {"lat": station["lat"], "lng": station["lng"], "radius": 10,
                                                    "pagesize": 100}),
                "geo, 20000 km": ("/chargers/status", {"lat": station["lat"], "lng": station["lng"],
                                                       "radius": 20000, "pagesize": 100}),
            }
            row = {}
            for label, (path, params) in queries.items():
                times = []
                for attempt in range(repeat):
                    if path == "/chargers/status":  # a new radius each time: the server keeps recent answers
                        params = dict(params, radius=params["radius"] + attempt * 0.001)
                    t0 = time.perf_counter()
                    status, _ = _get(conn, url.path, path, params, key)
                    times.append(time.perf_counter() - t0)
                    if status != 200:
                        raise SystemExit(f"{label}: HTTP {status} at size {size}")
                row[label] = statistics.median(times) * 1000
            out[str(size)] = row
    labels = list(next(iter(out.values())))
    print(f"  {'ms':22}" + "".join(f"{s:>10}" for s in out))
    for label in labels:
        print(f"  {label:22}" + "".join(f"{out[s][label]:10.1f}" for s in out))
    return out


def expected_verdict(defect: str) -> str:
    """The verdict that kills ``defect``: FAILED, warning for a SHOULD requirement (the kill table's rule)."""
    return "warning" if requirements.get(DEFECTS[defect].requirement).is_should else "FAILED"


def killed(tool: str, run: Run, clean: Run, defect: str) -> bool:
    if tool == "st":
        return bool(set(run.failures or ()) - set(clean.failures or ()))
    return (run.verdicts or {}).get(DEFECTS[defect].requirement) == expected_verdict(defect)


def section_remote(sample: list[str], profiles: list[str], latency_ms: float) -> dict:
    rig = ("--latency-ms", f"{latency_ms:g}", *REMOTE_RATE_LIMIT)
    tools = [*profiles, "st"]
    label = {p: f"suite {p}" for p in profiles} | {"st": "st run --checks all"}
    print(f"remote: the reference server with {' '.join(rig)}; one run each; kill sample of {len(sample)} defects "
          f"({KILL_JOBS} kill runs at a time):\n  {', '.join(sample)}")
    print(f"  kill rules: {SUITE_RULE}; {ST_RULE}")
    out: dict = {"settings": {"server_args": list(rig), "sample": sample, "kill_jobs": KILL_JOBS}, "tools": {}}
    for tool in tools:
        clean = served_run(tool, *rig)
        print(f"  {label[tool]}: clean run {clean.wall:.1f} s, {clean.requests} requests, exit {clean.exit_status}",
              flush=True)
        with ThreadPoolExecutor(KILL_JOBS) as pool:
            runs = list(pool.map(lambda d: served_run(tool, *rig, "--defect", d, expected_status=(0, 1)), sample))
        kills = {d: killed(tool, r, clean, d) for d, r in zip(sample, runs)}
        print(f"  {label[tool]}: killed {sum(kills.values())}/{len(sample)}; missed: "
              f"{', '.join(d for d, k in kills.items() if not k) or '-'}", flush=True)
        out["tools"][tool] = {"clean": asdict(clean), "kills": kills, "killed": sum(kills.values()),
                              "kill_runs": {d: asdict(r) for d, r in zip(sample, runs)},
                              "kills_per_minute": sum(kills.values()) / (clean.wall / 60)}
    loopback = {}
    for profile in profiles:
        with ThreadPoolExecutor(KILL_JOBS) as pool:
            outcomes = list(pool.map(lambda d: kill_table.run_defect(d, profile=profile), sample))
        loopback[profile] = {o.name: o.killed for o in outcomes}
        print(f"  loopback {profile} (kill table's limits {' '.join(kill_table.WHOLE_SUITE_LIMIT)}): killed "
              f"{sum(loopback[profile].values())}/{len(sample)}", flush=True)
    out["loopback_kills"] = loopback
    mock_profile = profiles[-1]
    with Server.mock(latency_ms) as mock:
        which = mock.info.get("mock", "stand-in")
        mock_run = suite_run(mock, mock_profile, counted_by_server=False, expected_status=(1,))
    clean_wall = out["tools"][mock_profile]["clean"]["wall"]
    out["mock"] = {"mock": which, "profile": mock_profile, "run": asdict(mock_run), "vs_clean": mock_run.wall / clean_wall,
                   "all_reports": set(mock_run.reports or ()) == set(REPORTS),
                   "failed": sum(v == "FAILED" for v in (mock_run.verdicts or {}).values())}
    print(f"  mock ({'Prism, no added latency' if which == 'prism' else 'tests/mock_server.py, same latency'}): "
          f"suite {mock_profile} {mock_run.wall:.1f} s, exit {mock_run.exit_status}, "
          f"{out['mock']['failed']} requirements FAILED, reports written: {', '.join(mock_run.reports or ()) or 'none'}")

    print(f"\n  {'':22} {'wall s':>7} {'requests':>9} {'req/s':>6} {'exit':>5} {'killed':>7} {'loopback':>9} "
          f"{'kills/min':>9}")
    for tool in tools:
        row, clean = out["tools"][tool], out["tools"][tool]["clean"]
        looped = f"{sum(loopback[tool].values())}/{len(sample)}" if tool in loopback else "-"
        print(f"  {label[tool]:22} {clean['wall']:7.1f} {clean['requests']:9d} {clean['rps']:6.1f} "
              f"{clean['exit_status']:5d} {row['killed']:>3}/{len(sample):<3} {looped:>9} {row['kills_per_minute']:9.2f}")
    print(f"  {'mock ' + mock_profile:22} {mock_run.wall:7.1f} {mock_run.requests:9d} {mock_run.rps:6.1f} "
          f"{mock_run.exit_status:5d}   (requests counted by the suite; {out['mock']['vs_clean']:.2f}x the clean "
          f"{mock_profile} wall)")
    return out


def remote_targets(remote: dict) -> list[str]:
    lines = []
    tools, sample = remote["tools"], remote["settings"]["sample"]
    for profile in PROFILES:
        if profile in tools:
            wall, limit = tools[profile]["clean"]["wall"], REMOTE_TARGETS[f"{profile}_wall"]
            lines.append((wall <= limit, f"remote {profile} wall {wall:.1f} s <= {limit:g} s"))
    for profile, kills in remote["loopback_kills"].items():
        lines.append((tools[profile]["killed"] >= sum(kills.values()),
                      f"remote {profile} kills {tools[profile]['killed']}/{len(sample)} >= loopback "
                      f"{sum(kills.values())}/{len(sample)}"))
    if "smoke" in tools:
        smoke, st = tools["smoke"]["kills_per_minute"], tools["st"]["kills_per_minute"]
        ratio = smoke / st if st else float("inf")
        lines.append((ratio >= REMOTE_TARGETS["kills_per_minute_vs_st"],
                      f"remote smoke kills/min {smoke:.2f} >= {REMOTE_TARGETS['kills_per_minute_vs_st']:g}x st run's "
                      f"{st:.2f} ({f'ratio {ratio:.1f}x' if st else 'st run killed none'}; aim "
                      f"{REMOTE_TARGETS['kills_per_minute_vs_st_aim']:g}x)"))
    mock = remote["mock"]
    lines.append((mock["vs_clean"] <= REMOTE_TARGETS["mock_vs_clean"],
                  f"mock {mock['profile']} wall {mock['vs_clean']:.2f}x the clean reference's <= "
                  f"{REMOTE_TARGETS['mock_vs_clean']:g}x"))
    lines.append((mock["all_reports"], f"mock {mock['profile']} wrote {', '.join(REPORTS)}"))
    return lines


def check_targets(results: dict) -> list[str]:
    lines = []

    def verdict(ok: bool) -> str:
        return "MET   " if ok else "MISSED"

    if "profiles" in results:
        med = results["profiles"]["median"]
        lines.append(f"{verdict(med['smoke']['wall'] <= TARGETS['smoke_wall'])} smoke wall {med['smoke']['wall']:.1f} s "
                     f"<= {TARGETS['smoke_wall']:g} s")
        lines.append(f"{verdict(med['default']['wall'] <= TARGETS['default_wall'])} default wall "
                     f"{med['default']['wall']:.1f} s <= {TARGETS['default_wall']:g} s")
        lines.append(f"{verdict(med['default']['wall'] <= med['st']['wall'])} default wall {med['default']['wall']:.1f} s "
                     f"<= st run --checks all {med['st']['wall']:.1f} s")
        parts = results["profiles"]["breakdown"]
        for profile in PROFILES:
            aim = TARGETS[f"{profile}_besides_burst"]
            lines.append(f"{verdict(parts[profile]['besides_burst'] <= aim)} {profile} requests besides the burst "
                         f"{parts[profile]['besides_burst']:,} <= {aim:,}")
            if parts[profile]["planned"]:
                error = abs(parts[profile]["requests"] - parts[profile]["planned"]) / parts[profile]["planned"]
                lines.append(f"{verdict(error <= TARGETS['plan_error'])} {profile} plan {parts[profile]['planned']:,} "
                             f"within {TARGETS['plan_error']:.0%} of sent {parts[profile]['requests']:,} ({error:.1%})")
        primary = parts["smoke"]["by_key"].get("primary", 0)
        lines.append(f"{verdict(primary <= TARGETS['smoke_primary'])} smoke primary-key requests {primary:,} "
                     f"<= {TARGETS['smoke_primary']:,}")
        lines.append(f"{verdict(parts['failing_ratio'] <= TARGETS['failing_ratio'])} failing run "
                     f"({FAILING_DEFECT}) {parts['failing_ratio']:.2f}x a clean one <= {TARGETS['failing_ratio']:g}x")
    if "remote" in results:
        lines += [f"{verdict(ok)} {text}" for ok, text in remote_targets(results["remote"])]
    if "scale" in results:
        for profile, g in results["scale"]["growth"].items():
            for what in ("wall", "requests"):
                lines.append(f"{verdict(g[what] <= TARGETS['growth'])} {profile} {what} growth {g[what]:.2f}x "
                             f"<= {TARGETS['growth']:g}x")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per profile in 'profiles' (default 3)")
    parser.add_argument("--scale-runs", type=int, default=1, help="runs per profile and size in 'scale' (default 1)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="records per tenant for 'scale' and 'queries'")
    parser.add_argument("--load-seconds", type=float, default=5.0, help="load per endpoint in 'throughput'")
    parser.add_argument("--only", nargs="+", choices=("profiles", "throughput", "scale", "queries", "remote"))
    parser.add_argument("--quick", action="store_true", help="1 run, sizes 1000 and 10000, 2 s of load; remote: "
                                                             "smoke only, the first 2 defects of the sample")
    parser.add_argument("--sample", default=",".join(KILL_SAMPLE),
                        help="remote: the defects of the kill counts, comma-separated, or 'all' (default: KILL_SAMPLE)")
    parser.add_argument("--remote-profiles", default=",".join(PROFILES), help="remote: the profiles (default smoke,default)")
    parser.add_argument("--latency-ms", type=float, default=REMOTE_LATENCY_MS,
                        help=f"remote: the rig's latency per answer (default {REMOTE_LATENCY_MS}; lower only to try it out)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON to PATH")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.runs, args.scale_runs, args.load_seconds, sizes = 1, 1, 2.0, sizes[:2]
    sections = args.only or ["profiles", "throughput", "scale", "queries", "remote"]
    sample = sorted(DEFECTS) if args.sample == "all" else [d for d in args.sample.split(",") if d]
    unknown = [d for d in sample if d not in DEFECTS]
    if unknown:
        parser.error(f"unknown defect(s): {', '.join(unknown)} (see PYTHONPATH=tests python -m lab --list-defects)")
    remote_profiles = [p for p in args.remote_profiles.split(",") if p]
    if args.quick:
        sample, remote_profiles = sample[:2], remote_profiles[:1]
    started = time.monotonic()
    print(f"iris-conformance benchmarks; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}; "
          f"Python {sys.version.split()[0]}\n")
    results: dict = {"machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()[0]}}
    if "profiles" in sections or "remote" in sections:  # remote: the loopback figures beside its own
        results["profiles"] = section_profiles(args.runs if "profiles" in sections else 1)
    if "throughput" in sections:
        results["throughput"] = section_throughput(args.load_seconds)
    if "scale" in sections:
        results["scale"] = section_scale(sizes, args.scale_runs)
    if "queries" in sections:
        results["queries"] = section_queries(sizes, 15)
    if "remote" in sections:
        results["remote"] = section_remote(sample, remote_profiles, args.latency_ms)
    targets = check_targets(results)
    if targets:
        print("\ntargets (this machine; embedded server, remote: the remote rig):")
        for line in targets:
            print(f"  {line}")
    results["targets"] = targets
    results["seconds"] = time.monotonic() - started
    print(f"\nbenchmark wall time {results['seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
