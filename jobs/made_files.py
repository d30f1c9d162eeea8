"""The files AssetLink created in a store's Files (shopify_app.models.MadeFile):
recorded in the same commit as the sync's report rows that show them made,
read by the Files clean-up as its candidates, forgotten when the clean-up
deletes a file or finds it gone. Report rows are purged with the history;
these are not, so an unused file made before the retention period is still
cleaned up. Only a sync's "created" rows count (as the clean-up has always
judged): a merchant's file is never recorded, and a dry run made nothing."""
from __future__ import annotations

from typing import Any, Collection, Iterable, Mapping

from sqlalchemy import delete, insert, select

from shopify_app.extensions import db
from shopify_app.models import MadeFile, Sync, utcnow

Made = tuple[str | None, str | None]  # (public ID, product GID)


def made(rows: Iterable[Mapping[str, Any]]) -> dict[str, Made]:
    """File id -> (public ID, product) of the files a sync's report rows show
    it created, first report first (pure)."""
    out: dict[str, Made] = {}
    for row in rows:
        if row.get("action") == "created" and row.get("media_id"):
            out.setdefault(row["media_id"], (row.get("public_id"), row.get("product_id")))
    return out


def record(sync: Sync, rows: list[Mapping[str, Any]]) -> None:
    """Record the files these report rows (as written to sync_items) show
    made, in the caller's transaction."""
    if sync.dry_run or sync.kind != "sync":
        return
    files = made(rows)
    if not files:
        return
    known = set(db.session.scalars(select(MadeFile.file_id).where(
        MadeFile.shop_id == sync.shop_id, MadeFile.file_id.in_(sorted(files)))))
    now = utcnow()
    new = [{"shop_id": sync.shop_id, "file_id": file_id, "public_id": public_id, "product_id": product_id,
            "sync_id": sync.id, "made_at": now}
           for file_id, (public_id, product_id) in files.items() if file_id not in known]
    if new:
        db.session.execute(insert(MadeFile), new)


def recorded(shop_id: int) -> list[tuple[str, str | None]]:
    """(file id, public ID) of every file recorded for this store, oldest first."""
    return [(f, p) for f, p in db.session.execute(select(MadeFile.file_id, MadeFile.public_id).where(
        MadeFile.shop_id == shop_id).order_by(MadeFile.id))]


def products(shop_id: int) -> list[str]:
    """The products files were made for."""
    return list(db.session.scalars(select(MadeFile.product_id).where(
        MadeFile.shop_id == shop_id, MadeFile.product_id.is_not(None)).distinct()))


def forget(shop_id: int, file_ids: Collection[str]) -> None:
    """These files are gone from Files (deleted or found gone); in the caller's transaction."""
    if file_ids:
        db.session.execute(delete(MadeFile).where(MadeFile.shop_id == shop_id,
                                                  MadeFile.file_id.in_(sorted(file_ids))))
