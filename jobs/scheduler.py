"""The scheduler: `python -m jobs.scheduler` queues the app's periodic jobs.

It is RQ's own cron (rq.cron.CronScheduler): it only enqueues, on time,
and the workers (python -m jobs.worker) run what it enqueues with each
job's options from jobs.queues.JOBS. Run one per deployment (a second one
only queues the same work twice; every periodic job must be safe to run
twice). Its settings come from the same environment as the app's.

Every periodic job is a row of `schedule()`: add later ones (a daily
reconciliation, clean-ups) there, with a JOBS row for their options.
"""
from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any, Mapping

import redis
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.utils import import_attribute

from . import queues
from .context import app_for_entry_point

log = logging.getLogger(__name__)

MAX_RECONNECT_WAIT = 30.0  # seconds between attempts while Redis is away


@dataclass(frozen=True)
class Periodic:
    """A job (a dotted path with a row in jobs.queues.JOBS) and when it runs:
    every `interval` seconds, or at the times of a `cron` expression."""

    job: str
    interval: int | None = None
    cron: str | None = None


def schedule(config: Mapping[str, Any]) -> list[Periodic]:
    """The app's periodic jobs."""
    return [
        # Resumes batches whose worker died (and hands over any batch whose
        # enqueue failed): within REAPER_INTERVAL_SECONDS plus a pickup.
        Periodic("jobs.reaper.reap", interval=int(config["REAPER_INTERVAL_SECONDS"])),
        # Automation: notifications whose coalesced run was lost are run
        # again; automations with schedule "daily" are reconciled.
        Periodic("jobs.automation.flush.sweep", interval=60),
        Periodic("jobs.automation.daily.reconcile_all", cron=str(config.get("AUTOMATION_RECONCILE_CRON")
                                                                 or "17 3 * * *")),
    ]


def build_scheduler(config: Mapping[str, Any], connection: redis.Redis | None = None) -> CronScheduler:
    """A CronScheduler with every row of `schedule(config)` registered."""
    connection = connection or queues.redis_connection(config)
    prefix = config["REDIS_KEY_PREFIX"]
    scheduler = CronScheduler(connection=connection, logging_level=config.get("LOG_LEVEL", "INFO"),
                              name=f"{prefix}:{socket.gethostname()}:{os.getpid()}")
    for periodic in schedule(config):
        spec = queues.spec_for(periodic.job)
        scheduler.register(import_attribute(periodic.job), queue_name=queues.queue_name(config, spec.queue),
                           interval=periodic.interval, cron=periodic.cron, job_timeout=spec.timeout,
                           result_ttl=spec.result_ttl, failure_ttl=spec.failure_ttl, ttl=spec.ttl,
                           # The run history's Redis key: one per deployment sharing the Redis.
                           name=f"{prefix}:{periodic.job}")
    return scheduler


def run(scheduler: CronScheduler) -> None:
    """Run until SIGTERM/SIGINT; while Redis is away, wait and start again
    (RQ's loop ends on a lost connection)."""
    wait = 1.0
    while True:
        try:
            scheduler.start()
            return
        except redis.exceptions.ConnectionError as exc:
            log.warning("scheduler: Redis unavailable (%s); trying again in %.0f s", exc, wait)
            try:
                time.sleep(wait)
            except StopRequested:  # RQ's signal handler, still installed
                return
            wait = min(wait * 2, MAX_RECONNECT_WAIT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.scheduler",
                                     description="Queue AssetLink's periodic jobs (settings from the environment).")
    parser.parse_args(argv)

    app = app_for_entry_point("there is nothing to schedule")
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run(build_scheduler(app.config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
