"""AUTH-01..07: how a key is sent, how a request without a good one is refused, and that no
response ever repeats the key. Header names, the Bearer scheme, the key prefix and the error codes
come from the spec (``x-api.auth``); the operations and their live ids from the spec and the data.

How a credential is read is a rule of the whole API, probed across two dimensions: the kinds of
credential (each casing, scheme, near miss, unknown or refused key) and the routes. Every route is
sent a credential of each family (no credential, a key in each header style, a bad one), and the
variants of a family are dealt to the routes in turn (:func:`~conformance.inputs.targets.spread`) or
drawn with the route by hypothesis: each kind of credential is tried, each route is tried, not their
product."""

from __future__ import annotations

import string
import uuid
from typing import Any, Callable

import pytest
import requests
from hypothesis import example, given, strategies as st

from conformance.runtime.client import ApiClient, Exchange
from conformance.checks.expect import expect, first_difference, request_text, shown, some
from conformance.checks.records import detail_path
from conformance.contract import active
from conformance.contract.spec import Auth, Operation, Spec
from conformance.inputs.strategies import CASE_MASKS, recase
from conformance.inputs.targets import Target, first_target, spread

AUTHORIZATION = "Authorization"  # RFC 9110 / RFC 6750: not a deployment choice
TOKEN_CHARS = string.ascii_letters + string.digits + "-._~+/"  # RFC 6750 b64token
PRINTABLE_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
#: Every operation of the run's spec: the routes a drawn or dealt credential is sent to.
OPERATIONS = list(active.run().spec.operations.values())
ROUTES = st.sampled_from(OPERATIONS)


# ------------------------------------------------------------------------------------- targets

@pytest.fixture(scope="session")
def target(iris_spec: Spec, first_page, base_query) -> Callable[[Operation], Target]:
    """The same valid request of an operation throughout the run (a live id filled in)."""
    cache: dict[str, Target] = {}

    def resolve(op: Operation) -> Target:
        if op.operation_id not in cache:
            cache[op.operation_id] = first_target(iris_spec, op, first_page, base_query)
        return cache[op.operation_id]

    return resolve


@pytest.fixture(scope="session")
def auth(iris_spec: Spec) -> Auth:
    return iris_spec.api_view.auth


@pytest.fixture(scope="session")
def judged_styles(api, auth, iris_spec: Spec) -> Callable[[str], dict[str, dict[str, str]]]:
    """``styles`` restricted to those in which the valid key is accepted: a refused key is judged
    only where the server reads the header at all (a style it ignores is AUTH-01's failure)."""
    op = iris_spec.resource_list_operations[0]
    accepted = {style for style, headers in styles(auth, api.key).items()
                if send(api, op.path, None, headers).status == 200}
    if not accepted:
        pytest.skip("not run: the valid key is accepted in no header style (see AUTH-01)")
    return lambda key: {style: headers for style, headers in styles(auth, key).items() if style in accepted}


@pytest.fixture(scope="session")
def given_keys(request: pytest.FixtureRequest) -> dict[str, str]:
    """The keys the run was given, by the name of their fixture (a key not given is left out)."""
    keys = {}
    for name in ("api_key", "other_tenant_key", "revoked_key", "expired_key"):
        try:
            keys[name] = request.getfixturevalue(name)
        except pytest.skip.Exception:  # the fixture skips when its option is not given
            pass
    return keys


@pytest.fixture(scope="session")
def known_keys(given_keys: dict[str, str]) -> set[str]:
    """Every key the run was given (a generated 'unknown' key must differ from all of them)."""
    return set(given_keys.values())


# ------------------------------------------------------------------------------------- sending

def send(api: ApiClient, path: str, params: dict[str, Any] | None, headers: dict[str, str]) -> Exchange:
    """GET with exactly ``headers`` as credentials (not the client's key). They are set after the
    request is prepared, so values ``requests`` refuses (a whitespace-only key) go out as given."""
    prepared = api.session.prepare_request(requests.Request("GET", api.url(path), params=params or None))
    prepared.headers.update(headers)
    return Exchange(api.session.send(prepared, timeout=api.timeout, allow_redirects=False))


def key_header(auth: Auth, key: str) -> dict[str, str]:
    return {auth.api_key_header: key}


def bearer(auth: Auth, token: str) -> dict[str, str]:
    return {AUTHORIZATION: f"{auth.bearer_scheme} {token}"}


def styles(auth: Auth, key: str) -> dict[str, dict[str, str]]:
    """The key in each documented way of sending it."""
    return {f"{auth.api_key_header} header": key_header(auth, key),
            f"{auth.bearer_scheme} token": bearer(auth, key)}


def unknown_key(auth: Auth) -> str:
    return auth.key_prefix + uuid.uuid4().hex


def refusals(auth: Auth) -> list[tuple[str, dict[str, str], str]]:
    """(what, headers, code): a refused request per kind of bad credential (AUTH-02..04) and header
    style, with the error code the contract gives that refusal."""
    malformed = "not-" + auth.key_prefix + uuid.uuid4().hex
    out = [("no credential", {}, auth.codes.missing)]
    out += [(f"a key without the prefix in the {style}", h, auth.codes.format)
            for style, h in styles(auth, malformed).items()]
    out += [(f"an unknown key in the {style}", h, auth.codes.invalid)
            for style, h in styles(auth, unknown_key(auth)).items()]
    return out


def invalid_requests(spec: Spec, op: Operation) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, path, query): requests a valid key would get a 400 or a 404 for."""
    if not op.is_list:
        return [("a malformed id", detail_path(op, "abc"), {})]
    pagesize = op.paging.pagesize_param
    out = [(f"{pagesize} out of range", op.path, {pagesize: 0})]
    geo = op.geo_view
    if geo:
        out.append((f"{geo.lat_param} missing", op.path, {geo.lng_param: 0, geo.radius_param: 1}))
    return out


def signature(envelope, target: Target, exchange: Exchange) -> tuple:
    """What a result is about: status, error code and the records' identities."""
    data = envelope.names.payload(exchange.body, target.op.is_list)
    if isinstance(data, list):
        ids: Any = [target.key(item) for item in data if isinstance(item, dict)]
    else:
        ids = target.key(data) if isinstance(data, dict) else None
    return exchange.status, envelope.error_code(exchange), ids


def result_text(signature_: tuple) -> str:
    """A :func:`signature` in words: ``HTTP 401 with code INVALID_API_KEY``, ``HTTP 200, records 1, 2, 3
    and 9 more``."""
    status, code, ids = signature_
    text = f"HTTP {status}" + (f" with code {code}" if code else "")
    if isinstance(ids, list):
        return text + (f", records {some(ids)}" if ids else ", no records")
    return text + (f", record {shown(ids)}" if ids is not None else "")


def expect_same_result(api, envelope, target: Target, baseline: Exchange, other: Exchange, what: str) -> None:
    """``other`` is the result ``baseline`` got. A body that changes between two identical requests
    (real-time status) is compared by status, code and record identities only."""
    __tracebackhide__ = True
    if other.status == baseline.status and other.body == baseline.body:
        return
    again = api.get(target.path, target.params)
    # the same request twice, the same key: different records or order are PAGE-05's, not AUTH-01's
    first, second = signature(envelope, target, baseline), signature(envelope, target, again)
    expect(second == first, "PAGE-05",
           f"{request_text(target.path, target.params)} sent twice with the key in the {api.api_key_header} header",
           baseline, again, expected="the same records in the same order both times",
           got=first_difference(first[2], second[2], "the first time", "the second time")
               if first[:2] == second[:2] and isinstance(first[2], list) and isinstance(second[2], list)
               else f"{result_text(first)}, then {result_text(second)}")
    volatile = (again.status, again.body) != (baseline.status, baseline.body)
    same_records = signature(envelope, target, other) == first
    expect(baseline.status == 200 and volatile and same_records,
           "AUTH-01", f"{request_text(target.path, target.params)} with {what}", other, baseline,
           expected=f"the result the {api.api_key_header} header gives ({result_text(first)})",
           got=result_text(signature(envelope, target, other))
               + (", the same records in another body" if same_records else ""))


@pytest.fixture(scope="session")
def baseline(api, target) -> Callable[[Operation], Exchange]:
    """The answer to the valid request of an operation, with the key in the api-key header."""
    cache: dict[str, Exchange] = {}

    def fetch(op: Operation) -> Exchange:
        if op.operation_id not in cache:
            t = target(op)
            exchange = api.get(t.path, t.params)
            expect(exchange.status == 200, "AUTH-01",
                   f"the valid request {request_text(t.path, t.params)} with the key in the {api.api_key_header} "
                   "header", exchange, expected="HTTP 200")
            cache[op.operation_id] = exchange
        return cache[op.operation_id]

    return fetch


# ---------------------------------------------------------------------------------------- AUTH-01

@pytest.mark.requirement("AUTH-01")
def test_x_api_key_and_bearer_give_identical_results(api, envelope, auth, any_operation, target, baseline):
    t = target(any_operation)
    base = baseline(any_operation)
    exchange = send(api, t.path, t.params, bearer(auth, api.key))
    expect_same_result(api, envelope, t, base, exchange, f"Authorization: {auth.bearer_scheme} <key>")


@pytest.mark.requirement("AUTH-01")
@given(mask=CASE_MASKS, op=ROUTES)
@example(mask=[False], op=OPERATIONS[0])  # x-api-key, authorization
@example(mask=[True], op=OPERATIONS[-1])   # X-API-KEY, AUTHORIZATION
def test_header_names_are_case_insensitive(mask, op, api, envelope, auth, target, baseline):
    """Casings of both header names (all lower, all upper, mixed), each on a route drawn among all."""
    t = target(op)
    base = baseline(op)
    for name, value in ((auth.api_key_header, api.key), (AUTHORIZATION, f"{auth.bearer_scheme} {api.key}")):
        exchange = send(api, t.path, t.params, {recase(name, mask): value})
        expect_same_result(api, envelope, t, base, exchange, f"the header name {recase(name, mask)!r}")


@pytest.mark.requirement("AUTH-01")
@given(mask=CASE_MASKS, op=ROUTES)
@example(mask=[False], op=OPERATIONS[0])  # bearer
@example(mask=[True], op=OPERATIONS[-1])   # BEARER
def test_bearer_scheme_name_is_case_insensitive(mask, op, api, envelope, auth, target, baseline):
    """Casings of the scheme name, each on a route drawn among all."""
    t = target(op)
    scheme = recase(auth.bearer_scheme, mask)
    exchange = send(api, t.path, t.params, {AUTHORIZATION: f"{scheme} {api.key}"})
    expect_same_result(api, envelope, t, baseline(op), exchange, f"the scheme name {scheme!r}")


@pytest.mark.requirement("AUTH-01")
def test_x_api_key_wins_when_both_headers_are_sent(api, envelope, auth, any_operation, target, baseline):
    t = target(any_operation)
    other = unknown_key(auth)
    exchange = send(api, t.path, t.params, {**key_header(auth, api.key), **bearer(auth, other)})
    expect_same_result(api, envelope, t, baseline(any_operation), exchange,
                       f"a valid {auth.api_key_header} and an unknown Bearer token")
    exchange = send(api, t.path, t.params, {**key_header(auth, other), **bearer(auth, api.key)})
    envelope.expect_error(exchange, auth.codes.invalid, "AUTH-01",
                          f"{request_text(t.path, t.params)} with an unknown key in the {auth.api_key_header} header "
                          f"and the valid key as {auth.bearer_scheme} token (the {auth.api_key_header} header decides)")


# ---------------------------------------------------------------------------------------- AUTH-02

@pytest.mark.requirement("AUTH-02")
def test_no_credential_is_missing_api_key(api, envelope, auth, target):
    """Each way of sending no credential (none, an empty or blank key, a scheme without a token, the
    key under another scheme), dealt to the routes in turn: every route is sent one."""
    name, scheme = auth.api_key_header, auth.bearer_scheme
    cases = {
        "no credential": {},
        f"an empty {name}": {name: ""},
        f"a whitespace-only {name}": {name: " \t "},
        f"{scheme} with no token": {AUTHORIZATION: scheme},
        f"{scheme} with a blank token": {AUTHORIZATION: f"{scheme}   "},
        "an empty Authorization": {AUTHORIZATION: ""},
        **{f"the key under the {other} scheme": {AUTHORIZATION: f"{other} {api.key}"}
           for other in ("Basic", "Token", "Digest")},
    }
    for (what, headers), op in spread(list(cases.items()), OPERATIONS):
        t = target(op)
        exchange = send(api, t.path, t.params, headers)
        envelope.expect_error(exchange, auth.codes.missing, "AUTH-02",
                              f"{request_text(t.path, t.params)} with {what} (no credential)")


# ---------------------------------------------------------------------------------------- AUTH-03

@pytest.mark.requirement("AUTH-03")
def test_near_misses_of_the_prefix_are_invalid_key_format(api, envelope, auth, target, judged_styles):
    """Each near miss of the prefix (its case, without its separator, another separator, no prefix,
    blank after it) in each header style, dealt to the routes in turn."""
    prefix = auth.key_prefix
    secret = api.key[len(prefix):] if api.key.startswith(prefix) else api.key
    stem = prefix.rstrip("_")
    near_misses = {prefix.upper() + secret, prefix.capitalize() + secret, prefix, stem + secret,
                   stem + "-" + secret, secret, prefix + " " + secret, prefix + "\t" + secret}
    cases = [(key, style, headers) for key in sorted(near_misses - {api.key})
             for style, headers in judged_styles(key).items()]
    for (key, style, headers), op in spread(cases, OPERATIONS):
        t = target(op)
        exchange = send(api, t.path, t.params, headers)
        envelope.expect_error(exchange, auth.codes.format, "AUTH-03",
                              f"{request_text(t.path, t.params)} with the key {shown(key)} in the {style}, which "
                              f"does not begin with {shown(prefix)} and a non-whitespace character")


@pytest.mark.requirement("AUTH-03")
@given(data=st.data())
def test_keys_without_the_prefix_are_invalid_key_format(data, api, envelope, auth, target, judged_styles):
    """Printable keys that do not begin with the prefix, in a header style and on a route drawn."""
    t = target(data.draw(ROUTES, label="route"))
    prefix = auth.key_prefix
    key = data.draw(st.text(PRINTABLE_ASCII, min_size=1, max_size=64).map(str.strip)
                    .filter(lambda s: s and not s.startswith(prefix)), label="key")
    style = data.draw(st.sampled_from(sorted(judged_styles(key))), label="style")
    exchange = send(api, t.path, t.params, judged_styles(key)[style])
    envelope.expect_error(exchange, auth.codes.format, "AUTH-03",
                          f"{request_text(t.path, t.params)} with the key {shown(key)} in the {style}, which does not "
                          f"begin with {shown(prefix)}")


# ---------------------------------------------------------------------------------------- AUTH-04

@pytest.mark.requirement("AUTH-04")
@given(data=st.data())
def test_unknown_well_formed_keys_are_invalid_api_key(data, api, envelope, auth, target, known_keys, judged_styles):
    """Well-formed keys no tenant has (RFC 6750 token characters after the prefix), in a header
    style and on a route drawn."""
    t = target(data.draw(ROUTES, label="route"))
    key = data.draw(st.text(TOKEN_CHARS, min_size=1, max_size=64).map(auth.key_prefix.__add__)
                    .filter(lambda k: k not in known_keys), label="key")
    style = data.draw(st.sampled_from(sorted(judged_styles(key))), label="style")
    exchange = send(api, t.path, t.params, judged_styles(key)[style])
    envelope.expect_error(exchange, auth.codes.invalid, "AUTH-04",
                          f"{request_text(t.path, t.params)} with the unknown well-formed key {shown(key)} in the "
                          f"{style}")


@pytest.mark.requirement("AUTH-04")
@pytest.mark.parametrize("which", ["revoked", "expired"])
def test_revoked_and_expired_keys_are_invalid_api_key(which, request, api, envelope, auth, target, judged_styles):
    """The revoked (expired) key in each header style, dealt to the routes in turn."""
    key = request.getfixturevalue(f"{which}_key")  # skips naming the option when it is not given
    for (style, headers), op in spread(list(judged_styles(key).items()), OPERATIONS):
        t = target(op)
        exchange = send(api, t.path, t.params, headers)
        envelope.expect_error(exchange, auth.codes.invalid, "AUTH-04",
                              f"{request_text(t.path, t.params)} with the {which} key in the {style}")


# ---------------------------------------------------------------------------------------- AUTH-05

def expect_refused_first(api, envelope, auth: Auth, refusal: tuple[str, dict[str, str], str],
                         reference: tuple[str, dict[str, Any]], invalid: tuple[str, str, dict[str, Any]]) -> None:
    """The invalid request gets the refusal the same credential gets on a valid request (which
    AUTH-02..04 judge, so a wrong refusal is theirs alone): authentication is decided before the path
    and the parameters. Where the valid request is not refused at all (a cache that serves whoever
    asks, a deployment that ignores the credential), the refusal the contract gives that credential
    is expected instead: an answer that was not the API's to give is no baseline."""
    __tracebackhide__ = True
    what, headers, code = refusal
    ref = send(api, *reference, headers)
    expected = (ref.status, envelope.error_code(ref)) if ref.status >= 400 else (auth.status, code)
    label, path, params = invalid
    exchange = send(api, path, params, headers)
    expect((exchange.status, envelope.error_code(exchange)) == expected, "AUTH-05",
           f"{request_text(path, params)} ({label}) with {what}", exchange, ref,
           expected=f"HTTP {expected[0]} with code {expected[1]}, as {what} gets on a valid request"
                    + ("" if ref.status >= 400 else f" by the contract (the valid request was answered HTTP "
                                                      f"{ref.status})")
                    + ": authentication comes before validation and routing")


@pytest.mark.requirement("AUTH-05")
def test_authentication_comes_before_validation(api, envelope, auth, iris_spec, target):
    """Each kind of bad credential dealt to the routes in turn, with each invalid request of its route
    (an invalid id, a page size of 0, a missing point)."""
    for refusal, op in spread(refusals(auth), OPERATIONS):
        t = target(op)
        for invalid in invalid_requests(iris_spec, op):
            expect_refused_first(api, envelope, auth, refusal, (t.path, t.params), invalid)


@pytest.mark.requirement("AUTH-05")
def test_authentication_comes_before_routing(api, envelope, auth, iris_spec):
    listing = iris_spec.resource_list_operations[0]
    undefined = "/iris-conformance-undefined-" + uuid.uuid4().hex[:8]
    for path in (undefined, f"{listing.path}/any{undefined}"):
        for refusal in refusals(auth):
            expect_refused_first(api, envelope, auth, refusal, (listing.path, {}), ("an undefined path", path, {}))


# ---------------------------------------------------------------------------------------- AUTH-06

@pytest.mark.requirement("AUTH-06")
def test_every_401_carries_www_authenticate(api, auth, target):
    """Each kind of bad credential dealt to the routes in turn."""
    if not auth.www_authenticate:
        pytest.skip("not run: the spec (x-api.auth.www-authenticate) declares no WWW-Authenticate challenge")
    for (what, headers, _), op in spread(refusals(auth), OPERATIONS):
        t = target(op)
        exchange = send(api, t.path, t.params, headers)
        challenge = exchange.headers.get("WWW-Authenticate")
        expect(exchange.status != auth.status or (challenge or "").strip(), "AUTH-06",
               f"the HTTP {auth.status} answer to {request_text(t.path, t.params)} with {what}", exchange,
               expected="a WWW-Authenticate header (the challenge)",
               got="no WWW-Authenticate header" if challenge is None else "an empty WWW-Authenticate header")


# ---------------------------------------------------------------------------------------- AUTH-07

def expect_key_not_echoed(exchange: Exchange, key: str, prefix: str, what: str) -> None:
    """Neither the key nor its part after the prefix occurs, in any case, in a header or the body."""
    __tracebackhide__ = True
    secret = key[len(prefix):] if key.startswith(prefix) else key
    haystack = "\n".join([exchange.text, *(f"{k}: {v}" for k, v in exchange.headers.items())]).lower()
    found = [form for form in dict.fromkeys((key, secret)) if form.strip() and form.lower() in haystack]
    where = [place for place, text in (("the body", exchange.text), *((f"the {k} header", v)
                                                                     for k, v in exchange.headers.items()))
             if any(form.lower() in text.lower() for form in found)]
    part = " (its part after the prefix)" if found == [secret] else ""
    expect(not found, "AUTH-07", f"the headers and body of the answer to {what}", exchange,
           expected="neither the key sent nor its part after the prefix, in any case",
           got=f"the key{part} in {some(where, as_is=True, sep=' and ') or 'the answer'}")


@pytest.mark.requirement("AUTH-07")
def test_the_valid_key_is_never_in_a_response(api, auth, iris_spec, any_operation, target):
    t = target(any_operation)
    requests_ = [("a valid request", t.path, t.params), *invalid_requests(iris_spec, any_operation)]
    for what, path, params in requests_:
        for style, headers in styles(auth, api.key).items():
            exchange = send(api, path, params, headers)
            expect_key_not_echoed(exchange, api.key, auth.key_prefix,
                                  f"{request_text(path, params)} ({what}) with the key in the {style}")


@pytest.mark.requirement("AUTH-07")
@given(data=st.data())
def test_a_refused_key_is_never_in_the_response(data, given_keys, api, auth, target, known_keys, judged_styles):
    """A refused key of each kind (unknown, without the prefix, revoked, expired), in a header style
    and on a route drawn."""
    t = target(data.draw(ROUTES, label="route"))
    prefix = auth.key_prefix
    token = st.text(string.ascii_letters + string.digits, min_size=12, max_size=48)
    kinds = {"an unknown key": token.map(prefix.__add__).filter(lambda k: k not in known_keys),
             "a key without the prefix": token}
    for label in ("revoked", "expired"):  # when given; their own test skips otherwise
        value = given_keys.get(f"{label}_key")
        if value:
            kinds[f"the {label} key"] = st.just(value)
    kind = data.draw(st.sampled_from(sorted(kinds)), label="kind")
    key = data.draw(kinds[kind], label="key")
    style = data.draw(st.sampled_from(sorted(judged_styles(key))), label="style")
    exchange = send(api, t.path, t.params, judged_styles(key)[style])
    expect_key_not_echoed(exchange, key, prefix, f"{request_text(t.path, t.params)} with {kind} in the {style}")
