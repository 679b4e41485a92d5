"""RATE-01..03: per-key limits, 429 with Retry-After, consistent X-RateLimit headers.

The limits are deployment-specific and undocumented, so the suite probes for them with ONE bounded
burst per run (the ``burst`` fixture): a cheap list request repeated with the primary key, at most
``budget["rate_probe"]`` times, stopping at the first 429. A limit the burst does not reach is
reported as not observed, never as a pass; a burst answered with a server error (5xx) where the
limit should refuse with a 429 fails RATE-01 (with the 5xx's request), it is not a limit "not
observed". Header names, status and code come from ``x-api.rate-limit``.

The burst is intrusive: it exhausts the primary key's limit until its Retry-After has passed (the
tests that follow wait it out). The tests that send or read it are marked ``intrusive``.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.expect import Violation, counted, expect, request_text, some
from conformance.inputs.pagination import fetch_page
from conformance.inputs.sampling import detail_path
from conformance.contract.spec import Operation, Spec

#: Property tests that send several requests per example run fewer examples than the profile says.
FEW = settings(max_examples=max(1, settings().max_examples // 8))


def uses_the_burst(test):
    """Intrusive (the burst exhausts the key's quota and may trip alarms), and kept on one xdist
    worker (``--dist loadgroup``, which the plugin selects) so that one burst serves them all."""
    return pytest.mark.intrusive(pytest.mark.xdist_group("rate-limit")(test))


#: The longest Retry-After the suite waits out; a longer one leaves RATE-02's recovery not run.
MAX_RETRY_WAIT = 65

#: Consecutive 2xx answers after X-RateLimit-Remaining reached 0 that prove the limit is not enforced
#: (a sliding window or token bucket frees a slot now and then, never this many in a row).
OVERRUN = 10


@dataclass
class Burst:
    op: Operation
    params: dict[str, Any]
    exchanges: list[Exchange] = field(default_factory=list)
    refused: Exchange | None = None  # the first 429
    refused_at: float = 0.0  # time.monotonic() when it arrived
    other: Exchange | None = None  # the other tenant's key, right after the 429
    other_skipped: str = ""
    overrun: int = 0  # 2xx answers in a row while Remaining said 0 (the burst stops at OVERRUN)
    server_error: Exchange | None = None  # the first 5xx (the burst stops there)


def other_tenant_probe(request: pytest.FixtureRequest, probe_session: Any, burst: Burst) -> None:
    try:
        other: ApiClient = request.getfixturevalue("other_tenant_api")
    except pytest.skip.Exception as skipped:
        burst.other_skipped = str(skipped.msg)
        return
    burst.other = other.with_session(probe_session).get(burst.op.path, burst.params)


#: Requests in flight at once during the burst: a fixed-window limit is only seen by a client faster
#: than limit/window, and one request at a time is not, on a busy machine.
CONCURRENCY = 8


#: Seconds between two requests while waiting for a key that a burst left answered with 5xx.
RECOVERY_POLL = 0.5


@pytest.fixture(scope="session")  # once per run, even when xdist interleaves other modules' tests
def burst(request, probe_api: ApiClient, probe_session, iris_spec: Spec, budget, provoke_rate_limit) -> Burst:
    """The one burst of the run, shared by the tests of this module: waves of concurrent requests,
    read in order, until the first 429 or 5xx (or the probe budget is spent). A burst that ended in
    a 5xx has no Retry-After to wait out: before the tests of other modules run, the key is polled
    (at most ``MAX_RETRY_WAIT`` s) until it is served again, so that they do not read the limit's
    server errors as their own."""
    provoke_rate_limit(MAX_RETRY_WAIT)  # the 429s this burst causes, on any worker, teach no pace
    result = run_burst(request, probe_api, probe_session, iris_spec, budget)
    value = retry_after(iris_spec, result.refused) if result.refused is not None else None
    provoke_rate_limit(min(int(value), MAX_RETRY_WAIT) + 1 if value and value.isdigit() else
                       MAX_RETRY_WAIT if result.refused is not None else 0)
    yield result
    if result.server_error is not None:
        deadline = time.monotonic() + MAX_RETRY_WAIT
        while time.monotonic() < deadline and probe_api.get(result.op.path, result.params).status >= 500:
            time.sleep(RECOVERY_POLL)


def run_burst(request, probe_api: ApiClient, probe_session, iris_spec: Spec, budget) -> Burst:
    names = iris_spec.api_view.rate_limit
    op = iris_spec.resource_list_operations[0]
    result = Burst(op, {op.paging.pagesize_param: 1})
    at_zero = 0
    sent = 0
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        while sent < budget["rate_probe"]:
            wave = min(CONCURRENCY, budget["rate_probe"] - sent)
            sent += wave
            for exchange in pool.map(lambda _: probe_api.get(op.path, result.params), range(wave)):
                result.exchanges.append(exchange)
                if exchange.status >= 500:
                    result.server_error = exchange
                    return result
                if exchange.status == names.status:
                    result.refused, result.refused_at = exchange, time.monotonic()
                    other_tenant_probe(request, probe_session, result)
                    return result
                exhausted = exchange.headers.get(names.remaining_header, "").strip() == "0" and exchange.status < 300
                at_zero = at_zero + 1 if exhausted else 0
                if at_zero > OVERRUN:
                    result.overrun = at_zero - 1
                    return result
    return result


def server_error_violation(burst: Burst, iris_spec: Spec) -> Violation:
    names = iris_spec.api_view.rate_limit
    error = burst.server_error
    served = sum(1 for ex in burst.exchanges if 200 <= ex.status < 300)
    return Violation("RATE-01", f"request {len(burst.exchanges)} of a burst of {burst_text(burst)} with one key",
                     (error,), expected=f"HTTP {names.status} with code {names.code} once the key is over its limit, "
                                        "never a server error",
                     got=f"HTTP {error.status} after {served} served")


def burst_text(burst: Burst) -> str:
    """The request the burst repeats: ``GET /tariffs with pagesize=1``."""
    return request_text(burst.op.path, burst.params)


def refusal(burst: Burst, iris_spec: Spec) -> Exchange:
    """The burst's 429; a burst that ended in a 5xx broke RATE-01 (the tests that need its 429 are
    blocked by it); else skip: the limit was not observed."""
    if burst.server_error is not None:
        raise server_error_violation(burst, iris_spec)
    if burst.refused is None:
        pytest.skip(f"not run: limit not observed within {len(burst.exchanges)} requests "
                    "(raise --profile or the probe budget)")
    return burst.refused


# ------------------------------------------------------------------------------------ RATE-01


@uses_the_burst
@pytest.mark.requirement("RATE-01")
def test_over_the_limit_is_429_rate_limit_exceeded(burst, envelope, iris_spec):
    names = iris_spec.api_view.rate_limit
    expect(not burst.overrun, "RATE-01",
           f"a burst of {burst_text(burst)} with one key, after {names.remaining_header} reached 0",
           *burst.exchanges[-2:], expected=f"HTTP {names.status} with code {names.code}: the advertised limit enforced",
           got=f"{burst.overrun} more answers served in a row")
    if burst.server_error is not None:
        raise server_error_violation(burst, iris_spec)
    refused = refusal(burst, iris_spec)
    envelope.expect_error(refused, names.code, "RATE-01",
                          f"the refusal of request {len(burst.exchanges)} of a burst of {burst_text(burst)}")


@uses_the_burst
@pytest.mark.requirement("RATE-01")
def test_limits_are_per_key(burst, iris_spec):
    refused = refusal(burst, iris_spec)
    if burst.other is None:
        pytest.skip(burst.other_skipped)
    expect(200 <= burst.other.status < 300, "RATE-01",
           f"{burst_text(burst)} with another tenant's key, while the primary key was refused", burst.other, refused,
           expected="HTTP 200: each key has its own limit")


# ------------------------------------------------------------------------------------ RATE-02


def retry_after(iris_spec: Spec, exchange: Exchange) -> str | None:
    value = exchange.headers.get(iris_spec.api_view.rate_limit.retry_after_header)
    return None if value is None else value.strip()


@uses_the_burst
@pytest.mark.requirement("RATE-02")
def test_a_429_carries_retry_after_in_whole_seconds(burst, iris_spec):
    refused = refusal(burst, iris_spec)
    name = iris_spec.api_view.rate_limit.retry_after_header
    value = retry_after(iris_spec, refused)
    check = f"the {name} header of the HTTP {refused.status} answer to {burst_text(burst)}"
    expect(value is not None, "RATE-02", check, refused, expected="a whole number of seconds",
           got=f"no {name} header")
    expect(re.fullmatch(r"[0-9]+", value), "RATE-02", check, refused, expected="a whole number of seconds",
           got=f"{name}: {value}")


@uses_the_burst
@pytest.mark.requirement("RATE-02")
def test_the_same_key_is_served_again_after_retry_after(burst, iris_spec, probe_api):
    refused = refusal(burst, iris_spec)
    value = retry_after(iris_spec, refused)
    if value is None or not value.isdigit():
        pytest.skip("not run: the 429 gives no Retry-After in whole seconds to wait (a RATE-02 failure of its own)")
    wait = int(value)
    if wait > MAX_RETRY_WAIT:
        pytest.skip(f"not run: Retry-After is {wait} s, longer than the {MAX_RETRY_WAIT} s the suite waits")
    time.sleep(max(0.0, burst.refused_at + wait - time.monotonic()))
    exchange = probe_api.get(burst.op.path, burst.params)
    expect(200 <= exchange.status < 300, "RATE-02",
           f"{burst_text(burst)} with the refused key, after waiting the {wait} s of Retry-After", exchange, refused,
           expected="HTTP 200: the key is served again")


# ------------------------------------------------------------------------------------ RATE-03


def header_problems(iris_spec: Spec, exchange: Exchange) -> list[str] | None:
    """What is wrong with the X-RateLimit headers of ``exchange``; None when it carries neither."""
    names = iris_spec.api_view.rate_limit
    values = {n: exchange.headers.get(n) for n in (names.limit_header, names.remaining_header)}
    if all(v is None for v in values.values()):
        return None
    problems = [f"{n}: {v}" for n, v in values.items() if v is not None and not re.fullmatch(r"[0-9]+", v.strip())]
    limit, remaining = values.values()
    if not problems and limit is not None and remaining is not None and int(remaining) > int(limit):
        problems.append(f"{names.remaining_header}: {remaining} above {names.limit_header}: {limit}")
    return problems


def headers_rule(iris_spec: Spec) -> str:
    """What RATE-03 expects of the rate-limit headers."""
    names = iris_spec.api_view.rate_limit
    return (f"{names.limit_header} and {names.remaining_header} non-negative integers, {names.remaining_header} at "
            f"most {names.limit_header}")


@pytest.fixture(scope="session")
def listed_ids(api: ApiClient, envelope, iris_spec: Spec):
    """The ids on the first page of the list of a detail operation, read once per operation. A list
    that cannot be read blames its own requirement (a 5xx is TRN-04's)."""
    cache: dict[str, list[Any]] = {}

    def ids_of(op: Operation) -> list[Any]:
        if op.operation_id not in cache:
            listing = next((o for o in iris_spec.resource_list_operations
                            if o.resource_view.detail_operation == op.operation_id), None)
            if listing is None:
                pytest.skip(f"not run: no list operation of the spec names {op.operation_id} as its detail")
            _, records, _ = fetch_page(api, envelope, listing, {}, 1, listing.paging.max_pagesize, "PAGE-01")
            id_field = listing.resource_view.id_field
            cache[op.operation_id] = [r.get(id_field) for r in records
                                      if isinstance(r, dict) and r.get(id_field) is not None]
        return cache[op.operation_id]

    return ids_of


def valid_request(data, op: Operation, listed_ids, base_query) -> tuple[str, dict[str, Any]]:
    """A valid request of ``op`` drawn among live values: a listed id for a detail operation, a page
    size for a list."""
    if op.path_params:
        ids = listed_ids(op)
        if not ids:
            pytest.skip(f"not run: no data: the list of {op.operation_id} returned no records")
        return detail_path(op, data.draw(st.sampled_from(ids), label="id")), {}
    pag = op.paging
    params = dict(base_query(op))
    params[pag.pagesize_param] = data.draw(st.integers(1, pag.max_pagesize), label="pagesize")
    return op.path, params


@pytest.mark.requirement("RATE-03")
@FEW
@given(data=st.data())
def test_rate_limit_headers_are_non_negative_integers_with_remaining_at_most_limit(data, api, iris_spec, any_operation,
                                                                                   listed_ids, base_query):
    path, params = valid_request(data, any_operation, listed_ids, base_query)
    exchange = api.get(path, params)
    problems = header_problems(iris_spec, exchange)
    if problems is None:
        pytest.skip("not run: the response carries no rate-limit headers (they are optional)")
    expect(not problems, "RATE-03", f"the rate-limit headers of the answer to {request_text(path, params)}", exchange,
           expected=headers_rule(iris_spec), got=", ".join(problems))


@uses_the_burst
@pytest.mark.requirement("RATE-03")
def test_rate_limit_headers_stay_consistent_through_the_burst(burst, iris_spec):
    checked = [(number, ex, problems) for number, ex in enumerate(burst.exchanges, 1)
               if (problems := header_problems(iris_spec, ex)) is not None]
    if not checked:
        pytest.skip("not run: no response of the burst carries rate-limit headers (they are optional)")
    bad = [(number, ex, problems) for number, ex, problems in checked if problems]
    expect(not bad, "RATE-03",
           f"the rate-limit headers of the {len(checked)} answers to a burst of {burst_text(burst)}",
           *[ex for _, ex, _ in bad[:2]], expected=headers_rule(iris_spec),
           got=f"{counted(len(bad), 'answer')} with other values: "
               + some((f"request {number}: {', '.join(problems)}" for number, _, problems in bad), as_is=True))
