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

from flask import Response, g, jsonify, request
from pydantic import BaseModel, RootModel, ValidationError
from sqlalchemy import select

from jobs.planner import SyncRequest
from shopify_app.extensions import db
from shopify_app.models import Sync
from shopify_app.problems import Problem
from shopify_app.query_params import int_param, reject_unknown_params
# The status object and report rows are shared with the admin's sync history.
from shopify_app.sync_views import ReportRow, SyncStatus, sync_status

from . import batch_requests, bp, openapi
from .errors import invalid_body, json_body, repeated_asset_errors, validation_problem
from .fields import METAFIELD_PREFIX, STANDARD_BY_KEY

KINDS = ("sync", "unlink")  # uploads have their own endpoints
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
    errors = repeated_asset_errors(body.repeated_assets())
    field_name = body.match.shopify_field
    if field_name not in STANDARD_BY_KEY and not field_name.startswith(METAFIELD_PREFIX):
        errors.append({"field": "match.shopify_field",
                       "message": f"is not a Shopify field; use one of {', '.join(STANDARD_BY_KEY)} "
                                  f"or metafield:<namespace>.<key> (see GET /fields)"})
    if errors:
        raise invalid_body(errors)
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


@bp.get("/syncs")
@openapi.operation("Recent syncs, newest first", tag="Syncs", responses={200: SyncList},
                   parameters=[{"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}])
def list_syncs():
    reject_unknown_params("limit")
    limit = int_param("limit", 20, 1, 100)
    syncs = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id, Sync.kind.in_(KINDS))
                               .order_by(Sync.created_at.desc(), Sync.id.desc()).limit(limit)).all()
    return jsonify({"syncs": [sync_status(s) for s in syncs]})


@bp.get("/syncs/<sync_id>")
@openapi.operation("A sync's status and progress", tag="Syncs", responses={200: SyncStatus})
def get_sync(sync_id: str):
    reject_unknown_params()
    sync = batch_requests.polled(_own_sync(sync_id), lambda: _own_sync(sync_id))
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


@bp.get("/syncs/<sync_id>/report")
@openapi.operation("One row per (product, asset)", tag="Syncs",
                   responses={200: {"application/json": Report, "text/csv": {"type": "string"}}},
                   parameters=[batch_requests.REPORT_FORMAT_PARAMETER])
def sync_report(sync_id: str):
    reject_unknown_params("format")
    return batch_requests.report_response(_own_sync(sync_id))
