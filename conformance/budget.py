"""The run's request ledger, shared by every process of one run (pytest-xdist workers included).

One small file holds the counts (requests sent, 429s waited out, seconds waited, first and last
request time), the ``--max-requests`` budget, the ``--max-rps`` pace, and the first reason the run
cannot judge the deployment. Each process opens the file named by ``IRIS_LEDGER`` and updates it under
an exclusive ``flock``, so the budget and the pace hold for the whole run, not per worker, and the
controller's report states what the run as a whole sent.
"""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ENV = "IRIS_LEDGER"

# requests, rate_limited, first, last, next_slot, waited
_FORMAT = struct.Struct("<qqdddd")


class CannotJudge(Exception):
    """The run cannot judge the deployment (unreachable, broken, budget spent): not a verdict."""


class BudgetExhausted(CannotJudge):
    pass


@dataclass(frozen=True)
class Totals:
    requests: int
    rate_limited: int
    waited: float
    seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        return (f"{self.requests} requests in {self.seconds:.1f} s ({self.rate:.1f}/s); "
                f"{self.rate_limited} answered 429 and were retried after {self.waited:.1f} s of waiting")


class Ledger:
    """Counts, budget and pace of one run, in the file at ``path`` (shared across processes)."""

    def __init__(self, path: str | Path, *, max_requests: int | None = None, max_rps: float | None = None):
        self.path = Path(path)
        self.max_requests = max_requests or None
        self.interval = 1.0 / max_rps if max_rps else 0.0
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # flock is per open file: threads of one process queue here

    @classmethod
    def create(cls, **limits) -> "Ledger":
        """A new ledger in a private temporary directory (the run's controller makes it)."""
        directory = tempfile.mkdtemp(prefix="iris-ledger-")
        return cls(Path(directory) / "ledger", **limits)

    # ---------------------------------------------------------------------------- file access

    def _update(self, change):
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(self._fd, _FORMAT.size, 0)
                values = list(_FORMAT.unpack(raw)) if len(raw) == _FORMAT.size else [0, 0, 0.0, 0.0, 0.0, 0.0]
                result = change(values)
                os.pwrite(self._fd, _FORMAT.pack(*values), 0)
                return result
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    # ------------------------------------------------------------------------------ recording

    def acquire(self) -> None:
        """Take one request from the budget, waiting for its slot under ``--max-rps``.

        Raises ``BudgetExhausted`` once ``--max-requests`` requests were sent, and the run's
        ``CannotJudge`` reason once one was recorded (no more requests go out after that)."""
        reason = self.fatal()
        if reason:
            raise CannotJudge(reason)

        def take(values):
            now = time.monotonic()
            if self.max_requests is not None and values[0] >= self.max_requests:
                return None
            values[0] += 1
            values[2] = values[2] or now
            slot = max(now, values[4])
            values[4] = slot + self.interval
            values[3] = slot
            return slot - now

        wait = self._update(take)
        if wait is None:
            raise BudgetExhausted(f"the request budget is spent: --max-requests {self.max_requests} requests were sent")
        if wait > 0:
            time.sleep(wait)

    def rate_limited(self, waited: float) -> None:
        def add(values):
            values[1] += 1
            values[5] += waited
        self._update(add)

    def totals(self) -> Totals:
        values = self._update(lambda v: list(v))
        return Totals(requests=values[0], rate_limited=values[1], waited=values[5],
                      seconds=max(0.0, values[3] - values[2]))

    # ------------------------------------------------------------------------- cannot judge

    @property
    def _fatal_path(self) -> Path:
        return self.path.with_suffix(".fatal")

    def set_fatal(self, reason: str) -> str:
        """Record why the run cannot judge; the first reason recorded wins and is returned."""
        try:
            fd = os.open(self._fatal_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.fatal() or reason
        with os.fdopen(fd, "w") as out:
            out.write(reason)
        return reason

    def fatal(self) -> str | None:
        try:
            return self._fatal_path.read_text() or None
        except FileNotFoundError:
            return None

    def close(self) -> None:
        os.close(self._fd)
