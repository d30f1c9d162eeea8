"""Queue names, per-job options and enqueueing: the one place for all three.

Every job the app runs has a row in JOBS, keyed by its dotted path. A job
without a row can't be enqueued, so no job silently runs on RQ's defaults
(180 s timeout, results kept 500 s, failures kept a year).

Queue names carry REDIS_KEY_PREFIX so that several deployments, or test runs,
can share one Redis without taking each other's work.

Jobs take ids and primitives only, and are enqueued after the database
commit that created what they work on (a worker may pick a job up before the
enqueuing request has even returned).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Literal, Mapping

import redis
from rq import Queue, Retry
from rq.job import Job

log = logging.getLogger(__name__)

# Queue roles, most urgent first: a worker started without arguments listens
# on all of them in this order.
WEBHOOKS = "webhooks"  # short, urgent work: lifecycle and compliance webhooks (Shopify expects them
#                        done promptly) and the reaper
MEDIA = "media"        # syncs, uploads and unlinks against the Admin API
DEFAULT = "default"
ROLES = (WEBHOOKS, MEDIA, DEFAULT)

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int            # seconds the work horse may run before it is killed
    result_ttl: int         # seconds a finished job's result is kept
    failure_ttl: int        # seconds a failed job stays in the failed registry
    retries: int = 0
    retry_intervals: tuple[int, ...] = ()  # empty: retry at once (no scheduler needed)
    # The job's first argument is a batch (Sync) id: it goes into the job's
    # meta as `batch_id`, so every log line of the job names its batch.
    batch_job: bool = False
    # Who decides on a retry: "rq" retries after any failure; "job" means the
    # job returns rq.Retry itself for the errors worth retrying (batch jobs:
    # jobs.batch_run), so a deterministic error or a killed work horse is
    # never retried on RQ's back-off.
    retried_by: Literal["rq", "job"] = "rq"
    ttl: int | None = None  # seconds the job may wait in the queue before it is dropped

    def retry(self) -> Retry | None:
        """The retry to enqueue the job with (none when the job decides)."""
        if not self.retries or self.retried_by != "rq":
            return None
        return self.job_retry()

    def job_retry(self) -> Retry:
        return Retry(max=self.retries, interval=list(self.retry_intervals) or 0)


# Add a row here for every new job. Lifecycle jobs are idempotent, so retrying
# them is always safe; a week of failure history is enough to investigate.
JOBS: dict[str, JobSpec] = {
    "jobs.lifecycle_jobs.app_uninstalled": JobSpec(WEBHOOKS, timeout=60, result_ttl=HOUR, failure_ttl=7 * DAY,
                                                   retries=3, retry_intervals=(10, 60, 300)),
    "jobs.lifecycle_jobs.shop_redact": JobSpec(WEBHOOKS, timeout=300, result_ttl=HOUR, failure_ttl=7 * DAY,
                                               retries=3, retry_intervals=(60, 600, 3600)),
    "jobs.lifecycle_jobs.after_install": JobSpec(DEFAULT, timeout=120, result_ttl=HOUR, failure_ttl=7 * DAY,
                                                 retries=3, retry_intervals=(10, 60, 300)),
    "jobs.lifecycle_jobs.scopes_updated": JobSpec(WEBHOOKS, timeout=60, result_ttl=HOUR, failure_ttl=7 * DAY,
                                                  retries=3, retry_intervals=(10, 60, 300)),
    # A sync resumes from its stored step, so a retry after a Shopify outage
    # never repeats a write; 1000 assets on a slow store can take an hour at
    # Shopify's rate limits. Only transient errors are retried (the job
    # returns rq.Retry, jobs.batch_run); a killed worker's batch is handed
    # over again by the reaper.
    "jobs.sync_job.run_sync": JobSpec(MEDIA, timeout=2 * HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                      retries=3, retry_intervals=(30, 120, 600), retried_by="job",
                                      batch_job=True),
    # Uploads and unlinks resume from what they committed, like syncs.
    "jobs.upload_job.run_upload": JobSpec(MEDIA, timeout=2 * HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                          retries=3, retry_intervals=(30, 120, 600), retried_by="job",
                                          batch_job=True),
    "jobs.unlink_job.run_unlink": JobSpec(MEDIA, timeout=2 * HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                          retries=3, retry_intervals=(30, 120, 600), retried_by="job",
                                          batch_job=True),
    # Undo a sync or unlink (jobs.undo_job) and remove AssetLink's unused
    # files (jobs.files_cleanup): batches like the others, resumable.
    "jobs.undo_job.run_undo": JobSpec(MEDIA, timeout=2 * HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                      retries=3, retry_intervals=(30, 120, 600), retried_by="job",
                                      batch_job=True),
    "jobs.files_cleanup.run_cleanup": JobSpec(MEDIA, timeout=HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                              retries=3, retry_intervals=(30, 120, 600), retried_by="job",
                                              batch_job=True),
    # Queued by the scheduler (jobs.scheduler) every REAPER_INTERVAL_SECONDS;
    # short, so it goes on the most urgent queue. A pass that waited a minute
    # is dropped: a newer one is on its way.
    "jobs.reaper.reap": JobSpec(WEBHOOKS, timeout=120, result_ttl=60, failure_ttl=DAY, ttl=60),
    # Automation (jobs/automation): a store's coalesced notifications, queued
    # a debounce window after the first; products/create|update; the daily
    # reconciliation (queued by the scheduler) and the sweep that re-queues
    # notifications whose run was lost. Each reads Cloudinary and queues
    # ordinary batches; a failed one leaves its notifications pending, so
    # the sweep takes them up again.
    "jobs.automation.flush.run_flush": JobSpec(DEFAULT, timeout=600, result_ttl=HOUR, failure_ttl=7 * DAY),
    "jobs.automation.flush.sweep": JobSpec(DEFAULT, timeout=120, result_ttl=60, failure_ttl=DAY, ttl=120),
    "jobs.automation.products.product_changed": JobSpec(DEFAULT, timeout=600, result_ttl=HOUR,
                                                        failure_ttl=7 * DAY, retries=3,
                                                        retry_intervals=(10, 60, 300)),
    "jobs.automation.daily.reconcile_all": JobSpec(DEFAULT, timeout=600, result_ttl=HOUR, failure_ttl=7 * DAY,
                                                   ttl=HOUR),
    "jobs.automation.daily.reconcile": JobSpec(DEFAULT, timeout=2 * HOUR, result_ttl=HOUR, failure_ttl=7 * DAY,
                                               retries=3, retry_intervals=(60, 600, 3600)),
    # The receiver may be down for a while: back off over about half a day.
    "jobs.sync_webhook.deliver_sync_completed": JobSpec(DEFAULT, timeout=60, result_ttl=HOUR, failure_ttl=7 * DAY,
                                                        retries=8, retry_intervals=(10, 60, 300, 900, 1800,
                                                                                    3600, 3 * HOUR, 6 * HOUR),
                                                        batch_job=True),
}


class UnknownJob(LookupError):
    """A job was enqueued that has no row in JOBS."""


def queue_name(config: Mapping[str, Any], role: str) -> str:
    return f"{config['REDIS_KEY_PREFIX']}-{role}"


def all_queue_names(config: Mapping[str, Any]) -> list[str]:
    return [queue_name(config, role) for role in ROLES]


def is_async(config: Mapping[str, Any]) -> bool:
    return bool(config.get("RQ_IS_ASYNC", True))


_clients_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}
_in_process_redis: redis.Redis | None = None


def redis_connection(config: Mapping[str, Any]) -> redis.Redis:
    """The Redis client RQ uses: raw bytes (RQ's pickled payloads break with
    decode_responses=True).

    With RQ_IS_ASYNC=False (a demo without a Redis server) this is one
    in-memory fakeredis server per process, so job status can still be read
    back the same way.
    """
    global _in_process_redis
    with _clients_lock:
        if is_async(config):
            # One client (and connection pool) per URL and process; redis-py
            # pools notice a fork and reconnect in the child.
            url = config["REDIS_URL"]
            if url not in _clients:
                # Fail fast when Redis is unreachable (a request answers 503,
                # a worker waits and reconnects) instead of hanging on the
                # operating system's TCP timeout. RQ raises socket_timeout
                # for its workers' blocking dequeue by itself.
                _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10,
                                                     health_check_interval=30)
            return _clients[url]
        if _in_process_redis is None:
            import fakeredis
            _in_process_redis = fakeredis.FakeRedis()
        return _in_process_redis


def get_queue(config: Mapping[str, Any], role: str, connection: redis.Redis | None = None) -> Queue:
    return Queue(queue_name(config, role), connection=connection or redis_connection(config),
                 is_async=is_async(config))


def spec_for(job_name: str) -> JobSpec:
    try:
        return JOBS[job_name]
    except KeyError:
        raise UnknownJob(f"{job_name} has no entry in jobs.queues.JOBS; add one with its timeout and retries") \
            from None


def enqueue(config: Mapping[str, Any], job_name: str, *args: Any, job_id: str | None = None,
            meta: dict[str, Any] | None = None, **kwargs: Any) -> Job:
    """Enqueue `job_name` (a dotted path listed in JOBS) with its options.

    In-process mode (RQ_IS_ASYNC=False) runs the job before returning; a
    failure is recorded on the job (RQ doesn't raise it), so it's logged here.
    """
    spec = spec_for(job_name)
    queue = get_queue(config, spec.queue)
    job = queue.enqueue_call(
        job_name, args=args, kwargs=kwargs, timeout=spec.timeout, result_ttl=spec.result_ttl,
        failure_ttl=spec.failure_ttl, ttl=spec.ttl, retry=spec.retry() if queue.is_async else None,
        job_id=job_id, meta=job_meta(spec, args, meta))
    if not queue.is_async and job.is_failed:
        log.error("in-process job %s (%s) failed", job.id, job_name)
    return job


def enqueue_in(config: Mapping[str, Any], seconds: float, job_name: str, *args: Any,
               meta: dict[str, Any] | None = None) -> Job:
    """`enqueue`, run `seconds` from now (the workers' scheduler moves it to
    its queue then); at once in-process (RQ_IS_ASYNC=False)."""
    spec = spec_for(job_name)
    queue = get_queue(config, spec.queue)
    if not queue.is_async or seconds <= 0:
        return enqueue(config, job_name, *args, meta=meta)
    from datetime import timedelta
    return queue.enqueue_in(timedelta(seconds=seconds), job_name, *args, job_timeout=spec.timeout,
                            result_ttl=spec.result_ttl, failure_ttl=spec.failure_ttl, ttl=spec.ttl,
                            retry=spec.retry(), meta=job_meta(spec, args, meta))


def job_meta(spec: JobSpec, args: tuple[Any, ...], meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """The meta a job is enqueued with: the caller's, plus the log context of
    the enqueuing request or job (request id, shop) and the batch id, so the
    worker's log lines for the job carry them too (shopify_app.logs)."""
    from flask import has_request_context

    from shopify_app import logs
    merged: dict[str, Any] = logs.job_meta()
    if spec.batch_job and args:
        merged["batch_id"] = str(args[0])
        if not has_request_context():
            # A store's next batch is handed over at the end of the one
            # before: that job's request is not this batch's.
            merged.pop("request_id", None)
    merged.update(meta or {})
    return merged


def cancel_shop_jobs(config: Mapping[str, Any], shop_id: int) -> int:
    """Cancel every waiting job (queued or waiting for a retry) of one shop.

    A job belongs to a shop when it was enqueued with meta={"shop_id": id};
    jobs that work on a shop's data must say so. Used on uninstall, so a
    shop's queued work never runs afterwards. Running jobs are stopped
    cooperatively by the flags they re-read from the database.
    """
    connection = redis_connection(config)
    cancelled = 0
    for role in ROLES:
        queue = get_queue(config, role, connection)
        job_ids = set(queue.get_job_ids()) | set(queue.scheduled_job_registry.get_job_ids())
        for job in Job.fetch_many(sorted(job_ids), connection=connection):
            if job is not None and job.meta.get("shop_id") == shop_id and not job.is_canceled:
                job.cancel()
                cancelled += 1
    return cancelled
