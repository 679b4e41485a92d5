"""Unit tests of the suite's shared helpers (conformance.checks.records, .targets, .strategies, .timestamps)
on the packaged spec and fakes in memory: no server, so they run in milliseconds."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from conformance.checks import records

from conformance.inputs import strategies

from conformance.inputs import targets

from conformance.checks import timestamps
from conformance.contract import spec as specs

SPEC = specs.load()


def op(operation_id: str) -> specs.Operation:
    return SPEC.operation(operation_id)


def geo_list() -> specs.Operation:
    return next(o for o in SPEC.list_operations if o.geo_view is not None)


def integer_detail() -> specs.Operation:
    return next(o for o in SPEC.detail_operations if targets.id_type(o) == "integer")


def string_detail() -> specs.Operation:
    return next(o for o in SPEC.detail_operations if targets.id_type(o) == "string")


class FakeFirstPage:
    """``first_page(op, query)`` over fixed records per operation id, counting its calls."""

    def __init__(self, pages: dict[str, list[dict]]):
        self.pages, self.calls = pages, []

    def __call__(self, op: specs.Operation, query: dict | None = None) -> list[dict]:
        self.calls.append((op.operation_id, dict(query or {})))
        return self.pages.get(op.operation_id, [])


class FakeApi:
    """The part of ApiClient that targets use: it records what is sent and answers a marker."""

    def __init__(self):
        self.sent = []

    def get(self, path, params=None, key="default"):
        self.sent.append(("GET", path, params, key))
        return ("GET", path, params, key)

    def request(self, method, path, params=None):
        self.sent.append((method, path, params, "default"))
        return (method, path, params, "default")


# ----------------------------------------------------------------------------------- records

def test_record_key_is_the_id_field_or_the_geo_pair():
    listing = SPEC.resource_list_operations[0]
    id_field = listing.resource_view.id_field
    assert records.record_key(listing)({id_field: 7, "other": 1}) == 7
    geo = geo_list().geo_view
    item = {geo.station_id_field: 3, geo.charge_point_id_field: "CP-1"}
    assert records.record_key(geo_list())(item) == (3, "CP-1")


def test_list_of_is_the_list_naming_the_detail():
    for detail in SPEC.detail_operations:
        listing = records.list_of(SPEC, detail)
        assert listing.resource_view.detail_operation == detail.operation_id
    with pytest.raises(LookupError, match="detail-operation"):
        records.list_of(SPEC, SPEC.resource_list_operations[0])


def test_detail_path_fills_the_path_parameter_percent_encoded():
    detail = string_detail()
    prefix = detail.path.split("{")[0]
    assert records.detail_path(detail, 12) == prefix + "12"
    assert records.detail_path(detail, "a/b c?%") == prefix + "a%2Fb%20c%3F%25"
    assert "{" not in records.detail_path(detail, "x")


def test_by_tiebreak_and_known_records():
    listing = SPEC.resource_list_operations[0]
    sort = listing.resource_view.sort
    assert records.by_tiebreak(listing) == {sort.sortby_param: sort.tiebreak}
    first_page = FakeFirstPage({listing.operation_id: [{"id": 1}]})
    assert records.known_records(listing, first_page) == [{"id": 1}]
    assert first_page.calls == [(listing.operation_id, records.by_tiebreak(listing))]
    with pytest.raises(pytest.skip.Exception, match="no data"):
        records.known_records(listing, FakeFirstPage({}))


def test_search_param_is_none_or_skips_without_a_search():
    searched = [o for o in SPEC.resource_list_operations if o.resource_view.search_param]
    assert searched, "the packaged spec declares a search"
    for listing in searched:
        assert records.search_param(listing) == records.search_param_or_skip(listing) == \
            listing.resource_view.search.param
    unsearched = dataclasses.replace(searched[0].resource_view, search=None)
    fake = type("FakeOp", (), {"resource_view": unsearched, "operation_id": "listNothing"})()
    assert records.search_param(fake) is None
    with pytest.raises(pytest.skip.Exception, match="no search for listNothing"):
        records.search_param_or_skip(fake)


# ---------------------------------------------------------------------------------- timestamps

def test_parse_reads_iso8601_with_z_or_an_offset():
    utc = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    assert timestamps.parse("2024-05-01T12:30:00Z") == utc
    assert timestamps.parse("2024-05-01T18:00:00+05:30") == utc
    assert timestamps.parse("2024-05-01T12:30:00").tzinfo is None
    for bad in ("yesterday", "", None, 17, "2024-13-01T00:00:00Z"):
        assert timestamps.parse(bad) is None


def test_parse_utc_reads_a_naive_timestamp_as_utc():
    assert timestamps.parse_utc("2024-05-01T12:30:00") == datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    shifted = timestamps.parse_utc("2024-05-01T12:30:00-02:00")
    assert shifted.utcoffset() == -timedelta(hours=2)
    assert timestamps.parse_utc("not a time") is None


# ---------------------------------------------------------------------------------- strategies

def test_recase_applies_the_mask_cyclically():
    assert strategies.recase("x-api-key", [True]) == "X-API-KEY"
    assert strategies.recase("Bearer", [False]) == "bearer"
    assert strategies.recase("abcd", [True, False]) == "AbCd"
    assert strategies.recase("", [True]) == ""


@given(data=st.data())
def test_mixed_case_only_changes_case(data):
    word = data.draw(st.sampled_from(["asc", "DESC", "x-api-key", "Bearer", ""]))
    spelled = data.draw(strategies.mixed_case(word))
    assert spelled.lower() == word.lower() and len(spelled) == len(word)


def test_mixed_case_reaches_every_letter_case():
    seen = set()

    @settings(max_examples=200, database=None)
    @given(strategies.mixed_case("ab"))
    def collect(value):
        seen.add(value)

    collect()
    assert seen == {"ab", "Ab", "aB", "AB"}


@given(strategies.QUERY_TEXT)
def test_query_text_has_no_lone_surrogates(text):
    assert text and text.encode("utf-8")


def test_few_is_an_eighth_of_the_loaded_profile():
    assert strategies.FEW.max_examples == max(1, settings().max_examples // 8)
    settings.register_profile("library-test-many", max_examples=80)
    current = settings._current_profile
    settings.load_profile("library-test-many")
    try:
        assert strategies.FEW.max_examples == 10  # read when imported, not frozen at module import
    finally:
        settings.load_profile(current)
    with pytest.raises(AttributeError):
        strategies.NOT_A_NAME  # noqa: B018


# ------------------------------------------------------------------------------------- targets

def test_id_type_of_lists_and_details():
    for listing in SPEC.resource_list_operations:
        assert targets.id_type(listing) == listing.resource_view.id_type
    for detail in SPEC.detail_operations:
        assert targets.id_type(detail) == detail.parameter(detail.path_params[0]).type
    assert targets.id_type(geo_list()) is None


def test_absent_id_is_well_formed_and_not_live():
    assert targets.absent_id(integer_detail(), [3, 17, 5]) == str(17 + 10**9)
    assert targets.absent_id(integer_detail(), []) == str(10**9)
    detail = string_detail()
    assert targets.absent_id(detail, ["C1", "C2"]) == "C1-not-a-live-id"
    assert targets.absent_id(detail, ["C1", "C1-not-a-live-id"]) == "C1-not-a-live-id-x"
    assert targets.absent_id(detail, []) not in ("", None)


def test_invalid_id_breaks_the_schema_minimum_or_is_none():
    detail = integer_detail()
    param = detail.parameter(detail.path_params[0])
    minimum = param.minimum if param.minimum is not None else 1
    assert targets.invalid_id(detail) == str(minimum - 1)
    assert targets.invalid_id(string_detail()) is None


def test_live_ids_come_from_the_list_of_the_detail_and_skip_when_empty():
    detail = integer_detail()
    listing = records.list_of(SPEC, detail)
    id_field = listing.resource_view.id_field
    first_page = FakeFirstPage({listing.operation_id: [{id_field: 4}, {id_field: None}, {id_field: 9}]})
    assert targets.live_ids(SPEC, first_page, detail) == [4, 9]
    with pytest.raises(pytest.skip.Exception, match="no data"):
        targets.live_ids(SPEC, FakeFirstPage({}), detail)


def test_first_target_of_a_detail_and_of_a_list():
    detail = integer_detail()
    listing = records.list_of(SPEC, detail)
    id_field = listing.resource_view.id_field
    first_page = FakeFirstPage({listing.operation_id: [{id_field: 4}, {id_field: 9}]})
    t = targets.first_target(SPEC, detail, first_page, base_query=lambda o: {})
    assert t.path == records.detail_path(detail, 4) and t.params == {}
    assert t.absent == records.detail_path(detail, 9 + 10**9)
    assert t.invalid == (records.detail_path(detail, targets.invalid_id(detail)), {})
    assert t.key({id_field: 4}) == 4  # records are identified as the list identifies them

    t = targets.first_target(SPEC, listing, first_page, base_query=lambda o: {"q": "1"})
    pag = listing.paging
    assert (t.path, t.params, t.absent) == (listing.path, {"q": "1"}, None)
    assert t.invalid == (listing.path, {"q": "1", pag.pagesize_param: pag.max_pagesize + 1})

    geo = geo_list()
    t = targets.first_target(SPEC, geo, first_page, base_query=lambda o: {"lat": 0})
    g = geo.geo_view
    assert t.key({g.station_id_field: 1, g.charge_point_id_field: 2}) == (1, 2)


@given(data=st.data())
def test_draw_target_uses_a_live_id_or_a_valid_page_size(data):
    detail = string_detail()
    listing = records.list_of(SPEC, detail)
    id_field = listing.resource_view.id_field
    first_page = FakeFirstPage({listing.operation_id: [{id_field: "A"}, {id_field: "B"}]})
    t = targets.draw_target(data, SPEC, detail, first_page, lambda o: {})
    assert t.path in (records.detail_path(detail, "A"), records.detail_path(detail, "B"))
    assert t.invalid is None and t.absent == records.detail_path(detail, "A-not-a-live-id")

    t = targets.draw_target(data, SPEC, listing, first_page, lambda o: {"x": "y"})
    pag = listing.paging
    assert 1 <= t.params[pag.pagesize_param] <= pag.max_pagesize and t.params["x"] == "y"


def test_target_errors_provoke_every_error_it_can():
    api = FakeApi()
    t = targets.Target(integer_detail(), "/p/1", {}, invalid=("/p/0", {}), absent="/p/999")
    assert t.valid(api) == ("GET", "/p/1", {}, "default")
    labels = [label for label, _ in t.errors(api)]
    assert labels == ["no credential", "POST without a body", "an invalid parameter",
                      "an id the tenant does not have"]
    assert ("GET", "/p/1", {}, None) in api.sent and ("POST", "/p/1", {}, "default") in api.sent
    assert [label for label, _ in targets.Target(integer_detail(), "/p/1").errors(FakeApi())] == \
        ["no credential", "POST without a body"]



@given(data=st.data())
def test_a_foreign_record_is_one_of_their_ids_with_its_detail(data):
    """TEN-01 and TEN-02 draw the other tenant's record the same way: one of its listed ids, read
    through the list's detail operation."""
    listing = records.list_of(SPEC, integer_detail())
    id_field = listing.resource_view.id_field
    record = targets.draw_foreign_record(data, SPEC, listing, [{id_field: 7}, {id_field: 8}])
    assert record.id in (7, 8)
    assert record.detail is SPEC.operation(listing.resource_view.detail_operation)
    assert record.path == records.detail_path(record.detail, record.id)


def test_not_positive_integers_are_refused_by_the_contract_s_reading():
    from hypothesis import given, settings
    from conformance.inputs.strategies import INTEGER_NEAR_MISSES, is_positive_integer, not_positive_integers

    assert is_positive_integer("1") and is_positive_integer("007") and is_positive_integer("100")
    assert not any(is_positive_integer(v) for v in INTEGER_NEAR_MISSES)
    assert int("١") == 1 and int("1_0") == 10 and int(" 1 ") == 1  # what a lenient parser would accept

    @settings(max_examples=300, database=None)
    @given(value=not_positive_integers(upper=100))
    def never_valid(value):
        assert not (is_positive_integer(value) and int(value) <= 100)

    never_valid()
