"""The Home page's data: the last run and the set-up checklist.

Each step says how AssetLink knows it is done. Where it can't know (the
storefront block lives in the merchant's theme, which the app's scopes can't
read), the step says "check" and links to the place to look, rather than
claiming it is done or not.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from .. import credentials
from ..extensions import db
from ..batch_status import BatchStatus
from ..models import Automation, Sync
from ..auth.session_token import session_token_required
from . import bp
from .api import admin_url, current_shop, describe_runs

HELP_URL = "https://cloudinary.com/documentation/shopify_integration"
CLOUDINARY_CONSOLE_URL = "https://console.cloudinary.com/"
LINKED = (BatchStatus.SUCCEEDED, BatchStatus.PARTIALLY_SUCCEEDED)


def _automation_on(shop_id: int) -> bool:
    """Whether an automation of the store is on (enabled and not paused)."""
    return db.session.scalar(select(Automation.id).where(
        Automation.shop_id == shop_id, Automation.enabled.is_(True), Automation.paused.is_(False)).limit(1)) is not None


def checklist(shop_domain: str, shop_id: int) -> list[dict[str, Any]]:
    connected = bool(credentials.list_credentials(shop_id, "connection"))
    first_sync = db.session.scalar(select(Sync.id).where(
        Sync.shop_id == shop_id, Sync.kind == "sync", Sync.dry_run.is_(False), Sync.status.in_(LINKED)).limit(1))
    automation = _automation_on(shop_id)
    return [
        {"id": "installed", "state": "done", "title": "Install AssetLink",
         "text": "AssetLink is installed on this store.", "action": None},
        {"id": "connected", "state": "done" if connected else "todo", "title": "Connect Cloudinary",
         "text": "A Cloudinary product environment is connected." if connected
         else "Copy the connection code into the AssetLink app in Cloudinary.",
         "action": {"label": "Open Settings", "app_href": "/settings"}},
        {"id": "first_sync", "state": "done" if first_sync else "todo", "title": "Link assets to products",
         "text": "Assets are linked to products." if first_sync
         else "In Cloudinary's Media Library, select assets and use Shopify AssetLink → Link to Products.",
         "action": {"label": "Open Cloudinary", "url": CLOUDINARY_CONSOLE_URL} if not first_sync
         else {"label": "View sync history", "app_href": "/history"}},
        {"id": "storefront_block", "state": "check", "title": "Add the gallery block to your theme",
         # The block's name as the theme editor lists it (extensions/assetlink-theme/blocks/product-gallery.liquid).
         "text": "AssetLink can't read your theme, so check it: in the theme editor, open a product page, choose "
                 "Add block and, under Apps, add “Cloudinary gallery”.",
         "action": {"label": "Open theme editor",
                    "url": admin_url(shop_domain, "themes/current/editor?template=product")}},
        {"id": "automation", "state": "done" if automation else "todo",
         "title": "Turn on automation",
         "text": "Automation keeps products in step with Cloudinary." if automation
         else "Let new and changed Cloudinary assets link themselves, without opening the dialog.",
         "action": {"label": "Open Settings", "app_href": "/settings#automation"}},
    ]


@bp.get("/app/api/home")
@session_token_required
def home_data() -> ResponseReturnValue:
    shop = current_shop()
    last = db.session.scalars(select(Sync).where(Sync.shop_id == shop.id)
                              .order_by(Sync.created_at.desc(), Sync.id.desc()).limit(1)).first()
    environments = [{"cloud_name": c.cloud_name, "label": c.label}
                    for c in credentials.list_credentials(shop.id, "connection")]
    return jsonify(last_run=describe_runs([last])[0] if last is not None else None,
                   checklist=checklist(shop.domain, shop.id), environments=environments,
                   links={"help": HELP_URL, "cloudinary": CLOUDINARY_CONSOLE_URL})
