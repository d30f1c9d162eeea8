"""The Admin API client's pacing, retries and errors, against scripted
answers (the simulator tests cover the real exchange)."""
from __future__ import annotations

import json
import uuid

import pytest
import requests
from requests.adapters import BaseAdapter

from shopify_app.admin_api import (AdminApiClient, AuthenticationError, GraphQLErrors, ThrottledError, TransientError,
                                   UserErrors)
from shopify_app.admin_api.client import MAX_FAULT_ATTEMPTS


class Scripted(BaseAdapter):
    """Answers each request with the next scripted (status, body, headers)."""

    def __init__(self, answers):
        super().__init__()
        self.answers = list(answers)
        self.requests = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body, headers = (answer + ({},))[:3] if len(answer) == 2 else answer
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
        response.headers.update({"Content-Type": "application/json", **headers})
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def cost(requested=10, actual=10, available=1990.0, maximum=2000.0, rate=100.0):
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def make_client(answers, *, on_rejected=None, tokens=("shpat_one",), origin=None):
    adapter = Scripted(answers)
    session = requests.Session()
    session.mount("http://", adapter)
    clock = Clock()
    token_iter = iter(tokens)
    current = {"token": next(token_iter)}

    def rejected():
        current["token"] = next(token_iter)
        if on_rejected:
            on_rejected()

    client = AdminApiClient("shop.myshopify.com", origin=origin or f"http://sim-{uuid.uuid4().hex}/shop.myshopify.com",
                            token_provider=lambda: current["token"], on_token_rejected=rejected, session=session,
                            sleep=clock.sleep, clock=clock, rng=lambda: 0.5)
    return client, adapter, clock


def test_sends_pinned_version_and_token():
    client, adapter, _ = make_client([(200, {"data": {"shop": {"name": "A"}}, "extensions": cost()})])
    assert client.execute("query Q { shop { name } }") == {"shop": {"name": "A"}}
    sent = adapter.requests[0]
    assert sent.url.endswith("/shop.myshopify.com/admin/api/2026-10/graphql.json")
    assert sent.headers["X-Shopify-Access-Token"] == "shpat_one"
    assert json.loads(sent.body)["query"].startswith("query Q")
    assert client.stats.requests == 1 and client.stats.actual_cost == 10


def test_paces_from_throttle_status_instead_of_meeting_throttled():
    # The bucket holds 50 after the first call; the next one is expected to
    # cost 300: wait (300 - 50) / 100 = 2.5 s before sending.
    client, adapter, clock = make_client([
        (200, {"data": {"a": 1}, "extensions": cost(available=50)}),
        (200, {"data": {"a": 2}, "extensions": cost(available=0)}),
    ])
    client.execute("query A { shop { id } }")
    client.execute("query A { shop { id } }", expected_cost=300)
    assert clock.sleeps and 2.5 <= clock.sleeps[0] <= 2.5 * 1.1
    assert client.stats.throttled == 0


def test_long_pacing_waits_get_a_small_bounded_jitter():
    # A rate-bound sync waits seconds before each request; the jitter that
    # keeps clients of one bucket apart stays within 50 ms, not 10 %.
    client, adapter, clock = make_client([
        (200, {"data": {"a": 1}, "extensions": cost(available=0)}),
        (200, {"data": {"a": 2}, "extensions": cost(available=0)}),
    ])
    client.execute("query A { shop { id } }")
    client.execute("query A { shop { id } }", expected_cost=1000)
    assert clock.sleeps == [10.0 + 0.05 * 0.5]  # rng() is 0.5 here


def test_retries_throttled_after_waiting_for_the_bucket():
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": cost(requested=500, actual=None, available=100)}
    client, adapter, clock = make_client([(200, throttled), (200, {"data": {"ok": True}, "extensions": cost()})])
    assert client.execute("query B { shop { id } }") == {"ok": True}
    assert len(adapter.requests) == 2 and client.stats.throttled == 1
    assert sum(clock.sleeps) >= 4.0  # (500 - 100) / 100


def test_gives_up_on_endless_throttling():
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": cost(requested=10, actual=None, available=0)}
    client, _, _ = make_client([(200, throttled)] * 10)
    with pytest.raises(ThrottledError):
        client.execute("query C { shop { id } }")


def test_http_429_honours_retry_after():
    client, _, clock = make_client([(429, {"errors": "Throttled"}, {"Retry-After": "2"}),
                                    (200, {"data": {"ok": 1}, "extensions": cost()})])
    assert client.execute("query D { shop { id } }") == {"ok": 1}
    assert 2.0 <= clock.sleeps[0] <= 2.2


@pytest.mark.parametrize("fault", [
    (502, b"<html>bad gateway</html>"), (503, {"errors": "unavailable"}),
    requests.ConnectionError("reset"), requests.ReadTimeout("slow"),
    (200, {"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
])
def test_retries_faults_with_backoff(fault):
    client, adapter, clock = make_client([fault, fault, (200, {"data": {"ok": 1}, "extensions": cost()})])
    assert client.execute("query E { shop { id } }") == {"ok": 1}
    assert len(adapter.requests) == 3 and client.stats.retries == 2
    assert clock.sleeps[1] > clock.sleeps[0]  # exponential


def test_persistent_faults_raise_transient_error():
    client, _, _ = make_client([(500, {"errors": "x"})] * MAX_FAULT_ATTEMPTS)
    with pytest.raises(TransientError):
        client.execute("query F { shop { id } }")


def test_401_refreshes_the_token_once():
    rejected = []
    client, adapter, _ = make_client([(401, {"errors": "bad token"}), (200, {"data": {"ok": 1}, "extensions": cost()})],
                                     on_rejected=lambda: rejected.append(1), tokens=("old", "new"))
    assert client.execute("query G { shop { id } }") == {"ok": 1}
    assert [r.headers["X-Shopify-Access-Token"] for r in adapter.requests] == ["old", "new"] and rejected == [1]

    client, _, _ = make_client([(401, {}), (401, {})], tokens=("old", "new"))
    with pytest.raises(AuthenticationError):
        client.execute("query G { shop { id } }")


def test_top_level_errors_and_user_errors_are_typed():
    client, _, _ = make_client([(200, {"errors": [{"message": "Field 'x' doesn't exist",
                                                   "extensions": {"code": "undefinedField"}}]})])
    with pytest.raises(GraphQLErrors) as raised:
        client.execute("query H { shop { x } }")
    assert raised.value.codes == ["undefinedField"]

    payload = {"data": {"productCreateMedia": {"media": [], "mediaUserErrors": [
        {"code": "INVALID", "field": ["media", "1", "originalSource"], "message": "Image URL is invalid"}],
        "userErrors": [{"field": ["media", "1", "originalSource"], "message": "Image URL is invalid"}]}},
        "extensions": cost()}
    client, _, _ = make_client([(200, payload), (200, payload)])
    with pytest.raises(UserErrors) as raised:
        client.execute("mutation M { x }")
    error = raised.value.user_errors[0]
    assert (error.code, error.field, error.message) == ("INVALID", ("media", "1", "originalSource"),
                                                        "Image URL is invalid")
    assert raised.value.root_field == "productCreateMedia"
    assert client.execute("mutation M { x }", raise_user_errors=False)["productCreateMedia"]["media"] == []


def test_throttled_without_a_throttle_status_still_backs_off():
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}
    client, adapter, clock = make_client([(200, throttled), (200, {"data": {"ok": 1}, "extensions": cost()})])
    assert client.execute("query Z { shop { id } }") == {"ok": 1}
    assert clock.sleeps and clock.sleeps[0] > 0
