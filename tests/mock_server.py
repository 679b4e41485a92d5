"""A spec-driven random-data mock of the API: a stand-in for Stoplight Prism's dynamic mode
(``prism mock -d specs/openapi.yaml``) where Prism (Node) is not installed, e.g. in CI.

    python tests/mock_server.py [--spec specs/openapi.yaml] [--port 0] [--latency-ms N] [--seed N]

It reads the spec with PyYAML alone (no suite, no reference server), serves every operation under
the spec's base path (``x-api.base-path``, else its first server URL's path) and answers each request
as Prism does: a request without the credentials the spec's security requires gets the documented
401, anything else the documented 200,
each with a body generated at random from the response's schema (types, formats, enums, bounds,
lengths, simple patterns, required properties, arrays of 0-4 items): new data on every request,
nothing consistent between requests (a list's ``total`` is not the count of anything, a detail is not
the list's record). Parameters are not validated. The suite run against it must fail most of its
requirements, and must still finish in about the time of a run against a real server.

Like the reference server it prints one JSON line ``{"base_url": ..., "keys": {...}}`` when it is
listening (the keys are random ``iris_mock...`` strings: the mock accepts any credential) and stops
with status 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import signal
import socket
import string
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

try:  # the stdlib's regex parser: patterns are generated from their parse tree
    import re._parser as sre_parse  # Python >= 3.11
    from re._constants import (ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_SPACE, CATEGORY_WORD, IN,
                               LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN)
except ImportError:  # pragma: no cover  (Python 3.10)
    import sre_parse  # type: ignore[no-redef]
    from sre_constants import (ANY, AT, BRANCH, CATEGORY, CATEGORY_DIGIT, CATEGORY_SPACE,  # type: ignore[no-redef]
                               CATEGORY_WORD, IN, LITERAL, MAX_REPEAT, MIN_REPEAT, NEGATE, RANGE, SUBPATTERN)

SPEC = Path(__file__).resolve().parents[1] / "specs" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
WORDS = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore".split()
MAX_ITEMS = 4


# ------------------------------------------------------------------------------------- the spec


def resolve(node: Any, root: dict, seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points to (a cycle is cut to ``{}``)."""
    if isinstance(node, list):
        return [resolve(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            return {}
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return resolve(target, root, (*seen, ref))
    return {key: resolve(value, root, seen) for key, value in node.items()}


def merge_all_of(schema: dict) -> dict:
    """An ``allOf`` schema as one schema: properties merged member by member, required lists joined."""
    if "allOf" not in schema:
        return schema
    merged: dict = {key: value for key, value in schema.items() if key != "allOf"}
    for part in (merge_all_of(p) for p in schema["allOf"]):
        for key, value in part.items():
            if key == "properties":
                props = merged.setdefault("properties", {})
                for name, sub in value.items():
                    props[name] = merge_all_of({"allOf": [props[name], sub]}) if name in props else sub
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged.setdefault(key, value)
    return merged


def load_spec(path: Path | str = SPEC) -> dict:
    """The spec with every ``$ref`` resolved."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return resolve(raw, raw)


def base_path(spec: dict) -> str:
    """The path the operations are served under: the spec's ``x-api.base-path`` (the path of its local
    server's URL), else the path of its first server's URL."""
    servers = spec.get("servers") or [{"url": "/"}]
    return (spec.get("x-api", {}).get("base-path") or urlsplit(servers[0]["url"]).path).rstrip("/")


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    """(method, path, operation) of every operation of the spec."""
    return [(method, path, op) for path, item in spec.get("paths", {}).items()
            for method, op in item.items() if method in METHODS]


def response_schema(operation: dict, status: str) -> dict | None:
    """The JSON schema of the operation's documented response ``status`` (None: no JSON body)."""
    content = operation.get("responses", {}).get(status, {}).get("content", {})
    media = next((m for m in content if "json" in m), None)
    return merge_all_of(content[media].get("schema", {})) if media else None


def authorized(headers: dict[str, str], operation: dict, spec: dict) -> bool:
    """Whether the request carries the credentials of one of the security alternatives (presence only,
    as Prism checks them: the value is not verified)."""
    alternatives = operation.get("security", spec.get("security")) or [{}]
    schemes = spec.get("components", {}).get("securitySchemes", {})

    def present(name: str) -> bool:
        scheme = schemes.get(name, {})
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            return bool(headers.get(scheme["name"].lower()))
        if scheme.get("type") == "http":
            return headers.get("authorization", "").lower().startswith(scheme.get("scheme", "").lower() + " ")
        return False

    return any(all(present(name) for name in alternative) for alternative in alternatives)


# ---------------------------------------------------------------------------------- random data


class Generator:
    """Random values that satisfy a (resolved, OpenAPI 3.0) schema."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def value(self, schema: dict) -> Any:
        schema = merge_all_of(schema)
        if schema.get("nullable") and self.rng.random() < 0.1:
            return None
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        return getattr(self, f"_{kind}")(schema)

    def _object(self, schema: dict) -> dict:
        required = set(schema.get("required", []))
        return {name: self.value(sub) for name, sub in schema.get("properties", {}).items()
                if name in required or self.rng.random() < 0.5}

    def _array(self, schema: dict) -> list:
        low = schema.get("minItems", 0)
        count = self.rng.randint(low, max(low, min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS)))
        return [self.value(schema.get("items", {})) for _ in range(count)]

    def _boolean(self, schema: dict) -> bool:
        return self.rng.random() < 0.5

    def _bounds(self, schema: dict, default_low: float, default_high: float) -> tuple[float, float, bool, bool]:
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None:
            low = default_low if high is None else min(default_low, high)
        if high is None:
            high = max(low, default_high)
        return low, high, bool(schema.get("exclusiveMinimum")), bool(schema.get("exclusiveMaximum"))

    def _integer(self, schema: dict) -> int:
        low, high, ex_low, ex_high = self._bounds(schema, -1000, 100_000)
        return self.rng.randint(int(low) + ex_low, int(high) - ex_high)

    def _number(self, schema: dict) -> float:
        low, high, ex_low, ex_high = self._bounds(schema, -1000.0, 100_000.0)
        value = self.rng.uniform(low, high)
        while (ex_low and value <= low) or (ex_high and value >= high):
            value = self.rng.uniform(low, high)
        return value

    def _string(self, schema: dict) -> str:
        fmt = schema.get("format")
        if fmt in ("date-time", "date"):
            moment = datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.rng.randint(0, 10**9))
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ" if fmt == "date-time" else "%Y-%m-%d")
        elif fmt == "uuid":
            text = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        elif fmt == "email":
            text = f"{self._word()}.{self.rng.randint(1, 999)}@{self._word()}.example"
        elif "pattern" in schema:
            text = self.matching(schema["pattern"])
        else:
            text = " ".join(self._word() for _ in range(self.rng.randint(1, 4)))
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        while len(text) < low:
            text += self.rng.choice(string.ascii_lowercase)
        return text[:high] if high is not None else text

    def _word(self) -> str:
        return self.rng.choice(WORDS)

    def matching(self, pattern: str) -> str:
        """A string that ``re.search(pattern)`` matches, for the simple patterns of a spec (classes,
        ranges, groups, alternatives, bounded repeats); a lorem word when the pattern is beyond that."""
        try:
            text = self._emit(sre_parse.parse(pattern))
        except (ValueError, TypeError, re.error):  # e.g. a look-around or a back-reference
            text = None
        return text if text is not None and re.search(pattern, text) else self._word()

    def _emit(self, parsed: Any) -> str:
        out = []
        for op, arg in parsed:
            if op == LITERAL:
                out.append(chr(arg))
            elif op == ANY:
                out.append(self.rng.choice(string.ascii_letters))
            elif op == IN:
                out.append(self._member(arg))
            elif op in (MAX_REPEAT, MIN_REPEAT):
                low, high, sub = arg
                out.extend(self._emit(sub) for _ in range(self.rng.randint(low, min(high, low + 3))))
            elif op == SUBPATTERN:
                out.append(self._emit(arg[-1]))
            elif op == BRANCH:
                out.append(self._emit(self.rng.choice(arg[1])))
            elif op == CATEGORY:
                out.append(self._category(arg))
            elif op != AT:  # anchors emit nothing; anything else is not a simple pattern
                raise ValueError(f"unsupported pattern element {op}")
        return "".join(out)

    def _member(self, items: list) -> str:
        if items and items[0][0] == NEGATE:
            raise ValueError("negated class")
        op, arg = self.rng.choice(items)
        if op == LITERAL:
            return chr(arg)
        if op == RANGE:
            return chr(self.rng.randint(*arg))
        if op == CATEGORY:
            return self._category(arg)
        raise ValueError(f"unsupported class member {op}")

    def _category(self, category: Any) -> str:
        pools = {CATEGORY_DIGIT: string.digits, CATEGORY_WORD: string.ascii_letters + string.digits + "_",
                 CATEGORY_SPACE: " "}
        if category not in pools:
            raise ValueError(f"unsupported category {category}")
        return self.rng.choice(pools[category])


# ------------------------------------------------------------------------------------ the server


def create_app(spec: dict, *, seed: int | None = None, latency_s: float = 0.0):
    generator = Generator(random.Random(seed))
    prefix = base_path(spec)

    def documented(operation: dict, status: str) -> Response:
        schema = response_schema(operation, status)
        headers = {}
        for name, header in operation.get("responses", {}).get(status, {}).get("headers", {}).items():
            if header.get("required") or generator.rng.random() < 0.5:
                headers[name] = str(generator.value(header.get("schema", {})))
        if schema is None:
            return Response(status_code=int(status), headers=headers)
        return JSONResponse(generator.value(schema), status_code=int(status), headers=headers)

    def endpoint(operation: dict):  # noqa: ANN202
        async def answer(request: Request) -> Response:
            ok = authorized({k.lower(): v for k, v in request.headers.items()}, operation, spec)
            return documented(operation, "200" if ok else "401")
        return answer

    by_path: dict[str, list[tuple[str, dict]]] = {}
    for method, path, operation in operations(spec):
        by_path.setdefault(path, []).append((method, operation))
    routes = []
    for path, ops in by_path.items():
        for method, operation in ops:
            routes.append(Route(prefix + path, endpoint(operation), methods=[method.upper()]))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return JSONResponse({"title": "Route not resolved", "status": status,
                             "detail": f"{request.method} {request.url.path} is not in the specification"},
                            status_code=status, media_type="application/problem+json")

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    return _Latency(app, latency_s) if latency_s else app


class _Latency:
    """Every answer ``seconds`` late, as over a network: the documented operations and the refused
    paths alike (a 404 answered at once made a slow mock look local to the suite's preflight)."""

    def __init__(self, app, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


class _Server(uvicorn.Server):
    """uvicorn's server, with our own SIGTERM/SIGINT handling: stop serving, exit with status 0
    (uvicorn's own handlers re-raise the signal once it has shut down)."""

    @contextlib.contextmanager
    def capture_signals(self):  # noqa: ANN201
        yield


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tests/mock_server.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=str(SPEC), help="the OpenAPI 3.0 spec (default: specs/openapi.yaml)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--latency-ms", type=float, default=0.0, metavar="N",
                        help="delay every answer by N ms, concurrent requests in parallel (default 0)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random data (default: a new one)")
    args = parser.parse_args(argv)
    spec = load_spec(args.spec)
    app = create_app(spec, seed=args.seed, latency_s=args.latency_ms / 1000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    server = _Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="off"))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: setattr(server, "should_exit", True))
    host, port = sock.getsockname()[:2]
    rng = random.Random(args.seed)
    keys = {name: f"iris_mock{rng.getrandbits(64):016x}" for name in ("primary", "other_tenant", "revoked", "expired")}
    print(json.dumps({"base_url": f"http://{host}:{port}{base_path(spec)}", "keys": keys, "mock": "stand-in"}),
          flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
