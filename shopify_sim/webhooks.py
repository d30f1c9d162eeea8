"""Webhook delivery as Shopify does it: signed POSTs to the URIs of the app's
shopify.app.toml subscriptions, retried with exponential backoff.

Shopify retries a failed delivery 8 times over 4 hours with the original
payload to the original address
(https://shopify.dev/changelog/updates-to-webhook-retry-mechanism); success
is any 2xx within 5 seconds, and a 3xx counts as a failure. The schedule here
doubles from ~56 s so the 8 retries span exactly 4 h; SIM_WEBHOOK_RETRY_SCALE
shrinks it for tests and demos.

Deliveries are made either by a background thread (config
SIM_WEBHOOK_THREAD) or by whoever calls `deliver_pending`.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

import requests

from .signing import webhook_hmac
from .state import App, Shop, SimState

RETRIES = 8
RETRY_WINDOW_SECONDS = 4 * 3600
CONNECT_TIMEOUT = 1.0
RESPONSE_TIMEOUT = 5.0
USER_AGENT = "Shopify-Captain-Hook"
# shop/redact follows an uninstall after 48 hours
# (https://shopify.dev/changelog/apps-now-need-to-use-gdpr-webhooks).
SHOP_REDACT_DELAY_SECONDS = 48 * 3600
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


def retry_delays(scale: float = 1.0) -> list[float]:
    """Seconds to wait before each of the 8 retries (doubling, 4 h in total)."""
    first = RETRY_WINDOW_SECONDS / (2 ** RETRIES - 1)
    return [first * 2 ** i * scale for i in range(RETRIES)]


@dataclass
class Delivery:
    webhook_id: str
    event_id: str
    topic: str
    shop: str
    client_id: str
    uri: str
    api_version: str
    body: bytes
    headers: dict[str, str]
    triggered_at: float
    next_attempt_at: float
    delays: list[float]
    status: str = "pending"  # pending | delivered | failed
    in_flight: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "topic": self.topic,
            "shop": self.shop,
            "client_id": self.client_id,
            "uri": self.uri,
            "api_version": self.api_version,
            "status": self.status,
            "triggered_at": _iso(self.triggered_at),
            "next_attempt_at": _iso(self.next_attempt_at) if self.status == "pending" else None,
            "attempts": list(self.attempts),
            "headers": dict(self.headers),
            "payload": json.loads(self.body),
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- payloads -------------------------------------------------------------

def shop_numeric_id(shop: Shop) -> int:
    """The shop's numeric id: the same number as its GraphQL gid
    (gid://shopify/Shop/<id>), as Shopify's payloads carry it (`shop_id` of
    the compliance and app/scopes_update payloads, `id` of the Shop resource
    app/uninstalled carries). Apps match the two, so they must agree."""
    return shop.number


def shop_payload(shop: Shop, now: float) -> dict[str, Any]:
    """The REST Shop resource, which is what `app/uninstalled` carries."""
    stamp = datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds")
    return {
        "id": shop_numeric_id(shop),
        "name": shop.name,
        "email": shop.email,
        "domain": shop.domain,
        "province": None,
        "country": "US",
        "address1": None,
        "zip": None,
        "city": None,
        "source": None,
        "phone": None,
        "latitude": None,
        "longitude": None,
        "primary_locale": "en",
        "address2": None,
        "created_at": stamp,
        "updated_at": stamp,
        "country_code": "US",
        "country_name": "United States",
        "currency": shop.currency,
        "customer_email": shop.email,
        "timezone": "(GMT+00:00) UTC",
        "iana_timezone": "UTC",
        "shop_owner": shop.name,
        "money_format": "${{amount}}",
        "money_with_currency_format": f"${{{{amount}}}} {shop.currency}",
        "weight_unit": "kg",
        "plan_display_name": shop.plan.capitalize(),
        "plan_name": shop.plan,
        "myshopify_domain": shop.domain,
        "password_enabled": False,
        "has_storefront": True,
        "enabled_presentment_currencies": [shop.currency],
    }


def compliance_payload(topic: str, shop: Shop, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The mandatory compliance webhooks' bodies, shaped like Shopify's examples
    (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance)."""
    body: dict[str, Any] = {"shop_id": shop_numeric_id(shop), "shop_domain": shop.domain}
    customer = {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"}
    if topic == "customers/data_request":
        body.update({"orders_requested": [299938, 280263, 220458], "customer": customer,
                     "data_request": {"id": 9999}})
    elif topic == "customers/redact":
        body.update({"customer": customer, "orders_to_redact": [299938, 280263, 220458]})
    elif topic != "shop/redact":
        raise ValueError(f"not a compliance topic: {topic}")
    body.update(overrides or {})
    return body


def scopes_update_payload(shop: Shop, fields: dict[str, Any]) -> dict[str, Any]:
    """app/scopes_update's body: `id`, `previous`, `current`, `updated_at`
    (https://shopify.dev/changelog/new-webhook-topic-app-scopes_update) and,
    from API 2025-07, the shop's `shop_id`
    (https://shopify.dev/changelog/add-shopid-to-appscopesupdate-webhook-payload)."""
    return {"shop_id": shop_numeric_id(shop), **fields}


# -- queue ----------------------------------------------------------------

def subscribers(app: App, topic: str) -> list[str]:
    return [uri for subscribed, uri in app.webhooks if subscribed == topic]


def enqueue(state: SimState, *, app: App, shop: str, topic: str, payload: dict[str, Any],
            retry_scale: float = 1.0, not_before: float | None = None) -> list[Delivery]:
    """One delivery per subscription of `app` to `topic`, all for one event.
    Call with `state.lock` held or not; it takes the lock itself."""
    with state.lock:
        now = state.now()
        event_id = str(uuid.uuid4())
        body = json.dumps(payload, separators=(",", ":")).encode()
        created = []
        for uri in subscribers(app, topic):
            webhook_id = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": webhook_hmac(body, app.client_secret),
                "X-Shopify-Shop-Domain": shop,
                "X-Shopify-API-Version": app.webhook_api_version,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": _iso(now),
            }
            delivery = Delivery(webhook_id=webhook_id, event_id=event_id, topic=topic, shop=shop,
                                client_id=app.client_id, uri=uri, api_version=app.webhook_api_version,
                                body=body, headers=headers, triggered_at=now,
                                next_attempt_at=now if not_before is None else not_before,
                                delays=retry_delays(retry_scale))
            state.webhook_deliveries.append(delivery)
            created.append(delivery)
        state.webhook_wakeup.set()
        return created


def _post(delivery: Delivery) -> tuple[Optional[int], Optional[str]]:
    try:
        response = requests.post(delivery.uri, data=delivery.body, headers=delivery.headers,
                                 timeout=(CONNECT_TIMEOUT, RESPONSE_TIMEOUT), allow_redirects=False)
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"
    response.close()
    return response.status_code, None


def deliver_pending(state: SimState, now: float | None = None, *, everything: bool = False) -> list[Delivery]:
    """Attempt every delivery that is due at `now` (or every pending one with
    `everything`); returns the deliveries attempted. The network calls run
    outside the state lock."""
    with state.lock:
        now = state.now() if now is None else now
        due = [d for d in state.webhook_deliveries
               if d.status == "pending" and not d.in_flight and (everything or d.next_attempt_at <= now)]
        for delivery in due:
            delivery.in_flight = True
    for delivery in due:
        started = time.monotonic()
        status, error = _post(delivery)
        elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        with state.lock:
            delivery.attempts.append({"number": len(delivery.attempts) + 1, "at": _iso(now),
                                      "response_status": status, "error": error, "duration_ms": elapsed_ms})
            retries_used = len(delivery.attempts) - 1
            if status is not None and 200 <= status < 300:
                delivery.status = "delivered"
            elif retries_used < len(delivery.delays):
                delivery.next_attempt_at = now + delivery.delays[retries_used]
            else:
                delivery.status = "failed"
            delivery.in_flight = False
    return due


def next_due(state: SimState) -> float | None:
    with state.lock:
        times = [d.next_attempt_at for d in state.webhook_deliveries if d.status == "pending" and not d.in_flight]
    return min(times) if times else None


# -- background delivery --------------------------------------------------

_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def _run(state: SimState) -> None:
    while True:
        deliver_pending(state)
        due = next_due(state)
        wait = 1.0 if due is None else min(max(due - state.now(), 0.01), 1.0)
        state.webhook_wakeup.wait(wait)
        state.webhook_wakeup.clear()


def ensure_delivery_thread(state: SimState) -> None:
    """Start the daemon that delivers `state`'s webhooks, once."""
    with _threads_lock:
        thread = _threads.get(id(state))
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_run, args=(state,), name="sim-webhook-delivery", daemon=True)
        _threads[id(state)] = thread
        thread.start()
