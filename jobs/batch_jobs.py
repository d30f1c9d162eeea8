"""What every batch job of a store shares (syncs, unlinks, uploads): run
only as the store's head batch under the store lock, hand the store's next
batch over when done, stop at an abort, turn failures into a finished batch
and end with one rule for the final status. Product-by-product batches
(syncs, unlinks) add jobs.product_batch.

A job resumes from what it committed: RQ retries it after a crash or a
Shopify outage (retries in jobs.queues.JOBS), and a retry only does what is
still missing. When no retry is left, the batch ends `failed` with a clear
message and the completion webhook is sent.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from flask import current_app
from rq import get_current_job

from shopify_app.admin_api import AdminApiClient, AuthenticationError, ThrottledError, TransientError, for_shop
from shopify_app.extensions import db
from shopify_app.models import Shop, Sync, utcnow

from .sync_dispatch import dispatch_next, store_head, store_lock

log = logging.getLogger(__name__)


def run_as_head(sync_id: str, make_run: Callable[[Sync, Mapping[str, Any]], "BatchRun"]) -> str:
    """Run the batch if it is its store's head and no other worker runs the
    store; always dispatch the store's next batch afterwards."""
    sync = db.session.get(Sync, sync_id)
    if sync is None:
        return "missing"
    shop_id = sync.shop_id
    config = current_app.config
    try:
        with store_lock(shop_id) as held:
            if not held:
                return "another worker runs this store"
            head = store_head(shop_id)
            if head is None or head.id != sync_id:
                return "not this store's next batch"
            make_run(sync, config).run()
            return sync.status
    finally:
        db.session.rollback()
        dispatch_next(config, shop_id)


def final_status(*, stopped_early: bool, units: int, failed_units: int, failures: int) -> str:
    """How a batch ends: `units` are what it works on (products, files),
    `failures` its failed report rows."""
    if stopped_early:
        return "aborted"
    if units and failed_units == units:
        return "failed"
    if failed_units or failures:
        return "partially_succeeded"
    return "succeeded"


def retries_left() -> int:
    job = get_current_job()
    return int(getattr(job, "retries_left", 0) or 0) if job is not None else 0


class BatchRun:
    """One run of a batch; subclasses implement `steps` (resumable)."""

    def __init__(self, sync: Sync, config: Mapping[str, Any]) -> None:
        self.sync = sync
        self.config = config
        self._client: AdminApiClient | None = None

    @property
    def client(self) -> AdminApiClient:
        if self._client is None:
            shop = db.session.get(Shop, self.sync.shop_id)
            assert shop is not None
            self._client = for_shop(shop)
        return self._client

    def steps(self) -> None:
        raise NotImplementedError

    def abort_requested(self) -> bool:
        """Read again before each step: an abort stops the batch before its next one."""
        db.session.refresh(self.sync, ["abort_requested"])
        return bool(self.sync.abort_requested)

    def run(self) -> None:
        sync = self.sync
        try:
            if sync.status == "queued":
                sync.status = "running"
                sync.started_at = sync.started_at or utcnow()
            db.session.commit()
            self.steps()
        except AuthenticationError:
            db.session.rollback()
            self.fail("Shopify refused the app's access to this store; the merchant must open the app in the "
                      "Shopify admin to reauthorize it.")
        except (TransientError, ThrottledError) as exc:
            db.session.rollback()
            if retries_left() > 0:
                raise  # RQ retries later; the batch resumes from what it committed
            self.fail(f"Shopify did not answer, even after retries ({type(exc).__name__}).")
        except Exception:
            db.session.rollback()
            if retries_left() > 0:
                raise
            log.exception("%s %s failed", sync.kind, sync.id)
            self.fail(f"The {sync.kind} stopped on an internal error; it has been logged.")

    def update_progress(self, sync: Sync) -> None:
        """Recompute the counters from stored rows (a resumed job never counts twice)."""

    def fail(self, message: str) -> None:
        sync = db.session.get(Sync, self.sync.id)
        assert sync is not None
        sync.errors = [*(sync.errors or []), {"message": message}]
        self.update_progress(sync)
        sync.status = "failed"
        sync.finished_at = utcnow()
        db.session.commit()
        self.notify(sync)

    def end(self, status: str) -> None:
        sync = self.sync
        self.update_progress(sync)
        sync.status = status
        sync.finished_at = utcnow()
        db.session.commit()
        self.notify(sync)

    def notify(self, sync: Sync) -> None:
        from .sync_webhook import notify_sync_ended
        try:
            notify_sync_ended(self.config, sync)
        except Exception:
            # The outcome is committed; a lost notification is logged, not fatal.
            log.exception("could not queue the completion webhook of %s %s", sync.kind, sync.id)
