"""The run's request ledger, shared by every process of one run (pytest-xdist workers included).

One small file holds the counts (requests sent, 429s waited out, seconds waited, first and last
request time) and the first reason the run cannot judge the deployment; the ``--max-requests`` and
``--max-duration`` budgets and the ``--max-rps`` pace are enforced against it. The controller
creates the file; each xdist worker opens it (its path and clock come with the run's configuration,
see ``conformance.plugin.lifecycle``) and updates it under an exclusive ``flock``, so the budget
and the pace hold for the whole run, not per worker, and the controller's report states what the run
as a whole sent.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

#: The keys a run sends requests with, by role: each is counted and paced apart (a gateway's usage
#: plan counts and throttles each key on its own), ``other`` being no key or a key the suite made up.
KEY_ROLES = ("primary", "other_tenant", "revoked", "expired", "other")

# The file: the run's counts, then one block per key role. Times are time.monotonic() (system-wide on
# Linux, so every process of the run shares them).
_GLOBAL = ("requests", "rate_limited", "first", "last", "next_slot", "waited", "provoked_until")
_GLOBAL_FORMAT = "qqddddd"
#: per key: its requests, the interval of the pace its 429s taught (0: none yet), the anchor of that
#: lesson (time, and the key's requests then), the key's next slot under its pace, its last request
_ROLE = ("requests", "interval", "anchor", "anchor_requests", "next_slot", "last")
_ROLE_FORMAT = "qddqdd"
_FORMAT = struct.Struct("<" + _GLOBAL_FORMAT + _ROLE_FORMAT * len(KEY_ROLES))
_EMPTY = [0, 0, 0.0, 0.0, 0.0, 0.0, 0.0] + [0, 0.0, 0.0, 0, 0.0, 0.0] * len(KEY_ROLES)


class _Values:
    """The ledger's numbers, by name: ``v.requests`` (the run's), ``v.role("primary").interval``."""

    def __init__(self, values: list):
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str):
        return self._values[_GLOBAL.index(name)]

    def __setattr__(self, name: str, value) -> None:
        self._values[_GLOBAL.index(name)] = value

    def role(self, role: str) -> "_Role":
        return _Role(self._values, len(_GLOBAL) + len(_ROLE) * KEY_ROLES.index(role if role in KEY_ROLES else "other"))


class _Role:
    def __init__(self, values: list, offset: int):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_offset", offset)

    def __getattr__(self, name: str):
        return self._values[self._offset + _ROLE.index(name)]

    def __setattr__(self, name: str, value) -> None:
        self._values[self._offset + _ROLE.index(name)] = value


#: The pace learned from a 429 is this share of the rate the deployment let through before it.
PACE_MARGIN = 0.9
#: 429s closer together than this (several in flight when a window closed) teach the pace once.
MIN_LEARNING_SPAN = 1.0
#: Without a new 429 the learned pace speeds up by this factor every PACE_GROWTH_PERIOD seconds
#: (compounded continuously), up to --max-rps: a first lesson taken while the workers were starting
#: or waiting on each other's fetches underestimates the limit (10.6 requests a second learned on a
#: rig that lets 20 through), and a pace that could only slow kept the whole run at that rate.
PACE_GROWTH = 1.05
PACE_GROWTH_PERIOD = 5.0


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
    #: requests per key role (:data:`KEY_ROLES`)
    by_key: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        keys = ", ".join(f"{role.replace('_', ' ')} {n}" for role, n in self.by_key.items() if n)
        return (f"{self.requests} requests in {self.seconds:.1f} s ({self.rate:.1f}/s){f' ({keys})' if keys else ''}; "
                f"{self.rate_limited} answered 429 and were retried after {self.waited:.1f} s of waiting")


class Ledger:
    """Counts, budget and pace of one run, in the file at ``path`` (shared across processes)."""

    def __init__(self, path: str | Path, *, max_requests: int | None = None, max_rps: float | None = None,
                 max_duration: float | None = None, started: float | None = None):
        """``started``: when the run began (``time.monotonic()``); every process of the run passes the
        same value, so ``max_duration`` counts from the same instant everywhere."""
        self.path = Path(path)
        self.max_requests = max_requests or None
        self.interval = 1.0 / max_rps if max_rps else 0.0
        self.max_duration = max_duration or None
        self.started = started if started is not None else time.monotonic()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # flock is per open file: threads of one process queue here
        #: requests this process took from the budget (the report attributes them to tests), in all
        #: and per key role (:data:`KEY_ROLES`)
        self.sent = 0
        self.sent_by_role: dict[str, int] = dict.fromkeys(KEY_ROLES, 0)

    @classmethod
    def create(cls, **limits) -> "Ledger":
        """A new ledger in a private temporary directory (the run's controller makes it)."""
        directory = tempfile.mkdtemp(prefix="iris-ledger-")
        return cls(Path(directory) / "ledger", **limits)

    # ---------------------------------------------------------------------------- file access

    def _update(self, change):
        """``change(values)`` under the run-wide lock, its result returned (``values``: :class:`_Values`)."""
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                raw = os.pread(self._fd, _FORMAT.size, 0)
                values = list(_FORMAT.unpack(raw)) if len(raw) == _FORMAT.size else list(_EMPTY)
                result = change(_Values(values))
                os.pwrite(self._fd, _FORMAT.pack(*values), 0)
                return result
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    # ------------------------------------------------------------------------------ recording

    def acquire(self, learned_pace: bool = True, role: str = "primary") -> None:
        """Take one request from the budget, waiting for its slot under ``--max-rps`` (all keys
        together) and, unless ``learned_pace`` is off (the rate-limit probe, which must outrun the
        limit), under the pace the deployment's 429s taught for this key: a gateway limits each key
        on its own, so the other tenant's, the revoked and the made-up keys are not held to the
        primary key's pace. ``role``: the key the request is sent with (:data:`KEY_ROLES`).

        Raises ``BudgetExhausted`` once ``--max-requests`` requests were sent, and the run's
        ``CannotJudge`` reason once one was recorded (no more requests go out after that)."""
        reason = self.fatal()
        if reason:
            raise CannotJudge(reason)
        if self.max_duration is not None and time.monotonic() - self.started > self.max_duration:
            raise BudgetExhausted(self.set_fatal(
                f"the time budget is spent: the run has taken more than --max-duration {self.max_duration:g} s"))

        def take(v: _Values):
            now = time.monotonic()
            if self.max_requests is not None and v.requests >= self.max_requests:
                return None
            key = v.role(role)
            if not key.interval and key.last and now - key.last > MIN_LEARNING_SPAN:
                key.anchor, key.anchor_requests = now, key.requests  # before the first lesson: a busy period begins
            v.requests += 1
            key.requests += 1
            v.first = v.first or now
            slot = max(now, v.next_slot)
            v.next_slot = slot + self.interval
            if learned_pace:
                slot = max(slot, key.next_slot)
                key.next_slot = slot + self._learned_interval(key, now)
            v.last = key.last = slot
            return slot - now

        wait = self._update(take)
        if wait is None:
            raise BudgetExhausted(self.set_fatal(
                f"the request budget is spent: --max-requests {self.max_requests} requests were sent"))
        self.sent += 1
        self.sent_by_role[role if role in KEY_ROLES else "other"] += 1
        if wait > 0:
            time.sleep(wait)

    def rate_limited(self, waited: float) -> None:
        def add(v: _Values):
            v.rate_limited += 1
            v.waited += waited
        self._update(add)

    # ------------------------------------------------------------------------- learned pace

    def _learned_interval(self, key: "_Role", now: float) -> float:
        """The interval between a key's requests under its learned pace at ``now``: the last lesson's,
        shortened by PACE_GROWTH every PACE_GROWTH_PERIOD seconds since (``--max-rps``'s interval at
        least; that alone while no 429 taught a pace)."""
        if not key.interval:
            return self.interval
        grown = key.interval / PACE_GROWTH ** (max(0.0, now - key.anchor) / PACE_GROWTH_PERIOD)
        return max(self.interval, grown)

    def learn_from_429(self, role: str = "primary") -> float | None:
        """A 429 the suite did not provoke: the key that got it slows down (on every process of the
        run). The first lesson sets its pace to ``PACE_MARGIN`` times the rate the deployment let
        through for it (an idle pause before it, such as xdist workers starting, does not count); a
        later one to ``PACE_MARGIN`` times the pace in force when it came. Between lessons the pace
        speeds up again (``PACE_GROWTH``), so it settles just under the deployment's limit instead of
        under the slowest rate a lesson ever measured. Never above ``--max-rps``. Returns the new pace
        (requests per second), or None when this 429 teaches nothing (provoked by the rate-limit
        probe, or too close to the last lesson)."""
        def learn(v: _Values):
            now = time.monotonic()
            key = v.role(role)
            if now < v.provoked_until:
                return None
            if v.provoked_until and (key.anchor or v.first) < v.provoked_until:  # the probe's requests since
                key.anchor, key.anchor_requests = now, key.requests
                return None
            since, sent = key.anchor or v.first or now, key.requests - key.anchor_requests
            if now - since < MIN_LEARNING_SPAN or sent <= 0:
                return None
            if key.interval:  # the pace in force was too fast: a little slower than it
                interval = self._learned_interval(key, now) / PACE_MARGIN
            else:  # the first lesson: a little slower than what got through
                interval = (now - since) / (PACE_MARGIN * sent)
            key.anchor, key.anchor_requests = now, key.requests
            key.interval = max(self.interval, interval)
            return 1.0 / key.interval
        return self._update(learn)

    def provoke(self, seconds: float) -> None:
        """The rate-limit probe exhausts the key on purpose: the 429s of the next ``seconds`` teach
        no pace (a later call replaces the period)."""
        def set_until(v: _Values):
            v.provoked_until = time.monotonic() + seconds
        self._update(set_until)

    def provoked(self) -> bool:
        """Whether the rate-limit probe is exhausting the key now (see :meth:`provoke`)."""
        return self._update(lambda v: time.monotonic() < v.provoked_until)

    def pace(self, role: str = "primary") -> float | None:
        """The pace learned from 429s in force now for a key (requests per second), None while none
        taught one."""
        def read(v: _Values) -> float:
            key = v.role(role)
            return self._learned_interval(key, time.monotonic()) if key.interval else 0.0
        interval = self._update(read)
        return 1.0 / interval if interval else None

    def totals(self) -> Totals:
        def read(v: _Values) -> Totals:
            return Totals(requests=v.requests, rate_limited=v.rate_limited, waited=v.waited,
                          seconds=max(0.0, v.last - v.first),
                          by_key={role: v.role(role).requests for role in KEY_ROLES})
        return self._update(read)

    # ------------------------------------------------------------------------- transient errors

    @property
    def _transient_path(self) -> Path:
        return self.path.with_suffix(".transient")

    def record_transient(self, first: dict, retried: dict) -> None:
        """A request answered 5xx (or not at all) whose second sending was answered normally: both
        attempts' evidence (redacted: no key), for TRN-04's transient finding."""
        line = json.dumps({"first": first, "retried": retried}, ensure_ascii=False) + "\n"
        with open(self._transient_path, "a", encoding="utf-8") as out:  # one short append: atomic
            out.write(line)

    def transients(self) -> list[tuple[dict, dict]]:
        """Every transient error of the run, over all processes, in the order recorded."""
        try:
            lines = self._transient_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        events = [json.loads(line) for line in lines if line.strip()]
        return [(e["first"], e["retried"]) for e in events]

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
