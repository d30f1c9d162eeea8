"""Webhook delivery over real HTTP to a receiver on 127.0.0.1: Shopify's
headers, a signature checked by an independent implementation, retries with
backoff, and what uninstalling does."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from shopify_sim import create_app, webhooks
from shopify_sim.state import Shop
from shopify_sim.webhooks import deliver_pending, retry_delays

from .sim_auth_support import CLIENT_ID, CLIENT_SECRET, SHOP, app_toml

HEADERS = ("X-Shopify-Topic", "X-Shopify-Hmac-Sha256", "X-Shopify-Shop-Domain", "X-Shopify-Api-Version",
           "X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At")


def shopify_signature_ok(body: bytes, header: str, secret: str) -> bool:
    """How an app checks X-Shopify-Hmac-Sha256 (written independently of
    shopify_sim.signing)."""
    expected = base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, header.encode())


def point_app_at(sim, url: str) -> None:
    sim.register(application_url=url)


def test_retry_schedule_is_8_retries_over_4_hours():
    delays = retry_delays()
    assert len(delays) == 8
    assert sum(delays) == pytest.approx(4 * 3600)
    assert all(b == pytest.approx(2 * a) for a, b in zip(delays, delays[1:]))
    assert sum(retry_delays(0.001)) == pytest.approx(14.4)


def test_shopify_webhook_signature_vector():
    # Self-computed vector from the notes (secret "hush").
    body = b'{"shop_id":954889,"shop_domain":"test-shop.myshopify.com"}'
    assert webhooks.webhook_hmac(body, "hush") == "cMbKk8x8GfggcLkMjggC0sTuHYfpy6+rc48KpyoSwxA="


def test_uninstall_revokes_tokens_and_delivers_app_uninstalled_with_a_retry(sim, receiver_factory):
    receiver = receiver_factory([500, 200])
    point_app_at(sim, receiver.url)
    token = sim.client.post(f"/_sim/shops/{SHOP}/access_tokens",
                            json={"client_id": CLIENT_ID, "expiring": True}).get_json()

    response = sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall")
    assert response.status_code == 200
    assert sim.state.lookup_token(token["access_token"]) is None
    assert token["refresh_token"] not in sim.state.refresh_tokens
    assert CLIENT_ID not in sim.state.shops[SHOP].installed_apps

    first = deliver_pending(sim.state)
    assert [d.topic for d in first] == ["app/uninstalled"]  # shop/redact waits 48 h
    assert len(receiver.received) == 1
    delivery = first[0]
    assert delivery.status == "pending" and delivery.attempts[0]["response_status"] == 500
    due = sim.clock.now + retry_delays(0.001)[0]
    assert delivery.next_attempt_at == pytest.approx(due)

    assert deliver_pending(sim.state, now=due - 0.001) == []  # not due yet
    assert deliver_pending(sim.state, now=due) == [delivery]
    assert delivery.status == "delivered"
    assert [a["response_status"] for a in delivery.attempts] == [500, 200]

    first_try, retry = receiver.received
    for received in (first_try, retry):
        assert received.path == "/webhooks/app"
        assert all(received.headers.get(name) for name in HEADERS), received.headers
        assert received.headers["Content-Type"] == "application/json"
        assert received.headers["X-Shopify-Topic"] == "app/uninstalled"
        assert received.headers["X-Shopify-Shop-Domain"] == SHOP
        assert received.headers["X-Shopify-Api-Version"] == "2026-07"
        assert shopify_signature_ok(received.body, received.headers["X-Shopify-Hmac-Sha256"], CLIENT_SECRET)
        assert not shopify_signature_ok(received.body, received.headers["X-Shopify-Hmac-Sha256"], "other-secret")
    # A retry is the same webhook: same body, ids and trigger time.
    assert retry.body == first_try.body
    for name in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
        assert retry.headers[name] == first_try.headers[name]
    payload = json.loads(retry.body)
    assert payload["myshopify_domain"] == SHOP and payload["domain"] == SHOP and isinstance(payload["id"], int)

    log = sim.client.get("/_sim/webhooks", query_string={"topic": "app/uninstalled"}).get_json()["deliveries"]
    assert [(row["status"], len(row["attempts"])) for row in log] == [("delivered", 2)]


def test_shop_redact_follows_uninstall_after_48_hours(sim, receiver_factory):
    receiver = receiver_factory([200])
    point_app_at(sim, receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/installs", json={"client_id": CLIENT_ID})
    sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall")
    deliver_pending(sim.state)
    assert [r.headers["X-Shopify-Topic"] for r in receiver.received] == ["app/uninstalled"]
    assert deliver_pending(sim.state, now=sim.clock.now + 48 * 3600 - 1) == []
    deliver_pending(sim.state, now=sim.clock.now + 48 * 3600)
    redact = receiver.received[-1]
    assert redact.path == "/webhooks/compliance"
    assert redact.headers["X-Shopify-Topic"] == "shop/redact"
    assert json.loads(redact.body) == {"shop_id": json.loads(receiver.received[0].body)["id"], "shop_domain": SHOP}


def test_gives_up_after_8_retries(sim, receiver_factory):
    receiver = receiver_factory([503])
    point_app_at(sim, receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/customers/redact", json={})
    now = sim.clock.now
    for _ in range(12):
        deliver_pending(sim.state, now=now)
        now += 3600
    (delivery,) = sim.state.webhook_deliveries
    assert delivery.status == "failed"
    assert len(delivery.attempts) == 9 == len(receiver.received)


@pytest.mark.parametrize("status", [301, 404])
def test_redirects_and_errors_are_failures(sim, receiver_factory, status):
    receiver = receiver_factory([status])
    point_app_at(sim, receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={})
    (delivery,) = deliver_pending(sim.state)
    assert delivery.status == "pending" and delivery.attempts[0]["response_status"] == status
    assert len(receiver.received) == 1  # the redirect was not followed


def test_slow_receiver_times_out(sim, receiver_factory, monkeypatch):
    monkeypatch.setattr(webhooks, "RESPONSE_TIMEOUT", 0.2)
    receiver = receiver_factory([200], delay=0.6)
    point_app_at(sim, receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={})
    (delivery,) = deliver_pending(sim.state)
    assert delivery.status == "pending"
    assert delivery.attempts[0]["response_status"] is None and "Timeout" in delivery.attempts[0]["error"]


def test_unreachable_receiver_is_a_failed_attempt(sim, receiver_factory):
    receiver = receiver_factory([200])
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    point_app_at(sim, url)
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={})
    (delivery,) = deliver_pending(sim.state)
    assert delivery.attempts[0]["response_status"] is None and delivery.attempts[0]["error"]


def test_compliance_payloads_have_shopifys_shape(sim, receiver_factory):
    receiver = receiver_factory([200])
    point_app_at(sim, receiver.url)
    for topic in ("customers/data_request", "customers/redact", "shop/redact"):
        assert sim.client.post(f"/_sim/shops/{SHOP}/webhooks/{topic}", json={}).status_code == 202
    deliver_pending(sim.state)
    bodies = {r.headers["X-Shopify-Topic"]: json.loads(r.body) for r in receiver.received}
    assert set(bodies["customers/data_request"]) == {"shop_id", "shop_domain", "orders_requested", "customer",
                                                     "data_request"}
    assert set(bodies["customers/redact"]) == {"shop_id", "shop_domain", "customer", "orders_to_redact"}
    assert set(bodies["shop/redact"]) == {"shop_id", "shop_domain"}
    assert {b["shop_domain"] for b in bodies.values()} == {SHOP}
    # One event per trigger, one webhook id per delivery.
    assert len({r.headers["X-Shopify-Webhook-Id"] for r in receiver.received}) == 3


def test_background_thread_delivers_and_retries(receiver_factory):
    receiver = receiver_factory([500, 200])
    sim_app = create_app({"TESTING": True, "SIM_WEBHOOK_THREAD": True, "SIM_WEBHOOK_RETRY_SCALE": 0.0005})
    state = sim_app.extensions["sim_state"]
    state.shops[SHOP] = Shop(domain=SHOP, name="Auth")
    client = sim_app.test_client()
    client.post("/_sim/apps", json={"client_secret": CLIENT_SECRET, "toml": app_toml(receiver.url)})
    client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={})
    deadline = time.monotonic() + 10
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 2
    (delivery,) = state.webhook_deliveries
    deadline = time.monotonic() + 5
    while delivery.status != "delivered" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert delivery.status == "delivered"

