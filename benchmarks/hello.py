"""A bare Starlette hello-world on uvicorn, configured like the reference server (one process, its own
socket with TCP_NODELAY, no access log, no lifespan): the ceiling the benchmark measures the
reference server's throughput against. Prints one JSON line ``{"base_url": ...}`` and serves until
SIGTERM.

    python benchmarks/hello.py
"""

from __future__ import annotations

import json
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request) -> JSONResponse:  # noqa: ANN001
    return JSONResponse({"success": True, "data": [{"hello": "world"}]})


def main() -> int:
    app = Starlette(routes=[Route("/hello", hello)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(json.dumps({"base_url": f"http://127.0.0.1:{sock.getsockname()[1]}"}), flush=True)
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="off", server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
