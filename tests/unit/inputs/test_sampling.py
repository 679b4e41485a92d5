"""Unit tests of the record sampler (conformance.inputs.sampling) on fake lists in memory, and of the
filter values (conformance.inputs.filters): no server, so they run in milliseconds."""

from __future__ import annotations

import math
import random

import pytest

from conformance.contract.spec import Filter, FrozenMap, Sort
from conformance.inputs import sampling
from conformance.inputs.filters import date_param, filter_value, zone
from conformance.inputs.sampling import (extreme_queries, miss_probability, random_pagesize, run_rng,
                                  sample_records, sample_size, value_rule_violations)

SORT = Sort(sortby_param="sortby", orderby_param="orderby", fields=FrozenMap({"id": "integer", "energy": "number"}),
            default="id", orders=("ASC", "DESC"), default_order="ASC", tiebreak="id")


class FakeList:
    """A list of ``records`` sorted and paged like a deployment; counts the pages it serves."""

    def __init__(self, records: list[dict]):
        self.records = records
        self.requests: list[tuple[dict, int, int]] = []

    def __call__(self, query: dict, page: int, pagesize: int):
        self.requests.append((dict(query), page, pagesize))
        rows = list(self.records)
        if "sortby" in query:
            rows.sort(key=lambda r: (r[query["sortby"]], r["id"]), reverse=query.get("orderby") == "DESC")
        start = (page - 1) * pagesize
        return f"page {page} of {query}", rows[start:start + pagesize], len(rows)


def records(count: int, defect_every: int = 0) -> list[dict]:
    """Records ``1..count``; every ``defect_every``-th one has a negative energy."""
    rng = random.Random(count)
    return [{"id": i, "energy": -1.0 if defect_every and i % defect_every == 0 else rng.uniform(0, 80)}
            for i in range(1, count + 1)]


def key(record: dict):
    return record["id"]


def test_sizes_meet_the_promised_catch_probability():
    for profile, promised in sampling.CATCH_PROBABILITY.items():
        n = sample_size(profile)
        assert 1 - miss_probability(n) >= promised
    assert math.ceil(math.log(0.05) / math.log(0.97)) == 99 <= sample_size("default")
    assert math.ceil(math.log(0.20) / math.log(0.97)) == 53 <= sample_size("smoke")
    assert sample_size("thorough") is None
    assert sample_size("no-such-profile") == sample_size("default")


def test_random_pages_are_small_enough_to_spread_the_sample():
    assert random_pagesize(100, 100) == 10
    assert random_pagesize(60, 100) == 6
    assert random_pagesize(100, 4) == 4
    assert random_pagesize(None, 100) == 100


def test_extremes_are_every_sort_field_in_every_order():
    assert extreme_queries(SORT) == [{"sortby": "energy", "orderby": "ASC"}, {"sortby": "energy", "orderby": "DESC"},
                                     {"sortby": "id", "orderby": "ASC"}, {"sortby": "id", "orderby": "DESC"}]
    assert extreme_queries(None) == []


def test_a_small_list_is_walked_whole_with_the_largest_pages():
    fake = FakeList(records(250))
    sample = sample_records(fake, key=key, n=300, rng=random.Random(1), max_pagesize=100,
                            orderings=extreme_queries(SORT))
    assert sample.complete and len(sample.records) == 250 and sample.total == 250
    # the first page (of the sample's size) tells the total; then pages 1..3 of the largest size
    assert [(page, size) for _, page, size in fake.requests] == [(1, 30), (1, 100), (2, 100), (3, 100)]


def test_a_list_no_larger_than_the_sample_is_walked_whole():
    """n random records, the first page and 2 x 5 at the extremes: 100 + 10 + 10 records; a list of
    120 is read whole (2 pages of 100 after the first page of 10), one of 121 is sampled."""
    orderings = [{"sortby": "id", "orderby": o} for o in ("ASC", "DESC")]
    walked = sample_records(FakeList(records(120)), key=key, n=100, rng=random.Random(1), max_pagesize=100,
                            orderings=orderings)
    assert walked.complete and walked.requests == 3
    sampled = sample_records(FakeList(records(121)), key=key, n=100, rng=random.Random(1), max_pagesize=100,
                             orderings=orderings)
    assert sampled.random_pages


def test_a_list_within_one_page_costs_one_request():
    fake = FakeList(records(7))
    sample = sample_records(fake, key=key, n=100, rng=random.Random(1), max_pagesize=100)
    assert sample.complete and len(sample.records) == 7 and sample.requests == 1


def test_thorough_walks_everything():
    fake = FakeList(records(1234))
    sample = sample_records(fake, key=key, n=None, rng=random.Random(1), max_pagesize=100)
    assert sample.complete and [r["id"] for r in sample.records] == list(range(1, 1235))
    assert sample.requests == 13


def test_a_large_list_is_sampled_first_page_extremes_and_random_pages():
    fake = FakeList(records(5000))
    sample = sample_records(fake, key=key, n=100, rng=random.Random(1), max_pagesize=100,
                            orderings=extreme_queries(SORT))
    assert not sample.complete and sample.total == 5000
    queries = [q for q, _, _ in fake.requests]
    assert queries[0] == {} and fake.requests[0][1] == 1
    assert queries[1:5] == extreme_queries(SORT)  # page 1 of each sort field and order
    assert all(q == {} for q in queries[5:])
    ids = {r["id"] for r in sample.records}
    assert {1, 5000} <= ids  # both ends of the id order
    assert sample.random_records >= 100
    assert len(sample.records) == len(ids)  # deduplicated
    assert len(sample.random_pages) == len(set(sample.random_pages)) == 10
    assert 1 not in sample.random_pages
    # spread across the whole range, not bunched at the front
    assert max(sample.random_pages) > 250 and min(sample.random_pages) < 250
    assert sample.requests == 1 + 4 + 10


def test_the_same_seed_samples_the_same_pages_and_another_seed_other_ones():
    def pages(seed):
        return sample_records(FakeList(records(5000)), key=key, n=100, rng=run_rng(seed, "listSessions"),
                              max_pagesize=100).random_pages

    assert pages(7) == pages(7)
    assert pages(7) != pages(8)
    assert run_rng(7, "a").random() != run_rng(7, "b").random()


def test_records_are_deduplicated_by_id_and_keep_the_page_they_were_seen_on():
    rows = records(40)
    fake = FakeList(rows)
    sample = sample_records(fake, key=key, n=10, rng=random.Random(3), max_pagesize=100,
                            orderings=[{"sortby": "id", "orderby": "ASC"}])
    assert len({r["id"] for r in sample.records}) == len(sample.records)
    first = sample.records[0]
    assert sample.seen_on(first) == "page 1 of {}"


def test_random_pages_end_with_the_range_the_total_gives():
    """A total that promises more records than the pages hold: the sampler reads every page of the
    range once, then stops (it never reads past ``ceil(total / pagesize)``)."""

    class Overcounting(FakeList):
        def __call__(self, query, page, pagesize):
            evidence, items, _ = super().__call__(query, page, pagesize)
            return evidence, items, 1000

    fake = Overcounting(records(120))  # pages of 12: the random pages can hold 108 < n records
    sample = sample_records(fake, key=key, n=115, rng=random.Random(1), max_pagesize=100)
    assert sorted(sample.random_pages) == list(range(2, 85))
    assert len(sample.records) == 120 and sample.random_records == 108 and not sample.complete


@pytest.mark.parametrize("seed", range(20))
def test_a_three_percent_defect_deep_in_the_data_is_met(seed):
    """Every 33rd record is defective (3 %): the first page and the extremes of a sort that does not
    order by the defect can miss it; the random pages meet it (P(miss) = 0.97 ** 100 < 5 %)."""
    rows = records(3300, defect_every=33)
    rng = random.Random(seed)
    rng.shuffle(rows)  # the default order is not the id order
    sample = sample_records(FakeList(rows), key=key, n=100, rng=run_rng(seed, "x"), max_pagesize=100,
                            orderings=[{"sortby": "id", "orderby": o} for o in ("ASC", "DESC")])
    assert any(r["energy"] < 0 for r in sample.records)


def test_the_catch_rate_over_many_seeds_is_what_the_math_says():
    """Over 300 seeds the sample misses a 3 % defect about as often as 0.97 ** n (binomial bound)."""
    rows = records(6600, defect_every=33)
    random.Random(0).shuffle(rows)
    for n, bound in ((100, 0.05), (60, 0.20)):
        missed = sum(not any(r["energy"] < 0 for r in sample_records(
            FakeList(rows), key=key, n=n, rng=run_rng(seed, n), max_pagesize=100).records) for seed in range(300))
        assert missed / 300 <= bound


# ---------------------------------------------------------------------------- value rules

SESSION = {
    "type": "object", "required": ["id", "energy_kwh", "tariff_id", "end_time"],
    "x-invariants": [{"id": "SES-01"}],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "energy_kwh": {"type": "number", "minimum": 0},
        "power_kw": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "tariff_id": {"type": "integer", "minimum": 1, "nullable": True},
        "end_time": {"type": "string", "format": "date-time", "nullable": True,
                     "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", "example": "2026-01-01T00:00:00Z"},
        "status": {"type": "string", "enum": ["STARTED", "STOPPED"]},
    },
}


def test_a_record_within_the_rules_breaks_none():
    assert value_rule_violations(SESSION, {"id": 1, "energy_kwh": 0, "tariff_id": None, "end_time": None,
                                           "power_kw": 7.4, "status": "STARTED"}) == []


def test_bounds_enums_nulls_and_required_members_are_env_01():
    found = value_rule_violations(SESSION, {"id": 0, "energy_kwh": -0.5, "tariff_id": None, "power_kw": 0,
                                            "status": "stopped"})
    assert {rid for rid, _ in found} == {"ENV-01"}
    text = " | ".join(what for _, what in found)
    assert "energy_kwh: -0.5 is less than the minimum of 0" in text
    assert "power_kw: 0 is less than or equal to the minimum of 0" in text  # exclusiveMinimum (OpenAPI 3.0)
    assert "id: 0 is less than the minimum of 1" in text
    assert "status:" in text and "'end_time' is a required property" in text


def test_a_timestamp_out_of_form_is_env_02():
    found = value_rule_violations(SESSION, {"id": 1, "energy_kwh": 1, "tariff_id": 3,
                                            "end_time": "2026-01-01 00:00:00+05:30"})
    assert [rid for rid, _ in found] == ["ENV-02"]


def test_null_is_refused_where_the_schema_is_not_nullable():
    found = value_rule_violations(SESSION, {"id": 1, "energy_kwh": None, "tariff_id": None, "end_time": None})
    assert found and found[0][0] == "ENV-01" and found[0][1].startswith("energy_kwh:")


# ---------------------------------------------------------------------------- filter values

def flt(match: str, **more) -> Filter:
    return Filter(param="p", field="f", match=match, **more)


FROM = flt("datetime-from", format="%Y-%m-%d %H:%M:%S")
TO_IST = flt("datetime-to", format="%Y-%m-%d %H:%M", timezone="Asia/Kolkata")


def test_filter_values_are_what_a_record_carries_in_the_filters_form():
    assert filter_value(flt("equals"), "user123") == "user123"
    assert filter_value(flt("integer-equals"), 42) == "42"
    assert filter_value(flt("boolean"), True) == "true" and filter_value(flt("boolean"), False) == "false"
    assert filter_value(flt("enum"), "STOPPED") == "STOPPED"
    assert filter_value(FROM, "2026-11-20T08:15:00Z") == "2026-11-20 08:15:00"
    assert filter_value(TO_IST, "2026-11-20T08:15:00Z") == "2026-11-20 13:45"
    assert filter_value(flt("equals"), None) is None
    assert filter_value(flt("equals"), "  ") is None
    assert filter_value(flt("equals"), [1]) is None
    assert filter_value(FROM, "not a time") is None


def test_a_boolean_filter_selects_only_booleans():
    assert filter_value(flt("boolean"), "yes") is None and filter_value(flt("boolean"), 1) is None


def test_a_timestamp_without_offset_is_read_as_utc():
    assert filter_value(FROM, "2026-11-20T08:15:00") == "2026-11-20 08:15:00"
    assert filter_value(TO_IST, "2026-11-20T08:15:00") == "2026-11-20 13:45"
    assert filter_value(FROM, "2026-11-20T13:45:00+05:30") == "2026-11-20 08:15:00"


def test_date_param_is_the_instant_in_the_filters_form_and_zone():
    from datetime import datetime, timezone

    instant = datetime(2026, 11, 20, 8, 15, 30, tzinfo=timezone.utc)
    assert zone(FROM) is timezone.utc and zone(flt("datetime-from", format="%Y", timezone="utc")) is timezone.utc
    assert str(zone(TO_IST)) == "Asia/Kolkata"
    assert date_param(FROM, instant) == "2026-11-20 08:15:30"
    assert date_param(TO_IST, instant) == "2026-11-20 13:45"


# ---------------------------------------------------------------------------- sharing

class FakeConfig:
    def __init__(self, profile="default", seed="5"):
        import pytest as _pytest

        self.stash = _pytest.Stash()
        self.options = {"iris_profile": profile, "hypothesis_seed": seed}

    def getoption(self, name, default=None):
        return self.options.get(name, default)


class FakeApi:
    key = "iris_k"

    def __init__(self):
        self.paths = []

    def get(self, path, params=None):
        self.paths.append(path)
        return f"answer for {path}"


class FakeSpec:
    class Op:
        path = "/stations/{id}"
        path_params = ["id"]

    def operation(self, operation_id):
        return self.Op()


def test_a_sampling_that_broke_a_requirement_raises_the_same_violation_to_every_reader():
    sampler = sampling.RecordSampler(None, None, None, profile="default", seed=1)
    calls = []

    def broken(op, base, requirement_id):
        calls.append(1)
        raise AssertionError("PAGE-03 broke")

    sampler._sample = broken  # type: ignore[method-assign]

    class Op:
        operation_id = "listSessions"

    for _ in range(2):
        with pytest.raises(AssertionError, match="PAGE-03"):
            sampler.of(Op())
    assert len(calls) == 1
