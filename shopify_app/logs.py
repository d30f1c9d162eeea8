"""Structured logs for the web app and the worker.

One JSON object per line (python-json-logger), each carrying what is known of
its context: `request_id` (taken from a well-formed `X-Request-Id` or made
here, answered in the same header, and carried into the jobs a request
enqueues through their RQ meta), `shop`, `batch_id` and `job_id`.

Nothing secret reaches a line: every formatted line passes `redact`, which
removes session tokens (JWTs), the app's bearer secrets (connection codes,
tokens, API keys, signing secrets), Shopify access tokens, secret query
parameters (`id_token`, `hmac`, `signature`, `code`, ...), bearer headers,
passwords in URLs and the deployment's own secrets (API secret, SECRET_KEY,
TOKEN_ENCRYPTION_KEY, METRICS_TOKEN). Messages should not contain secrets in
the first place; this is the net under them, and it also covers lines we
don't write (Werkzeug's and gunicorn's, tracebacks).
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

CONTEXT_FIELDS = ("request_id", "shop", "batch_id", "job_id")
REQUEST_ID_HEADER = "X-Request-Id"
# A caller's (or proxy's) request id is kept only if it is plainly an id, so
# it can't inject anything into a log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# View arguments that name a batch.
_BATCH_VIEW_ARGS = ("sync_id", "upload_id", "unlink_id", "batch_id")

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "assetlink_log_context", default=MappingProxyType({}))

access_log = logging.getLogger("shopify_app.access")


# -- context ------------------------------------------------------------------------------------------

@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Log lines inside the block carry `fields` (None values are left out)."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current() -> dict[str, Any]:
    """The context a log line written now would carry."""
    fields = dict(_context.get())
    if has_request_context():
        for name, value in _request_fields().items():
            fields.setdefault(name, value)
    return fields


def job_meta() -> dict[str, Any]:
    """What a job enqueued now inherits (jobs.queues.enqueue puts it in the job's meta)."""
    fields = current()
    return {name: fields[name] for name in ("request_id", "shop") if fields.get(name)}


def _request_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    request_id = g.get("request_id")
    if request_id:
        fields["request_id"] = request_id
    shop = _shop_of_request()
    if shop:
        fields["shop"] = shop
    for name in _BATCH_VIEW_ARGS:
        value = (request.view_args or {}).get(name)
        if value:
            fields["batch_id"] = str(value)
            break
    return fields


def _shop_of_request() -> str | None:
    """The shop the request proved (session token, bearer credential or a
    verified webhook), read without touching the database: a log line must
    never trigger a query (the database may be what failed)."""
    session = g.get("session")
    if session is not None and getattr(session, "shop", None):
        return str(session.shop)
    if g.get("shop_domain"):
        return str(g.shop_domain)
    shop = g.get("shop")
    if shop is not None:
        from sqlalchemy import inspect
        try:
            domain = inspect(shop).dict.get("domain")
        except Exception:  # not a mapped object
            domain = getattr(shop, "domain", None)
        return str(domain) if domain else None
    return None


class ContextFilter(logging.Filter):
    """Puts request_id, shop, batch_id and job_id on every record (None when
    unknown), and turns the traceback of an outage into one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        _shorten_outage(record)
        fields = current()
        if not fields.get("job_id"):
            fields.update({k: v for k, v in _job_fields().items() if not fields.get(k)})
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, fields.get(name))
        return True


def _shorten_outage(record: logging.LogRecord) -> None:
    """PostgreSQL or Redis being unreachable is an operational state, not a
    bug: its traceback says nothing the exception's one line doesn't, and
    one per request or per retry (RQ's, Flask-Limiter's) buries everything
    else during an outage."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is None:
        return
    from .outages import is_outage
    if not is_outage(exc):
        return
    record.msg = f"{record.getMessage()} ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})"
    record.args = None
    record.exc_info = None
    record.exc_text = None


def _job_fields() -> dict[str, Any]:
    # RQ's own lines inside a work horse (job started, finished, failed)
    # are written outside our job wrapper: take the context from the job.
    try:
        from rq import get_current_job
        job = get_current_job()
    except Exception:
        return {}
    if job is None:
        return {}
    meta = job.meta or {}
    return {"job_id": job.id, "request_id": meta.get("request_id"), "shop": meta.get("shop"),
            "batch_id": meta.get("batch_id")}


# -- redaction ----------------------------------------------------------------------------------------

_SECRET_PARAMS = ("id_token", "session_token", "subject_token", "hmac", "signature", "code", "token",
                  "access_token", "refresh_token", "client_secret", "api_secret", "secret", "password")
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JWTs: App Bridge session tokens / id_token.
    (re.compile(r"eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    # The app's bearer secrets: connection codes, connection tokens, API keys,
    # signing secrets. (The 12-character display prefix of a key, `alk_` and
    # 8 characters, is not a secret and stays readable.)
    (re.compile(r"\b(alc|alt|alk|als)_[A-Za-z0-9_-]{12,}"), r"\1_[redacted]"),
    # Shopify access, refresh and app secrets.
    (re.compile(r"\b(shpat|shpca|shppa|shpss|shpua|shprt)_[A-Za-z0-9]{8,}"), r"\1_[redacted]"),
    # Fernet ciphertexts (stored tokens): not readable, but no business in a log.
    (re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{20,}"), "[redacted-ciphertext]"),
    # Secret query or form parameters.
    (re.compile(r"([?&;](?:%s)=)[^&\s\"'#]*" % "|".join(_SECRET_PARAMS), re.IGNORECASE), r"\1[redacted]"),
    # JSON or Python-repr keys holding secrets.
    (re.compile(r"""((?:"|'|\\")(?:%s)(?:"|'|\\")\s*:\s*(?:"|'|\\"))[^"'\\]*""" % "|".join(_SECRET_PARAMS),
                re.IGNORECASE), r"\1[redacted]"),
    # Authorization headers and Shopify's token header.
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\1 [redacted]"),
    (re.compile(r"(X-Shopify-Access-Token['\"]?\s*[:=,]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(X-(?:Shopify|AssetLink)-Hmac-Sha256['\"]?\s*[:=,]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE),
     r"\1[redacted]"),
    # Credentials inside URLs: postgresql://user:pw@host, cloudinary://key:secret@cloud.
    (re.compile(r"\b([a-z][a-z0-9+.-]*://[^:/\s@\"']*:)[^@\s/\"']+@", re.IGNORECASE), r"\1[redacted]@"),
)

_known_secrets: set[str] = set()


def register_secrets(values: Iterable[str | None]) -> None:
    """Literal values (this deployment's own secrets) to take out of every line."""
    for value in values:
        for part in str(value or "").split(","):
            part = part.strip()
            if len(part) >= 8:
                _known_secrets.add(part)


def redact(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def config_secrets(config: Mapping[str, Any]) -> list[str]:
    return [config.get(name) or "" for name in ("SHOPIFY_API_SECRET", "SHOPIFY_API_SECRET_PREVIOUS", "SECRET_KEY",
                                                 "TOKEN_ENCRYPTION_KEY", "METRICS_TOKEN")]


# -- formatting and set-up ---------------------------------------------------------------------------

class RedactingJsonFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         datefmt="%Y-%m-%dT%H:%M:%S", json_ensure_ascii=False)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                log_data[name] = value
            else:
                log_data.pop(name, None)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingTextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(shop)s %(batch_id)s %(job_id)s] "
                         "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, "-")
        try:
            return redact(super().format(record))
        finally:
            for name in CONTEXT_FIELDS:
                if getattr(record, name, None) == "-":
                    setattr(record, name, None)


def formatter(fmt: str = "json") -> logging.Formatter:
    return RedactingJsonFormatter() if fmt == "json" else RedactingTextFormatter()


class _AssetLinkHandler(logging.StreamHandler):
    """Marks the handler `configure` installed, so configuring again replaces it."""


def configure(config: Mapping[str, Any], stream: Any = None) -> logging.Handler:
    """Send every logger's records (the app's, RQ's, Werkzeug's, gunicorn's)
    to one stream as redacted structured lines."""
    register_secrets(config_secrets(config))
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _AssetLinkHandler):
            root.removeHandler(handler)
    handler = _AssetLinkHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(formatter(config.get("LOG_FORMAT", "json")))
    root.addHandler(handler)
    level = str(config.get("LOG_LEVEL", "INFO")).upper()
    root.setLevel(level)
    for name in ("shopify_app", "cloudinary_bridge", "jobs", "rq"):
        logging.getLogger(name).setLevel(level)
    # Alembic announces its plugins at INFO whenever Flask-Migrate loads it.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
    return handler


# -- the web side ------------------------------------------------------------------------------------

def request_id_from(header: str | None) -> str:
    if header and _REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def init_app(app: Flask) -> None:
    register_secrets(config_secrets(app.config))

    @app.before_request
    def _start() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration = time.perf_counter() - started if started is not None else 0.0
        from . import metrics
        route = metrics.route_label(request.url_rule.rule if request.url_rule is not None else None)
        metrics.record_request(request.method, route, response.status_code, duration)
        # The access line: the path without its query string (which may
        # carry an id_token or an hmac), the route, status and duration.
        access_log.info("%s %s %s", request.method, request.path, response.status_code,
                        extra={"http": {"method": request.method, "path": request.path, "route": route,
                                        "status": response.status_code,
                                        "duration_ms": round(duration * 1000, 1),
                                        "remote_addr": request.remote_addr}})
        return response
