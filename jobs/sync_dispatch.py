"""One batch per store at a time, in arrival order; stores in parallel.

Design. The database orders a store's batches (syncs, unlinks, uploads share
the `syncs` table): the oldest unfinished one is the store's *head*. Only the
head is ever handed to the queue, so a store never has two batches in Redis
and any number of workers can run different stores at once. `dispatch_next`
hands the head over; it runs after a batch is accepted and after a batch
ends, under a row lock on the store so two dispatchers can't both hand over.

Why not a Redis lock that waiting jobs poll? Jobs would spin or sleep on
workers, and the queue, not the arrival order, would decide who goes next.
Here nothing waits and order is exactly `created_at`.

A second guard covers the rare double delivery (a retry racing a
re-dispatch): the job holds a PostgreSQL advisory lock on the store while it
runs (`store_lock`). It lives on its own connection, so a killed worker
releases it the moment its connection drops.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from rq.exceptions import NoSuchJobError
from rq import Worker
from rq.job import Job, JobStatus
from sqlalchemy import select, text

from shopify_app.extensions import db
from shopify_app.models import Shop, Sync, utcnow

from . import queues

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "running")
FINISHED = ("succeeded", "partially_succeeded", "failed", "aborted")
# The job that carries out each kind of batch.
JOB_FOR_KIND = {"sync": "jobs.sync_job.run_sync", "upload": "jobs.upload_job.run_upload",
                "unlink": "jobs.unlink_job.run_unlink"}
LOCK_NAMESPACE = 0x41534C  # "ASL": keeps our advisory locks apart from anyone else's
MAX_DISPATCHES = 4  # the first hand-over and three after lost jobs


def job_id_for(sync: Sync) -> str:
    return f"{sync.kind}-{sync.id}"


def store_head(shop_id: int) -> Sync | None:
    """The store's oldest unfinished batch."""
    return db.session.scalars(
        select(Sync).where(Sync.shop_id == shop_id, Sync.status.in_(UNFINISHED), Sync.kind.in_(JOB_FOR_KIND))
        .order_by(Sync.created_at, Sync.id).limit(1)).first()


def _job_lost(config: Mapping[str, Any], sync: Sync) -> bool:
    """The head was handed over but its job is gone (expired, failed for
    good, cancelled, or started by a worker that has since died): hand it
    over again. The job resumes from its state."""
    if not queues.is_async(config):
        return False
    connection = queues.redis_connection(config)
    try:
        job = Job.fetch(job_id_for(sync), connection=connection)
    except NoSuchJobError:
        return True
    status = job.get_status(refresh=True)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED):
        return True
    if status == JobStatus.STARTED and job.worker_name:
        # A worker's key expires (worker_ttl) once it stops sending heartbeats:
        # RQ itself only notices an abandoned job after the job's whole timeout.
        return Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                  connection=connection) is None
    return False


def dispatch_next(config: Mapping[str, Any], shop_id: int) -> str | None:
    """Hand the store's head batch to the queue unless it already is there.
    Commits; returns the dispatched sync id, if any."""
    lock = select(Shop.id).where(Shop.id == shop_id).with_for_update()
    db.session.execute(lock)
    while True:
        head = store_head(shop_id)
        if head is None or (head.dispatched_at is not None and not _job_lost(config, head)):
            db.session.commit()
            return None
        if (head.dispatch_count or 0) < MAX_DISPATCHES:
            break
        head.status = "failed"
        head.finished_at = utcnow()
        head.errors = [*(head.errors or []), {"message": f"The job running this sync was lost {MAX_DISPATCHES} "
                                                         f"times; it was stopped so the store's next batches can run."}]
        log.error("%s %s lost %s times; failed", head.kind, head.id, MAX_DISPATCHES)
        db.session.commit()
        _notify_ended(config, head)
        db.session.execute(lock)
    head.dispatched_at = utcnow()
    head.dispatch_count = (head.dispatch_count or 0) + 1
    sync_id, kind, job_id = head.id, head.kind, job_id_for(head)
    if not queues.is_async(config):
        # In-process mode runs the job inside enqueue(), and the job's own
        # dispatch at its end needs this row lock: release it first.
        db.session.commit()
        queues.enqueue(config, JOB_FOR_KIND[kind], sync_id, job_id=job_id, meta={"shop_id": shop_id})
        return sync_id
    # Enqueue while holding the store's row lock, so no other dispatcher can
    # see the hand-over without its job; if Redis fails, nothing is committed.
    try:
        try:
            Job.fetch(job_id, connection=queues.redis_connection(config)).delete()  # a lost job's remains
        except NoSuchJobError:
            pass
        queues.enqueue(config, JOB_FOR_KIND[kind], sync_id, job_id=job_id, meta={"shop_id": shop_id})
    except Exception:
        db.session.rollback()
        log.exception("could not enqueue %s %s; the next dispatch retries", kind, sync_id)
        raise
    db.session.commit()
    return sync_id


def _notify_ended(config: Mapping[str, Any], sync: Sync) -> None:
    from .sync_webhook import notify_sync_ended
    try:
        notify_sync_ended(config, sync)
    except Exception:
        log.exception("could not queue the completion webhook of %s %s", sync.kind, sync.id)


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
