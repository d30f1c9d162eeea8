"""products/create and products/update: a product created later, or whose
match values changed, gets its groups' assets.

The webhook (shopify_app.webhooks) queues `product_changed` with the
product's match values from the signed body. For each automation of the
store, the product's values of each rule's Shopify field become a pending
event (PRODUCT_EVENT) holding those group values, taken up by the same
debounced per-store run as Cloudinary's notifications (jobs.automation.
flush): the groups are read from Cloudinary (Search API) and re-linked as
syncs (trigger `new_product`) that find the product by the store's own
search like any sync. So a burst of product webhooks (an import, or the
products/update Shopify sends for every product a sync has just written
media to) is one run and a few syncs, not a Cloudinary search and a sync
each; and a product that changes while automation is paused waits for the
resume like a notification. An update whose match values are what
automation saw last time does nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import select

from shopify_app.extensions import db
from shopify_app.models import Automation, AutomationEvent, AutomationProduct, Shop, utcnow

from ..context import with_app_context
from .events import PRODUCT_EVENT, EventOutcome
from .flush import schedule_flush
from .relink import rules_of

# A product's values are a handful; a body with thousands of variants must not make a huge row.
MAX_HINTS = 500

log = logging.getLogger(__name__)


def product_values(product: Mapping[str, Any], shopify_field: str) -> list[str]:
    """A product's values of a Shopify match field, from a products/* webhook body."""
    variants = [v for v in product.get("variants") or [] if isinstance(v, Mapping)]
    if shopify_field in ("sku", "barcode"):
        raw = [v.get(shopify_field) for v in variants]
    elif shopify_field == "tag":
        tags = product.get("tags") or ""
        raw = tags if isinstance(tags, list) else str(tags).split(",")
    elif shopify_field == "id":
        raw = [product.get("admin_graphql_api_id")]
    elif shopify_field in ("handle", "title", "vendor", "product_type"):
        raw = [product.get(shopify_field)]
    else:  # a metafield: not in the webhook body; the daily reconciliation covers it
        raw = []
    return sorted({str(v).strip() for v in raw if isinstance(v, (str, int)) and str(v).strip()})


def essentials(product: Mapping[str, Any]) -> dict[str, Any]:
    """What the job needs of a webhook body (kept small in Redis)."""
    return {"admin_graphql_api_id": product.get("admin_graphql_api_id"), "handle": product.get("handle"),
            "title": product.get("title"), "vendor": product.get("vendor"),
            "product_type": product.get("product_type"), "tags": product.get("tags"),
            "variants": [{"sku": v.get("sku"), "barcode": v.get("barcode")}
                         for v in product.get("variants") or [] if isinstance(v, Mapping)]}


def _values_digest(values: Mapping[str, list[str]]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _last_seen(shop_id: int, product_id: str) -> AutomationProduct | None:
    return db.session.scalars(select(AutomationProduct).where(AutomationProduct.shop_id == shop_id,
                                                              AutomationProduct.product_id == product_id)).first()


@with_app_context
def product_changed(shop_domain: str, product: dict[str, Any]) -> int:
    """Record the product's groups for every automation of the store and
    schedule their runs. Returns the events recorded."""
    config = current_app.config
    shop = db.session.scalars(select(Shop).where(Shop.domain == shop_domain)).first()
    if shop is None or not shop.is_installed:
        return 0
    automations = db.session.scalars(select(Automation).where(
        Automation.shop_id == shop.id, Automation.enabled.is_(True), Automation.api_secret_enc.is_not(None))).all()
    if not automations:
        return 0
    shop_id = shop.id
    product_id = str(product.get("admin_graphql_api_id") or "")
    values = {r.match.shopify_field: product_values(product, r.match.shopify_field)
              for a in automations for r in rules_of(a)}
    digest = _values_digest(values)
    seen = _last_seen(shop_id, product_id) if product_id else None
    if seen is not None and seen.values_hash == digest:
        db.session.rollback()
        return 0
    now = utcnow()
    recorded = []
    for automation in automations:
        hints = sorted({(r.match.cloudinary_field, v) for r in rules_of(automation)
                        for v in values[r.match.shopify_field]})
        if not hints:
            continue
        db.session.add(AutomationEvent(
            automation_id=automation.id, shop_id=shop_id, dedup_key=None, notification_type=PRODUCT_EVENT,
            public_ids=[], refs=[], hints=[list(h) for h in hints][:MAX_HINTS], outcome=EventOutcome.QUEUED,
            reason=None, state="pending", received_at=now))
        automation.last_event_at = now
        recorded.append(automation.id)
    # Remembered with the events, in one commit: nothing is lost between the two.
    if product_id:
        if seen is None:
            db.session.add(AutomationProduct(shop_id=shop_id, product_id=product_id, values_hash=digest))
        else:
            seen.values_hash = digest
    db.session.commit()
    for automation_id in recorded:
        schedule_flush(config, automation_id, shop_id)
    log.info("product %s of %s: %d automation events", product_id, shop_domain, len(recorded))
    return len(recorded)
