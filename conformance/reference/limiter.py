"""Rate limiting per key with a fixed window (contract RATE-01..03)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int
    """Whole seconds until the window resets (>= 1); meaningful when not allowed."""


class RateLimiter:
    """At most ``limit`` requests per key in each window of ``window`` seconds.

    A key's window starts with its first request and lasts ``window`` seconds; the next request
    after that opens a new one. Only requests that are counted (authenticated ones) call :meth:`hit`.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._windows: dict[Hashable, list[float]] = {}  # key -> [window start, count]

    def hit(self, key: Hashable) -> RateDecision:
        now = self.clock()
        state = self._windows.get(key)
        if state is None or now >= state[0] + self.window:
            state = self._windows[key] = [now, 0]
        state[1] += 1
        count = int(state[1])
        retry_after = max(1, math.ceil(state[0] + self.window - now))
        return RateDecision(allowed=count <= self.limit, limit=self.limit,
                            remaining=max(0, self.limit - count), retry_after=retry_after)

    def headers(self, decision: RateDecision) -> dict[str, str]:
        """The headers every counted response carries."""
        return {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}

    def refusal_headers(self, decision: RateDecision) -> dict[str, str]:
        """The extra headers of a 429."""
        return {"Retry-After": str(decision.retry_after)}
