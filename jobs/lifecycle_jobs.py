"""The work behind the app-lifecycle and compliance webhooks.

The webhook endpoint verifies, records the delivery and enqueues one of
these; they take the shop's domain (the only identity a webhook carries, and
the shop row may be gone) and are safe to run more than once.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from shopify_app import lifecycle

from . import queues
from .context import with_app_context

log = logging.getLogger(__name__)


@with_app_context
def app_uninstalled(shop_domain: str, triggered_at: str | None = None) -> bool:
    """app/uninstalled: tokens deleted, credentials revoked, work cancelled."""
    shop_id = lifecycle.shop_id_for(shop_domain)
    changed = lifecycle.uninstall(shop_domain, _parse_time(triggered_at))
    if changed and shop_id is not None:
        cancelled = queues.cancel_shop_jobs(current_app.config, shop_id)
        if cancelled:
            log.info("cancelled %d queued job(s) of %s", cancelled, shop_domain)
    _prune()
    return changed


@with_app_context
def after_install(shop_domain: str) -> bool:
    """After an install: the shop's details, and AssetLink's metafield
    definitions so merchants and themes see them before the first sync."""
    from sqlalchemy import select

    from shopify_app.admin_api import queries
    from shopify_app.admin_api.client import for_shop
    from shopify_app.extensions import db
    from shopify_app.models import Shop

    from .executor import ensure_metafield_definitions

    shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain))
    if shop is None or not shop.is_installed:
        return False
    client = for_shop(shop)
    data = client.execute(queries.SHOP_INFO)
    lifecycle.record_shop_details(shop_domain, data["shop"])
    ensure_metafield_definitions(client)
    return True


@with_app_context
def shop_redact(shop_domain: str) -> bool:
    """shop/redact (48 h after uninstall): delete everything held for the shop."""
    deleted = lifecycle.redact(shop_domain)
    _prune()
    return deleted


@with_app_context
def scopes_updated(shop_domain: str, granted_scopes: list[str]) -> bool:
    """app/scopes_update: remember what the merchant granted now."""
    changed = lifecycle.scopes_updated(shop_domain, granted_scopes)
    _prune()
    return changed


def _prune() -> None:
    # The lifecycle jobs are what webhooks cause, so they also keep the
    # table of delivery ids from growing without a scheduler of its own.
    pruned = lifecycle.prune_webhook_deliveries()
    if pruned:
        log.info("forgot %d webhook delivery id(s) past Shopify's retry window", pruned)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
