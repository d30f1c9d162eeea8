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
"""
from __future__ import annotations

import functools
import os
from typing import Any, Callable, TypeVar

from flask import Flask, current_app, has_app_context

F = TypeVar("F", bound=Callable[..., Any])

_process_app: Flask | None = None
_process_pid: int | None = None


def set_process_app(app: Flask) -> None:
    """Make `app` the app jobs in this process (and its forks) run in."""
    global _process_app, _process_pid
    _process_app, _process_pid = app, os.getpid()


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
        app = current_app._get_current_object() if has_app_context() else process_app()  # type: ignore[attr-defined]
        with app.app_context():
            return job(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
