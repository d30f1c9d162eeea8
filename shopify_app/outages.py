"""PostgreSQL or Redis unavailable: a clear 503, never a 500 or a stack trace.

Every request that runs into an unreachable database or Redis is answered
503 with `Retry-After`: JSON callers get a problem document
(`type .../service-unavailable`, naming which service), pages a short
readable page. The failure is logged as one warning line, not a traceback
per request.

`is_outage` is the one test for "a service we depend on is unreachable" that
the web handlers and the job wrapper (jobs.context) share.
"""
from __future__ import annotations

import logging
from typing import Literal

import redis.exceptions
import sqlalchemy.exc
from flask import Flask, Response, render_template

from .problems import PROBLEM_TYPE_BASE, problem_response, wants_problem_document

log = logging.getLogger(__name__)

# Long enough for a database failover or a Redis restart to finish; short
# enough that a client's retry comes back soon after.
RETRY_AFTER_SECONDS = 30

# psycopg raises OperationalError for lost or refused connections, admin
# shutdown and "the database system is starting up"; SQLAlchemy's pool raises
# TimeoutError when every connection is busy and InterfaceError for a
# connection closed under it.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
    sqlalchemy.exc.DisconnectionError)
# ConnectionError covers refused and dropped connections and BusyLoadingError
# (Redis still loading its data after a restart).
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

Service = Literal["database", "redis"]


def is_outage(exc: BaseException | None) -> Service | None:
    """Which service `exc` (or an exception it was raised from) says is unreachable."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DATABASE_ERRORS):
            return "database"
        if isinstance(exc, REDIS_ERRORS):
            return "redis"
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


_NAMES = {"database": "The database", "redis": "The job queue (Redis)"}


def unavailable_response(service: Service) -> Response:
    detail = f"{_NAMES[service]} is unavailable right now; try again in {RETRY_AFTER_SECONDS} seconds."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if wants_problem_document():
        return problem_response(503, detail, title="Service Unavailable",
                                type_=PROBLEM_TYPE_BASE + "service-unavailable", headers=headers,
                                service=service)
    body = render_template("auth/error.html", status=503,
                           message="AssetLink is briefly unavailable. Please try again in a minute.")
    response = Response(body, status=503, mimetype="text/html")
    response.headers.update(headers)
    return response


def _rollback() -> None:
    from .extensions import db
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is discarded at teardown
        pass


def handle_outage(exc: BaseException) -> Response:
    """The error handler: one warning line, the session rolled back, the 503."""
    service = is_outage(exc) or "database"
    log.warning("%s unavailable: %s", service, type(exc).__name__)
    _rollback()
    return unavailable_response(service)


def init_app(app: Flask) -> None:
    # A blueprint's own catch-all `Exception` handler is found before these
    # (Flask looks at the blueprint's handlers first): such a handler must
    # hand outages to `handle_outage` (cloudinary_bridge.errors does).
    for error in DATABASE_ERRORS + REDIS_ERRORS:
        app.register_error_handler(error, handle_outage)
