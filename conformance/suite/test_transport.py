"""TRN-01..05: content type, methods, undefined paths, no 5xx and no leaks, on every operation.

The requests are derived from the spec and from live responses: a valid request of each operation
(a live id for the detail ones), the errors it is easy to provoke from it (400, 401, 404, 405), and
a battery of hostile-but-plausible values for every parameter. Nothing but GET is sent except for
TRN-02, which sends the other methods without a body.
"""

from __future__ import annotations

import functools
import json
import re
import string
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given, strategies as st

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.expect import expect, some
from conformance.checks.records import detail_path, list_of
from conformance.contract.spec import Operation, Spec
from conformance.inputs.strategies import FEW
from conformance.inputs.hostile import battery as hostile_battery, plausible_value
from conformance.inputs.targets import absent_id, draw_target, live_ids

#: Methods that must be refused on every defined path (HEAD is left alone: it is GET without a body).
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE")



def media_type(exchange: Exchange) -> str:
    return exchange.headers.get("Content-Type", "").split(";")[0].strip().lower()


# ------------------------------------------------------------------------------ the battery

def send_battery(api: ApiClient, op: Operation, base: dict[str, Any], live: Any,
                 mode: str) -> list[tuple[str, Exchange]]:
    """Hostile values in the parameters of ``op`` (one at a time, as many as the profile's battery
    ``mode`` sends: :func:`~conformance.inputs.hostile.battery`), and every query parameter given
    twice. ``live`` is a live id for a detail operation."""
    out: list[tuple[str, Exchange]] = []
    for param, label, value in hostile_battery(op.parameters, mode):
        if param.location == "path":
            out.append((f"{param.name}: {label}", api.get(detail_path(op, value))))
        else:
            out.append((f"{param.name}: {label}", api.get(op.path, dict(base, **{param.name: value}))))
    for param in op.parameters:
        if param.location == "query":
            value = plausible_value(param)
            pairs = [(k, v) for k, v in base.items() if k != param.name] + [(param.name, value), (param.name, value)]
            out.append((f"{param.name} given twice", api.get(op.path, pairs)))
    if op.path_params:  # the live record, with a repeated unknown parameter for good measure
        out.append(("live id", api.get(detail_path(op, live), [("x", "1"), ("x", "2")])))
    return out


@pytest.fixture(scope="session")
def battery(api, iris_spec, first_page, base_query, intrusive_allowed,
            budget) -> Callable[[Operation], list[tuple[str, Exchange]]]:
    """The battery's exchanges per operation, sent once per run (TRN-01, TRN-04, TRN-05 read them).
    Injection-like values trip web application firewalls: against a sensitive deployment the
    battery is empty unless --allow-intrusive (TRN-04's own test is then not run at all)."""
    cache: dict[str, list[tuple[str, Exchange]]] = {}

    def get(op: Operation) -> list[tuple[str, Exchange]]:
        if not intrusive_allowed:
            return []
        if op.operation_id not in cache:
            live = live_ids(iris_spec, first_page, op)[0] if op.path_params else None
            base = {} if op.path_params else dict(base_query(op))
            cache[op.operation_id] = send_battery(api, op, base, live, budget["hostile_values"])
        return cache[op.operation_id]

    return get


def offenders(exchanges: list[tuple[str, Exchange]], bad: Callable[[Exchange], bool]) -> list[tuple[str, Exchange]]:
    return [(label, ex) for label, ex in exchanges if bad(ex)]


def summary(found: list[tuple[str, Exchange]], detail: Callable[[Exchange], str] = lambda ex: "") -> str:
    """``page: empty -> HTTP 500; id: unicode -> HTTP 502 and 4 more`` (``detail``: what else to say of each)."""
    return some((f"{label} -> HTTP {ex.status}{detail(ex)}" for label, ex in found), as_is=True)


# ------------------------------------------------------------------------------------ TRN-01


@pytest.mark.requirement("TRN-01")
@FEW
@given(data=st.data())
def test_every_response_is_json_with_a_json_content_type(data, api, iris_spec, any_operation, first_page,
                                                          base_query, battery):
    op = any_operation
    target = draw_target(data, iris_spec, op, first_page, base_query)
    exchanges = [("valid", target.valid(api)), *target.errors(api), *battery(op)]
    found = offenders(exchanges, lambda ex: media_type(ex) != "application/json" or not ex.is_json)
    expect(not found, "TRN-01", f"the Content-Type and body of the {len(exchanges)} answers to requests of {op.path}",
           *[ex for _, ex in found[:3]], expected="application/json with a JSON body",
           got=f"{len(found)} without: " + summary(found, lambda ex: f" {media_type(ex) or 'without a Content-Type'}"
                                                                    + ("" if ex.is_json else ", not JSON")))


# ------------------------------------------------------------------------------------ TRN-02


@pytest.mark.requirement("TRN-02")
@pytest.mark.parametrize("method", OTHER_METHODS)
@FEW
@given(data=st.data())
def test_methods_other_than_get_are_405_with_an_allow_header_naming_get(data, method, api, envelope, iris_spec,
                                                                       any_operation, first_page):
    """Sent without a body. On a detail path POST goes to a live id; PUT, PATCH and DELETE go to a
    well-formed id the tenant does not have, so that a deployment that wrongly implements them
    cannot change a live record (the path is defined either way)."""
    op = any_operation
    defined = set(iris_spec.methods_on(op.path))
    if method in defined:
        pytest.skip(f"not applicable: the spec defines {method} {op.path}")
    path = op.path
    if op.path_params:
        ids = live_ids(iris_spec, first_page, op)
        path = detail_path(op, data.draw(st.sampled_from(ids), label="id") if method == "POST" else absent_id(op, ids))
    exchange = api.request(method, path)
    envelope.expect_error(exchange, "METHOD_NOT_ALLOWED", "TRN-02", f"{method} on the defined path {op.path}")
    allow = exchange.headers.get("Allow")
    expect(allow is not None and re.search(op.allow_pattern, allow), "TRN-02",
           f"the Allow header of the HTTP {exchange.status} answer to {method} on the defined path {op.path}", exchange,
           expected="an Allow header that names GET", got="no Allow header" if allow is None else f"Allow: {allow}",
           kind="no Allow header naming GET")


# ------------------------------------------------------------------------------------ TRN-03

SEGMENT = st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=16)


def path_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def is_defined(spec: Spec, path: str) -> bool:
    return any(path_pattern(template).fullmatch(path) for template in spec.paths)


def derived_undefined_paths(spec: Spec, first_page: Callable) -> list[str]:
    """Near misses of the spec's paths: another version, a sub-resource, a bare prefix."""
    paths = []
    for template in spec.paths:
        op = next(o for o in spec.operations.values() if o.path == template)
        if op.path_params:
            source = list_of(spec, op)
            records = first_page(source)
            if records:
                paths.append(detail_path(op, records[0][source.resource_view.id_field]) + "/rules")
        else:
            paths.append("/v2" + template)
        segments = template.strip("/").split("/")
        paths += ["/" + "/".join(segments[:n]) for n in range(1, len(segments))]
    return sorted({p for p in paths if not is_defined(spec, p)})


@pytest.mark.requirement("TRN-03")
@given(data=st.data())
def test_undefined_paths_are_404_not_found(data, api, envelope, iris_spec, first_page):
    generated = st.lists(SEGMENT, min_size=1, max_size=3).map(lambda s: "/" + "/".join(s))
    path = data.draw(st.one_of(st.sampled_from(derived_undefined_paths(iris_spec, first_page)), generated)
                     .filter(lambda p: not is_defined(iris_spec, p)), label="path")
    exchange = api.get(path)
    envelope.expect_error(exchange, "NOT_FOUND", "TRN-03",
                          f"GET {path}, a path the spec does not define, with a valid key")


# ------------------------------------------------------------------------------------ TRN-04


@pytest.mark.requirement("TRN-04")
@pytest.mark.intrusive
def test_no_hostile_parameter_value_causes_a_5xx(any_operation, battery):
    exchanges = battery(any_operation)
    found = offenders(exchanges, lambda ex: ex.status >= 500)
    expect(not found, "TRN-04", f"the answers to {len(exchanges)} requests of {any_operation.path} with hostile values",
           *[ex for _, ex in found[:3]], expected="no 5xx: a 4xx for a value the API cannot take",
           got=f"{len(found)} answered with a 5xx: {summary(found)}")


# ------------------------------------------------------------------------------------ TRN-05

LEAKS = {
    "a Python traceback": re.compile(r"Traceback|File \"|\.py\", line \d+"),
    "a stack frame": re.compile(r"\bat [\w$]+(?:\.[\w$<>]+)+\(|\((?:/|[A-Za-z]:\\\\)[^()\s\"]+:\d+:\d+\)|\.java:\d+"),
    "an exception name": re.compile(r"Exception\b|\b[A-Z][a-z]+(?:[A-Z][a-z]+)*Error:"),
    "SQL": re.compile(r"\bSELECT\b[^\n]{0,300}?\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bWHERE \w+ ?=|"
                      r"(?i:sqlite|SQLSTATE|syntax error at or near|ORA-\d{5}|psycopg|SQL syntax|mysql_)"),
    "a file path": re.compile(r"(?:^|[\s\"'(=])/(?:usr|home|var|opt|srv|app|tmp|etc|root|lib)/|[A-Za-z]:\\\\"),
    "a framework banner": re.compile(r"\b(?:starlette|uvicorn|werkzeug|django|flask|fastapi|gunicorn|express|"
                                     r"tomcat|jetty|whitelabel|node_modules|asp\.net|laravel|symfony)\b|"
                                     r"\b(?:nginx|apache)/\d", re.IGNORECASE),
}


def sent_values(exchange: Exchange) -> list[str]:
    """The query values and the last path segment of the request, decoded."""
    url = urlsplit(exchange.request.url or "")
    values = [value for _, value in parse_qsl(url.query, keep_blank_values=True)]
    values.append(unquote(url.path.rsplit("/", 1)[-1]))
    return sorted({v for v in values if len(v) > 3}, key=len, reverse=True)


@functools.lru_cache(maxsize=None)  # the battery's exchanges are read again by every example
def leaks(exchange: Exchange) -> list[str]:
    """What an error body gives away. Text the request itself carried (an echoed parameter) is
    not a leak, so it is removed before looking."""
    text = exchange.text
    for value in sent_values(exchange):
        text = text.replace(value, "").replace(json.dumps(value)[1:-1], "")
    return [what for what, pattern in LEAKS.items() if pattern.search(text)]


@pytest.mark.requirement("TRN-05")
@FEW
@given(data=st.data())
def test_error_bodies_carry_no_trace_sql_path_or_banner(data, api, iris_spec, any_operation, first_page,
                                                       base_query, battery):
    op = any_operation
    target = draw_target(data, iris_spec, op, first_page, base_query)
    errors = [(label, ex) for label, ex in [*target.errors(api), *battery(op)] if ex.status >= 400]
    found = [(label, ex, leaks(ex)) for label, ex in errors]
    found = [(label, ex, what) for label, ex, what in found if what]
    expect(not found, "TRN-05", f"the bodies of the {len(errors)} error answers to requests of {op.path}",
           *[ex for _, ex, _ in found[:3]], expected=f"none of {', '.join(LEAKS)}",
           got=f"{len(found)} that give away internals: "
               + summary([(label, ex) for label, ex, _ in found], lambda ex: f" shows {', '.join(leaks(ex))}"))
