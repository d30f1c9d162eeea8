"""Shopify webhooks: verify, record, enqueue, answer 200.

Two endpoints, matching the subscriptions in shopify.app.toml:
`/webhooks/app` (app/uninstalled, app/scopes_update) and
`/webhooks/compliance` (customers/data_request, customers/redact,
shop/redact).

Every delivery is checked against `X-Shopify-Hmac-Sha256`, the base64
HMAC-SHA256 of the raw body under the client secret (or the previous one
during a rotation), in constant time: missing → 400, wrong → 401. Shopify
delivers at least once, so each `X-Shopify-Webhook-Id` is handled once; a
repeat answers 200 and does nothing. The work is queued, because Shopify
waits only five seconds for the answer.

https://shopify.dev/docs/apps/build/webhooks/verify-deliveries
https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any, Iterable

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from jobs import queues

from .auth.query_hmac import client_secrets
from .extensions import db
from .models import WebhookDelivery
from .problems import Problem
from .shop_domain import normalize_shop

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

APP_TOPICS = ("app/uninstalled", "app/scopes_update")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


def webhook_hmac(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hmac_is_valid(body: bytes, given: str, secrets: Iterable[str]) -> bool:
    # Every secret is tried, so the timing doesn't tell which one matched.
    matches = [hmac.compare_digest(webhook_hmac(body, s).encode(), given.encode()) for s in secrets if s]
    return any(matches)


@bp.errorhandler(Problem)
def _problem(exc: Problem) -> Response:
    return exc.get_response()


@bp.post("/app")
def app_topics() -> Response:
    return _receive(APP_TOPICS)


@bp.post("/compliance")
def compliance_topics() -> Response:
    return _receive(COMPLIANCE_TOPICS)


def _receive(accepted: tuple[str, ...]) -> Response:
    body = request.get_data(cache=False)  # the raw bytes Shopify signed
    given = request.headers.get("X-Shopify-Hmac-Sha256", "")
    if not given:
        raise Problem(400, "X-Shopify-Hmac-Sha256 header is missing")
    if not hmac_is_valid(body, given.strip(), client_secrets(current_app.config)):
        raise Problem(401, "X-Shopify-Hmac-Sha256 doesn't match the body")

    topic = request.headers.get("X-Shopify-Topic", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "").strip()
    shop_domain = normalize_shop(request.headers.get("X-Shopify-Shop-Domain"))
    missing = [name for name, value in (("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", webhook_id),
                                        ("X-Shopify-Shop-Domain", shop_domain)) if not value]
    if missing:
        raise Problem(400, "missing or invalid header(s): " + ", ".join(missing))
    if topic not in accepted:
        raise Problem(400, f"topic {topic!r} is not delivered to this address")
    if len(webhook_id) > 255:
        raise Problem(400, "X-Shopify-Webhook-Id is too long")
    payload = _payload(body)
    _check_body_shop(payload, shop_domain)  # type: ignore[arg-type]
    job = _job_for(topic, shop_domain, payload)  # type: ignore[arg-type]

    try:
        db.session.add(WebhookDelivery(webhook_id=webhook_id, topic=topic, shop_domain=shop_domain))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("webhook %s (%s) already received; ignoring the repeat", webhook_id, topic)
        return jsonify(received=True, duplicate=True)

    if job is None:
        log.info("%s for %s: no customer data held, nothing to do", topic, shop_domain)
        return jsonify(received=True, duplicate=False)
    try:
        queues.enqueue(current_app.config, job[0], *job[1])
    except Exception:
        # Forget the delivery so Shopify's retry is handled, not deduplicated.
        log.exception("couldn't queue webhook %s (%s)", webhook_id, topic)
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
        db.session.commit()
        raise Problem(503, "the webhook couldn't be queued; Shopify will retry it") from None
    return jsonify(received=True, duplicate=False)


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise Problem(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Problem(400, "the body is not a JSON object")
    return payload


def _check_body_shop(payload: dict[str, Any], header_shop: str) -> None:
    """The header isn't signed, the body is: a signed body for one shop can't
    be replayed against another by changing the header."""
    for field in ("shop_domain", "myshopify_domain"):
        value = payload.get(field)
        if value is not None and normalize_shop(str(value)) != header_shop:
            raise Problem(400, f"X-Shopify-Shop-Domain doesn't match the body's {field}")


def _job_for(topic: str, shop_domain: str, payload: dict[str, Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The job (dotted name, args) a delivery queues; None for no work."""
    if topic == "app/uninstalled":
        return "jobs.lifecycle_jobs.app_uninstalled", (shop_domain, request.headers.get("X-Shopify-Triggered-At"))
    if topic == "app/scopes_update":
        current = payload.get("current")
        if not isinstance(current, list) or not all(isinstance(s, str) for s in current):
            raise Problem(400, "app/scopes_update needs `current`, a list of scopes")
        return "jobs.lifecycle_jobs.scopes_updated", (shop_domain, current)
    if topic == "shop/redact":
        return "jobs.lifecycle_jobs.shop_redact", (shop_domain,)
    # customers/data_request and customers/redact: AssetLink keeps no
    # customer data (products, files and metafields only), so there is
    # nothing to report or delete; the delivery is recorded, that's all.
    return None
