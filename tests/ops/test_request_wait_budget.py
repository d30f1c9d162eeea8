"""A web request never sleeps long on a store's rate limit.

Found by bench/load.py: concurrent 1,000-value match previews on one Standard
store held every gunicorn worker 25-27 s per request (the 30 s worker timeout
was next), so every other store's requests queued behind one store's bucket.
The bridge's Admin API clients now give up after REQUEST_MAX_WAIT seconds of
waiting and answer 503 with the wait as Retry-After; jobs still wait.
"""
from __future__ import annotations

import json
import time

import pytest
import requests
from requests.adapters import BaseAdapter

from shopify_app.admin_api import REQUEST_MAX_WAIT, AdminApiClient, ThrottledError, TransientError
from tests.support import bearer, connect


class Answers(BaseAdapter):
    """Answers each request with the next (status, body)."""

    def __init__(self, answers):
        super().__init__()
        self.answers, self.sent = list(answers), 0

    def send(self, request, **kwargs):
        self.sent += 1
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code, response._content = status, json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


def _client(answers, **kwargs):
    adapter, session, sleeps = Answers(answers), requests.Session(), []
    session.mount("http://", adapter)
    client = AdminApiClient("budget.myshopify.com", origin=f"http://sim-{time.monotonic_ns()}/budget.myshopify.com",
                            token_provider=lambda: "shpat_x", session=session, sleep=sleeps.append,
                            clock=lambda: 1000.0 + sum(sleeps), rng=lambda: 0.5, **kwargs)
    return client, adapter, sleeps


def _drained(rate=100.0):
    status = {"maximumAvailable": 2000.0, "currentlyAvailable": 0.0, "restoreRate": rate}
    return {"data": {"a": 1},
            "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10, "throttleStatus": status}}}


def test_a_client_with_a_wait_limit_gives_up_instead_of_sleeping_on_the_bucket():
    client, adapter, sleeps = _client([(200, _drained())], max_wait=10)
    client.execute("query A { shop { id } }")
    with pytest.raises(ThrottledError) as raised:
        client.execute("query A { shop { id } }", expected_cost=1500)   # 15 s of restore
    assert raised.value.retry_after == 15
    assert sleeps == [] and adapter.sent == 1


def test_waits_within_the_limit_are_waited():
    client, adapter, sleeps = _client([(200, _drained()), (200, _drained())], max_wait=10)
    client.execute("query A { shop { id } }")
    client.execute("query A { shop { id } }", expected_cost=500)   # 5 s
    assert 5.0 <= sum(sleeps) <= 5.1 and adapter.sent == 2


def test_without_a_limit_the_client_waits_as_long_as_the_bucket_needs():
    # What jobs do: a rate-bound sync spends its time waiting for the bucket.
    client, _, sleeps = _client([(200, _drained()), (200, _drained())])
    client.execute("query A { shop { id } }")
    client.execute("query A { shop { id } }", expected_cost=1500)
    assert 15.0 <= sum(sleeps) <= 15.1


def test_fault_backoffs_past_the_limit_are_a_transient_error_not_a_throttle():
    client, _, _ = _client([(500, {})] * 5, max_wait=0.1)
    with pytest.raises(TransientError) as raised:
        client.execute("query A { shop { id } }")
    assert not isinstance(raised.value, ThrottledError) and raised.value.retry_after >= 1


def test_match_preview_on_a_drained_store_answers_503_with_the_wait_at_once(client, sim_shop, app):
    from shopify_app.admin_api import client as client_module
    from shopify_app.admin_api import for_shop
    from shopify_app.models import Shop
    shop = sim_shop(products=[{"title": "Shirt", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain)["token"]
    with app.app_context():
        endpoint = for_shop(Shop.query.filter_by(domain=shop.domain).one()).endpoint
    # This process last saw the store's bucket empty, refilling at 0.5
    # points/s (a sync in the same process drained it): any search needs
    # more than REQUEST_MAX_WAIT seconds of restore.
    with client_module._buckets_lock:
        client_module._buckets[endpoint] = client_module.Bucket(maximum=2000, available=0, restore_rate=0.5,
                                                                observed_at=time.monotonic())
    try:
        started = time.monotonic()
        response = client.post("/bridge/v1/matches", headers=bearer(token),
                               json={"shopify_field": "sku", "values": ["S-1"]})
        elapsed = time.monotonic() - started
    finally:
        with client_module._buckets_lock:
            client_module._buckets.pop(endpoint, None)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > REQUEST_MAX_WAIT
    assert elapsed < REQUEST_MAX_WAIT / 2
