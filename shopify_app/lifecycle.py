"""A shop's life with the app: install (and reinstall), uninstall, redact.

Both install paths (token exchange and the code grant) end in
`install_or_update`; the app/uninstalled and shop/redact webhooks end in
`uninstall` and `redact`. Each function commits its own transaction and is
idempotent, because Shopify delivers webhooks at least once and possibly
late or out of order.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Sequence

import sqlalchemy as sa
from sqlalchemy import select

from . import credentials
from .auth import tokens
from .auth.token_exchange import TokenGrant
from .extensions import db
from .installation import Installation
from .models import Shop, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

# Shopify retries a delivery for 4 hours; a webhook id older than this can't
# come back, so remembering it longer only keeps data.
WEBHOOK_DELIVERY_RETENTION = timedelta(days=7)


def install_or_update(shop_domain: str, grant: TokenGrant) -> Shop:
    """Store a newly granted token pair for `shop_domain`; returns the shop.

    A shop that was uninstalled comes back clean: whatever the previous
    installation left (revoked credentials, old syncs) is deleted first.
    `installed_at` marks the start of the current tokens' line, so an
    app/uninstalled triggered before it is recognised as stale.
    """
    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain).with_for_update())
    now = utcnow()
    if shop is None:
        shop = Shop(domain=shop_domain, installed_at=now)
        db.session.add(shop)
        db.session.flush()
        log.info("shop %s installed", shop_domain)
    elif shop.uninstalled_at is not None:
        _delete_shop_rows(shop.id)
        shop.uninstalled_at = None
        shop.installed_at = now
        log.info("shop %s reinstalled", shop_domain)
    elif not tokens.has_live_tokens(shop):
        shop.installed_at = now
    tokens.store_grant(shop, grant)
    db.session.commit()
    _enqueue_after_install(shop_domain)
    return shop


def _enqueue_after_install(shop_domain: str) -> None:
    # The shop's name, currency and plan, and AssetLink's metafield
    # definitions, come from the Admin API: a job, so the merchant's first
    # page load doesn't wait on it.
    from flask import current_app

    from jobs import queues
    try:
        queues.enqueue(current_app.config, "jobs.lifecycle_jobs.after_install", shop_domain)
    except Exception:  # Redis down: the next install or sync fills these in
        log.warning("could not enqueue after_install for %s", shop_domain, exc_info=True)


def record_shop_details(shop_domain: str, shop_info: dict) -> bool:
    """Store what Shopify says about the shop (ShopInfo query's `shop`)."""
    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain))
    if shop is None or not shop.is_installed:
        return False
    shop.name = shop_info.get("name") or shop.name
    shop.currency = shop_info.get("currencyCode") or shop.currency
    plan = shop_info.get("plan") or {}
    shop.plan = plan.get("displayName") or shop.plan
    db.session.commit()
    return True


def uninstall(shop_domain: str, triggered_at: datetime | None = None, *,
              confirmed: Installation | None = None) -> bool:
    """Mark the shop uninstalled and take away everything that acts for it.

    Tokens are deleted, connection tokens and API keys revoked, live syncs
    aborted. An uninstall triggered before the current installation began
    (a late or retried webhook after a reinstall) is ignored. With
    `confirmed` (Shopify's answer that the app is not installed,
    shopify_app.installation), the uninstall applies only if the shop's token
    and install time are still the ones Shopify refused: a reinstall that
    happened since wins. Returns whether anything changed.
    """
    # populate_existing: the caller may hold this row from before it asked
    # Shopify; what counts is the row as committed now, locked.
    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain).with_for_update()
                             .execution_options(populate_existing=True))
    if shop is None or shop.uninstalled_at is not None:
        db.session.rollback()
        return False
    if triggered_at is not None and shop.installed_at is not None and triggered_at < shop.installed_at:
        log.info("ignoring app/uninstalled for %s triggered before the current installation", shop_domain)
        db.session.rollback()
        return False
    if confirmed is not None and (shop.access_token_enc != confirmed.access_token_enc
                                  or shop.installed_at != confirmed.installed_at):
        log.info("not uninstalling %s: it was installed again after Shopify refused the old token", shop_domain)
        db.session.rollback()
        return False
    now = utcnow()
    shop.uninstalled_at = now
    shop.access_token_enc = None
    shop.access_token_expires_at = None
    shop.refresh_token_enc = None
    shop.refresh_token_expires_at = None
    credentials.revoke_all(shop.id)
    # Automation stops and the Cloudinary secrets it kept are erased, like the tokens.
    from .models import Automation
    db.session.execute(sa.update(Automation).where(Automation.shop_id == shop.id)
                       .values(enabled=False, api_secret_enc=None))
    # Queued batches end now, running ones stop before their next step.
    from flask import current_app

    from jobs import batch_service
    aborted = batch_service.abort_store(shop.id)
    db.session.commit()
    batch_service.announce_ended_ids(current_app.config, aborted)
    log.info("shop %s uninstalled", shop_domain)
    return True


def redact(shop_domain: str) -> bool:
    """shop/redact: delete every row held for the shop, the shop included.

    Shopify sends it 48 hours after an uninstall. If the shop has reinstalled
    meanwhile its data is in use again, so it is kept. Returns whether
    anything was deleted.
    """
    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain).with_for_update())
    if shop is not None and shop.uninstalled_at is None and shop.access_token_enc is not None:
        log.info("shop/redact for %s ignored: the shop has the app installed again", shop_domain)
        db.session.rollback()
        return False
    deleted = False
    if shop is not None:
        _delete_shop_rows(shop.id)
        db.session.delete(shop)
        deleted = True
    result = db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.shop_domain == shop_domain))
    deleted = deleted or bool(result.rowcount)
    db.session.commit()
    log.info("shop %s redacted" if deleted else "shop/redact for %s: nothing held", shop_domain)
    return deleted


def _delete_shop_rows(shop_id: int) -> None:
    # Every table that holds a shop's data has a shop_id column; walking the
    # metadata (children first) keeps this right as tables are added.
    for table in reversed(db.metadata.sorted_tables):
        if table.name != Shop.__tablename__ and "shop_id" in table.c:
            db.session.execute(table.delete().where(table.c.shop_id == shop_id))


def scopes_updated(shop_domain: str, granted_scopes: Sequence[str]) -> bool:
    """app/scopes_update: record the scopes the merchant has granted now
    (as Shopify's Admin API reports them, never a webhook body's)."""
    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain).with_for_update())
    if shop is None or shop.uninstalled_at is not None:
        db.session.rollback()
        return False
    shop.scopes = ",".join(s.strip() for s in granted_scopes if s and s.strip())
    db.session.commit()
    return True


def shop_for(shop_domain: str) -> Shop | None:
    return db.session.scalar(select(Shop).where(Shop.domain == shop_domain))


def prune_webhook_deliveries(now: datetime | None = None) -> int:
    """Forget delivery ids past Shopify's retry window; returns how many."""
    cutoff = (now or utcnow()) - WEBHOOK_DELIVERY_RETENTION
    result = db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.received_at < cutoff))
    db.session.commit()
    return result.rowcount or 0
