"""Run this deployment's jobs: `python -m jobs.worker [--burst] [ROLE ...]`.

ROLE is webhooks, media or default (all three, in that order of priority,
when none is given); the queue names get REDIS_KEY_PREFIX from the
environment, exactly as the app enqueues them. The settings come from the same
environment variables as the app, so a misconfigured worker fails at start,
not on its first job.

The worker forks a work horse per job (isolation, hard timeouts, stop
commands). The app is built here, before any fork, but opens no database
connection; each horse gets its own pool (jobs.context).
"""
from __future__ import annotations

import argparse
import logging
import sys

from rq import Worker, get_current_job

from . import queues
from .context import set_process_app


class CurrentJobFilter(logging.Filter):
    """Put the running job's id on every log record, so one job's lines can
    be found among many workers'."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job_id = job.id if job is not None else "-"
        return True


def build_worker(app, roles: list[str] | None = None) -> Worker:
    roles = roles or list(queues.ROLES)
    unknown = [r for r in roles if r not in queues.ROLES]
    if unknown:
        raise SystemExit(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(queues.ROLES)}")
    connection = queues.redis_connection(app.config)
    # Job descriptions include the arguments; keep them out of the logs.
    return Worker([queues.get_queue(app.config, role, connection) for role in roles],
                  connection=connection, log_job_description=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.worker",
                                     description="Run AssetLink's background jobs (settings from the environment).")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("roles", nargs="*", metavar="ROLE", help=f"queues to work on: {', '.join(queues.ROLES)}")
    args = parser.parse_args(argv)

    from shopify_app import create_app
    from shopify_app.config import ConfigError
    try:
        app = create_app()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    if not queues.is_async(app.config):
        raise SystemExit("RQ_IS_ASYNC is off: jobs run in the web process, there is nothing for a worker to do")
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s [%(job_id)s] %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(CurrentJobFilter())
    set_process_app(app)
    worker = build_worker(app, args.roles)
    # The scheduler moves retries with a back-off interval back into the queue.
    worker.work(burst=args.burst, with_scheduler=True, logging_level=app.config.get("LOG_LEVEL", "INFO"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
