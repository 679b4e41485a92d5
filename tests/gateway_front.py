"""A stand-in for the AWS API Gateway REST API stage that stands in front of a real deployment
(the vendor docs' UAT: ``https://....execute-api.ap-south-1.amazonaws.com/suite-network-uat/...``),
as a separate process in front of any base URL (the reference server, a dialect, a mock).

It behaves as AWS documents for gateway responses and throttling, each behaviour switchable:

- **routing 403s** (``--no-routing-403`` turns them off): a method or a path the stage does not
  configure (the spec's GET operations are configured) is answered by the gateway itself,
  ``403 {"message":"Missing Authentication Token"}``, whatever the key;
- **throttling** (``--throttle RATE``, ``--burst N``; ``--throttle 0`` turns it off): a token bucket per
  key; over it ``429 {"message":"Too Many Requests"}`` with no ``Retry-After``;
- **a usage-plan quota** (``--quota N``): after N requests of one key, ``429 {"message":"Limit
  Exceeded"}`` for the rest of the period (the rest of this process's life);
- **a stage cache** (``--cache SECONDS``): a GET answered 200 is kept for SECONDS under its path and
  query, not its credential, and served to whoever asks next (AWS adds no header saying so;
  ``--cache-age-header`` adds RFC 9111's ``Age``);
- **transient 502s** (``--fail FRACTION``): that share of requests is answered ``502 {"message":
  "Internal server error"}``; the same request sent again right after one is always forwarded (a
  retry of it would have succeeded);
- **504 for slow answers** (``--timeout-ms MS``): an integration that answers later than MS (AWS: 29 s)
  is ``504 {"message": "Endpoint request timed out"}``.

Every answer carries ``x-amzn-RequestId``; every answer the gateway makes itself carries
``x-amzn-ErrorType`` (e.g. ``MissingAuthenticationTokenException``); a proxied one carries
``x-amz-apigw-id``. The key is the credential the API reads (``x-api-key``, else the Bearer token).

    python tests/gateway_front.py --upstream http://127.0.0.1:PORT/api/v1/d2s/external [--port 0] ...

prints one JSON line, ``{"base_url": "http://127.0.0.1:PORT/suite-network-uat/api/v1/d2s/external"}``,
then serves until SIGTERM. With ``--stats-file PATH`` it writes what it answered itself and what it
forwarded on exit.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import uvicorn
import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

SPEC = Path(__file__).resolve().parents[1] / "specs" / "openapi.yaml"
STAGE = "/suite-network-uat"
#: headers of the upstream's answer that are the connection's, not the answer's
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "server", "date"}


@dataclass
class Behaviour:
    routing_403: bool = True
    throttle: float = 0.0  # requests per second per key; 0: none
    burst: int = 50
    quota: int | None = None
    cache: float = 0.0  # seconds; 0: no cache
    cache_age_header: bool = False
    fail: float = 0.0
    timeout_ms: float | None = None
    seed: int = 20261205


@dataclass
class Bucket:
    tokens: float
    at: float


@dataclass
class State:
    buckets: dict[str, Bucket] = field(default_factory=dict)
    used: Counter = field(default_factory=Counter)
    cache: dict[str, tuple[float, int, list[tuple[str, str]], bytes]] = field(default_factory=dict)
    failed_once: set[str] = field(default_factory=set)
    answered: Counter = field(default_factory=Counter)  # what the gateway answered itself, by kind
    forwarded: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def configured_routes(spec_path: Path = SPEC) -> list[tuple[str, re.Pattern[str]]]:
    """The stage's resources and methods: the spec's operations (an OpenAPI import into API Gateway)."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    routes = []
    for path, item in spec["paths"].items():
        pattern = re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p)
                                     for p in re.split(r"(\{[^}]+\})", path)))
        routes += [(method.upper(), pattern) for method in item if method in ("get", "post", "put", "patch",
                                                                              "delete", "head", "options")]
    return routes


def credential(request: Request) -> str:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    return auth.split(" ", 1)[1].strip() if " " in auth else (auth or "anonymous")


def make_app(upstream: str, behaviour: Behaviour, base_path: str, spec_path: Path = SPEC):
    routes = configured_routes(spec_path)
    state = State()
    rng = random.Random(behaviour.seed)
    session = requests.Session()
    session.trust_env = False
    adapter = requests.adapters.HTTPAdapter(pool_connections=8, pool_maxsize=64)
    session.mount("http://", adapter)
    upstream = upstream.rstrip("/")

    def gateway(status: int, message: str, error_type: str, kind: str) -> Response:
        with state.lock:
            state.answered[kind] += 1
        return Response(json.dumps({"message": message}), status_code=status, media_type="application/json",
                        headers={"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": error_type})

    def throttled(key: str) -> bool:
        if not behaviour.throttle:
            return False
        now = time.monotonic()
        with state.lock:
            bucket = state.buckets.setdefault(key, Bucket(behaviour.burst, now))
            bucket.tokens = min(behaviour.burst, bucket.tokens + (now - bucket.at) * behaviour.throttle)
            bucket.at = now
            if bucket.tokens < 1:
                return True
            bucket.tokens -= 1
            return False

    def forward(method: str, path: str, query: bytes, headers: list[tuple[str, str]], body: bytes):
        url = upstream + path + (f"?{query.decode()}" if query else "")
        timeout = behaviour.timeout_ms / 1000 if behaviour.timeout_ms else 30
        return session.request(method, url, headers=dict(headers), data=body or None, timeout=timeout,
                               allow_redirects=False)

    async def handle(request: Request) -> Response:
        method, path = request.method, request.url.path
        raw = request.scope.get("raw_path", path.encode()).decode("latin-1")  # still percent-encoded
        if not path.startswith(base_path) or not raw.startswith(base_path):
            return gateway(403, "Missing Authentication Token", "MissingAuthenticationTokenException", "routing 403")
        path, raw = path[len(base_path):] or "/", raw[len(base_path):] or "/"
        if behaviour.routing_403 and not any(m == method and p.fullmatch(path) for m, p in routes):
            return gateway(403, "Missing Authentication Token", "MissingAuthenticationTokenException", "routing 403")
        key = credential(request)
        with state.lock:
            state.used[key] += 1
            over_quota = behaviour.quota is not None and state.used[key] > behaviour.quota
        if over_quota:
            return gateway(429, "Limit Exceeded", "LimitExceededException", "quota 429")
        if throttled(key):
            return gateway(429, "Too Many Requests", "TooManyRequestsException", "throttle 429")
        query = request.url.query.encode()
        identity = f"{method} {path}?{request.url.query}"
        if behaviour.fail:
            with state.lock:
                again = identity + key in state.failed_once
                state.failed_once.discard(identity + key)
                fail = not again and rng.random() < behaviour.fail
                if fail:
                    state.failed_once.add(identity + key)
            if fail:
                return gateway(502, "Internal server error", "InternalServerErrorException", "transient 502")
        cache_key = f"{path}?{request.url.query}"
        if behaviour.cache and method == "GET":
            with state.lock:
                hit = state.cache.get(cache_key)
            if hit is not None and time.monotonic() - hit[0] < behaviour.cache:
                stored, status, headers, content = hit
                extra = [("Age", str(int(time.monotonic() - stored)))] if behaviour.cache_age_header else []
                with state.lock:
                    state.answered["cache hit"] += 1
                return Response(content, status_code=status,
                                headers=dict(headers + extra + [("x-amzn-RequestId", str(uuid.uuid4()))]))
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        body = await request.body()
        try:
            answer = await run_in_threadpool(forward, method, raw, query, headers, body)
        except requests.Timeout:
            return gateway(504, "Endpoint request timed out", "InternalServerErrorException", "timeout 504")
        except requests.RequestException:
            return gateway(502, "Internal server error", "InternalServerErrorException", "integration 502")
        with state.lock:
            state.forwarded += 1
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
        if behaviour.cache and method == "GET" and answer.status_code == 200:
            with state.lock:
                state.cache[cache_key] = (time.monotonic(), answer.status_code, kept, answer.content)
        apigw = [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amz-apigw-id", uuid.uuid4().hex[:16])]
        return Response(answer.content, status_code=answer.status_code, headers=dict(kept + apigw))

    async def app(scope, receive, send) -> None:  # noqa: ANN001 - every path and method reaches handle()
        response = await handle(Request(scope, receive))
        await response(scope, receive, send)

    app.gateway = state  # type: ignore[attr-defined]
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="the deployment's base URL")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-routing-403", dest="routing_403", action="store_false")
    parser.add_argument("--throttle", type=float, default=150.0, help="requests per second per key (0: none)")
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--quota", type=int, default=None)
    parser.add_argument("--cache", type=float, default=0.0, help="seconds a GET 200 is kept (0: no cache)")
    parser.add_argument("--cache-age-header", action="store_true")
    parser.add_argument("--fail", type=float, default=0.0, help="share of requests answered 502")
    parser.add_argument("--timeout-ms", type=float, default=None)
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--stats-file", default=None)
    args = parser.parse_args(argv)
    behaviour = Behaviour(routing_403=args.routing_403, throttle=args.throttle, burst=args.burst, quota=args.quota,
                          cache=args.cache, cache_age_header=args.cache_age_header, fail=args.fail,
                          timeout_ms=args.timeout_ms, seed=args.seed)
    upstream_path = urlsplit(args.upstream).path.rstrip("/")
    base_path = STAGE + upstream_path
    app = make_app(args.upstream, behaviour, base_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="off",
                                           server_header=False))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    sys.stdout.write(json.dumps({"base_url": f"http://{host}:{port}{base_path}"}) + "\n")
    sys.stdout.flush()
    try:
        server.run(sockets=[sock])
    finally:
        if args.stats_file:
            state = app.gateway
            Path(args.stats_file).write_text(json.dumps({"answered": dict(state.answered),
                                                         "forwarded": state.forwarded}))
    return 0


if __name__ == "__main__":
    sys.exit(main())


class Front:
    """The gateway in front of ``upstream`` as a child process (for the project's tests)."""

    def __init__(self, upstream: str, *args: str):
        self.upstream = upstream
        self.args = args
        self.process: "subprocess.Popen[str] | None" = None
        self.base_url = ""
        self.stats_path = Path(tempfile.mkdtemp(prefix="iris-gateway-")) / "stats.json"

    def __enter__(self) -> "Front":
        self.process = subprocess.Popen([sys.executable, __file__, "--upstream", self.upstream,
                                         "--stats-file", str(self.stats_path), *self.args],
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the gateway front did not start")
        self.base_url = json.loads(line)["base_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def stats(self) -> dict:
        """What the gateway answered itself (by kind) and forwarded (after it stopped)."""
        return json.loads(self.stats_path.read_text()) if self.stats_path.exists() else {}
