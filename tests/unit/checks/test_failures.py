"""Typed failures and the layer that answered (conformance.checks.failures, conformance.runtime.layers):
a failure's reason says what was checked, expected and got, and names a gateway, a CDN or a shared
cache when the evidence shows one; a quota is told from a throttle; a violation hypothesis could not
replay is reported as the violation, without its exception group. No server: hand-made answers."""

from __future__ import annotations

import pytest
import requests
from hypothesis.errors import FlakyFailure

from conformance.checks.expect import Violation, violations_text
from conformance.checks.failures import Failure, Observed, dump, load, transient_errors
from conformance.runtime import layers
from conformance.runtime.client import Exchange

URL = "https://abc.execute-api.ap-south-1.amazonaws.com/suite-network-uat/api/v1/d2s/external/tariffs"


def answer(status: int, body: str, headers: dict[str, str] | None = None, method: str = "GET",
           url: str = URL) -> Exchange:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers = requests.structures.CaseInsensitiveDict({"Content-Type": "application/json", **(headers or {})})
    response.request = requests.Request(method, url, headers={"x-api-key": "iris_x"}).prepare()
    return Exchange(response)


AWS_403 = answer(403, '{"message":"Missing Authentication Token"}',
                 {"x-amzn-ErrorType": "MissingAuthenticationTokenException", "x-amzn-RequestId": "r-1"})


# ------------------------------------------------------------------------------------ layers

@pytest.mark.parametrize("status, body, headers, product", [
    (403, '{"message":"Missing Authentication Token"}',
     {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}, "the AWS API Gateway"),
    (502, '{"message": "Internal server error"}', {"x-amzn-RequestId": "r"}, "the AWS API Gateway"),
    (401, '{"message":"No API key found in request"}', {"Via": "1.1 kong/3.4.2"}, "the Kong gateway"),
    (429, '{"message":"API rate limit exceeded"}', {"X-Kong-Response-Latency": "0"}, "the Kong gateway"),
    (401, '{"fault":{"faultstring":"Invalid ApiKey","detail":{"errorcode":"oauth.v2.InvalidApiKey"}}}', {},
     "the Apigee gateway"),
    (401, '{"statusCode": 401, "message": "Access denied due to missing subscription key."}', {},
     "Azure API Management"),
    (403, "<html>error code: 1020</html>", {"CF-RAY": "8a1b", "Server": "cloudflare", "Content-Type": "text/html"},
     "the Cloudflare CDN"),
    (502, "", {"X-Cache": "Error from cloudfront", "Via": "1.1 abc.cloudfront.net (CloudFront)"},
     "the Amazon CloudFront CDN"),
    (502, "<html><center>nginx/1.25.3</center></html>", {"Server": "nginx/1.25.3", "Content-Type": "text/html"},
     "an nginx proxy"),
])
def test_each_documented_layer_is_named_when_it_made_the_answer(status, body, headers, product):
    observed = Observed.of(answer(status, body, headers))
    assert observed.layer is not None and observed.layer.product == product and observed.layer.generated
    assert f"answered by {product}" in Failure("TRN-04", "a check", evidence=(observed,)).reason()


def test_an_answer_of_the_api_that_passed_through_a_gateway_is_the_apis():
    body = '{"success":false,"error":{"code":"NOT_FOUND","message":"no tariff 9"}}'
    observed = Observed.of(answer(404, body, {"x-amzn-RequestId": "r", "x-amz-apigw-id": "a1"}), fits_the_api=True)
    assert observed.layer is not None and not observed.layer.generated
    assert observed.notes() == []
    assert Observed.of(answer(404, '{"message":"x"}')).layer is None  # a bare body alone shows no layer


def test_a_gateway_refusal_is_a_configuration_finding_and_a_throttle_is_not():
    refusal = Failure("TRN-02", "POST on the defined path /tariffs", expected="HTTP 405 with code METHOD_NOT_ALLOWED",
                      evidence=(Observed.of(AWS_403),))
    reason = refusal.reason()
    assert reason.startswith("POST on the defined path /tariffs; expected HTTP 405 with code METHOD_NOT_ALLOWED; "
                             'got HTTP 403 {"message":"Missing Authentication Token"}')
    assert ("answered by the AWS API Gateway (x-amzn-ErrorType: MissingAuthenticationTokenException), not by the "
            "API: a gateway configuration finding") in reason
    throttle = Observed.of(answer(429, '{"message":"Too Many Requests"}', {"x-amzn-ErrorType": "TooManyRequestsException"}))
    assert "configuration" not in Failure("RATE-01", "a burst", evidence=(throttle,)).reason()


@pytest.mark.parametrize("status, body, headers, words", [
    (429, '{"message":"Limit Exceeded"}', {"x-amzn-ErrorType": "LimitExceededException"}, "usage plan"),
    (429, '{"message":"Limit Exceeded"}', {}, "usage plan"),
    (429, '{"fault":{"faultstring":"Rate limit quota violation","detail":{"errorcode":"policies.ratelimit.QuotaViolation"}}}',
     {}, "Apigee"),
    (403, '{"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished in 23:59:00."}', {},
     "Azure"),
    (429, '{"message":"API rate limit exceeded"}', {"X-RateLimit-Remaining-Day": "0"}, "daily or monthly"),
    (429, "{}", {"Retry-After": "86400"}, "86400 s from now"),
])
def test_a_quota_is_told_from_a_throttle(status, body, headers, words):
    signal = layers.quota_signal(status, headers, body)
    assert signal is not None and words in signal


@pytest.mark.parametrize("status, body, headers", [
    (429, '{"message":"Too Many Requests"}', {"x-amzn-ErrorType": "TooManyRequestsException"}),
    (429, '{"success":false,"error":{"code":"RATE_LIMIT_EXCEEDED"}}', {"Retry-After": "2"}),
    (403, '{"message":"Forbidden"}', {}),
])
def test_a_throttle_is_no_quota(status, body, headers):
    assert layers.quota_signal(status, headers, body) is None


def test_a_cache_is_named_by_its_headers_or_by_one_body_served_to_two_keys():
    assert layers.cache_evidence({"Age": "12"}) == "Age: 12"
    assert layers.cache_evidence({"X-Cache": "Hit from cloudfront"}) == "X-Cache: Hit from cloudfront"
    assert layers.cache_evidence({"X-Cache": "Miss from cloudfront"}) is None
    bodies = layers.SharedBodies()
    body = b'{"success":true,"data":[' + b'{"id":1,"name":"Standard Energy"},' * 5 + b'{}]}'
    bodies.see("GET", URL, "iris_ours", 200, body)
    assert bodies.note("GET", URL, 200, body) is None
    bodies.see("GET", URL, "iris_ours", 200, body)  # the same key again: no evidence
    assert bodies.note("GET", URL, 200, body) is None
    bodies.see("GET", URL, "iris_theirs", 200, body)
    assert "two different keys" in bodies.note("GET", URL, 200, body)
    empty = b'{"success":true,"data":[]}'  # two tenants may both have nothing
    bodies.see("GET", URL + "?x", "a", 200, empty)
    bodies.see("GET", URL + "?x", "b", 200, empty)
    assert bodies.note("GET", URL + "?x", 200, empty) is None


# ---------------------------------------------------------------------------- typed failures

def test_a_failure_travels_as_json_and_keeps_its_reason():
    failure = Failure("TRN-02", "POST on /tariffs", expected="HTTP 405", operation="GET /tariffs",
                      evidence=(Observed.of(AWS_403),))
    (back,) = load(dump([failure]))
    assert back == failure and back.reason() == failure.reason() and back.layer == failure.layer


def test_one_rule_broken_on_many_values_is_one_violation():
    first = Failure("SORT-01", "orderby='dEsC' was refused", operation="GET /tariffs")
    again = Failure("SORT-01", "orderby='AsC' was refused", operation="GET /tariffs")
    other = Failure("SORT-01", "orderby='dEsC' was refused", operation="GET /stations")
    assert first.key == again.key != other.key


def test_transient_errors_are_counted_with_both_attempts_as_evidence():
    first = Observed.of(answer(502, '{"message": "Internal server error"}',
                               {"x-amzn-ErrorType": "InternalServerErrorException"})).to_dict()
    retried = Observed.of(answer(200, '{"success":true,"data":[]}')).to_dict()
    lost = Observed.lost("GET", URL, "curl x", "the connection broke").to_dict()
    failure = transient_errors([(first, retried), (first, retried), (lost, retried)], 4210)
    assert failure.requirement_id == "TRN-04" and failure.transient
    assert "transient: 3 of 4210 requests answered HTTP 502 (2), no HTTP answer (1); each succeeded when sent " \
           "again" in failure.reason()
    assert [o.status for o in failure.evidence] == [502, 200]
    assert transient_errors([], 10) is None


def test_a_violation_hypothesis_could_not_replay_is_its_violation_without_the_group():
    violation = Violation("GEO-04", "items out of order", (answer(200, '{"success":true,"data":[]}'),))
    flaky = FlakyFailure("Hypothesis test_x produces unreliable results", [violation])
    text = violations_text(flaky)
    assert text.startswith("GEO-04 (") and "items out of order" in text and "seen once" in text
    assert "Traceback" not in text and "FlakyFailure" not in text
    assert violations_text(ExceptionGroup("two", [violation, violation])) == violations_text(violation)
    assert violations_text(ValueError("a bug")) is None
