"""The pace learned from 429s (per key), and the workers a remote deployment gets: unit tests of
the ledger and of the concurrency choice (the real runs are tests/system/test_remote.py)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from conformance.runtime.budget import MIN_LEARNING_SPAN, PACE_GROWTH, PACE_GROWTH_PERIOD, PACE_MARGIN, Ledger
from conformance.plugin.remote import REMOTE_WORKERS, choose, parse_concurrency


@pytest.fixture
def ledger():
    made = Ledger.create()
    yield made
    made.close()


def send(ledger: Ledger, count: int, seconds: float, learned_pace: bool = True) -> None:
    for _ in range(count):
        ledger.acquire(learned_pace=learned_pace)
        time.sleep(seconds / count)


def test_a_429_teaches_a_pace_below_the_rate_the_deployment_let_through(ledger):
    assert ledger.pace() is None
    send(ledger, 30, MIN_LEARNING_SPAN * 1.2)
    let_through = 30 / (MIN_LEARNING_SPAN * 1.2)
    pace = ledger.learn_from_429()
    assert pace is not None and pace < let_through
    assert ledger.pace() == pytest.approx(pace, rel=1e-3)
    # the pace now spaces requests out: 4 requests take at least 3 intervals
    started = time.monotonic()
    send(ledger, 4, 0)
    assert time.monotonic() - started >= 3 / pace * 0.95


def test_429s_close_together_teach_once(ledger):
    send(ledger, 20, MIN_LEARNING_SPAN * 1.1)
    first = ledger.learn_from_429()
    assert ledger.learn_from_429() is None  # a second 429 of the same moment
    assert first is not None and ledger.pace() == pytest.approx(first, rel=1e-3)


def test_a_later_429_slows_the_pace_in_force_by_the_margin(ledger):
    send(ledger, 20, MIN_LEARNING_SPAN * 1.1)
    first = ledger.learn_from_429()
    time.sleep(MIN_LEARNING_SPAN * 1.1)
    send(ledger, 3, 0)
    in_force = ledger.pace()
    assert in_force > first  # it grew while no 429 came
    second = ledger.learn_from_429()
    assert second == pytest.approx(in_force * PACE_MARGIN, rel=0.02)


def test_without_429s_the_pace_grows_back_but_never_above_max_rps():
    ledger = Ledger.create(max_rps=50)
    try:
        key = SimpleNamespace(interval=0.1, anchor=100.0)  # a lesson of 10/s at t=100
        assert ledger._learned_interval(key, 100.0) == pytest.approx(0.1)
        assert ledger._learned_interval(key, 100.0 + PACE_GROWTH_PERIOD) == pytest.approx(0.1 / PACE_GROWTH)
        assert ledger._learned_interval(key, 100.0 + 100 * PACE_GROWTH_PERIOD) == pytest.approx(1 / 50)
        key.interval = 0.0
        assert ledger._learned_interval(key, 200.0) == pytest.approx(1 / 50)  # no lesson: --max-rps only
    finally:
        ledger.close()


def test_each_key_is_paced_on_its_own_and_counted_on_its_own(ledger):
    """A gateway throttles each key: the made-up keys' 429 slows them, not the primary key."""
    for _ in range(20):
        ledger.acquire(role="primary")
        ledger.acquire(role="other")
        time.sleep(MIN_LEARNING_SPAN * 1.1 / 20)
    assert ledger.learn_from_429("other") is not None
    assert ledger.pace("other") is not None and ledger.pace("primary") is None
    started = time.monotonic()
    for _ in range(10):
        ledger.acquire(role="primary")
    assert time.monotonic() - started < 9 / ledger.pace("other")  # the primary key is not held back
    assert ledger.totals().by_key["primary"] == 30 and ledger.totals().by_key["other"] == 20


def test_429s_the_rate_limit_probe_provoked_teach_nothing(ledger):
    send(ledger, 20, MIN_LEARNING_SPAN * 1.1)
    ledger.provoke(5)
    assert ledger.learn_from_429() is None and ledger.pace() is None


def test_the_probe_is_not_held_to_the_learned_pace(ledger):
    send(ledger, 20, MIN_LEARNING_SPAN * 1.1)
    pace = ledger.learn_from_429()
    started = time.monotonic()
    send(ledger, 10, 0, learned_pace=False)
    assert time.monotonic() - started < 9 / pace  # unpaced: faster than the learned pace allows


def test_the_learned_pace_is_never_above_max_rps():
    ledger = Ledger.create(max_rps=5)
    try:
        send(ledger, 8, 0)  # paced at 5/s by --max-rps: 1.4 s
        assert ledger.learn_from_429() <= 5 * 1.0001
    finally:
        ledger.close()


@pytest.mark.parametrize("requested, remote, rtt, max_rps, xdist, workers", [
    (None, False, 0.001, None, True, 1),
    (None, True, 0.1, None, True, REMOTE_WORKERS),
    (None, True, 0.1, 5, True, 1),  # 5 requests a second at 100 ms need one in flight
    (None, True, 0.1, 10, True, 2),
    (2, False, 0.001, None, True, 2),
    (None, True, 0.1, None, False, 1),  # no pytest-xdist: serial, and the report says why
])
def test_concurrency_is_what_the_deployment_needs(requested, remote, rtt, max_rps, xdist, workers):
    chosen = choose(requested, remote, rtt, max_rps, xdist)
    assert chosen.workers == workers
    if not xdist:
        assert "not installed" in chosen.why


@pytest.mark.parametrize("text", ["0", "-1", "many"])
def test_a_bad_concurrency_is_a_usage_error(text):
    with pytest.raises(pytest.UsageError, match="--concurrency"):
        parse_concurrency(text)


# ------------------------------------------------------------------------------ real runs


def test_the_probe_s_provoked_period_is_seen_and_ends(ledger):
    assert not ledger.provoked()
    ledger.provoke(0.2)
    assert ledger.provoked()  # another test's 5xx now waits, as a 429 would (BURST_5XX_WAITS)
    time.sleep(0.25)
    assert not ledger.provoked()
