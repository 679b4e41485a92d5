"""Compare the reference server of the working tree with the one of another git revision, response by response.

    python benchmarks/compare.py [--rev HEAD] [--records N | --size N] [--geo N] [--seed N]

Both servers are started with the same data arguments (and a rate limit out of reach), then asked the
same requests: list, search, filter and sort queries of every resource (deep pages included), details,
and geo queries (random points and radii, points by the poles and the antimeridian, radii in km and m,
several pages) for both tenants. Status and body must be identical; the first differences are printed
and the exit status is 1 if there is any. A check that a server change (an index, a pre-filter) changed
no result, not a test of the API.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent


class Server:
    def __init__(self, cwd: Path, args: list[str]) -> None:
        self.cwd = cwd
        cmd = [sys.executable, "-m", "conformance.reference", "--port", "0", "--quiet",
               "--rate-limit", "100000000", "--rate-window", "1", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(cwd)}
        started = time.monotonic()
        self.process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the server in {cwd} did not start")
        self.startup = time.monotonic() - started
        info = json.loads(line)
        self.keys = info["keys"]
        url = urlsplit(info["base_url"])
        self.host, self.port, self.base_path = url.hostname, url.port, url.path
        self.local = threading.local()

    def get(self, path: str, params: dict | None = None, key: str = "primary") -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        target = self.base_path + path + ("?" + urlencode(params) if params else "")
        conn.request("GET", target, headers={"x-api-key": self.keys[key]})
        response = conn.getresponse()
        return response.status, response.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def list_requests(rng: random.Random) -> list[tuple[str, dict]]:
    sorts = {"tariffs": ("id", "name", "type", "created_at"), "customers": ("id", "name", "email", "created_at"),
             "stations": ("id", "name", "city", "state", "created_at"),
             "sessions": ("id", "start_time", "energy_kwh", "cost")}
    searches = {"tariffs": ("energy", "%", "_", "'s", "ENERGY", "50% off", "x"),
                "customers": ("sharma", "+91 9", "d'souza", "_", ".", "user1", "example.in", "ISHA", "a"),
                "stations": ("mumbai", "Shop No.", "ring road", "iris hub", "%", "_", "z", "sector 1"),
                "sessions": ("user10", "cp-1", "CP-12-", "user1", "_", "-2")}
    filters = {"tariffs": [{"type": t} for t in ("ENERGY", "TIME", "FLAT")] + [{"isactive": b} for b in ("true", "false")],
               "customers": [],
               "stations": [{"city": c} for c in ("Mumbai", "navi mumbai", "PUNE", "Savusavu", "Nowhere")]
               + [{"state": s} for s in ("Maharashtra", "delhi")] + [{"always_open": b} for b in ("true", "false")]
               + [{"city": "Mumbai", "always_open": "true"}],
               "sessions": [{"status": s} for s in ("STARTED", "STOPPED", "FAILED")]
               + [{"start_date": "2026-01-01 00:00:00"}, {"end_date": "2025-12-31 23:59:59"},
                  {"start_date": "2026-03-01 00:00:00", "end_date": "2026-03-31 23:59:59"},
                  {"charge_station_id": "5"}, {"charge_station_id": "81"}, {"user_id": "user101"},
                  {"user_id": "user105", "status": "STOPPED"}]}
    out: list[tuple[str, dict]] = []
    for resource, fields in sorts.items():
        path = "/" + resource
        out.append((path, {}))
        for field in fields:
            for order in ("ASC", "DESC"):
                for page, pagesize in ((1, 20), (2, 7), (3, 100), (40, 10), (1000, 100)):
                    out.append((path, {"sortby": field, "orderby": order, "page": page, "pagesize": pagesize}))
        for term in searches[resource]:
            out.append((path, {"search": term, "pagesize": 100}))
            out.append((path, {"search": term, "page": 2, "pagesize": 5, "sortby": rng.choice(fields),
                               "orderby": "DESC"}))
        for extra in filters[resource]:
            out.append((path, {**extra, "pagesize": 100}))
            out.append((path, {**extra, "page": 3, "pagesize": 10, "sortby": rng.choice(fields), "orderby": "DESC"}))
    for resource, top in (("tariffs", 40), ("stations", 120), ("sessions", 3000)):
        for item in [*range(1, 6), *(rng.randint(1, top) for _ in range(15)), 999999999]:
            out.append((f"/{resource}/{item}", {}))
    for item in ("user101", "user150", "user260", "nobody"):
        out.append((f"/customers/{item}", {}))
    return out


SPECIAL_POINTS = [  # poles, antimeridian, Fiji, India, Svalbard
    (90, 0), (-90, 0), (90, 180), (89.9, -180), (89.5, 30), (89.5, -150), (88, 30), (78.2232, 15.6267),
    (-16.8, 180), (-16.8, -180), (-16.8, 179.95), (-16.8, -179.95), (-16.85, -180), (-16.45, -179.97),
    (0, 180), (0, -180), (-16.8, 179.5), (-16.8, -179.5), (19.076, 72.8777), (28.6139, 77.209),
    (12.9716, 77.5946), (0, 0), (-89.9, 0), (45, 179.999), (45, -179.999),
]
RADII_KM = (0.0005, 0.001, 0.01, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 300, 1000, 2000, 5000, 9000, 10000,
            15000, 20000, 20015, 20015.1, 20100, 40000, 1e7)


def geo_requests(rng: random.Random, count: int) -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []

    def add(lat: float, lng: float, radius_km: float) -> None:
        unit = rng.choice(("km", "m", None))
        radius = radius_km * 1000 if unit == "m" else radius_km
        params = {"lat": repr(lat), "lng": repr(lng), "radius": repr(radius)}
        if unit:
            params["radius_unit"] = unit
        out.append(("/chargers/status", {**params, "pagesize": 100}))
        out.append(("/chargers/status", {**params, "page": rng.choice((2, 3, 7)), "pagesize": rng.choice((1, 5, 20))}))

    for lat, lng in SPECIAL_POINTS:
        for radius_km in RADII_KM:
            add(lat, lng, radius_km)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:  # near an Indian city (dense data)
            lat, lng = rng.uniform(8, 31), rng.uniform(72, 89)
        elif roll < 0.6:  # near the antimeridian
            lat, lng = rng.uniform(-30, 10), rng.choice((1, -1)) * rng.uniform(175, 180)
        elif roll < 0.75:  # near a pole
            lat, lng = rng.choice((1, -1)) * rng.uniform(80, 90), rng.uniform(-180, 180)
        else:
            lat = math.degrees(math.asin(rng.uniform(-1, 1)))
            lng = rng.uniform(-180, 180)
        add(round(lat, rng.choice((0, 2, 4, 6))), round(lng, rng.choice((0, 2, 4, 6))),
            10 ** rng.uniform(-3, 4.4))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="git revision of the server to compare with (default HEAD)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--records", type=int)
    size.add_argument("--size", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--geo", type=int, default=400, help="random geo queries (default 400)")
    args = parser.parse_args(argv)
    data_args = []
    if args.records:
        data_args += ["--records", str(args.records)]
    if args.size:
        data_args += ["--size", str(args.size)]
    if args.seed is not None:
        data_args += ["--seed", str(args.seed)]
    rng = random.Random(20261124)
    requests = list_requests(rng) + geo_requests(rng, args.geo)
    with tempfile.TemporaryDirectory(prefix="iris-compare-") as before_dir:
        archive = subprocess.run(["git", "archive", args.rev, "conformance"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", before_dir], input=archive, check=True)
        before, after = Server(Path(before_dir), data_args), Server(ROOT, data_args)
        print(f"start-up: {args.rev} {before.startup:.2f} s, working tree {after.startup:.2f} s", file=sys.stderr)
        differences, timing = 0, {"before": 0.0, "after": 0.0}
        try:
            for key in ("primary", "other_tenant"):
                for path, params in requests:
                    t0 = time.perf_counter()
                    old = before.get(path, params, key)
                    t1 = time.perf_counter()
                    new = after.get(path, params, key)
                    timing["before"] += t1 - t0
                    timing["after"] += time.perf_counter() - t1
                    if old != new:
                        differences += 1
                        if differences <= 10:
                            print(f"DIFFERENT {key} {path}?{urlencode(params)}\n  {args.rev}: {old[0]} {old[1][:300]!r}"
                                  f"\n  working tree: {new[0]} {new[1][:300]!r}")
        finally:
            before.stop()
            after.stop()
    total = 2 * len(requests)
    print(f"{total} requests ({sum(p == '/chargers/status' for p, _ in requests) * 2} geo), {differences} different; "
          f"time {args.rev} {timing['before']:.1f} s, working tree {timing['after']:.1f} s")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
