"""Running one batch as an RQ job (syncs, unlinks, uploads share this):
only as the store's head batch under the store lock, started and ended
through the batch service (jobs.batch_service), stopped at an abort, and
with one rule for the final status. Product-by-product batches (syncs,
unlinks) add jobs.product_batch.

What goes wrong inside a job is sorted by whether trying again can help:

- the database unreachable: raised, so the worker waits for it and runs the
  job again (jobs.context);
- transient (Shopify unavailable or throttled, Redis unreachable, the job's
  time limit): the job asks RQ to run it again later (`rq.Retry` with the
  back-off in jobs.queues.JOBS) and the batch stays running; the next run
  resumes from what was committed. When no retry is left, the batch ends
  `failed`;
- Shopify refusing the app's token: the batch ends `failed` at once, asking
  the merchant to reauthorize;
- anything else is deterministic (a value PostgreSQL refuses, a bug hit by
  this batch's data): retrying would fail the same way and hold the store's
  later batches for the whole back-off, so the batch ends `failed` at once
  with a clear error and the store's next batch starts;
- a work horse killed outright (SIGKILL, out of memory) can't report
  anything: RQ marks its job failed (batch jobs have no RQ-level retries),
  and the reaper (jobs.reaper) hands the batch over again within seconds.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

import redis
import requests
from flask import current_app
from rq import Retry, get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import exc as sa_exc

from shopify_app import outages
from shopify_app.admin_api import AdminApiClient, AuthenticationError, ThrottledError, TransientError, for_shop
from shopify_app.extensions import db
from shopify_app.batch_status import BatchStatus
from shopify_app.models import Shop, Sync

from . import batch_service, queues, retry_note
from .batch_dispatch import dispatch_next, store_head, store_lock

log = logging.getLogger(__name__)

# Errors that may not happen again: the same work can succeed later.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError, ThrottledError,                        # Shopify 5xx, network, throttling
    sa_exc.OperationalError, sa_exc.TimeoutError,          # database unreachable, pool exhausted
    sa_exc.InterfaceError,
    redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    requests.ConnectionError, requests.Timeout,            # Cloudinary downloads of videos
    ConnectionError, TimeoutError,
    JobTimeoutException,                                   # ran out of time: the next run resumes
)


def is_transient(exc: BaseException) -> bool:
    """Whether running the same work again may succeed."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


def error_message(kind: str, exc: BaseException) -> str:
    """What the batch's errors say about a deterministic failure: enough for
    the caller to act, nothing internal (the traceback is logged)."""
    if isinstance(exc, sa_exc.DataError):
        cause = f"the database refused a value ({str(exc.orig).splitlines()[0] if exc.orig else 'invalid data'})"
    elif isinstance(exc, RecursionError):
        cause = "the request is nested too deeply to process"
    else:
        cause = type(exc).__name__
    return (f"The {kind} stopped on an internal error that retrying would not fix: {cause}. It ended here so the "
            f"store's next batch can run; the error has been logged.")


def run_as_head(sync_id: str, make_run: Callable[[Sync, Mapping[str, Any]], "BatchRun"]) -> Any:
    """Run the batch if it is its store's head and no other worker runs the
    store. Returns what RQ records: the batch's status, a reason it did not
    run, or an `rq.Retry`."""
    sync = db.session.get(Sync, sync_id)
    if sync is None:
        return "missing"
    shop_id = sync.shop_id
    config = current_app.config
    with store_lock(shop_id) as held:
        if not held:
            return "another worker runs this store"
        head = store_head(shop_id)
        if head is None or head.id != sync_id:
            db.session.rollback()
            # A stale hand-over: make sure the real head is in the queue.
            dispatch_next(config, shop_id)
            return "not this store's next batch"
        run = make_run(sync, config)
        outcome = run.run()
        db.session.rollback()
    if run.ended:
        # Handed over only now that the store lock is free, so the next
        # batch's job can take it the moment a worker picks it up.
        batch_service.announce_ended(config, [], dispatch_shops=[shop_id])
    return outcome if isinstance(outcome, Retry) else sync.status


def retry_for_current_job() -> Retry | None:
    """The retry RQ should schedule for the running job, if it has one left
    (none in-process: nothing would run it again)."""
    job = get_current_job()
    if job is None or not queues.is_async(current_app.config):
        return None
    try:
        spec = queues.spec_for(job.func_name)
    except queues.UnknownJob:
        return None
    if (job.number_of_retries or 0) >= spec.retries:
        return None
    return spec.job_retry()


def final_status(*, stopped_early: bool, units: int, failed_units: int, failures: int) -> BatchStatus:
    """How a batch ends: `units` are what it works on (products, files),
    `failures` its failed report rows."""
    if stopped_early:
        return BatchStatus.ABORTED
    if units and failed_units == units:
        return BatchStatus.FAILED
    if failed_units or failures:
        return BatchStatus.PARTIALLY_SUCCEEDED
    return BatchStatus.SUCCEEDED


class BatchRun:
    """One run of a batch; subclasses implement `steps` (resumable)."""

    def __init__(self, sync: Sync, config: Mapping[str, Any]) -> None:
        self.sync = sync
        self.config = config
        self.ended = False  # whether this run ended the batch
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

    def run(self) -> Retry | None:
        """Carry the batch out to its end; an `rq.Retry` when a transient
        error interrupted it and a retry is left."""
        sync = self.sync
        try:
            if not batch_service.start(sync):
                return None  # ended while it waited (aborted)
            self.steps()
        except AuthenticationError:
            db.session.rollback()
            self.fail("Shopify refused the app's access to this store; the merchant must open the app in the "
                      "Shopify admin to reauthorize it.")
        except Exception as exc:
            db.session.rollback()
            if outages.is_outage(exc) == "database" and get_current_job() is not None:
                raise  # the worker waits for the database and runs the job again (jobs.context)
            if is_transient(exc):
                retry = retry_for_current_job()
                if retry is not None:
                    log.warning("%s %s interrupted (%s); RQ runs it again later", sync.kind, sync.id,
                                type(exc).__name__)
                    job = get_current_job()
                    retry_note.record(sync, exc, retry, (job.number_of_retries or 0) if job else 0)
                    return retry
                self.fail(f"Shopify or the app's services did not answer, even after retries "
                          f"({type(exc).__name__}).")
            else:
                log.exception("%s %s failed", sync.kind, sync.id)
                self.fail(error_message(sync.kind, exc))
        return None

    def update_progress(self, sync: Sync) -> None:
        """Recompute the counters from stored rows (a resumed job never counts twice)."""

    def fail(self, message: str) -> None:
        sync = db.session.get(Sync, self.sync.id)
        assert sync is not None
        try:
            self.update_progress(sync)
        except Exception:
            # Counting must not keep a failure from being recorded.
            db.session.rollback()
            log.exception("could not count the progress of %s %s", sync.kind, sync.id)
        self.ended = batch_service.end(self.config, sync, BatchStatus.FAILED, error=message, dispatch=False)

    def end(self, status: BatchStatus) -> None:
        """The batch's end (the store's next batch is handed over by
        run_as_head once the store lock is released)."""
        sync = self.sync
        self.update_progress(sync)
        self.ended = batch_service.end(self.config, sync, status, dispatch=False)
