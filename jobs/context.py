"""Run jobs inside a Flask app context.

A job is a plain function taking ids; decorate it with `with_app_context` and
it gets `current_app`, `db.session` and the app's config, whoever runs it:

- an rq work horse: the worker process builds one app from the environment
  (jobs.worker); every horse is a fork of it, so the first job in a horse
  drops the inherited connection pool without closing the parent's sockets
  (SQLAlchemy's rule for fork) and opens its own;
- in-process mode (RQ_IS_ASYNC=False) inside a request: the request's app,
  in a fresh app context so the job gets its own database session;
- anywhere else (a shell, a test): an app built from the environment.

Inside a worker, a job also

- logs with its context: request id (of the request that enqueued it), shop,
  batch id and job id, from the job's meta (shopify_app.logs);
- waits out a database outage: when PostgreSQL becomes unreachable under a
  job, the job waits (backing off up to 30 s between tries) until it answers
  again and then runs again from what it committed, instead of failing and
  using up a retry. Jobs are written to resume (a batch continues from its
  stored step), so running one again is safe.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from typing import Any, Callable, TypeVar

from flask import Flask, current_app, has_app_context, has_request_context

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

_process_app: Flask | None = None
_process_pid: int | None = None


def set_process_app(app: Flask) -> None:
    """Make `app` the app jobs in this process (and its forks) run in."""
    global _process_app, _process_pid
    _process_app, _process_pid = app, os.getpid()


def app_for_entry_point(nothing_to_do: str) -> Flask:
    """The app a long-running jobs process (`python -m jobs.worker`,
    `python -m jobs.scheduler`) starts with: `.env` read from the working
    directory, the settings checked (a bad one exits with its message, not a
    traceback), and an exit saying `nothing_to_do` when jobs run in the web
    process (RQ_IS_ASYNC off)."""
    from shopify_app import create_app
    from shopify_app.config import ConfigError
    from shopify_app.envfile import load_dotenv_file

    from . import queues
    load_dotenv_file()
    try:
        app = create_app()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    if not queues.is_async(app.config):
        raise SystemExit(f"RQ_IS_ASYNC is off: jobs run in the web process, {nothing_to_do}")
    return app


def process_app() -> Flask:
    """This process's app; after a fork, the parent's app with a fresh pool."""
    global _process_app, _process_pid
    if _process_app is None:
        from shopify_app import create_app
        set_process_app(create_app())
    elif _process_pid != os.getpid():
        from shopify_app.extensions import db
        with _process_app.app_context():
            # close=False: the sockets belong to the parent; just forget them.
            db.engine.dispose(close=False)
        _process_pid = os.getpid()
    assert _process_app is not None
    return _process_app


def with_app_context(job: F) -> F:
    @functools.wraps(job)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from rq import get_current_job

        from shopify_app import logs
        in_request = has_request_context()
        app = current_app._get_current_object() if has_app_context() else process_app()  # type: ignore[attr-defined]
        rq_job = get_current_job()
        with app.app_context(), logs.bound(**job_log_fields(rq_job)):
            if rq_job is None or in_request:
                # In-process jobs run inside a request: never hold it waiting.
                return job(*args, **kwargs)
            return run_through_database_outages(lambda: job(*args, **kwargs))

    return wrapped  # type: ignore[return-value]


def job_log_fields(rq_job: Any) -> dict[str, Any]:
    if rq_job is None:
        return {}
    meta = rq_job.meta or {}
    fields = {"job_id": rq_job.id, "request_id": meta.get("request_id"), "shop": meta.get("shop"),
              "batch_id": meta.get("batch_id")}
    if not fields["shop"] and meta.get("shop_id") is not None:
        fields["shop"] = _shop_domain(meta["shop_id"])
    return fields


def _shop_domain(shop_id: int) -> str | None:
    from shopify_app.extensions import db
    from shopify_app.models import Shop
    try:
        shop = db.session.get(Shop, shop_id)
        return shop.domain if shop is not None else None
    except Exception:  # the database may be down; the job says so itself
        db.session.rollback()
        return None


MAX_OUTAGE_BACKOFF = 30.0


def database_reachable() -> bool:
    from sqlalchemy import text

    from shopify_app.extensions import db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def wait_for_database(sleep: Callable[[float], None] = time.sleep) -> float:
    """Block until the database answers; the seconds waited."""
    waited, delay = 0.0, 1.0
    while not database_reachable():
        sleep(delay)
        waited += delay
        delay = min(MAX_OUTAGE_BACKOFF, delay * 2)
    return waited


def run_through_database_outages(run: Callable[[], Any], *, reachable: Callable[[], bool] = database_reachable,
                                 wait: Callable[[], float] = wait_for_database) -> Any:
    """`run()`; if it fails because the database is unreachable, wait for the
    database and run it again. Any other failure (including a database error
    while the database answers) is raised for RQ to retry or record."""
    from shopify_app import outages
    from shopify_app.extensions import db
    while True:
        try:
            return run()
        except Exception as exc:
            if outages.is_outage(exc) != "database" or reachable():
                raise
            db.session.remove()
            log.warning("database unavailable during the job (%s); waiting for it, then resuming",
                        type(exc).__name__)
            waited = wait()
            log.info("database back after %.0f s; resuming the job", waited)
