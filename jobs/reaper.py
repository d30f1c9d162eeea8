"""The reaper: a periodic job (jobs.scheduler) that keeps every store's
batches moving when the process that should move them is gone.

For each store with an unfinished batch it hands the head batch over again
(jobs.batch_dispatch) when

- it was never handed over (Redis refused the enqueue when it was accepted);
- its job is gone, failed (a work horse killed outright: batch jobs have no
  RQ-level retries), stopped or cancelled, or finished without ending the
  batch;
- its job is marked started but nobody runs the store: the store lock
  (a PostgreSQL advisory lock held on the running job's own connection) is
  free. PostgreSQL frees it the moment a killed worker's connection drops,
  so a worker SIGKILLed mid-batch is noticed at the next pass, not when
  RQ's heartbeats expire minutes later. `STARTED_GRACE` covers a job that has
  just started and not yet taken the lock.

A store whose lock is held is running and left alone; a job waiting in the
queue or for its retry is left alone. The reaper only reads RQ's job state;
it never deletes a job (a new hand-over is a new job id).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Mapping

from flask import current_app
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from shopify_app.batch_status import UNFINISHED
from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow

from . import queues
from .batch_dispatch import JOB_FOR_KIND, dispatch_next, job_id_for, store_lock_held
from .context import with_app_context

log = logging.getLogger(__name__)

STARTED_GRACE = timedelta(seconds=10)
WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def is_lost(status: JobStatus | None, started_at: datetime | None, now: datetime, *,
            store_running: bool | None, worker_alive: bool | None) -> bool:
    """Whether a handed-over batch's job will never carry it on (pure).

    `status` None: the job is gone. `store_running`: whether the store lock
    is held (None: can't be known, SQLite); `worker_alive`: whether the job's
    worker is registered (used only where the lock can't be read)."""
    if store_running:
        return False
    if status is None:
        return True
    if status in WAITING:
        return False
    if status != JobStatus.STARTED:
        return True  # failed, stopped, cancelled, or finished without ending the batch
    if store_running is None:
        return worker_alive is False
    return started_at is None or now - started_at > STARTED_GRACE


def job_lost(config: Mapping[str, Any], sync: Sync, *, store_running: bool | None) -> bool:
    connection = queues.redis_connection(config)
    try:
        job = Job.fetch(job_id_for(sync), connection=connection)
    except NoSuchJobError:
        return is_lost(None, None, utcnow(), store_running=store_running, worker_alive=None)
    status = job.get_status(refresh=False)
    worker_alive = None
    if status == JobStatus.STARTED and store_running is None:
        worker_alive = bool(job.worker_name) and Worker.find_by_key(
            Worker.redis_worker_namespace_prefix + job.worker_name, connection=connection) is not None
    lost = is_lost(status, job.started_at, utcnow(), store_running=store_running, worker_alive=worker_alive)
    if lost:
        log.warning("%s %s: its job %s is lost (%s); handing it over again", sync.kind, sync.id, job.id, status)
    return lost


def reap_store(config: Mapping[str, Any], shop_id: int) -> str | None:
    """Hand the store's head over if nobody will run it; the batch id if so."""
    running = store_lock_held(shop_id)
    db.session.commit()  # don't hold a snapshot across the Redis reads
    if running:
        return None
    return dispatch_next(config, shop_id, lost=lambda head: job_lost(config, head, store_running=running))


@with_app_context
def reap() -> list[str]:
    """One pass over every store with unfinished batches; the batch ids handed over."""
    config = current_app.config
    if not queues.is_async(config):
        return []  # in-process mode runs every batch inside the request that queued it
    shop_ids = db.session.scalars(select(Sync.shop_id).where(
        Sync.status.in_(tuple(UNFINISHED)), Sync.kind.in_(JOB_FOR_KIND)).distinct()).all()
    db.session.commit()
    handed: list[str] = []
    for shop_id in shop_ids:
        try:
            if (sync_id := reap_store(config, shop_id)) is not None:
                handed.append(sync_id)
        except Exception:
            db.session.rollback()
            log.exception("reaping shop %s failed; the next pass tries again", shop_id)
    return handed
