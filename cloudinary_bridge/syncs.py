"""Link to Products: `POST /syncs` and the sync's status, abort and report.

Handlers verify, persist and dispatch; the work is jobs.sync_job. A sync's
settings (the connection's, with the request's overrides) and cloud name are
snapshotted when it is accepted. Every lookup is scoped by the token's shop:
another store's sync id is a 404.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from flask import Response, current_app, g, jsonify
from pydantic import BaseModel, RootModel, ValidationError
from sqlalchemy import select

from jobs import run_requests
from jobs.planner import SyncRequest
# The status object and report rows are shared with the admin's sync history
# and the completion webhook.
from shopify_app.batch_status import BatchStatus
from shopify_app.batch_views import ReportRow, SyncStatus, sync_status
from shopify_app.extensions import db
from shopify_app.models import Sync
from shopify_app.problems import Problem
from shopify_app.query_params import PageLimit, reject_unknown_params

from . import batch_requests, bp, openapi
from .errors import json_body, validation_problem

KINDS = ("sync", "unlink", "undo")  # uploads have their own endpoints
# The contract's list of recent syncs keeps to its kinds; an undo is read by
# the id its POST answered.
LISTED_KINDS = ("sync", "unlink")
SYNC_ID = re.compile(r"^[0-9a-f]{32}$")


class SyncAccepted(BaseModel):
    id: str
    status: Literal[BatchStatus.QUEUED]
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
    return SyncAccepted(id=sync.id, status=BatchStatus.QUEUED, dry_run=sync.dry_run, created_at=sync.created_at,
                        status_url=base, report_url=base + "/report").model_dump(mode="json")


def accepted_response(sync: Sync, replayed: bool) -> Response:
    """The 202 of a batch polled under /syncs (a sync or an unlink)."""
    return batch_requests.accepted_response(accepted(sync), f"{bp.url_prefix}/syncs/{sync.id}", replayed)


def _own_sync(sync_id: str) -> Sync:
    sync = db.session.get(Sync, sync_id) if SYNC_ID.match(sync_id) else None
    if sync is None or sync.shop_id != g.shop.id or sync.kind not in KINDS:
        raise Problem(404, "No such sync.", title="Not Found")
    return sync


def _validate(data: Any) -> SyncRequest:
    try:
        body = SyncRequest.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    # An asset listed twice is handled once and its repeat reported in the
    # batch (JSON Schema can't state uniqueness by a key, so refusing it
    # would make the schema looser than the server).
    return body


# -- endpoints ---------------------------------------------------------------------------------------

@bp.post("/syncs")
@openapi.operation("Link assets to products", tag="Syncs", request=SyncRequest, responses={202: SyncAccepted},
                   parameters=[batch_requests.IDEMPOTENCY_PARAMETER],
                   problems={409: "Idempotency-Key reused with another body."},
                   description="Queues a sync (or a dry run). Poll GET /syncs/{id}; read GET /syncs/{id}/report.")
def create_sync():
    reject_unknown_params()
    key = batch_requests.idempotency_key()
    data = json_body()
    digest = batch_requests.body_hash(data)
    if (earlier := batch_requests.replay("sync", key, digest, accepted_response)) is not None:
        return earlier
    body = _validate(data)
    return batch_requests.accept("sync", data, key, digest, accepted_response, dry_run=body.dry_run,
                                 settings_overrides=data.get("settings") or None)


SYNCS_LIMIT = PageLimit(default=20, maximum=100)


@bp.get("/syncs")
@openapi.operation("Recent syncs, newest first", tag="Syncs", responses={200: SyncList},
                   parameters=[SYNCS_LIMIT.parameter()])
def list_syncs():
    reject_unknown_params("limit")
    limit = SYNCS_LIMIT.read()
    syncs = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id, Sync.kind.in_(LISTED_KINDS))
                               .order_by(Sync.created_at.desc(), Sync.id.desc()).limit(limit)).all()
    return jsonify({"syncs": [sync_status(s) for s in syncs]})


@bp.get("/syncs/<sync_id>")
@openapi.operation("A sync's status and progress", tag="Syncs", responses={200: SyncStatus})
def get_sync(sync_id: str):
    reject_unknown_params()
    sync = _own_sync(sync_id)
    return jsonify(sync_status(sync))


@bp.post("/syncs/<sync_id>/abort")
@openapi.operation("Stop a sync before its next product", tag="Syncs", responses={202: SyncStatus},
                   problems={409: "The sync has already finished."})
def abort_sync(sync_id: str):
    reject_unknown_params()
    sync = _own_sync(sync_id)
    batch_requests.abort(sync, "sync")
    response = jsonify(sync_status(sync))
    response.status_code = 202
    return response


@bp.post("/syncs/<sync_id>/undo")
@openapi.operation("Undo a finished sync or unlink", tag="Syncs", responses={202: SyncAccepted},
                   parameters=[batch_requests.IDEMPOTENCY_PARAMETER],
                   problems={409: "The sync can't be undone: not finished, a dry run, or already undone; or "
                                  "the Idempotency-Key was used for another request."},
                   description="Queues an undo: a run of its own (kind `undo`) that puts every product the sync "
                               "or unlink changed back as it was before it (gallery order and membership, "
                               "productmedia_v1, swatches, variant images) without deleting media, and refuses "
                               "a product that changed since. Poll GET /syncs/{id} with the new id; its report "
                               "says what was put back and which products were refused, and why.")
def undo_sync(sync_id: str):
    reject_unknown_params()
    sync = _own_sync(sync_id)
    key = batch_requests.idempotency_key()
    digest = batch_requests.body_hash({"undo_of": sync.id})
    if (earlier := batch_requests.replay("undo", key, digest, accepted_response)) is not None:
        return earlier
    try:
        undo = run_requests.undo(current_app.config, sync, credential_id=g.credential.id, idempotency_key=key,
                                 request_hash=digest)
    except run_requests.NotAllowed as error:
        raise Problem(409, str(error), title="Conflict") from None
    return accepted_response(undo, False)


@bp.get("/syncs/<sync_id>/report")
@openapi.operation("One row per (product, asset)", tag="Syncs",
                   responses={200: {"application/json": Report, "text/csv": {"type": "string"}}},
                   parameters=[batch_requests.REPORT_FORMAT_PARAMETER])
def sync_report(sync_id: str):
    reject_unknown_params("format")
    return batch_requests.report_response(_own_sync(sync_id))
