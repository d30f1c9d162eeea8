"""Run this deployment's jobs: `python -m jobs.worker [--burst] [ROLE ...]`.

ROLE is webhooks, media or default (all three, in that order of priority,
when none is given); the queue names get REDIS_KEY_PREFIX from the
environment, exactly as the app enqueues them. The settings come from the same
environment variables as the app (and `.env` in the working directory for
local runs), so a misconfigured worker fails at start, not on its first job.

The worker forks a work horse per job (isolation, hard timeouts, stop
commands). The app is built here, before any fork, but opens no database
connection; each horse gets its own pool (jobs.context).

Outages. RQ's worker waits for Redis only while it is idle; a Redis error
anywhere else (a heartbeat, maintenance, the end of a job) makes it log
"unhandled exception, quitting" and return. This process doesn't exit then:
it waits for Redis to answer again (backing off from 1 s to 30 s) and starts
a fresh worker. Batches are never lost on the way: their state is in
PostgreSQL, and one whose job didn't survive is handed to the queue again
(the reaper, jobs.reaper). A database outage under a running job is waited out
inside the job (jobs.context). Only a stop signal (SIGTERM/SIGINT) or
`--burst` ends the process.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from typing import Any, Callable

import redis
from rq import Worker

from . import queues
from .context import app_for_entry_point, set_process_app

log = logging.getLogger("jobs.worker")

MAX_BACKOFF = 30.0
# A worker that ran this long before quitting was healthy: start the next
# back-off from the beginning.
HEALTHY_RUN_SECONDS = 60.0


def build_worker(app, roles: list[str] | None = None) -> Worker:
    roles = roles or list(queues.ROLES)
    unknown = [r for r in roles if r not in queues.ROLES]
    if unknown:
        raise SystemExit(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(queues.ROLES)}")
    connection = queues.redis_connection(app.config)
    # Job descriptions include the arguments; keep them out of the logs.
    return Worker([queues.get_queue(app.config, role, connection) for role in roles],
                  connection=connection, log_job_description=False)


def wait_for_redis(connection: redis.Redis, *, sleep: Callable[[float], None] = time.sleep,
                   first_delay: float = 1.0) -> float:
    """Block until Redis answers a PING; the seconds waited."""
    waited, delay = 0.0, first_delay
    while True:
        try:
            connection.ping()
            return waited
        except redis.RedisError as exc:
            log.warning("Redis unavailable (%s); trying again in %.0f s", type(exc).__name__, delay)
        sleep(delay)
        waited += delay
        delay = min(MAX_BACKOFF, delay * 2)


def supervise(make_worker: Callable[[], Worker], connection: redis.Redis, *, burst: bool, level: str,
              sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> int:
    """Run workers one after another until a stop is requested (or, with
    `burst`, until the queues are empty); the exit status."""
    delay = 1.0
    while True:
        # Between workers a stop signal ends the process at once (RQ's own
        # handlers, left over from the last worker, would need Redis).
        _exit_on_stop_signals()
        wait_for_redis(connection, sleep=sleep)
        worker = make_worker()
        started = clock()
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level=level)
        except redis.RedisError as exc:  # e.g. registering the worker's death while Redis is down
            log.warning("worker stopped: Redis unavailable (%s)", type(exc).__name__)
        if _shutdown_requested(worker):
            return 0
        if burst:
            return 0 if _redis_answers(connection) else 1
        _stop_pubsub(worker)
        _wait_for_horse(worker)
        if clock() - started >= HEALTHY_RUN_SECONDS:
            delay = 1.0
        log.warning("worker %s quit; starting a new one once Redis answers (in %.0f s at the earliest)",
                    worker.name, delay)
        sleep(delay)
        delay = min(MAX_BACKOFF, delay * 2)


def _shutdown_requested(worker: Any) -> bool:
    # RQ's warm-shutdown handler (SIGTERM/SIGINT) stamps this date before it
    # stops the loop, whether the worker was idle or busy.
    return bool(getattr(worker, "_stop_requested", False) or getattr(worker, "_shutdown_requested_date", None))


def _exit_on_stop_signals() -> None:
    def stop(signum: int, frame: Any) -> None:
        log.info("stop signal %s while no worker runs; exiting", signum)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _stop_pubsub(worker: Any) -> None:
    # The quitting worker couldn't unsubscribe (Redis was down): stop its
    # command listener thread, or each restart would leave one behind.
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        try:
            thread.stop()
        except Exception:
            pass


def _wait_for_horse(worker: Any) -> None:
    """A worker that quit on a Redis error mid-job leaves its work horse
    running the job (its database work goes on). Let it finish before the
    next worker starts, so one worker never has two horses."""
    pid = getattr(worker, "horse_pid", 0) or 0
    if pid <= 0:
        return
    try:
        log.info("waiting for work horse %s to finish its job", pid)
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _redis_answers(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.worker",
                                     description="Run AssetLink's background jobs (settings from the environment).")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("roles", nargs="*", metavar="ROLE", help=f"queues to work on: {', '.join(queues.ROLES)}")
    args = parser.parse_args(argv)

    from shopify_app import logs, metrics
    app = app_for_entry_point("there is nothing for a worker to do")
    logs.configure(app.config)
    set_process_app(app)
    metrics.mark_rq_worker()
    build_worker(app, args.roles)  # unknown roles fail here, before any waiting
    # The scheduler (with_scheduler) moves retries with a back-off interval
    # back into the queue.
    return supervise(lambda: build_worker(app, args.roles), queues.redis_connection(app.config),
                     burst=args.burst, level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    sys.exit(main())
