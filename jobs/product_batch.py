"""Batches that work product by product (syncs and unlinks): one SyncProduct
per product, its report rows in a range of their own, products taken
`SYNC_PRODUCTS_PER_BATCH` at a time until an abort, and the final status
from how the products ended.
"""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from sqlalchemy import delete, func, select

from shopify_app.models import SyncItem, SyncProduct, utcnow
from shopify_app.extensions import db

from .batch_jobs import BatchRun, final_status

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


def report_item(sync_id: str, seq: int, product_id: str | None, title: str | None, row: Row) -> SyncItem:
    """The stored report row: a failure's reason is its error, any other's its detail."""
    failed = row.action == "failed"
    error = getattr(row, "error", None) or (row.reason if failed else None)
    return SyncItem(sync_id=sync_id, seq=seq, product_id=product_id, product_title=title,
                    group_value=row.group_value, public_id=row.public_id, action=row.action, position=row.position,
                    media_id=row.media_id, error=error, detail=None if failed else row.reason)


class ProductBatchRun(BatchRun):
    """A BatchRun over the batch's SyncProduct rows."""

    def products_to_do(self) -> list[SyncProduct]:
        """The products not done yet (a resumed run skips the rest), in order."""
        return list(db.session.scalars(select(SyncProduct).where(
            SyncProduct.sync_id == self.sync.id, SyncProduct.status.notin_(DONE)).order_by(SyncProduct.seq)))

    def in_batches(self, products: list[SyncProduct]) -> Iterator[list[SyncProduct]]:
        """`SYNC_PRODUCTS_PER_BATCH` products at a time (default 1, so an abort
        stops before the very next product, as the contract says) until an
        abort is requested."""
        size = max(1, int(self.config["SYNC_PRODUCTS_PER_BATCH"]))
        for start in range(0, len(products), size):
            if self.abort_requested():
                return
            yield products[start:start + size]

    def finish_product(self, product: SyncProduct, status: str, rows: Iterable[Row], error: str | None = None
                       ) -> None:
        """Write the product's report rows and its end state in one commit."""
        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == product.sync_id,
                                                  SyncItem.seq >= row_seq(product.seq, 0),
                                                  SyncItem.seq < row_seq(product.seq + 1, 0)))
        for index, row in enumerate(rows):
            db.session.add(report_item(product.sync_id, row_seq(product.seq, index), product.product_id,
                                       product.product_title, row))
        product.status = status
        product.error = error
        product.finished_at = utcnow()
        if error:
            sync = self.sync
            sync.errors = [*(sync.errors or []), {"product_id": product.product_id, "message": error}]
        db.session.commit()

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
