"""Shopify webhooks: verify, record, enqueue, answer 200.

Three endpoints, matching the subscriptions in shopify.app.toml:
`/webhooks/app` (app/uninstalled, app/scopes_update),
`/webhooks/compliance` (customers/data_request, customers/redact,
shop/redact) and `/webhooks/products` (products/create, products/update:
automation links a new or changed product's groups).

Every delivery is checked against `X-Shopify-Hmac-Sha256`, the base64
HMAC-SHA256 of the raw body under the client secret (or the previous one
during a rotation), in constant time: missing → 400, wrong → 401. Shopify
delivers at least once, so each `X-Shopify-Webhook-Id` is handled once; a
repeat answers 200 and does nothing. The work is queued, because Shopify
waits only five seconds for the answer.

The signature covers the body only: headers (topic, shop domain, webhook id,
trigger time) are checked against the body where it names them, and the
jobs confirm with Shopify before acting (jobs.lifecycle_jobs), so a captured
delivery posted again with fresh headers does no harm.

https://shopify.dev/docs/apps/build/webhooks/verify-deliveries
https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from typing import Any, Iterable

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from jobs import queues

from . import outages
from .auth.query_hmac import client_secrets
from . import json_input
from .extensions import db
from .models import WebhookDelivery
from .problems import Problem
from .shop_domain import normalize_shop

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

APP_TOPICS = ("app/uninstalled", "app/scopes_update")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
# Automation (jobs.automation.products): a product created later, or whose
# match values change, gets its groups' assets.
PRODUCT_TOPICS = ("products/create", "products/update")
PRODUCT_GID = re.compile(r"gid://shopify/Product/[0-9]{1,20}")
# Shopify's webhook ids are UUIDs; the id is stored, so only visible ASCII.
WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,255}")


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


@bp.post("/products")
def product_topics() -> Response:
    return _receive(PRODUCT_TOPICS)


def _receive(accepted: tuple[str, ...]) -> Response:
    body = json_input.read_body()  # the raw bytes Shopify signed
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
    if not WEBHOOK_ID.fullmatch(webhook_id):
        raise Problem(400, "X-Shopify-Webhook-Id must be 1-255 visible ASCII characters")
    payload = _payload(body)
    _check_body(topic, payload, shop_domain)  # type: ignore[arg-type]
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
    except Exception as exc:
        # Forget the delivery so Shopify's retry is handled, not deduplicated.
        if outages.is_outage(exc):  # Redis down: expected, one line, no traceback
            log.warning("couldn't queue webhook %s (%s): Redis unavailable", webhook_id, topic)
        else:
            log.exception("couldn't queue webhook %s (%s)", webhook_id, topic)
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
        db.session.commit()
        raise Problem(503, "the webhook couldn't be queued; Shopify will retry it",
                      headers={"Retry-After": str(outages.RETRY_AFTER_SECONDS)}) from None
    return jsonify(received=True, duplicate=False)


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json_input.parse(body)
    except json_input.JsonInputError as exc:
        raise Problem(400, f"the body is not JSON the app can take: {exc.message}") from None
    if not isinstance(payload, dict):
        raise Problem(400, "the body is not a JSON object")
    return payload


def _signed_shop_number(payload: dict[str, Any]) -> int | None:
    value = payload.get("shop_id")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _check_body(topic: str, payload: dict[str, Any], header_shop: str) -> None:
    """Only the body is signed; the topic and shop headers are not. So the
    shop comes from the body wherever the body names it, and a body must
    have its topic's shape: a signed body of one topic, relabelled as another
    (a customers/redact body sent as shop/redact), or sent with another
    shop's domain header, is refused.

    Shapes (Shopify's payloads): app/uninstalled is the Shop resource
    (`myshopify_domain`); the compliance topics carry `shop_id` and
    `shop_domain`, and only the customer topics a `customer`
    (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance);
    app/scopes_update carries `shop_id` (since API 2025-07,
    https://shopify.dev/changelog/add-shopid-to-appscopesupdate-webhook-payload)
    and no domain, so its job checks that id against the shop Shopify
    answers for with the header shop's token.
    """
    if topic in PRODUCT_TOPICS:
        # The Product resource names no shop; its job only re-links groups
        # of the header's shop, whose own search decides which products match.
        gid = payload.get("admin_graphql_api_id")
        if not isinstance(gid, str) or not PRODUCT_GID.fullmatch(gid) or not isinstance(payload.get("variants"), list):
            raise Problem(400, f"a {topic} body is a Product with `admin_graphql_api_id` and `variants`")
        return
    field = {"app/uninstalled": "myshopify_domain", "app/scopes_update": None}.get(topic, "shop_domain")
    if field is not None:
        value = payload.get(field)
        if not isinstance(value, str) or normalize_shop(value) is None:
            raise Problem(400, f"a {topic} body names its shop in `{field}`")
        if normalize_shop(value) != header_shop:
            raise Problem(400, f"X-Shopify-Shop-Domain doesn't match the body's {field}")
    if topic != "app/uninstalled" and _signed_shop_number(payload) is None:
        raise Problem(400, f"a {topic} body carries the shop's numeric `shop_id`")
    if topic == "shop/redact" and "customer" in payload:
        raise Problem(400, "a shop/redact body names no customer: this is another topic's body")
    if topic.startswith("customers/") and not isinstance(payload.get("customer"), dict):
        raise Problem(400, f"a {topic} body names its `customer`")


def _job_for(topic: str, shop_domain: str, payload: dict[str, Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The job (dotted name, args) a delivery queues; None for no work."""
    if topic == "app/uninstalled":
        return "jobs.lifecycle_jobs.app_uninstalled", (shop_domain, request.headers.get("X-Shopify-Triggered-At"))
    if topic == "app/scopes_update":
        current = payload.get("current")
        if not isinstance(current, list) or not all(isinstance(s, str) for s in current):
            raise Problem(400, "app/scopes_update needs `current`, a list of scopes")
        # Only the signed shop id goes on: the scopes are read from Shopify.
        return "jobs.lifecycle_jobs.scopes_updated", (shop_domain, _signed_shop_number(payload))
    if topic in PRODUCT_TOPICS:
        from jobs.automation.products import essentials
        return "jobs.automation.products.product_changed", (shop_domain, essentials(payload))
    if topic == "shop/redact":
        return "jobs.lifecycle_jobs.shop_redact", (shop_domain, _signed_shop_number(payload))
    # customers/data_request and customers/redact: AssetLink keeps no
    # customer data (products, files and metafields only), so there is
    # nothing to report or delete; the delivery is recorded, that's all.
    return None
