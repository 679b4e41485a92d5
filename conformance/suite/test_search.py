"""SRCH-01: `search` on every resource list: sound, complete, case-insensitive, and literal.

The parameter and the searched fields come from `x-resource.search`; every term is cut from a live
record. Completeness needs no full walk: sorted the same way (by the tiebreak field, ascending), the
records of the unfiltered first page that contain a term come first among the search results, so
they must all be on the search's first page.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, strategies as st

from conformance.checks.expect import counted, expect, request_text, shown, some
from conformance.inputs.pagination import Walk, walk
from conformance.inputs.targets import spread
from conformance.checks.records import by_tiebreak, known_records, record_key, search_param_or_skip
from conformance.inputs.strategies import mixed_case

#: Terms that are SQL, LIKE, glob, regex or escape syntax somewhere; as search terms they are data.
FRAGMENTS = ("'", '"', "%", "_", "*", "\\", "%%", "%_%", "\\%", "\\_", "' OR '1'='1", "' OR 1=1 --",
             "%' OR '%'='", '" OR ""="', "') OR ('a'='a", "'; DROP TABLE x; --", "' UNION SELECT NULL --",
             "[a-z]", ".*")

#: Ways to turn a live substring into a term that finds its record only if read as a pattern.
WILDCARDS = {
    "a character replaced by _": lambda term, i: term[:i] + "_" + term[i + 1:],
    "a character replaced by %": lambda term, i: term[:i] + "%" + term[i + 1:],
    "a character replaced by *": lambda term, i: term[:i] + "*" + term[i + 1:],
    "% inserted": lambda term, i: term[:i] + "%" + term[i:],
    "* inserted": lambda term, i: term[:i] + "*" + term[i:],
    "\\ inserted": lambda term, i: term[:i] + "\\" + term[i:],
}


def search_fields(op) -> list[str]:
    return list(op.resource_view.search.fields)


def text(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    return "" if value is None else str(value)


def contains(op, record: dict[str, Any], term: str, strict: bool = False) -> bool:
    """``term`` is in one of the record's search fields, case-insensitively. ``str.lower`` and
    ``str.casefold`` differ on a few characters (e.g. ``ß``): loosely either one finds it, strictly both do."""
    combine = all if strict else any
    return any(combine(fold(term) in fold(text(record, field)) for fold in (str.lower, str.casefold))
               for field in search_fields(op))


def searched(op, term: str) -> str:
    """The search request in a failure's words: ``GET /customers with search="787 99"``."""
    return request_text(op.path, {search_param_or_skip(op): term})


def within(op) -> str:
    return " or ".join(search_fields(op))


def search(api, envelope, op, term: str, pages: int = 1) -> Walk:
    query = dict(by_tiebreak(op), **{search_param_or_skip(op): term})
    return walk(api, envelope, op, query, max_pages=pages, requirement_id="SRCH-01", judge_paging=False)


def draw_term(data, op, records: list[dict[str, Any]], min_size: int = 1) -> tuple[dict[str, Any], str]:
    """A live record and a substring of one of its search fields."""
    choices = [(record, field) for record in records for field in search_fields(op) if text(record, field).strip()]
    if not choices:
        pytest.skip(f"not run: no data: no {op.operation_id} record has a non-empty search field")
    record, field = data.draw(st.sampled_from(choices), label="record and field")
    value = text(record, field)
    start = data.draw(st.integers(0, len(value) - 1), label="start")
    size = data.draw(st.integers(1, len(value) - start), label="size")
    term = value[start:start + size].strip()
    assume(len(term) >= min_size)
    return record, term


def expect_sound(op, result: Walk, term: str) -> None:
    __tracebackhide__ = True
    key = record_key(op)
    wrong = [key(item) for item in result.items if not contains(op, item, term)]
    expect(not wrong, "SRCH-01", f"the records of {searched(op, term)}", result.first,
           expected=f"only records that contain {shown(term)} in {within(op)} (in any case)",
           got=f"{counted(len(wrong), 'record')} without it: {some(wrong)}", kind="a record without the term")


def expect_complete(op, result: Walk, term: str, known: list[dict[str, Any]]) -> None:
    """Every known record containing ``term`` was found, and ``total`` counts at least those."""
    __tracebackhide__ = True
    key = record_key(op)
    found = {key(item) for item in result.items}
    matching = [key(record) for record in known if contains(op, record, term, strict=True)]
    missing = [k for k in matching if k not in found]
    if missing:
        result.need_every_record()  # a record the pagination lost is not the search's to answer for
    expect(not missing, "SRCH-01", f"the records of {searched(op, term)}", result.first,
           expected=f"every record that contains {shown(term)} in {within(op)}",
           got=f"{len(missing)} of them left out: {some(missing)}", kind="a record with the term left out")
    expect(result.total >= len(matching), "SRCH-01", f"total of {searched(op, term)}", result.first,
           expected=f"at least the {len(matching)} records known to contain {shown(term)}", got=f"total {result.total}")


# --------------------------------------------------------------------------------------- SRCH-01

@pytest.mark.requirement("SRCH-01")
@given(data=st.data())
def test_search_returns_only_records_containing_the_term(data, api, envelope, resource_operation, first_page, budget):
    op = resource_operation
    search_param_or_skip(op)
    _, term = draw_term(data, op, known_records(op, first_page))
    expect_sound(op, search(api, envelope, op, term, pages=budget["max_pages"]), term)


@pytest.mark.requirement("SRCH-01")
@given(data=st.data())
def test_search_finds_every_record_containing_the_term(data, api, envelope, resource_operation, first_page):
    op = resource_operation
    search_param_or_skip(op)
    known = known_records(op, first_page)
    record, term = draw_term(data, op, known)
    result = search(api, envelope, op, term)
    expect(record_key(op)(record) in {record_key(op)(item) for item in result.items}, "SRCH-01",
           f"the records of {searched(op, term)}", result.first,
           expected=f"record {shown(record_key(op)(record))}, which contains {shown(term)}",
           got=f"{counted(result.total, 'record')}, not this one", kind="the record the term came from left out")
    expect_complete(op, result, term, known)


@pytest.mark.requirement("SRCH-01")
@given(data=st.data())
def test_search_ignores_case(data, api, envelope, resource_operation, first_page):
    op = resource_operation
    search_param_or_skip(op)
    _, term = draw_term(data, op, known_records(op, first_page))
    mixed = data.draw(mixed_case(term), label="mixed case")
    variants = [v for v in dict.fromkeys((term.lower(), term.upper(), term.swapcase(), mixed))
                if v != term and v.lower() == term.lower()]
    assume(variants)
    key = record_key(op)
    base = search(api, envelope, op, term)
    for variant in variants:
        other = search(api, envelope, op, variant)
        expect(other.total == base.total and [key(i) for i in other.items] == [key(i) for i in base.items], "SRCH-01",
               f"the records of {searched(op, variant)} and of {shown(term)}", other.first, base.first,
               expected="the same records and total: case does not matter",
               got=f"total {other.total} with {shown(variant)}, {base.total} with {shown(term)}"
                   + (", other records" if other.total == base.total else ""))


def field_only_terms(op, record: dict[str, Any], field: str) -> list[str]:
    """Substrings of ``field`` that no other search field of ``record`` contains."""
    value = text(record, field)
    others = [fold(text(record, f)) for f in search_fields(op) if f != field for fold in (str.lower, str.casefold)]
    cuts = {value[i:i + size] for size in (3, 5, 8) for i in range(len(value) - size + 1)} | {value}
    return sorted(t for t in cuts if t and t == t.strip()
                  and not any(t.lower() in o or t.casefold() in o for o in others))


@pytest.mark.requirement("SRCH-01")
@given(data=st.data())
def test_each_search_field_is_searched(data, api, envelope, resource_operation, first_page):
    """A substring found in only one search field of a record finds that record, for every field."""
    op = resource_operation
    search_param_or_skip(op)
    known = known_records(op, first_page)
    key = record_key(op)
    tried = []
    for field in search_fields(op):
        choices = [(index, term) for index, record in enumerate(known) for term in field_only_terms(op, record, field)]
        if not choices:
            continue
        index, term = data.draw(st.sampled_from(choices), label=f"term from {field}")
        record = known[index]
        result = search(api, envelope, op, term)
        expect(key(record) in {key(item) for item in result.items}, "SRCH-01",
               f"the records of {searched(op, term)}, a term found only in {field}", result.first,
               expected=f"record {shown(key(record))}, whose {field} is {shown(text(record, field))}",
               got=f"{counted(result.total, 'record')}, not this one")
        tried.append(field)
    if not tried:
        pytest.skip(f"not run: no data: no {op.operation_id} record has a term in only one search field")


@pytest.mark.requirement("SRCH-01")
def test_empty_search_is_the_same_as_none(api, envelope, resource_operation):
    op = resource_operation
    param = search_param_or_skip(op)
    key = record_key(op)
    without = walk(api, envelope, op, by_tiebreak(op), max_pages=1, requirement_id="SRCH-01", judge_paging=False)
    empty = search(api, envelope, op, "")
    expect(empty.total == without.total and [key(i) for i in empty.items] == [key(i) for i in without.items],
           "SRCH-01", f"the records of {searched(op, '')} and of {op.path} without {param}", empty.first,
           without.first, expected=f"the same records and total: an empty {param} is no search",
           got=f"total {empty.total} with {param}=\"\", {without.total} without"
               + (", other records" if empty.total == without.total else ""))


@pytest.mark.requirement("SRCH-01")
@given(data=st.data())
def test_wildcards_in_search_match_only_themselves(data, api, envelope, resource_operation, first_page):
    """A live substring with a wildcard put in finds its record only if the wildcard is read as a pattern."""
    op = resource_operation
    search_param_or_skip(op)
    known = known_records(op, first_page)
    _, term = draw_term(data, op, known, min_size=2)
    how = data.draw(st.sampled_from(sorted(WILDCARDS)), label="wildcard")
    position = data.draw(st.integers(1 if "inserted" in how else 0, len(term) - 1), label="position")
    pattern = WILDCARDS[how](term, position)
    assume(pattern != term)
    result = search(api, envelope, op, pattern)
    expect_sound(op, result, pattern)
    expect_complete(op, result, pattern, known)


@pytest.mark.requirement("SRCH-01")
@pytest.mark.intrusive  # SQL fragments in a query string trip web application firewalls
def test_quotes_and_sql_fragments_in_search_match_only_themselves(api, envelope, iris_spec, first_page):
    """Every fragment (quotes, comment and statement syntax, wildcards, escapes), dealt to the lists
    that search in turn: each fragment sent once, each list sent several."""
    lists = [op for op in iris_spec.resource_list_operations if op.resource_view.search_param]
    if not lists:
        pytest.skip("not run: the spec declares no search")
    for fragment, op in spread(FRAGMENTS, lists):
        known = known_records(op, first_page)
        result = search(api, envelope, op, fragment)
        expect_sound(op, result, fragment)
        expect_complete(op, result, fragment, known)
