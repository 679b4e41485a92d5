"""Command line of the reference server.

``python -m conformance.reference [--host 127.0.0.1] [--port 0] [--rate-limit N] [--rate-window S]
[--records N | --size N] [--seed N] [--stats-file PATH] [--latency-ms N] [--quiet]``

The server binds its socket itself (port 0 picks a free port), builds the data, then prints exactly
one JSON line on stdout before serving::

    {"base_url": "http://127.0.0.1:PORT/api/v1/d2s/external",
     "keys": {"primary": "...", "other_tenant": "...", "revoked": "...", "expired": "...",
              "other_tenant_revoked": "...", "other_tenant_expired": "..."}}

A program built on this server (the project's tests' lab, ``python -m lab``) calls :func:`main`
with a :class:`ServerExtension`: its own options, the :class:`~.app.Extension` they make, and its
members of the JSON line.

It stops cleanly (exit status 0) on SIGTERM or SIGINT. With ``--stats-file PATH`` it then writes
``{"requests": N, "statuses": {"200": n, ...}, "seconds": S}`` to PATH: the HTTP requests it served
(every path and method, answered or not), by response status, and how long it served. No endpoint
reports them: the API's undefined paths are 404 by contract.
"""

from __future__ import annotations

import asyncio
import argparse
import json
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import uvicorn

from .app import Extension, create_app
from .data import api_keys
from .settings import DEFAULT_BASE_PATH, Settings

#: The help of --size (also shown by --help).
SIZE_HELP = ("data set by absolute size instead of --records: about N customers, N stations (plus 6 special "
             "ones) and N sessions for the primary tenant, N/5 of each for the other tenant; for benchmarks "
             "at 1000, 10000, 100000 records (100000 starts in about 15 s). Deterministic for a --seed")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a finite number > 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a finite number >= 0")
    return value


class UsageError(Exception):
    """An option value a :class:`ServerExtension` refuses: printed as ``error: ...``, exit status 2."""


class ServerExtension:
    """What a program built on the reference server adds to it; this one adds nothing. Override:

    - :meth:`add_arguments`: its command-line options;
    - :meth:`extension`: the components it swaps and the outer layers it adds, from the parsed
      options (raise :class:`UsageError` for a value it refuses);
    - :meth:`info`: its members of the start-up JSON line; :meth:`describe`: the end of the line on
      stderr (e.g. `` with defects a, b``).
    """

    prog = "python -m conformance.reference"
    description = "The embedded reference implementation of the IRIS External API."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def extension(self, args: argparse.Namespace) -> Extension:
        return Extension()

    def info(self, args: argparse.Namespace) -> dict[str, Any]:
        return {}

    def describe(self, args: argparse.Namespace) -> str:
        return ""


def build_parser(extend: ServerExtension | None = None) -> argparse.ArgumentParser:
    extend = extend or ServerExtension()
    defaults = Settings()
    parser = argparse.ArgumentParser(prog=extend.prog, description=extend.description)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_non_negative_int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--rate-limit", type=_non_negative_int, default=defaults.rate_limit,
                        help=f"requests per key per window (default {defaults.rate_limit})")
    parser.add_argument("--rate-window", type=_positive_float, default=defaults.rate_window,
                        help=f"window length in seconds (default {defaults.rate_window:g})")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--records", type=_positive_int, default=defaults.records,
                      help="multiplier of the demo data set: records=1 is 150 customers, 86 stations and 2000 "
                           "sessions for the primary tenant, 40, 20 and 300 for the other (default 1)")
    size.add_argument("--size", type=_positive_int, default=None, metavar="N", help=SIZE_HELP)
    parser.add_argument("--seed", type=int, default=defaults.seed, help=f"data and key seed (default {defaults.seed})")
    parser.add_argument("--latency-ms", type=_non_negative_float, default=0.0, metavar="N",
                        help="delay every answer by N ms, concurrent requests in parallel, as over a network "
                             "(the remote rig of the benchmarks; default 0)")
    parser.add_argument("--stats-file", metavar="PATH",
                        help="on shutdown, write the number of requests served (by status) to PATH as JSON")
    parser.add_argument("--quiet", action="store_true", help="log only errors")
    extend.add_arguments(parser)
    return parser


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it a keep-alive client waits ~40 ms (Nagle
    # against delayed ACK) for every response whose head and body are written separately.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)  # listening before the JSON line is printed: no connection is refused
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket, base_path: str) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{base_path}"


class RequestCounter:
    """ASGI wrapper counting the HTTP requests served and their response statuses (for --stats-file)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.started = time.monotonic()

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1

        async def counting_send(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counting_send)

    def stats(self) -> dict:
        return {"requests": self.requests,
                "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
                "seconds": round(time.monotonic() - self.started, 3)}

    def write(self, path: str) -> None:
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(self.stats(), out)
            out.write("\n")
        os.replace(temporary, path)


class Latency:
    """ASGI wrapper delaying every HTTP answer by a fixed time before the app sees the request: a
    network's round trip. The delay is awaited, so concurrent requests are delayed in parallel."""

    def __init__(self, app, seconds: float) -> None:  # noqa: ANN001
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


class _Server(uvicorn.Server):
    """uvicorn's server, except that a SIGTERM/SIGINT ends the process with status 0 (uvicorn would
    re-raise the signal after its graceful shutdown)."""

    def handle_exit(self, sig: int, frame) -> None:  # noqa: ANN001
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True


def main(argv: Sequence[str] | None = None, extend: ServerExtension | None = None) -> int:
    extend = extend or ServerExtension()
    args = build_parser(extend).parse_args(argv)
    try:
        extension = extend.extension(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = Settings(rate_limit=args.rate_limit, rate_window=args.rate_window, records=args.records,
                        size=args.size, seed=args.seed, base_path=DEFAULT_BASE_PATH)
    app = create_app(settings, extension=extension)
    if args.latency_ms:
        app = Latency(app, args.latency_ms / 1000)
    counter = RequestCounter(app) if args.stats_file else None
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        print(f"error: cannot bind {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    config = uvicorn.Config(counter or app, log_level="error" if args.quiet else "warning", access_log=False,
                            lifespan="off", server_header=False)
    server = _Server(config)
    # A signal that arrives before uvicorn installs its own handlers still stops the server cleanly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, server.handle_exit)
    info = {"base_url": base_url(sock, settings.base_path), "keys": api_keys(settings.seed), **extend.info(args)}
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    if not args.quiet:
        print(f"IRIS reference server on {info['base_url']}{extend.describe(args)}", file=sys.stderr, flush=True)
    try:
        if not server.should_exit:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if counter is not None:
            counter.write(args.stats_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
