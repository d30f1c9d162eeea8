"""Is the app installed on a shop right now? Shopify says, not a webhook.

A webhook's HMAC covers its body only: `X-Shopify-Hmac-Sha256` is "generated
using your app's client secret and the raw request body"
(https://shopify.dev/docs/apps/build/webhooks/subscribe/https,
https://shopify.dev/docs/apps/build/events/verify-deliveries). The topic, the
shop domain, the webhook id and the trigger time are headers anyone who
captured one delivery can rewrite, and a signed body stays valid forever. So
before the lifecycle jobs destroy anything, or believe a body that names no
shop, they ask Shopify with the shop's own offline token:

- the token works (after a refresh if it was due): the app is installed, so
  an app/uninstalled or shop/redact for the shop is stale or replayed;
- Shopify refuses it (HTTP 401, and the refresh token is refused too): the
  app is not installed. Uninstalling revokes the app's tokens at once ("When
  an app is uninstalled all permissions from the store become inactive",
  Shopify's app review, quoted in GitHub gnikyt/laravel-shopify#90; the
  token is already refused when app/uninstalled arrives, Shopify/shopify-app-js#3242;
  the simulator does the same, shopify_sim/control_apps.uninstall);
- Shopify can't be reached: no answer, the job raises and is retried.

The answer also carries Shopify's id for the shop and the scopes granted
now (one ShopInfo query), which the app/scopes_update job records instead
of the body's.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .admin_api import AuthenticationError, for_shop, queries
from .models import Shop

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installation:
    installed: bool
    shop_number: int | None = None       # the N of gid://shopify/Shop/N, when installed
    scopes: tuple[str, ...] = ()         # granted now, when installed
    # The shop row's token and install time after asking: an uninstall
    # applies only while they are unchanged (a reinstall meanwhile wins).
    access_token_enc: str | None = None
    installed_at: datetime | None = None


def shop_number(gid: Any) -> int | None:
    """N of `gid://shopify/Shop/N`; None for anything else."""
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/Shop/"):
        return None
    tail = gid.rsplit("/", 1)[-1]
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) <= 20 else None


def ask_shopify(shop: Shop) -> Installation:
    """Whether Shopify accepts `shop`'s token now. Raises the Admin API's
    TransientError (and any other AdminApiError) when it can't tell."""
    if shop.access_token_enc is None and shop.refresh_token_enc is None:
        # Nothing of ours works on the shop any more: it is not installed for us.
        return Installation(False, access_token_enc=None, installed_at=shop.installed_at)
    try:
        data = for_shop(shop).execute(queries.SHOP_INFO)
    except AuthenticationError as exc:
        log.info("Shopify refused the token of %s (%s): the app is not installed there", shop.domain, exc)
        return Installation(False, access_token_enc=shop.access_token_enc, installed_at=shop.installed_at)
    info = data.get("shop") or {}
    scopes = tuple(s["handle"] for s in ((data.get("currentAppInstallation") or {}).get("accessScopes") or [])
                   if isinstance(s, dict) and isinstance(s.get("handle"), str))
    return Installation(True, shop_number(info.get("id")), scopes, shop.access_token_enc, shop.installed_at)
