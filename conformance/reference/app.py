"""The Starlette application: wires the components; the routes only orchestrate.

Order of checks for every request (any method, any path):

1. authentication (401), by the :class:`Gate` middleware;
2. rate limit (429), by the :class:`Gate` middleware;
3. routing: undefined path -> 404 ``NOT_FOUND``; a defined path with a method other than
   GET/HEAD -> 405 ``METHOD_NOT_ALLOWED`` with ``Allow: GET, HEAD``;
4. validation of parameters and ids (400), by the parser;
5. lookup (404), by the repository.

Anything unexpected becomes a 500 ``INTERNAL_ERROR`` with a fixed message (never a traceback).

The server knows nothing of what is built on it. An :class:`Extension` is the one way in: it swaps
components (each a plain object the routes only call) and wraps the whole server in outer ASGI
layers. The project's tests build their lab this way (``tests/lab``: deliberate defects, each a
subclass of one component, and dialects, an outer layer), so the clean code path has no branch for
either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import data as data_module
from . import db
from .auth import AuthFailure, Authenticator, Principal
from .limiter import RateLimiter
from .query import QueryParser, ValidationFailed, parse_query_string
from .repository import Repository
from .serializer import Serializer
from .settings import Settings

PRINCIPAL = "iris.principal"
_FALLBACK_500 = (b'{"success":false,"error":{"code":"INTERNAL_ERROR","message":"Internal server error"}}')


@dataclass(frozen=True)
class Components:
    authenticator: Authenticator
    limiter: RateLimiter
    parser: QueryParser
    repository: Repository
    serializer: Serializer


def build_components(settings: Settings, dataset: data_module.Dataset | None = None) -> Components:
    """The clean components over a freshly generated and loaded database."""
    dataset = dataset if dataset is not None else data_module.generate(settings.seed, settings.records, settings.size)
    conn = db.build(dataset)
    return Components(
        authenticator=Authenticator(conn),
        limiter=RateLimiter(settings.rate_limit, settings.rate_window),
        parser=QueryParser(),
        repository=Repository(conn),
        serializer=Serializer(),
    )


# ------------------------------------------------------------------------------------ the gate

class Gate:
    """Authentication and rate limiting before routing, rate-limit headers on every counted
    response, and the last line of defence against unexpected exceptions."""

    def __init__(self, app: ASGIApp, components: Components) -> None:
        self.app = app
        self.components = components

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        extra: list[tuple[bytes, bytes]] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if extra:
                    names = {name for name, _ in extra}
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                    message = {**message, "headers": kept + extra}
            await send(message)

        try:
            refusal = self.admit(scope, extra)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except Exception:  # noqa: BLE001 - nothing may escape as a traceback or a non-JSON 500
            if started:
                return
            try:
                response = self.components.serializer.internal_error()
            except Exception:  # noqa: BLE001
                response = Response(_FALLBACK_500, status_code=500, media_type="application/json")
            try:
                await response(scope, receive, send_with_headers)
            except Exception:  # noqa: BLE001
                pass

    def admit(self, scope: Scope, extra: list[tuple[bytes, bytes]]) -> Response | None:
        """None when the request may go on; else the response that refuses it."""
        c = self.components
        outcome = c.authenticator.authenticate(Headers(scope=scope), scope)
        if isinstance(outcome, AuthFailure):
            return c.serializer.unauthorized(outcome.status, outcome.code, outcome.message, outcome.headers)
        decision = c.limiter.hit(outcome.key_id)
        extra.extend((name.lower().encode("latin-1"), value.encode("latin-1"))
                     for name, value in c.limiter.headers(decision).items())
        if not decision.allowed:
            return c.serializer.rate_limited(c.limiter.refusal_headers(decision))
        scope[PRINCIPAL] = outcome
        return None


# ------------------------------------------------------------------------------- the endpoints

class Endpoints:
    def __init__(self, components: Components) -> None:
        self.c = components

    @staticmethod
    def tenant(request: Request) -> int:
        principal: Principal = request.scope[PRINCIPAL]
        return principal.tenant_id

    @staticmethod
    def params(request: Request) -> dict[str, list[str]]:
        return parse_query_string(request.scope.get("query_string", b""))

    async def tariffs(self, request: Request) -> Response:
        c = self.c
        query = c.parser.tariff_list(self.params(request))
        return c.serializer.ok_list(c.repository.tariffs(self.tenant(request), query), c.serializer.tariff)

    async def tariff(self, request: Request) -> Response:
        c = self.c
        row = c.repository.tariff(self.tenant(request), c.parser.integer_id(request.path_params["id"]))
        return c.serializer.not_found("Tariff") if row is None else c.serializer.ok_detail(c.serializer.tariff(row))

    async def customers(self, request: Request) -> Response:
        c = self.c
        query = c.parser.customer_list(self.params(request))
        return c.serializer.ok_list(c.repository.customers(self.tenant(request), query), c.serializer.customer)

    async def customer(self, request: Request) -> Response:
        c = self.c
        row = c.repository.customer(self.tenant(request), c.parser.customer_id(request.path_params["id"]))
        return (c.serializer.not_found("Customer") if row is None
                else c.serializer.ok_detail(c.serializer.customer(row)))

    async def stations(self, request: Request) -> Response:
        c = self.c
        query = c.parser.station_list(self.params(request))
        return c.serializer.ok_list(c.repository.stations(self.tenant(request), query), c.serializer.station)

    async def station(self, request: Request) -> Response:
        c = self.c
        row = c.repository.station(self.tenant(request), c.parser.integer_id(request.path_params["id"]))
        return (c.serializer.not_found("Station") if row is None
                else c.serializer.ok_detail(c.serializer.station(row)))

    async def sessions(self, request: Request) -> Response:
        c = self.c
        query = c.parser.session_list(self.params(request))
        return c.serializer.ok_list(c.repository.sessions(self.tenant(request), query), c.serializer.session)

    async def session(self, request: Request) -> Response:
        c = self.c
        row = c.repository.session(self.tenant(request), c.parser.integer_id(request.path_params["id"]))
        return (c.serializer.not_found("Session") if row is None
                else c.serializer.ok_detail(c.serializer.session(row)))

    async def chargers(self, request: Request) -> Response:
        c = self.c
        query = c.parser.charger_status(self.params(request))
        return c.serializer.ok_list(c.repository.chargers_near(self.tenant(request), query), c.serializer.charger)

    def routes(self, base_path: str) -> list[Route]:
        table = (
            ("/tariffs", self.tariffs), ("/tariffs/{id}", self.tariff),
            ("/customers", self.customers), ("/customers/{id}", self.customer),
            ("/stations", self.stations), ("/stations/{id}", self.station),
            ("/sessions", self.sessions), ("/sessions/{id}", self.session),
            ("/chargers/status", self.chargers),
        )
        return [Route(base_path + path, endpoint, methods=["GET"]) for path, endpoint in table]


# ---------------------------------------------------------------------------------- the app

@dataclass(frozen=True)
class Extension:
    """What a caller adds to the clean server, at two points only.

    ``swap`` takes the components (built clean, or given to :func:`create_app`) and returns them with
    some replaced, e.g. ``lambda c: dataclasses.replace(c, parser=StricterParser())``.
    ``layers`` are ASGI middleware around the whole server, outermost first: they see every request
    before the :class:`Gate` and every answer after it, its refusals and 500s included.
    """

    swap: Callable[[Components], Components] = lambda components: components
    layers: tuple[Middleware, ...] = ()

    def then(self, other: Extension) -> Extension:
        """This extension and then ``other``: its swaps after these, its layers inside these."""
        return Extension(lambda components: other.swap(self.swap(components)), (*self.layers, *other.layers))


def create_app(settings: Settings | None = None, components: Components | None = None,
               extension: Extension | None = None) -> Starlette:
    """The reference server over ``components`` (built clean from ``settings`` when not given),
    with what ``extension`` swaps and wraps."""
    settings = settings or Settings()
    extension = extension or Extension()
    components = extension.swap(components if components is not None else build_components(settings))
    serializer = components.serializer

    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 405:
            return serializer.method_not_allowed()
        if status == 404:
            return serializer.not_found("Path")
        return serializer.internal_error()

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ValidationFailed)
        return serializer.validation_error(exc.message, exc.details)

    async def internal_error(request: Request, exc: Exception) -> Response:
        return serializer.internal_error()

    app = Starlette(
        routes=Endpoints(components).routes(settings.base_path),
        middleware=[*extension.layers, Middleware(Gate, components=components)],
        exception_handlers={HTTPException: http_error, ValidationFailed: validation_error,
                            Exception: internal_error},
    )
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.components = components
    app.state.keys = data_module.api_keys(settings.seed)
    return app
