"""The work behind the app-lifecycle and compliance webhooks.

The webhook endpoint verifies, records the delivery and enqueues one of
these; they take the shop's domain (the only identity a webhook carries, and
the shop row may be gone) and are safe to run more than once.

A signed body can be captured and posted again with fresh unsigned headers,
so nothing is destroyed, and no body that names no shop is believed, on the
delivery's word alone: each job first asks Shopify with the shop's own token
(shopify_app.installation). A token Shopify still accepts means the app is
installed: an app/uninstalled or shop/redact is then stale or replayed,
ignored and logged. If Shopify can't be reached the job raises and RQ
retries it (jobs.queues.JOBS).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app

from shopify_app import installation, lifecycle

from . import queues
from .context import with_app_context

log = logging.getLogger(__name__)


@with_app_context
def app_uninstalled(shop_domain: str, triggered_at: str | None = None) -> bool:
    """app/uninstalled: tokens deleted, credentials revoked, work cancelled,
    once Shopify confirms the app's token no longer works."""
    shop = lifecycle.shop_for(shop_domain)
    if shop is None or shop.uninstalled_at is not None:
        _prune()
        return False
    answer = installation.ask_shopify(shop)
    if answer.installed:
        log.warning("app/uninstalled for %s ignored: Shopify still accepts the app's token, so the app is "
                    "installed (a stale or replayed delivery)", shop_domain)
        _prune()
        return False
    shop_id = shop.id
    changed = lifecycle.uninstall(shop_domain, _parse_time(triggered_at), confirmed=answer)
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
def shop_redact(shop_domain: str, shop_number: int | None = None) -> bool:
    """shop/redact (48 h after uninstall): delete everything held for the
    shop, unless Shopify says the app is installed there now."""
    shop = lifecycle.shop_for(shop_domain)
    if shop is not None and shop.is_installed:
        answer = installation.ask_shopify(shop)
        if answer.installed:
            log.warning("shop/redact for %s ignored: the app is installed there now (Shopify accepts its token)",
                        shop_domain)
            _prune()
            return False
        # Shopify refused the token: the app/uninstalled was missed or is late.
        lifecycle.uninstall(shop_domain, confirmed=answer)
    deleted = lifecycle.redact(shop_domain)
    _prune()
    return deleted


@with_app_context
def scopes_updated(shop_domain: str, signed_shop_number: Any = None) -> bool:
    """app/scopes_update: record the scopes granted now, as Shopify reports
    them to the shop's token; the body's own lists are never believed.

    The body names no shop domain; its `shop_id` (signed, in payloads since
    API 2025-07: https://shopify.dev/changelog/add-shopid-to-appscopesupdate-webhook-payload)
    must be the shop the unsigned X-Shopify-Shop-Domain header names, else
    the delivery is a body replayed against another shop and is ignored.
    (A job queued before this rule passed the body's scope list here: it is
    handled like a body without shop_id.)
    """
    shop = lifecycle.shop_for(shop_domain)
    if shop is None or not shop.is_installed:
        _prune()
        return False
    answer = installation.ask_shopify(shop)
    expected = signed_shop_number if isinstance(signed_shop_number, int) else None
    if not answer.installed:
        log.info("app/scopes_update for %s ignored: Shopify refuses the app's token", shop_domain)
        changed = False
    elif expected is not None and answer.shop_number != expected:
        log.warning("app/scopes_update ignored: its signed body is for shop %s, not %s (shop %s); a body replayed "
                    "with another shop's domain header", expected, shop_domain, answer.shop_number)
        changed = False
    else:
        changed = lifecycle.scopes_updated(shop_domain, answer.scopes)
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
