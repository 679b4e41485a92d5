"""Deliberate defects of rate limiting, transport and envelopes (RATE-01..03, TRN-01..05, ENV-01..02).

Each is what a real implementation plausibly gets wrong; each overrides one method of one component.
The rate-limit defects only show when the burst of ``test_rate_limit.py`` reaches the limit: run the
server with a limit below the probe budget (e.g. ``--rate-limit 200 --rate-window 5``).
"""

from __future__ import annotations

import math
import sqlite3
import time
import traceback
from collections.abc import Hashable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import formatdate

from starlette.responses import Response

from conformance.reference.limiter import RateDecision, RateLimiter
from conformance.reference.repository import Repository, _Table
from conformance.reference.serializer import Serializer

from ..defects import defect

# ------------------------------------------------------------------------------------ RATE


@defect("rate-01-not-enforced", requirement="RATE-01", component="limiter",
        description="monitor-only limiter: counts and advertises the limit (Remaining reaches 0) but never refuses")
class NotEnforcedLimiter(RateLimiter):
    def hit(self, key: Hashable) -> RateDecision:
        return replace(super().hit(key), allowed=True)


@defect("rate-01-global-limit", requirement="RATE-01", component="limiter",
        description="one counter for all keys: a busy key gets every other tenant's key refused too")
class GlobalLimiter(RateLimiter):
    def hit(self, key: Hashable) -> RateDecision:
        return super().hit("everyone")


@defect("rate-01-500-over-limit", requirement="RATE-01", component="limiter", collateral=("TRN-04",),
        description="over the limit the limiter's check raises (an unhandled quota error) instead of refusing: "
                    "500 INTERNAL_ERROR, not 429")
class ServerErrorOverLimitLimiter(RateLimiter):
    def hit(self, key: Hashable) -> RateDecision:
        decision = super().hit(key)
        if not decision.allowed:
            raise RuntimeError("quota exceeded")  # the Gate turns it into a 500
        return decision


@defect("rate-02-no-retry-after", requirement="RATE-02", component="limiter",
        description="a 429 without Retry-After")
class NoRetryAfterLimiter(RateLimiter):
    def refusal_headers(self, decision: RateDecision) -> dict[str, str]:
        return {}


@defect("rate-02-retry-after-http-date", requirement="RATE-02", component="limiter",
        description="Retry-After as an HTTP-date instead of whole seconds")
class HttpDateRetryAfterLimiter(RateLimiter):
    def refusal_headers(self, decision: RateDecision) -> dict[str, str]:
        return {"Retry-After": formatdate(time.time() + decision.retry_after, usegmt=True)}


@defect("rate-02-retry-after-too-short", requirement="RATE-02", component="limiter",
        description="Retry-After is always 1 s while the key stays refused until its window ends")
class ShortRetryAfterLimiter(RateLimiter):
    def refusal_headers(self, decision: RateDecision) -> dict[str, str]:
        return {"Retry-After": "1"}


@defect("rate-03-remaining-negative", requirement="RATE-03", component="limiter",
        description="X-RateLimit-Remaining (the dialect's remaining header) is not clamped: it goes negative once "
                    "the key is over its limit")
class NegativeRemainingLimiter(RateLimiter):
    def hit(self, key: Hashable) -> RateDecision:
        decision = super().hit(key)
        return replace(decision, remaining=self.limit - int(self._windows[key][1]))


@defect("rate-03-limit-per-second", requirement="RATE-03", component="limiter",
        description="X-RateLimit-Limit (the dialect's limit header) gives the per-second rate while Remaining "
                    "counts the window: Remaining > Limit")
class PerSecondLimitHeaderLimiter(RateLimiter):
    def headers(self, decision: RateDecision) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(math.ceil(decision.limit / self.window)),
                "X-RateLimit-Remaining": str(decision.remaining)}


# ------------------------------------------------------------------------------------- TRN


@defect("trn-01-errors-as-text-plain", requirement="TRN-01", component="serializer",
        description="error responses carry a JSON body but Content-Type: text/plain")
class TextPlainErrorSerializer(Serializer):
    def error(self, status: int, code: str, message: str, details: list[dict] | None = None,
              headers: Mapping[str, str] | None = None) -> Response:
        return Response(self.render(self.error_body(code, message, details)), status_code=status,
                        headers=dict(headers or {}), media_type="text/plain")


@defect("trn-02-other-methods-404", requirement="TRN-02", component="serializer",
        description="a router that only knows GET routes: POST/PUT/PATCH/DELETE on a defined path get 404 NOT_FOUND")
class OtherMethodsNotFoundSerializer(Serializer):
    def method_not_allowed(self, allowed: tuple[str, ...] = ("GET", "HEAD")) -> Response:
        return self.not_found("Path")


@defect("trn-02-no-allow-header", requirement="TRN-02", component="serializer",
        description="405 METHOD_NOT_ALLOWED without an Allow header")
class NoAllowHeaderSerializer(Serializer):
    def method_not_allowed(self, allowed: tuple[str, ...] = ("GET", "HEAD")) -> Response:
        return self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed: only GET is supported")


@defect("trn-03-undefined-path-403-gateway", requirement="TRN-03", component="serializer",
        description='an undefined path gets the API gateway\'s 403 {"message": "Missing Authentication Token"}')
class GatewayUndefinedPathSerializer(Serializer):
    def not_found(self, what: str = "Resource") -> Response:
        if what != "Path":
            return super().not_found(what)
        return self.response(403, {"message": "Missing Authentication Token"})


@defect("trn-03-undefined-path-200", requirement="TRN-03", component="serializer",
        description="a greedy catch-all route answers an undefined path 200 with an empty list")
class CatchAllUndefinedPathSerializer(Serializer):
    def not_found(self, what: str = "Resource") -> Response:
        if what != "Path":
            return super().not_found(what)
        return self.response(200, {"success": True, "data": []})


@defect("trn-04-long-search-crash", requirement="TRN-04", component="repository",
        description="a search term longer than the column (255 characters) fails in the database: 500")
class LongSearchCrashRepository(Repository):
    def search_condition(self, table: _Table, search: str | None) -> tuple[list[str], list]:
        if search and len(search) > 255:
            raise sqlite3.DataError("value too long for type character varying(255)")
        return super().search_condition(table, search)


@defect("trn-05-traceback-in-400", requirement="TRN-05", component="serializer",
        description="debug mode: a 400's message ends with the Python stack that raised it")
class TracebackSerializer(Serializer):
    def validation_error(self, message: str, details: list[dict]) -> Response:
        trace = "Traceback (most recent call last):\n" + "".join(traceback.format_stack(limit=3))
        return super().validation_error(f"{message}\n{trace}", details)


# ------------------------------------------------------------------------------------- ENV


@defect("env-01-list-without-success", requirement="ENV-01", component="serializer",
        description="list bodies lack the success flag (detail and error bodies keep it); in the bare dialect, "
                    "which has no flag, list bodies hold their records under data instead of items")
class ListWithoutSuccessSerializer(Serializer):
    def list_body(self, result, item) -> dict:
        body = super().list_body(result, item)
        body.pop("success", None)
        return body


@defect("env-01-error-success-true", requirement="ENV-01", component="serializer",
        description="error bodies say success: true (a shared envelope builder's default); in the bare dialect, "
                    "which has no flag, the flag stays in the error body, a member the bare envelope does not have")
class ErrorSuccessTrueSerializer(Serializer):
    def error_body(self, code: str, message: str, details: list[dict] | None = None) -> dict:
        return dict(super().error_body(code, message, details), success=True)


@defect("env-02-timestamps-with-offset", requirement="ENV-02", component="serializer",
        description="timestamps are rendered in the server's local time with an offset (+05:30) instead of UTC Z "
                    "(+00:00 in the camel dialect)")
class LocalTimeSerializer(Serializer):
    def render(self, body: dict) -> bytes:
        return super().render(_to_local(body))


IST = timezone(timedelta(hours=5, minutes=30))


def _to_local(value):
    if isinstance(value, dict):
        return {k: _to_local(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_local(v) for v in value]
    if isinstance(value, str) and len(value) >= 20 and value.endswith("Z") and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value[:-1] + "+00:00")
        except ValueError:
            return value
        return moment.astimezone(IST).isoformat()
    return value
