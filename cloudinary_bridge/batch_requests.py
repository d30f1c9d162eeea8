"""A store's batches over the bridge (syncs, unlinks, uploads: `Sync` rows
of one kind each), handled one way: Idempotency-Key replay or 409, the row
committed with the settings in force, the 202, the store's next batch
dispatched; and the same abort and report for every kind. Status changes
are the batch service's (jobs.batch_service); a status poll only reads.

Keys share one namespace per store across kinds (a unique index): a key
first used for another kind of batch is a 409, never someone else's answer.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any, Callable

from flask import Response, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs import batch_service
from jobs.batch_dispatch import dispatch_next
from shopify_app import credentials
from shopify_app.batch_views import report_csv, report_filename, report_rows
from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem

from .settings import effective_settings

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
IDEMPOTENCY_PARAMETER = {"name": "Idempotency-Key", "in": "header", "required": False,
                         "description": "Same key and body: the first response, no second sync. "
                                        "Same key, other body: 409.",
                         "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY.pattern}}
REPORT_FORMAT_PARAMETER = {"name": "format", "in": "query", "required": False,
                           "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}

Respond = Callable[[Sync, bool], Response]  # (the batch, replayed?) -> the 202


# -- accepting ---------------------------------------------------------------------------------------

def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1-255 visible ASCII characters.", title="Bad Request")
    return key


def body_hash(data: Any) -> str:
    """What makes two bodies the same request: their canonical JSON."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotency_conflict() -> Problem:
    return Problem(409, "This Idempotency-Key was already used with a different body.", title="Conflict",
                   type_=PROBLEM_TYPE_BASE + "idempotency-key-reused")


def replay(kind: str, key: str | None, digest: str, respond: Respond) -> Response | None:
    """The first answer for this key, if there was one; 409 for another body or kind."""
    if key is None:
        return None
    earlier = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id, Sync.idempotency_key == key)).first()
    if earlier is None:
        return None
    if earlier.request_hash != digest or earlier.kind != kind:
        raise idempotency_conflict()
    return respond(earlier, True)


def accept(kind: str, data: Any, key: str | None, digest: str, respond: Respond, *, dry_run: bool = False,
           settings_overrides: Any = None, **counters: int) -> Response:
    """Store the batch (with the settings in force and the cloud name
    snapshotted, and any known totals such as `assets_total`), answer 202
    and hand the store's head over."""
    settings = effective_settings(g.credential, settings_overrides)
    cloud_name = credentials.delivery_cloud_name(g.credential)
    if cloud_name is None and kind in DELIVERING_KINDS:
        raise no_cloud_name(g.shop.id)
    sync = batch_service.new_batch(shop_id=g.shop.id, credential_id=g.credential.id, kind=kind, dry_run=dry_run,
                                   request=data, idempotency_key=key, request_hash=digest,
                                   settings=settings.model_dump(), cloud_name=cloud_name,
                                   created_at=utcnow(), **counters)
    db.session.add(sync)
    try:
        db.session.commit()
    except IntegrityError:
        # The same key arrived twice at once: the other request won.
        db.session.rollback()
        if (earlier := replay(kind, key, digest, respond)) is not None:
            return earlier
        raise
    response = respond(sync, False)
    dispatch(g.shop.id)
    return response


# Batches that send Cloudinary delivery URLs to Shopify need the cloud name.
DELIVERING_KINDS = ("sync", "upload")


def no_cloud_name(shop_id: int) -> Problem:
    names = credentials.connected_cloud_names(shop_id)
    if names:
        detail = (f"This API key's store is connected to several Cloudinary environments ({', '.join(names)}); "
                  "an API key cannot tell which one its assets are delivered from. Use that environment's "
                  "connection token instead.")
    else:
        detail = ("This API key's store has no Cloudinary environment connected, so its assets' delivery URLs "
                  "are unknown. Connect the environment (AssetLink dialog → Setup) first.")
    return Problem(422, detail, type_=PROBLEM_TYPE_BASE + "no-cloudinary-environment")


def accepted_response(body: dict[str, Any], location: str, replayed: bool) -> Response:
    """The 202 for a new batch, or its replay for a repeated Idempotency-Key."""
    response = jsonify(body)
    response.status_code = 202
    response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def dispatch(shop_id: int) -> None:
    """Hand the store's next batch to the queue. A failure here leaves the
    batch safely queued: the reaper (jobs.reaper) hands it over."""
    try:
        dispatch_next(current_app.config, shop_id)
    except Exception as exc:
        db.session.rollback()
        from shopify_app.outages import is_outage
        if is_outage(exc):  # an outage is expected: one line, not a traceback per request
            log.warning("dispatch for shop %s failed (%s unavailable); the batch stays queued", shop_id,
                        is_outage(exc))
        else:
            log.exception("dispatch for shop %s failed; the batch stays queued", shop_id)


# -- polling, aborting, reporting ---------------------------------------------------------------------

def abort(sync: Sync, noun: str) -> None:
    """Ask the batch to stop before its next step; one still queued ends now
    (a job already handed to the queue finds it finished). 409 when it has
    already finished."""
    try:
        batch_service.request_abort(current_app.config, sync)
    except batch_service.AlreadyFinished as finished:
        raise Problem(409, f"The {noun} has already finished ({finished.status}).", title="Conflict") from None


def report_response(sync: Sync) -> Response:
    """The batch's report rows as JSON or, with `format=csv`, a CSV download."""
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Problem(400, "format must be json or csv.", title="Bad Request",
                      errors=[{"field": "format", "message": "must be json or csv"}])
    rows = report_rows(sync)
    if fmt == "json":
        return jsonify(rows)
    return Response(report_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{report_filename(sync, "csv")}"'})
