"""The filters of the resource lists (FLT-TAR-*, FLT-STA-*, FLT-SES-*), FLT-01 and FLT-02.

Every filter comes from the spec: `x-resource.filters` gives its parameter, the record field it
applies to and its match kind; the `x-requirements` of the parameter name the requirement it
implements. Enum and boolean values come from the spec (every one, in every spelling the contract
makes equivalent), whatever the data holds; text and date values from live records. A filtered list is checked for soundness over a
bounded walk (every record returned matches) and for completeness against the unfiltered first
page: sorted the same way (by the tiebreak field, ascending), the known records that match come
first among the filtered results, so they must all be on its first page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

import pytest
from hypothesis import assume, given, strategies as st

from conformance.checks.expect import counted, expect, request_text, shown, some
from conformance.inputs.pagination import Walk, fetch_page, walk
from conformance.checks.records import Record, by_tiebreak, detail_path, known_records, record_key, search_param
from conformance.contract.spec import Filter
from conformance.inputs.filters import BOOLEANS, date_param, filter_value, zone
from conformance.inputs.strategies import INTEGER_NEAR_MISSES, QUERY_TEXT, is_positive_integer, mixed_case
from conformance.checks.timestamps import parse_utc

#: Wall-clock shifts that a server reading the dates in a local time zone would apply (IST first:
#: the vendor's deployments run in ap-south-1).
TIME_ZONE_SHIFTS = (timedelta(hours=5, minutes=30), -timedelta(hours=5, minutes=30))
SECOND = timedelta(seconds=1)



# ----------------------------------------------------------------------------------- the spec

def filters_for(spec, requirement_id: str, *matches: str) -> list[tuple[Any, Filter]]:
    """(operation, filter) for every filter whose parameter implements ``requirement_id``."""
    found = [(op, flt) for op in spec.resource_list_operations for flt in op.resource_view.filters
             if requirement_id in op.parameter_requirements(flt.param)
             and (not matches or flt.match in matches)]
    if not found:
        pytest.skip(f"not run: the spec declares no {'/'.join(matches) or ''} filter for {requirement_id}")
    return found


def conditions(op) -> list[str]:
    """The parameters that narrow a list: its filters and its search."""
    names = [flt.param for flt in op.resource_view.filters]
    return names + ([search_param(op)] if search_param(op) else [])


# ---------------------------------------------------------------------------------- matching

def well_formed_date(flt: Filter, raw: str) -> bool:
    try:
        return datetime.strptime(raw, flt.format).strftime(flt.format) == raw
    except ValueError:
        return False


def text_contains(value: Any, term: str, strict: bool) -> bool:
    text = "" if value is None else str(value)
    combine = all if strict else any
    return combine(fold(term) in fold(text) for fold in (str.lower, str.casefold))


def matches(op, param: str, value: str, record: Record, strict: bool = False) -> bool:
    """The record satisfies ``param=value``. ``strict`` matters for case folding only: loosely
    ``str.lower`` or ``str.casefold`` agrees, strictly both do (the contract does not choose)."""
    if param == search_param(op):
        return any(text_contains(record.get(field), value, strict) for field in op.resource_view.search.fields)
    flt = op.resource_view.filter_for(param)
    actual, kind = record.get(flt.field), flt.match
    if kind in ("enum", "equals"):
        return actual is not None and str(actual) == value
    if kind == "equals-ci":
        folds = [fold(str(actual)) == fold(value) for fold in (str.lower, str.casefold)]
        return actual is not None and (all(folds) if strict else any(folds))
    if kind == "boolean":
        return actual is (value.lower() == BOOLEANS[0])
    if kind == "integer-equals":
        return isinstance(actual, int) and not isinstance(actual, bool) and actual == int(value)
    if kind in ("datetime-from", "datetime-to"):
        at, bound = parse_utc(actual), datetime.strptime(value, flt.format).replace(tzinfo=zone(flt))
        return at is not None and (at >= bound if kind == "datetime-from" else at <= bound)
    pytest.fail(f"the suite does not know the match kind {kind!r} of filter {param!r}")


def rule_text(op, param: str, value: str) -> str:
    """What ``param=value`` selects, in the contract's words: ``user_id equal to "user10"``."""
    if param == search_param(op):
        return f"{shown(value)} in {' or '.join(op.resource_view.search.fields)} (in any case)"
    flt = op.resource_view.filter_for(param)
    return {"equals-ci": f"{flt.field} equal to {shown(value)} in any case",
            "boolean": f"{flt.field} {value.lower()}",
            "datetime-from": f"{flt.field} at or after {shown(value)}",
            "datetime-to": f"{flt.field} at or before {shown(value)}",
            }.get(flt.match, f"{flt.field} equal to {shown(value)}")


def rules_text(op, query: dict[str, str]) -> str:
    """What every condition of ``query`` selects, joined with "and"."""
    return " and ".join(rule_text(op, p, v) for p, v in query.items() if p in conditions(op))


def records_text(found: list[tuple[Any, dict[str, Any]]]) -> str:
    """Records and the values that decided: ``7 (city "Mumbai"), 9 (city "Navi Mumbai")``."""
    return some((f"{shown(k)} ({', '.join(f'{f} {shown(v)}' for f, v in values.items())})" if values else shown(k)
                 for k, values in found), as_is=True)


def matcher(op, query: dict[str, str], strict: bool = False) -> Callable[[Record], bool]:
    narrowing = {param: value for param, value in query.items() if param in conditions(op)}
    return lambda record: all(matches(op, p, v, record, strict) for p, v in narrowing.items())


def live_values(op, param: str, first_page) -> list[str]:
    flt = op.resource_view.filter_for(param)
    values = sorted({v for r in known_records(op, first_page)
                     if (v := filter_value(flt, r.get(flt.field))) is not None})
    if not values:
        pytest.skip(f"not run: no data: no {op.operation_id} record has a value for {param}")
    return values


# ---------------------------------------------------------------------------------- checking

def filtered(api, envelope, op, query: dict[str, str], requirement_id: str, first_page, max_pages: int):
    """Walk ``query`` (up to ``max_pages`` pages): the walk, the records it returned that do not match,
    and the known records that match but were not returned."""
    key = record_key(op)
    result = walk(api, envelope, op, dict(query, **by_tiebreak(op)), max_pages=max_pages, requirement_id=requirement_id,
                  judge_paging=False)
    sound, required = matcher(op, query), matcher(op, query, strict=True)
    fields = {f.param: f.field for f in op.resource_view.filters}
    deciding = sorted({fields[p] for p in query if p in fields})
    wrong = [(key(item), {f: item.get(f) for f in deciding}) for item in result.items if not sound(item)]
    found = {key(item) for item in result.items}
    missing = [key(r) for r in first_page(op, by_tiebreak(op)) if required(r) and key(r) not in found]
    if missing and not wrong:
        result.need_every_record()  # a record the pagination lost is not the filter's to answer for
    return result, wrong, missing


def beyond_the_list(api, envelope, op, result: Walk, first_page) -> list[Any]:
    """Records a filtered walk returned that the list without the filter does not hold: a filter only
    narrows. Judged when the unfiltered first page is the whole list (fewer records than its page
    size), an empty list included; a record seen there only is looked for again in a fresh unfiltered
    answer (a live deployment creates records during a run), so one more request, and only then."""
    key, unfiltered = record_key(op), first_page(op, by_tiebreak(op))
    if len(unfiltered) >= op.paging.max_pagesize:
        return []
    held = {key(r) for r in unfiltered}
    extra = [key(item) for item in result.items if key(item) not in held]
    if extra:
        params = dict(by_tiebreak(op), **{op.paging.pagesize_param: op.paging.max_pagesize})
        again = api.fresh().get(op.path, params)
        if again.status != 200:
            return []
        held |= {key(r) for r in envelope.items(again)}
        extra = [k for k in extra if k not in held]
    return extra


def expect_filtered(api, envelope, op, query: dict[str, str], requirement_id: str, first_page, max_pages: int) -> Walk:
    """``query`` returns only records that match it, and every known record that does."""
    __tracebackhide__ = True
    result, wrong, missing = filtered(api, envelope, op, query, requirement_id, first_page, max_pages)
    check, rules = f"the records of {request_text(op.path, query)}", rules_text(op, query)
    expect(not wrong, requirement_id, check, result.first, expected=f"only records with {rules}",
           got=f"{counted(len(wrong), 'record')} without: {records_text(wrong)}", kind="a record that does not match")
    expect(not missing, requirement_id, check, result.first, expected=f"every record with {rules}",
           got=f"{len(missing)} of them left out: {some(missing)}", kind="a matching record left out")
    extra = beyond_the_list(api, envelope, op, result, first_page)
    expect(not extra, requirement_id, check, result.first,
           expected=f"only records of the list itself: a filter narrows it ({rules})",
           got=f"{counted(len(extra), 'record')} that the list without it does not hold: {some(extra)}",
           kind="a record the unfiltered list does not hold")
    return result


def expect_refused(api, envelope, op, query: dict[str, str], params: list[str], requirement_id: str, what: str) -> None:
    """``query`` is refused with a validation error whose message names one of ``params``; ``what``
    says why it must be refused ("not a valid enum value")."""
    __tracebackhide__ = True
    exchange = api.get(op.path, query)
    envelope.expect_error(exchange, "VALIDATION_ERROR", requirement_id, f"{request_text(op.path, query)} ({what})")
    envelope.expect_message_names(exchange, params, requirement_id, request_text(op.path, query))


#: The values a filter of each closed kind is sent, from the spec, whatever the data holds: every enum
#: value; both booleans in four spellings each.
SPELLINGS: dict[str, Callable[[Filter], list[str]]] = {
    "enum": lambda flt: list(flt.values),
    "boolean": lambda flt: [spelled for value in BOOLEANS for spelled in dict.fromkeys(
        (value, value.upper(), value.capitalize(), value.capitalize().swapcase()))],
}


def check_closed_values(api, envelope, spec, requirement_id: str, kind: str, first_page, budget) -> None:
    """Every value :data:`SPELLINGS` gives a filter of ``kind``: an empty list is no reason not to send
    them (a filter answered with records the list does not hold is a finding of its own)."""
    seen = 0
    for op, flt in filters_for(spec, requirement_id, kind):
        seen += len(first_page(op, by_tiebreak(op)))
        for value in SPELLINGS[kind](flt):
            seen += len(expect_filtered(api, envelope, op, {flt.param: value}, requirement_id, first_page,
                                        budget["max_pages"]).items)
    if not seen:
        pytest.skip(f"not run: no data: neither the lists nor their filtered answers hold a record ({requirement_id})")


def date_near_misses(flt: Filter, at: datetime) -> list[str]:
    """Near misses of the date format, made from the instant ``at``."""
    good = date_param(flt, at)
    return [at.strftime("%Y-%m-%dT%H:%M:%SZ"), good.replace(" ", "T"), good[:10], good[:16], good + ".000",
            good + "Z", good.replace("-", "/"), at.strftime("%d-%m-%Y %H:%M:%S"), good[:5] + "13" + good[7:],
            good[:8] + "32" + good[10:], good[:5] + "02-30" + good[10:], good[:11] + "24" + good[13:],
            good[:14] + "60" + good[16:], " " + good, str(int(at.timestamp())), good.replace(" ", "  ")]


#: What each match kind accepts, and values just outside it (every one of which must be a 400).
VALID: dict[str, Callable[[Filter, str], bool]] = {
    "enum": lambda flt, v: v in flt.values,
    "boolean": lambda flt, v: v.lower() in BOOLEANS or v.casefold() in BOOLEANS,
    "integer-equals": lambda flt, v: is_positive_integer(v),
    "datetime-from": well_formed_date,
    "datetime-to": well_formed_date,
}
NEAR_MISSES: dict[str, Callable[[Filter], list[str]]] = {
    "enum": lambda flt: sorted({change(v) for v in flt.values for change in (
        str.lower, str.capitalize, str.swapcase, lambda v: v + " ", lambda v: " " + v, lambda v: v[:-1])}),
    "boolean": lambda flt: ["yes", "no", "1", "0", "", "t", "f", "on", "off", "null", "True ", " false", "truee",
                            "fals"],
    "integer-equals": lambda flt: list(INTEGER_NEAR_MISSES),
}


def check_near_misses(api, envelope, spec, requirement_id: str, *matches: str) -> None:
    for op, flt in filters_for(spec, requirement_id, *matches):
        for value in NEAR_MISSES[flt.match](flt):
            if not VALID[flt.match](flt, value):
                expect_refused(api, envelope, op, {flt.param: value}, [flt.param], requirement_id,
                               f"not a valid {flt.match} value")


def check_arbitrary_text(data, api, envelope, spec, requirement_id: str, *matches: str) -> None:
    op, flt = data.draw(st.sampled_from(filters_for(spec, requirement_id, *matches)), label="filter")
    value = data.draw(st.one_of(QUERY_TEXT, st.integers(max_value=0).map(str)).filter(
        lambda v: not VALID[flt.match](flt, v)), label="value")
    expect_refused(api, envelope, op, {flt.param: value}, [flt.param], requirement_id, f"not a valid {flt.match} value")


def draw_filter_value(data, spec, requirement_id: str, first_page, *matches: str):
    op, flt = data.draw(st.sampled_from(filters_for(spec, requirement_id, *matches)), label="filter")
    value = data.draw(st.sampled_from(live_values(op, flt.param, first_page)), label="live value")
    return op, flt, value


# ----------------------------------------------------------------------------------- tariffs

@pytest.mark.requirement("FLT-TAR-01")
def test_tariff_type_filter_returns_only_that_type(api, envelope, iris_spec, first_page, budget):
    """Every enum value of the spec, held by the data or not; the answers hold only matching records,
    every matching record of the list, and no record the list itself does not hold."""
    check_closed_values(api, envelope, iris_spec, "FLT-TAR-01", "enum", first_page, budget)


@pytest.mark.requirement("FLT-TAR-01")
def test_tariff_type_filter_refuses_near_misses(api, envelope, iris_spec):
    check_near_misses(api, envelope, iris_spec, "FLT-TAR-01", "enum")


@pytest.mark.requirement("FLT-TAR-01")
@given(data=st.data())
def test_tariff_type_filter_refuses_arbitrary_text(data, api, envelope, iris_spec):
    check_arbitrary_text(data, api, envelope, iris_spec, "FLT-TAR-01", "enum")


@pytest.mark.requirement("FLT-TAR-02")
def test_isactive_filter_returns_only_tariffs_with_that_flag_in_any_case(api, envelope, iris_spec, first_page, budget):
    check_closed_values(api, envelope, iris_spec, "FLT-TAR-02", "boolean", first_page, budget)


@pytest.mark.requirement("FLT-TAR-02")
def test_isactive_filter_refuses_near_misses(api, envelope, iris_spec):
    check_near_misses(api, envelope, iris_spec, "FLT-TAR-02", "boolean")


@pytest.mark.requirement("FLT-TAR-02")
@given(data=st.data())
def test_isactive_filter_refuses_arbitrary_text(data, api, envelope, iris_spec):
    check_arbitrary_text(data, api, envelope, iris_spec, "FLT-TAR-02", "boolean")


# ----------------------------------------------------------------------------------- stations

@pytest.mark.requirement("FLT-STA-01")
@given(data=st.data())
def test_city_and_state_filters_ignore_case(data, api, envelope, iris_spec, first_page, budget):
    op, flt, value = draw_filter_value(data, iris_spec, "FLT-STA-01", first_page, "equals-ci")
    mixed = data.draw(mixed_case(value), label="mixed case")
    spelled = data.draw(st.sampled_from([value.upper(), value.lower(), value.swapcase(), mixed]), label="spelling")
    assume(spelled != value and spelled.lower() == value.lower())
    key = record_key(op)
    exact = expect_filtered(api, envelope, op, {flt.param: value}, "FLT-STA-01", first_page, budget["max_pages"])
    other = expect_filtered(api, envelope, op, {flt.param: spelled}, "FLT-STA-01", first_page, budget["max_pages"])
    expect(other.total == exact.total and [key(i) for i in other.items] == [key(i) for i in exact.items], "FLT-STA-01",
           f"the records of {request_text(op.path, {flt.param: spelled})} and of {flt.param}={shown(value)}",
           other.first, exact.first, expected="the same records and total: case does not matter",
           got=f"total {other.total} with {shown(spelled)}, {exact.total} with {shown(value)}"
               + (", other records" if other.total == exact.total else ""))


@pytest.mark.requirement("FLT-STA-01")
@given(data=st.data())
def test_city_and_state_filters_do_not_match_substrings(data, api, envelope, iris_spec, first_page, budget):
    op, flt, value = draw_filter_value(data, iris_spec, "FLT-STA-01", first_page, "equals-ci")
    assume(len(value) >= 2)
    start = data.draw(st.integers(0, len(value) - 1), label="start")
    end = data.draw(st.integers(start + 1, len(value)), label="end")
    part = value[start:end].strip()
    assume(part and part.lower() != value.lower())
    expect_filtered(api, envelope, op, {flt.param: part}, "FLT-STA-01", first_page, budget["max_pages"])


@pytest.mark.requirement("FLT-STA-02")
def test_always_open_filter_returns_only_stations_with_that_flag_in_any_case(api, envelope, iris_spec, first_page,
                                                                             budget):
    check_closed_values(api, envelope, iris_spec, "FLT-STA-02", "boolean", first_page, budget)


@pytest.mark.requirement("FLT-STA-02")
def test_always_open_filter_refuses_near_misses(api, envelope, iris_spec):
    check_near_misses(api, envelope, iris_spec, "FLT-STA-02", "boolean")


@pytest.mark.requirement("FLT-STA-02")
@given(data=st.data())
def test_always_open_filter_refuses_arbitrary_text(data, api, envelope, iris_spec):
    check_arbitrary_text(data, api, envelope, iris_spec, "FLT-STA-02", "boolean")


# ----------------------------------------------------------------------------------- sessions

def draw_date_bounds(data, spec, first_page):
    """A list with a from- and a to-filter on the same field, and a live record with its instant."""
    pairs = [(op, low, high) for op, low in filters_for(spec, "FLT-SES-01", "datetime-from")
             for other, high in filters_for(spec, "FLT-SES-01", "datetime-to")
             if other is op and high.field == low.field]
    if not pairs:
        pytest.skip("not run: the spec declares no pair of date bounds on one field for FLT-SES-01")
    op, low, high = data.draw(st.sampled_from(pairs), label="filters")
    records = [r for r in known_records(op, first_page) if parse_utc(r.get(low.field)) is not None]
    if not records:
        pytest.skip(f"not run: no data: no {op.operation_id} record has a {low.field}")
    record = data.draw(st.sampled_from(records), label="record")
    return op, low, high, record, parse_utc(record[low.field])


def floor_second(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


def ceil_second(instant: datetime) -> datetime:
    return floor_second(instant) + (SECOND if instant.microsecond else timedelta(0))


@pytest.mark.requirement("FLT-SES-01")
@given(data=st.data())
def test_date_bounds_are_inclusive_to_the_second(data, api, envelope, iris_spec, first_page, budget):
    op, low, high, record, at = draw_date_bounds(data, iris_spec, first_page)
    key = record_key(op)
    first, last = floor_second(at), ceil_second(at)
    windows = [  # (query, whether the record is inside, pages to walk)
        ({low.param: date_param(low, first), high.param: date_param(high, last)}, True, budget["max_pages"]),
        ({low.param: date_param(low, first)}, True, 1),
        ({high.param: date_param(high, last)}, True, 1),
        ({low.param: date_param(low, last + SECOND if last == at else last)}, False, 1),
        ({high.param: date_param(high, first - SECOND if first == at else first)}, False, 1),
    ]
    for query, inside, pages in windows:
        result = expect_filtered(api, envelope, op, query, "FLT-SES-01", first_page, pages)
        if inside:
            expect(key(record) in {key(i) for i in result.items}, "FLT-SES-01",
                   f"the records of {request_text(op.path, query)}", result.first,
                   expected=f"record {shown(key(record))}, whose {low.field} is {shown(record[low.field])} (both "
                            "bounds are inclusive, to the second)",
                   got=f"{counted(result.total, 'record')}, not this one", kind="a record on the bound left out")


@pytest.mark.requirement("FLT-SES-01")
@given(data=st.data())
def test_dates_are_read_as_utc(data, api, envelope, iris_spec, first_page, budget):
    """A window around a record's instant finds it; the same wall-clock window shifted to another
    time zone does not (a server reading the dates in that zone would find it there)."""
    op, low, high, record, at = draw_date_bounds(data, iris_spec, first_page)
    key = record_key(op)
    half = timedelta(seconds=data.draw(st.integers(0, 3600), label="half window (s)"))
    shift = data.draw(st.sampled_from(TIME_ZONE_SHIFTS), label="shift")
    first, last = floor_second(at - half), ceil_second(at + half)
    query = {low.param: date_param(low, first), high.param: date_param(high, last)}
    result = expect_filtered(api, envelope, op, query, "FLT-SES-01", first_page, budget["max_pages"])
    expect(key(record) in {key(i) for i in result.items}, "FLT-SES-01",
           f"the records of {request_text(op.path, query)}, the dates read as UTC", result.first,
           expected=f"record {shown(key(record))}, whose {low.field} is {shown(record[low.field])}",
           got=f"{counted(result.total, 'record')}, not this one")
    shifted = {low.param: date_param(low, first + shift), high.param: date_param(high, last + shift)}
    moved = walk(api, envelope, op, dict(shifted, **by_tiebreak(op)), max_pages=budget["max_pages"],
                 requirement_id="FLT-SES-01", judge_paging=False)
    hours = f"{shift.total_seconds() / 3600:+g} h"
    expect(key(record) not in {key(i) for i in moved.items}, "FLT-SES-01",
           f"the records of {request_text(op.path, shifted)}, the same window {hours} away", moved.first, result.first,
           expected=f"not record {shown(key(record))}, whose {low.field} {shown(record[low.field])} is outside it "
                    "in UTC",
           got=f"record {shown(key(record))} among them: the dates were read in a time zone {hours} from UTC")


@pytest.mark.requirement("FLT-SES-01")
def test_malformed_dates_are_validation_errors(api, envelope, iris_spec, first_page):
    for op, flt in filters_for(iris_spec, "FLT-SES-01", "datetime-from", "datetime-to"):
        at = next((m for r in known_records(op, first_page) if (m := parse_utc(r.get(flt.field)))), None)
        if at is None:
            pytest.skip(f"not run: no data: no {op.operation_id} record has a {flt.field}")
        for value in date_near_misses(flt, at):
            if not well_formed_date(flt, value):
                expect_refused(api, envelope, op, {flt.param: value}, [flt.param], "FLT-SES-01",
                               f"not a date-time in the format {flt.format}")


@pytest.mark.requirement("FLT-SES-01")
@given(data=st.data())
def test_arbitrary_text_dates_are_validation_errors(data, api, envelope, iris_spec):
    check_arbitrary_text(data, api, envelope, iris_spec, "FLT-SES-01", "datetime-from", "datetime-to")


@pytest.mark.requirement("FLT-SES-01")
@given(data=st.data())
def test_start_date_after_end_date_is_a_validation_error(data, api, envelope, iris_spec, first_page):
    op, low, high, _, at = draw_date_bounds(data, iris_spec, first_page)
    gap = timedelta(seconds=data.draw(st.integers(1, 400 * 86400), label="gap (s)"))
    query = {low.param: date_param(low, at + gap), high.param: date_param(high, at)}
    expect_refused(api, envelope, op, query, [low.param, high.param], "FLT-SES-01",
                   f"{low.param} later than {high.param}")


@pytest.mark.requirement("FLT-SES-02")
def test_session_status_filter_returns_only_that_status(api, envelope, iris_spec, first_page, budget):
    """Every enum value of the spec, held by the data or not (an empty session list included); the
    answers hold only matching records, every matching record, and no record the list does not hold."""
    check_closed_values(api, envelope, iris_spec, "FLT-SES-02", "enum", first_page, budget)


@pytest.mark.requirement("FLT-SES-02")
def test_status_and_station_filters_refuse_near_misses(api, envelope, iris_spec):
    check_near_misses(api, envelope, iris_spec, "FLT-SES-02", "enum", "integer-equals")


@pytest.mark.requirement("FLT-SES-02")
@given(data=st.data())
def test_status_and_station_filters_refuse_arbitrary_text(data, api, envelope, iris_spec):
    check_arbitrary_text(data, api, envelope, iris_spec, "FLT-SES-02", "enum", "integer-equals")


@pytest.mark.requirement("FLT-SES-02")
@given(data=st.data())
def test_station_and_user_filters_match_exactly(data, api, envelope, iris_spec, first_page, budget):
    """A live station or user returns its sessions and no other; for a string, near misses (the value
    cut short at either end, or in another case) return only records equal to them."""
    for op, flt in filters_for(iris_spec, "FLT-SES-02", "integer-equals", "equals"):
        value = data.draw(st.sampled_from(live_values(op, flt.param, first_page)), label=f"live {flt.param}")
        result = expect_filtered(api, envelope, op, {flt.param: value}, "FLT-SES-02", first_page,
                                 budget["max_pages"])
        expect(result.items, "FLT-SES-02", f"the records of {request_text(op.path, {flt.param: value})}, a value "
               "of a listed record", result.first, expected=f"the records with {rule_text(op, flt.param, value)}",
               got="no records")
        if flt.match == "equals":
            for miss in dict.fromkeys((value[:-1], value[1:], value.upper(), value.lower(), value.swapcase())):
                if miss and miss != value:
                    expect_filtered(api, envelope, op, {flt.param: miss}, "FLT-SES-02", first_page,
                                    budget["max_pages"])


@pytest.mark.requirement("FLT-SES-02")
@given(data=st.data())
def test_unknown_station_or_user_gives_an_empty_list(data, api, envelope, iris_spec, first_page):
    op, flt, value = draw_filter_value(data, iris_spec, "FLT-SES-02", first_page, "integer-equals", "equals")
    reference = next((r for r in op.resource_view.references if r.field == flt.field), None)
    if reference is None:
        pytest.skip(f"not run: the spec names no detail operation for {op.operation_id}.{flt.field}")
    if flt.match == "integer-equals":
        unknown = str(max(int(v) for v in live_values(op, flt.param, first_page))
                      + data.draw(st.integers(10**6, 10**9), label="offset"))
    else:
        unknown = value + "-" + data.draw(st.from_regex(r"[a-z0-9]{8}", fullmatch=True), label="suffix")
    detail = iris_spec.operation(reference.operation)
    path = detail_path(detail, unknown)
    if api.get(path).status != 404:
        pytest.skip(f"not run: cannot confirm that {flt.field}={unknown!r} is unknown ({detail.operation_id})")
    exchange, items, _ = fetch_page(api, envelope, op, {flt.param: unknown}, 1,
                                       op.paging.max_pagesize, "FLT-SES-02")
    expect(items == [], "FLT-SES-02", f"the records of {request_text(op.path, {flt.param: unknown})}, a "
           f"{flt.field} that {detail.operation_id} does not find", exchange, expected="an empty list",
           got=f"{counted(len(items), 'record')}: {some(record_key(op)(item) for item in items)}")


# ------------------------------------------------------------------------------------- FLT-01

def condition_value(data, op, param: str, record: Record) -> str | None:
    """A value of ``param`` that ``record`` satisfies."""
    if param == search_param(op):
        texts = [str(record[f]) for f in op.resource_view.search.fields if str(record.get(f) or "").strip()]
        if not texts:
            return None
        value = data.draw(st.sampled_from(texts), label="searched text")
        start = data.draw(st.integers(0, len(value) - 1), label="start")
        term = value[start:start + data.draw(st.integers(1, len(value) - start), label="size")].strip()
        return term or None
    flt = op.resource_view.filter_for(param)
    if flt.match in ("datetime-from", "datetime-to"):
        at = parse_utc(record.get(flt.field))
        if at is None:
            return None
        slack = timedelta(seconds=data.draw(st.integers(0, 30 * 86400), label=f"{param} slack (s)"))
        return date_param(flt, floor_second(at) - slack if flt.match == "datetime-from" else ceil_second(at) + slack)
    return filter_value(flt, record.get(flt.field))


def expect_total_counts_walk(envelope, op, query: dict[str, str], result: Walk) -> None:
    """A walk that ended on a page that is not full has seen the whole filtered set: ``total`` counts
    its distinct records. (A walk that ended on a full page while ``total`` claims more was misled by
    ``totalpages``, which is PAGE-02's business.)"""
    __tracebackhide__ = True
    key = record_key(op)
    seen = len({key(item) for item in result.items})
    last_page_full = len(envelope.items(result.pages[-1])) >= op.paging.max_pagesize
    if result.complete and (not last_page_full or seen >= result.total):
        expect(seen == result.total, "FLT-01", f"total of {request_text(op.path, query)}", result.pages[-1],
               result.first, expected=f"the number of distinct records its pages hold ({seen})",
               got=f"total {result.total}", kind="total other than the records")


def draw_narrowing(data, op, first_page, count: int) -> tuple[Record, dict[str, str]]:
    """A live record and ``count`` conditions (filters or search) that it satisfies."""
    record = data.draw(st.sampled_from(known_records(op, first_page)), label="record")
    chosen = data.draw(st.lists(st.sampled_from(conditions(op)), min_size=count, max_size=count, unique=True),
                       label="conditions")
    query = {param: condition_value(data, op, param, record) for param in chosen}
    assume(all(query.values()))
    return record, query


@pytest.mark.requirement("FLT-01")
@given(data=st.data())
def test_filters_and_search_combine_with_and(data, api, envelope, resource_operation, first_page, budget):
    op = resource_operation
    if len(conditions(op)) < 2:
        pytest.skip(f"not run: {op.operation_id} has fewer than two filters and search")
    count = data.draw(st.integers(2, min(3, len(conditions(op)))), label="how many")
    record, query = draw_narrowing(data, op, first_page, count)
    key = record_key(op)
    result, wrong, missing = filtered(api, envelope, op, query, "FLT-01", first_page, budget["max_pages"])
    if wrong or missing:
        for param, value in query.items():  # a filter that fails on its own fails its own requirement
            _, wrong_alone, missing_alone = filtered(api, envelope, op, {param: value}, "FLT-01", first_page, 1)
            if wrong_alone or missing_alone:
                pytest.skip(f"not run: {param}={value!r} alone already returns wrong records; its own test reports it")
    check, rules = f"the records of {request_text(op.path, query)}", rules_text(op, query)
    expect(not wrong, "FLT-01", check, result.first, expected=f"only records with {rules} (the conditions combine "
           "with AND)", got=f"{counted(len(wrong), 'record')} without: {records_text(wrong)}",
           kind="a record that does not match")
    expect(not missing, "FLT-01", check, result.first, expected=f"every record with {rules}",
           got=f"{len(missing)} of them left out: {some(missing)}", kind="a matching record left out")
    expect(key(record) in {key(i) for i in result.items}, "FLT-01", check, result.first,
           expected=f"record {shown(key(record))}, which satisfies every condition",
           got=f"{counted(result.total, 'record')}, not this one", kind="the record the conditions came from left out")
    expect_total_counts_walk(envelope, op, query, result)
    for param, value in query.items():
        _, _, alone = fetch_page(api, envelope, op, {param: value}, 1, op.paging.max_pagesize, "FLT-01")
        expect(result.total <= alone["total"], "FLT-01", f"total of {request_text(op.path, query)}", result.first,
               expected=f"at most the total of {param}={shown(value)} alone ({alone['total']})",
               got=f"total {result.total}", kind="total above one condition's")


@pytest.mark.requirement("FLT-01")
@given(data=st.data())
def test_total_counts_the_filtered_set(data, api, envelope, resource_operation, first_page, budget):
    op = resource_operation
    if not conditions(op):
        pytest.skip(f"not run: {op.operation_id} has no filter and no search")
    _, query = draw_narrowing(data, op, first_page, 1)
    result = walk(api, envelope, op, dict(query, **by_tiebreak(op)), max_pages=budget["max_pages"],
                  requirement_id="FLT-01")
    expect_total_counts_walk(envelope, op, query, result)
    _, _, everything = fetch_page(api, envelope, op, {}, 1, op.paging.max_pagesize, "FLT-01")
    seen = len({record_key(op)(item) for item in result.items})
    expect(seen <= result.total <= everything["total"], "FLT-01", f"total of {request_text(op.path, query)}",
           result.first, expected=f"between the records its pages hold ({seen}) and the total of the unfiltered list "
           f"({everything['total']})", got=f"total {result.total}", kind="total out of bounds")


# ------------------------------------------------------------------------------------- FLT-02

@pytest.mark.requirement("FLT-02")
@given(data=st.data())
def test_unknown_query_parameters_are_ignored(data, api, envelope, list_operation, base_query, iris_spec):
    op = list_operation
    taken = {p.name.lower() for p in op.parameters} \
        | {p.lower() for p in iris_spec.api_view.auth.tenant_override_params}
    names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
        lambda n: n.lower() not in taken and not any(w in n.lower() for w in ("key", "token", "auth", "tenant")))
    extra = data.draw(st.dictionaries(names, st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
                                      min_size=1, max_size=3), label="unknown parameters")
    query = dict(base_query(op), **{op.paging.pagesize_param: op.paging.max_pagesize})
    if op.resource_view:  # a total order, so that the two answers can be compared record by record
        query.update(by_tiebreak(op))
    key = record_key(op)
    plain, with_extra = api.get(op.path, query), api.get(op.path, dict(query, **extra))
    if plain.status != 200:
        pytest.fail(f"cannot compare: {op.operation_id} answered {plain.status} without unknown parameters\n"
                    f"{plain.describe()}")
    check = f"{request_text(op.path, query)} with the unknown parameters {some(sorted(extra), limit=5)} added"
    expect(with_extra.status == 200, "FLT-02", check, with_extra, plain, expected="HTTP 200, as without them")
    totals = [envelope.page_info(ex, op, "FLT-02")["total"] for ex in (with_extra, plain)]
    keys = [[key(i) for i in envelope.items(ex)] for ex in (with_extra, plain)]
    expect(totals[0] == totals[1] and keys[0] == keys[1], "FLT-02", check, with_extra, plain,
           expected="the records and total it gives without them",
           got=f"total {totals[0]}, records {some(keys[0])}; without them total {totals[1]}, records {some(keys[1])}")
