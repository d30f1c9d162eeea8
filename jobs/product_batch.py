"""Batches that work product by product (syncs and unlinks): one SyncProduct
per product, its report rows in a range of their own, products taken
`SYNC_PRODUCTS_PER_BATCH` at a time (a chunk) until an abort, and the final
status from how the products ended.

Chunks are read from the database one at a time, so a job's memory does not
grow with the number of products it works on.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol, Sequence

from sqlalchemy import delete, func, insert, select

from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow
from shopify_app.extensions import db

from . import asset_links, made_files
from .batch_run import BatchRun, final_status

DONE = ("done", "failed", "aborted")
ROW_STRIDE = 100_000          # report rows per product (<= 1000 assets + 250 removals + swatches)
UNPLACED_BASE = 10 ** 15      # rows for assets that link nowhere come last


def row_seq(product_seq: int | None, index: int) -> int:
    """Report order: a product's rows in its own range, then the unplaced."""
    return (UNPLACED_BASE if product_seq is None else product_seq * ROW_STRIDE) + index


class Row(Protocol):
    """A report row: the planner's Action (dry runs, unlink decisions) or the executor's RowResult."""

    action: str
    public_id: str | None
    group_value: str | None
    position: int | None
    media_id: str | None
    reason: str | None


def report_values(sync_id: str, seq: int, product_id: str | None, title: str | None, row: Row) -> dict[str, Any]:
    """The stored report row's columns: a failure's reason is its error, any other's its detail."""
    failed = row.action == "failed"
    error = getattr(row, "error", None) or (row.reason if failed else None)
    return {"sync_id": sync_id, "seq": seq, "product_id": product_id, "product_title": title,
            "group_value": row.group_value, "public_id": row.public_id, "action": row.action,
            "position": row.position, "media_id": row.media_id, "error": error,
            "detail": None if failed else row.reason}


def report_item(sync_id: str, seq: int, product_id: str | None, title: str | None, row: Row) -> SyncItem:
    """The stored report row."""
    return SyncItem(**report_values(sync_id, seq, product_id, title, row))


class ProductBatchRun(BatchRun):
    """A BatchRun over the batch's SyncProduct rows."""

    def chunks(self) -> Iterator[list[SyncProduct]]:
        """The products not done yet (a resumed run skips the rest), in link
        order, `SYNC_PRODUCTS_PER_BATCH` at a time, each chunk read from the
        database when it is due, until an abort is requested. Within a chunk
        the executor honours an abort before each product's first write."""
        size = max(1, int(self.config["SYNC_PRODUCTS_PER_BATCH"]))
        after = -1
        while not self.abort_requested():
            chunk = list(db.session.scalars(select(SyncProduct).where(
                SyncProduct.sync_id == self.sync.id, SyncProduct.status.notin_(DONE), SyncProduct.seq > after)
                .order_by(SyncProduct.seq).limit(size)))
            if not chunk:
                return
            after = chunk[-1].seq
            yield chunk

    def finish_products(self, ended: Sequence[tuple[SyncProduct, str, Iterable[Row], str | None]]) -> None:
        """Write these products' report rows, end states and links in one commit."""
        if not ended:
            return
        sync_id = ended[0][0].sync_id
        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == sync_id, SyncItem.product_id.in_(
            [product.product_id for product, _, _, _ in ended])))
        errors = []
        items = []
        for product, status, rows, error in ended:
            items += [report_values(product.sync_id, row_seq(product.seq, index), product.product_id,
                                    product.product_title, row) for index, row in enumerate(rows)]
            product.status = status
            product.error = error
            product.finished_at = utcnow()
            if error:
                errors.append({"product_id": product.product_id, "message": error})
        if items:
            db.session.execute(insert(SyncItem), items)  # one multi-row INSERT, not an ORM object per row
            asset_links.record(self.sync, items)
            made_files.record(self.sync, items)
        if errors:
            self.sync.errors = [*(self.sync.errors or []), *errors]
        db.session.commit()

    def update_progress(self, sync: Sync) -> None:
        """Counters recomputed from the stored rows, so a resumed job never
        counts twice: products ended, and failed report rows."""
        done = db.session.scalar(select(func.count()).select_from(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status.in_(("done", "failed"))))
        failures = db.session.scalar(select(func.count()).select_from(SyncItem).where(
            SyncItem.sync_id == sync.id, SyncItem.action == "failed"))
        sync.products_done = int(done or 0)
        sync.failures = int(failures or 0)

    def finish(self) -> None:
        """Products never reached are `aborted`; the batch ends with the status its products earned."""
        sync = self.sync
        stopped = self.abort_requested()
        left = db.session.scalars(select(SyncProduct).where(SyncProduct.sync_id == sync.id,
                                                            SyncProduct.status.notin_(DONE))).all()
        for product in left:
            product.status = "aborted"
        failed_products = db.session.scalar(select(func.count()).select_from(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status == "failed")) or 0
        self.update_progress(sync)
        self.end(final_status(stopped_early=bool(left) and stopped, units=sync.products_total or 0,
                              failed_units=failed_products, failures=sync.failures or 0))
