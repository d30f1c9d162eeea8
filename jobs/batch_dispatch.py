"""One batch per store at a time, in arrival order; stores in parallel.

Design. The database orders a store's batches (syncs, unlinks, uploads share
the `syncs` table): the oldest unfinished one is the store's *head*. Only the
head is ever handed to the queue, so a store never has two batches in Redis
and any number of workers can run different stores at once. `dispatch_next`
hands the head over; it runs after a batch is accepted and after a batch
ends (jobs.batch_service), under a row lock on the store so two dispatchers
can't both hand over. The reaper (jobs.reaper) hands over again a head whose
job was lost (a worker killed under it).

Why not a Redis lock that waiting jobs poll? Jobs would spin or sleep on
workers, and the queue, not the arrival order, would decide who goes next.
Here nothing waits and order is exactly `created_at`.

A second guard covers a double delivery (a job handed over again while the
first is still alive): the job holds a PostgreSQL advisory lock on the store
while it runs (`store_lock`). It lives on its own connection, so a killed
worker releases it the moment its connection drops; the reaper reads it
(`store_lock_held`) to tell a running batch from a lost one.

Each hand-over is a new RQ job (`<kind>-<batch id>`, then `-2`, `-3`, ...):
a lost job's remains are left to RQ's own registries instead of being
deleted from under a worker RQ may still be cleaning up after.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping

from sqlalchemy import select, text

from shopify_app.extensions import db
from shopify_app.batch_status import UNFINISHED, BatchStatus
from shopify_app.models import Shop, Sync, utcnow

from . import batch_service, queues

log = logging.getLogger(__name__)

# The job that carries out each kind of batch. These dotted paths are stored
# in Redis with every queued job: renaming one strands the jobs queued under
# the old name during a deploy.
JOB_FOR_KIND = {"sync": "jobs.sync_job.run_sync", "upload": "jobs.upload_job.run_upload",
                "unlink": "jobs.unlink_job.run_unlink", "undo": "jobs.undo_job.run_undo",
                "cleanup": "jobs.files_cleanup.run_cleanup"}
LOCK_NAMESPACE = 0x41534C  # "ASL": keeps our advisory locks apart from anyone else's
MAX_DISPATCHES = 4  # the first hand-over and three after lost jobs


def job_id_for(sync: Sync) -> str:
    """The RQ job id of the batch's latest hand-over."""
    count = sync.dispatch_count or 0
    base = f"{sync.kind}-{sync.id}"
    return base if count <= 1 else f"{base}-{count}"


def store_head(shop_id: int) -> Sync | None:
    """The store's oldest unfinished batch."""
    return db.session.scalars(
        select(Sync).where(Sync.shop_id == shop_id, Sync.status.in_(tuple(UNFINISHED)), Sync.kind.in_(JOB_FOR_KIND))
        .order_by(Sync.created_at, Sync.id).limit(1)).first()


def dispatch_next(config: Mapping[str, Any], shop_id: int, *,
                  lost: Callable[[Sync], bool] | None = None) -> str | None:
    """Hand the store's head batch to the queue unless it already is there
    (or, with `lost`, unless its job is alive). A head lost MAX_DISPATCHES
    times ends `failed`, so it can't hold the store's later batches. Commits;
    returns the dispatched batch id, if any."""
    lock = select(Shop.id).where(Shop.id == shop_id).with_for_update()
    db.session.execute(lock)
    while True:
        head = store_head(shop_id)
        if head is None or (head.dispatched_at is not None and not (lost is not None and lost(head))):
            db.session.commit()
            return None
        if (head.dispatch_count or 0) < MAX_DISPATCHES:
            break
        log.error("%s %s lost %s times; failed", head.kind, head.id, MAX_DISPATCHES)
        batch_service.end(config, head, BatchStatus.FAILED, dispatch=False,
                          error=f"The job running this {head.kind} was lost {MAX_DISPATCHES} times; it was "
                                f"stopped so the store's next batches can run.")
        db.session.execute(lock)
    return _hand_over(config, head)


def _hand_over(config: Mapping[str, Any], head: Sync) -> str:
    head.dispatched_at = utcnow()
    head.dispatch_count = (head.dispatch_count or 0) + 1
    sync_id, kind, job_id, shop_id = head.id, head.kind, job_id_for(head), head.shop_id
    if not queues.is_async(config):
        # In-process mode runs the job inside enqueue(), and the job's own
        # dispatch at its end needs this row lock: release it first.
        db.session.commit()
        queues.enqueue(config, JOB_FOR_KIND[kind], sync_id, job_id=job_id, meta={"shop_id": shop_id})
        return sync_id
    # Enqueue while holding the store's row lock, so no other dispatcher can
    # see the hand-over without its job; if Redis fails, nothing is committed.
    try:
        queues.enqueue(config, JOB_FOR_KIND[kind], sync_id, job_id=job_id, meta={"shop_id": shop_id})
    except Exception:
        db.session.rollback()
        log.exception("could not enqueue %s %s; the reaper retries", kind, sync_id)
        raise
    db.session.commit()
    return sync_id


@contextmanager
def store_lock(shop_id: int) -> Iterator[bool]:
    """Yields whether this process now runs the store's batches exclusively."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        yield True  # SQLite development setups run one worker
        return
    with engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:ns, :shop)"),
                                       {"ns": LOCK_NAMESPACE, "shop": shop_id}).scalar())
        connection.commit()  # the lock is session-level; don't sit idle in a transaction
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:ns, :shop)"),
                                   {"ns": LOCK_NAMESPACE, "shop": shop_id})
                connection.commit()


def store_lock_held(shop_id: int) -> bool | None:
    """Whether some live process runs the store's batches now (holds
    `store_lock`); None where that can't be known (SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return None
    # pg_advisory_lock(int4, int4) shows in pg_locks as classid, objid, objsubid 2.
    return bool(db.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND "
        "classid = CAST(:ns AS oid) AND objid = CAST(:shop AS oid) AND objsubid = 2)"),
        {"ns": LOCK_NAMESPACE, "shop": shop_id}).scalar())
