"""Upload to Store Files: `POST /uploads`, the upload's status with one
entry per asset, its abort and report.

Handlers verify, persist and dispatch; the work is jobs.upload_job. An
upload is a batch of the store like a sync (the `syncs` table, kind
`upload`): it queues behind the store's syncs and unlinks in arrival order.
Another store's upload id, or a sync's id, is a 404 here.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, Optional

from flask import Response, g, jsonify
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from jobs.upload_job import ASSET_STATUS, UploadRequest
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem
from shopify_app.problems import Problem
from shopify_app.query_params import reject_unknown_params
from shopify_app.sync_views import Status

from . import batch_requests, bp, openapi
from .errors import invalid_body, json_body, repeated_asset_errors, validation_problem
from .syncs import Report

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
AssetStatus = Literal["pending", "uploaded", "reused", "skipped", "failed"]


class UploadAccepted(BaseModel):
    id: str
    status: Literal["queued"]
    created_at: datetime
    status_url: str


class UploadProgress(BaseModel):
    assets_total: int
    assets_done: int
    assets_uploaded: int
    assets_reused: int
    assets_skipped: int
    failures: int


class UploadAsset(BaseModel):
    public_id: str
    resource_type: str
    type: str
    version: Optional[int]
    status: AssetStatus
    file_id: Optional[str]
    url: Optional[str]
    error: Optional[str]
    detail: Optional[str]


class UploadStatus(BaseModel):
    id: str
    kind: Literal["upload"]
    status: Status
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    progress: UploadProgress
    errors: list[dict[str, Any]]
    assets: list[UploadAsset]


# -- representations -------------------------------------------------------------------------------

def upload_status(sync: Sync) -> dict[str, Any]:
    """GET /uploads/{id}: the request's assets in order, each with its outcome
    once the job has reached it (`pending` before)."""
    items = {item.seq: item for item in db.session.scalars(select(SyncItem).where(SyncItem.sync_id == sync.id))}
    assets = []
    counts = {word: 0 for word in ASSET_STATUS.values()}
    for index, raw in enumerate((sync.request or {}).get("assets") or []):
        item = items.get(index)
        status = ASSET_STATUS.get(item.action, "failed") if item is not None else "pending"
        if item is not None:
            counts[status] += 1
        assets.append(UploadAsset(
            public_id=str(raw.get("public_id")), resource_type=str(raw.get("resource_type") or "image"),
            type=str(raw.get("type") or "upload"), version=raw.get("version"), status=status,  # type: ignore[arg-type]
            file_id=item.media_id if item else None, url=item.url if item else None,
            error=item.error if item else None, detail=item.detail if item else None))
    progress = UploadProgress(assets_total=len(assets), assets_done=len(items), assets_uploaded=counts["uploaded"],
                              assets_reused=counts["reused"], assets_skipped=counts["skipped"],
                              failures=counts["failed"])
    return UploadStatus(id=sync.id, kind="upload", status=sync.status, created_at=sync.created_at,  # type: ignore[arg-type]
                        started_at=sync.started_at, finished_at=sync.finished_at, progress=progress,
                        errors=list(sync.errors or []), assets=assets).model_dump(mode="json")


def _accepted(sync: Sync, replayed: bool) -> Response:
    location = f"{bp.url_prefix}/uploads/{sync.id}"
    body = UploadAccepted(id=sync.id, status="queued", created_at=sync.created_at, status_url=location)
    return batch_requests.accepted_response(body.model_dump(mode="json"), location, replayed)


def _own_upload(upload_id: str) -> Sync:
    sync = db.session.get(Sync, upload_id) if UPLOAD_ID.match(upload_id) else None
    if sync is None or sync.shop_id != g.shop.id or sync.kind != "upload":
        raise Problem(404, "No such upload.", title="Not Found")
    return sync


def _validate(data: Any) -> UploadRequest:
    try:
        body = UploadRequest.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
    errors = repeated_asset_errors(body.repeated_assets())
    if errors:
        raise invalid_body(errors)
    return body


# -- endpoints ---------------------------------------------------------------------------------------

@bp.post("/uploads")
@openapi.operation("Upload assets to the store's Files", tag="Uploads", request=UploadRequest,
                   responses={202: UploadAccepted}, parameters=[batch_requests.IDEMPOTENCY_PARAMETER],
                   problems={409: "Idempotency-Key reused with another body."},
                   description="Queues an upload; poll GET /uploads/{id}. The same asset version with the same "
                               "transformation reuses the file an earlier upload made.")
def create_upload():
    reject_unknown_params()
    key = batch_requests.idempotency_key()
    data = json_body()
    digest = batch_requests.body_hash(data)
    if (earlier := batch_requests.replay("upload", key, digest, _accepted)) is not None:
        return earlier
    body = _validate(data)
    return batch_requests.accept("upload", data, key, digest, _accepted, settings_overrides=data.get("settings"),
                                 assets_total=len(body.assets))


@bp.get("/uploads/<upload_id>")
@openapi.operation("An upload's status, progress and assets", tag="Uploads", responses={200: UploadStatus})
def get_upload(upload_id: str):
    reject_unknown_params()
    sync = batch_requests.polled(_own_upload(upload_id), lambda: _own_upload(upload_id))
    return jsonify(upload_status(sync))


@bp.post("/uploads/<upload_id>/abort")
@openapi.operation("Stop an upload before its next batch of files", tag="Uploads", responses={202: UploadStatus},
                   problems={409: "The upload has already finished."})
def abort_upload(upload_id: str):
    reject_unknown_params()
    sync = _own_upload(upload_id)
    batch_requests.abort(sync, "upload")
    response = jsonify(upload_status(sync))
    response.status_code = 202
    return response


@bp.get("/uploads/<upload_id>/report")
@openapi.operation("One row per asset", tag="Uploads",
                   responses={200: {"application/json": Report, "text/csv": {"type": "string"}}},
                   parameters=[batch_requests.REPORT_FORMAT_PARAMETER])
def upload_report(upload_id: str):
    reject_unknown_params("format")
    return batch_requests.report_response(_own_upload(upload_id))
