"""Link to Products: `POST /syncs` and the sync's status, abort and report.

Handlers verify, persist and dispatch; the work is jobs.sync_job. A sync's
settings (the connection's, with the request's overrides) and cloud name are
snapshotted when it is accepted. Every lookup is scoped by the token's shop:
another store's sync id is a 404.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime
from typing import Any, Literal

from flask import Response, current_app, g, jsonify, request
from pydantic import BaseModel, RootModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs.planner import SyncRequest
from jobs.sync_dispatch import FINISHED, dispatch_next
from jobs.sync_webhook import notify_sync_ended
from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem
# The status object and report rows are shared with the admin's sync history.
from shopify_app.sync_views import ReportRow, SyncStatus, report_csv, report_filename, report_rows, sync_status

from . import bp, openapi
from .errors import json_body, validation_problem
from .fields import METAFIELD_PREFIX, STANDARD_BY_KEY
from .settings import effective_settings

log = logging.getLogger(__name__)

KINDS = ("sync", "unlink")  # uploads have their own endpoints
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
SYNC_ID = re.compile(r"^[0-9a-f]{32}$")


class SyncAccepted(BaseModel):
    id: str
    status: Literal["queued"]
    dry_run: bool
    created_at: datetime
    status_url: str
    report_url: str


class SyncList(BaseModel):
    syncs: list[SyncStatus]


class Report(RootModel[list[ReportRow]]):
    pass


# -- representations -----------------------------------------------------------------------------

def accepted(sync: Sync) -> dict[str, Any]:
    """The first answer to a POST, replayed as is for a repeated Idempotency-Key."""
    base = f"{bp.url_prefix}/syncs/{sync.id}"
    return SyncAccepted(id=sync.id, status="queued", dry_run=sync.dry_run, created_at=sync.created_at,
                        status_url=base, report_url=base + "/report").model_dump(mode="json")


def _accepted_response(sync: Sync, *, replayed: bool = False) -> Response:
    response = jsonify(accepted(sync))
    response.status_code = 202
    response.headers["Location"] = f"{bp.url_prefix}/syncs/{sync.id}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _own_sync(sync_id: str) -> Sync:
    sync = db.session.get(Sync, sync_id) if SYNC_ID.match(sync_id) else None
    if sync is None or sync.shop_id != g.shop.id or sync.kind not in KINDS:
        raise Problem(404, "No such sync.", title="Not Found")
    return sync


def _only_query(*allowed: str) -> None:
    """Unknown query parameters are a client bug (a typo'd `limit` would be
    silently ignored): say so."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise Problem(400, "Unknown query parameter(s).", title="Bad Request",
                      errors=[{"field": name, "message": "is not a parameter of this endpoint"} for name in unknown])


def _body_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _conflict() -> Problem:
    return Problem(409, "This Idempotency-Key was already used with a different body.", title="Conflict",
                   type_=PROBLEM_TYPE_BASE + "idempotency-key-reused")


def _replay(key: str, body_hash: str) -> Response | None:
    earlier = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id,
                                                    Sync.idempotency_key == key)).first()
    if earlier is None:
        return None
    if earlier.request_hash != body_hash or earlier.kind != "sync":
        raise _conflict()
    return _accepted_response(earlier, replayed=True)


def _validate(data: Any) -> tuple[SyncRequest, dict[str, Any]]:
    try:
        body = SyncRequest.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    errors = [{"field": f"assets[{index}]", "message": f"repeats assets[{first}] (same resource_type, type and "
                                                          f"public_id)"} for index, first in body.repeated_assets()]
    field_name = body.match.shopify_field
    if field_name not in STANDARD_BY_KEY and not field_name.startswith(METAFIELD_PREFIX):
        errors.append({"field": "match.shopify_field",
                       "message": f"is not a Shopify field; use one of {', '.join(STANDARD_BY_KEY)} "
                                  f"or metafield:<namespace>.<key> (see GET /fields)"})
    if errors:
        raise Problem(422, "The request body is not valid; see `errors`.", title="Unprocessable Content",
                      type_=PROBLEM_TYPE_BASE + "validation-error", errors=errors)
    settings = effective_settings(g.credential, data.get("settings") or None)
    return body, settings.model_dump()


def _dispatch(shop_id: int) -> None:
    """Hand the store's next batch to the queue. A failure here leaves the
    sync safely queued: the next dispatch (another request, the end of the
    running batch, a status poll) hands it over."""
    try:
        dispatch_next(current_app.config, shop_id)
    except Exception:
        db.session.rollback()
        log.exception("dispatch for shop %s failed; the sync stays queued", shop_id)


# -- endpoints ---------------------------------------------------------------------------------------

IDEMPOTENCY_PARAMETER = {"name": "Idempotency-Key", "in": "header", "required": False,
                         "description": "Same key and body: the first response, no second sync. "
                                        "Same key, other body: 409.",
                         "schema": {"type": "string", "minLength": 1, "maxLength": 255}}


@bp.post("/syncs")
@openapi.operation("Link assets to products", tag="Syncs", request=SyncRequest, responses={202: SyncAccepted},
                   parameters=[IDEMPOTENCY_PARAMETER], problems={409: "Idempotency-Key reused with another body."},
                   description="Queues a sync (or a dry run). Poll GET /syncs/{id}; read GET /syncs/{id}/report.")
def create_sync():
    _only_query()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1-255 visible ASCII characters.", title="Bad Request")
    data = json_body()
    body_hash = _body_hash(data)
    if key is not None and (replay := _replay(key, body_hash)) is not None:
        return replay
    body, settings = _validate(data)
    sync = Sync(shop_id=g.shop.id, credential_id=g.credential.id, kind="sync", status="queued",
                dry_run=body.dry_run, request=data, idempotency_key=key, request_hash=body_hash,
                settings=settings, cloud_name=g.credential.cloud_name, created_at=utcnow())
    db.session.add(sync)
    try:
        db.session.commit()
    except IntegrityError:
        # The same key arrived twice at once: the other request won.
        db.session.rollback()
        if key is not None and (replay := _replay(key, body_hash)) is not None:
            return replay
        raise
    response = _accepted_response(sync)
    _dispatch(g.shop.id)
    return response


@bp.get("/syncs")
@openapi.operation("Recent syncs, newest first", tag="Syncs", responses={200: SyncList},
                   parameters=[{"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}])
def list_syncs():
    _only_query("limit")
    raw = request.args.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise Problem(400, "limit must be an integer from 1 to 100.", title="Bad Request",
                      errors=[{"field": "limit", "message": "must be an integer from 1 to 100"}])
    syncs = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id, Sync.kind.in_(KINDS))
                               .order_by(Sync.created_at.desc(), Sync.id.desc()).limit(int(raw))).all()
    return jsonify({"syncs": [sync_status(s) for s in syncs]})


@bp.get("/syncs/<sync_id>")
@openapi.operation("A sync's status and progress", tag="Syncs", responses={200: SyncStatus})
def get_sync(sync_id: str):
    _only_query()
    sync = _own_sync(sync_id)
    if sync.status not in FINISHED:
        # Self-healing while the caller polls: a failed hand-over, or a job
        # whose worker died, is handed over again (a no-op when all is well).
        _dispatch(sync.shop_id)
        db.session.expire_all()
        sync = _own_sync(sync_id)
    return jsonify(sync_status(sync))


@bp.post("/syncs/<sync_id>/abort")
@openapi.operation("Stop a sync before its next product", tag="Syncs", responses={202: SyncStatus},
                   problems={409: "The sync has already finished."})
def abort_sync(sync_id: str):
    _only_query()
    sync = _own_sync(sync_id)
    db.session.refresh(sync, with_for_update=True)
    if sync.status in FINISHED:
        db.session.rollback()
        raise Problem(409, f"The sync has already finished ({sync.status}).", title="Conflict")
    sync.abort_requested = True
    if sync.status == "queued":
        # Nothing started: it ends now. A job already handed to the queue
        # finds it finished and only dispatches the store's next batch.
        sync.status = "aborted"
        sync.finished_at = utcnow()
    db.session.commit()
    body = sync_status(sync)
    if sync.status == "aborted":
        _dispatch(sync.shop_id)
        try:
            notify_sync_ended(current_app.config, sync)
        except Exception:
            log.exception("could not queue the sync.completed webhook of %s", sync.id)
    response = jsonify(body)
    response.status_code = 202
    return response


@bp.get("/syncs/<sync_id>/report")
@openapi.operation("One row per (product, asset)", tag="Syncs",
                   responses={200: {"application/json": Report, "text/csv": {"type": "string"}}},
                   parameters=[{"name": "format", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}}])
def sync_report(sync_id: str):
    _only_query("format")
    sync = _own_sync(sync_id)
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Problem(400, "format must be json or csv.", title="Bad Request",
                      errors=[{"field": "format", "message": "must be json or csv"}])
    rows = report_rows(sync)
    if fmt == "json":
        return jsonify(rows)
    return Response(report_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{report_filename(sync, "csv")}"'})
