"""Syncs as the sync job leaves them in the database, for the Sync history tests."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow

ROW_STRIDE = 1_000_000  # jobs.sync_job.row_seq: a product's rows sit in its own range


def add_sync(shop_id: int, *, kind: str = "sync", status: str = "succeeded", dry_run: bool = False,
             created_at: datetime | None = None, products: list[dict[str, Any]] = (),
             unmatched: list[dict[str, Any]] = (), cloud_name: str | None = "acme-production", **fields: Any) -> str:
    """A sync with its products and report rows; returns its id. Call inside an app context.

    Each product: {"id": gid, "title": ..., "status": "done", "error": None, "rows": [row, ...]}
    with rows as dicts of SyncItem columns (action, public_id, ...).
    """
    created_at = created_at or utcnow()
    finished = status not in ("queued", "running")
    sync = Sync(shop_id=shop_id, kind=kind, status=status, dry_run=dry_run, created_at=created_at,
                started_at=None if status == "queued" else created_at + timedelta(seconds=2),
                finished_at=created_at + timedelta(seconds=40) if finished else None,
                cloud_name=cloud_name, **fields)
    db.session.add(sync)
    db.session.flush()
    for seq, row in enumerate(unmatched):
        db.session.add(SyncItem(sync_id=sync.id, seq=seq, product_id=None, product_title=None, **row))
    for index, product in enumerate(products):
        db.session.add(SyncProduct(sync_id=sync.id, seq=index, product_id=product["id"],
                                   product_title=product["title"], status=product.get("status", "done"),
                                   error=product.get("error")))
        for position, row in enumerate(product.get("rows", [])):
            db.session.add(SyncItem(sync_id=sync.id, seq=(index + 1) * ROW_STRIDE + position,
                                    product_id=product["id"], product_title=product["title"], **row))
    db.session.commit()
    return sync.id


def catalogue_run(shop_id: int, **fields: Any) -> str:
    """A finished Link to Products run with every kind of outcome a merchant sees."""
    products = [
        {"id": "gid://shopify/Product/7001", "title": "Trail Runner 2 — Black", "rows": [
            {"group_value": "TR2-BLK", "public_id": "shoes/tr2-black_front", "action": "created", "position": 1,
             "media_id": "gid://shopify/MediaImage/91"},
            {"group_value": "TR2-BLK", "public_id": "shoes/tr2-black_side", "action": "replaced", "position": 2,
             "media_id": "gid://shopify/MediaImage/92", "detail": "the asset has a new version in Cloudinary"},
            {"group_value": "TR2-BLK", "public_id": "shoes/tr2-black_sole", "action": "unchanged", "position": 3,
             "media_id": "gid://shopify/MediaImage/93"}]},
        {"id": "gid://shopify/Product/7002", "title": "Trail Runner 2 — Sand", "rows": [
            {"group_value": "TR2-SND", "public_id": "shoes/tr2-sand_front", "action": "moved", "position": 1,
             "media_id": "gid://shopify/MediaImage/95"},
            {"group_value": "TR2-SND", "public_id": "shoes/tr2-sand_360", "action": "failed",
             "error": "Shopify couldn't process the video: the file is larger than 1 GB"}]},
        {"id": "gid://shopify/Product/7003", "title": "=Canvas Tote", "status": "failed",
         "error": "the product would have more than 250 media", "rows": [
            {"group_value": "TOTE-1", "public_id": "bags/tote_front", "action": "failed",
             "error": "the product would have more than 250 media"}]},
    ]
    unmatched = [{"group_value": "TR9-RED", "public_id": "shoes/tr9-red_front", "action": "skipped",
                  "detail": "no product has SKU TR9-RED"}]
    fields.setdefault("status", "partially_succeeded")
    return add_sync(shop_id, products=products, unmatched=unmatched, products_total=3, products_done=3,
                    assets_total=6, assets_linked=4, failures=2,
                    errors=[{"product_id": "gid://shopify/Product/7003",
                             "message": "the product would have more than 250 media"}], **fields)


def sync_request(n_assets: int = 12, n_groups: int = 4, *, link_mode: str = "overwrite", field: str = "sku",
                 **extra: Any) -> dict[str, Any]:
    """A Link to Products request body as the bridge stores it (Sync.request)."""
    return {"dry_run": False, "match": {"cloudinary_field": field, "shopify_field": field},
            "link_mode": link_mode, "order_by": "sequence_number", **extra,
            "assets": [{"public_id": f"shoes/g{i % n_groups}_{i}", "resource_type": "video" if i == 1 else "image",
                        "type": "upload", "version": 1711111111, "metadata": {field: f"TR-{i % n_groups}"}}
                       for i in range(n_assets)]}


def identical_rerun(shop_id: int, **fields: Any) -> str:
    """A second run of the same request: every row unchanged."""
    products = [{"id": f"gid://shopify/Product/{800 + n}", "title": f"Trail Runner {n}", "rows": [
        {"group_value": f"TR-{n}", "public_id": f"shoes/g{n}_{n + 4 * k}", "action": "unchanged", "position": k + 1,
         "media_id": f"gid://shopify/MediaImage/{900 + 10 * n + k}"} for k in range(3)]} for n in range(4)]
    fields.setdefault("request", sync_request())
    return add_sync(shop_id, products=products, products_total=4, products_done=4, assets_total=12,
                    assets_linked=12, **fields)


def unlink_run(shop_id: int, **fields: Any) -> str:
    products = [{"id": f"gid://shopify/Product/{810 + n}", "title": f"Canvas Tote {n}", "rows": [
        {"public_id": "bags/tote_front", "action": "removed", "media_id": f"gid://shopify/MediaImage/{700 + n}",
         "detail": "unlinked"}]} for n in range(2)]
    fields.setdefault("request", {"product_ids": [p["id"] for p in products], "public_ids": ["bags/tote_front"]})
    return add_sync(shop_id, kind="unlink", products=products, products_total=2, products_done=2, assets_total=2,
                    assets_linked=0, **fields)


def upload_run(shop_id: int, **fields: Any) -> str:
    assets = [{"public_id": f"lookbook/spring_{n}", "resource_type": "image", "type": "upload"} for n in range(3)]
    rows = [{"public_id": a["public_id"], "action": "created" if n < 2 else "unchanged",
             "media_id": f"gid://shopify/MediaImage/{500 + n}",
             "url": f"https://cdn.shopify.com/s/files/1/0001/files/spring_{n}.jpg",
             "detail": None if n < 2 else "reused the file an earlier upload made of this version"}
            for n, a in enumerate(assets)]
    fields.setdefault("request", {"assets": assets})
    fields.setdefault("assets_total", 3)
    return add_sync(shop_id, kind="upload", unmatched=rows, products_total=0, assets_linked=3, **fields)
