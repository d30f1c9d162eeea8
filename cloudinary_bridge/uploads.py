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
from typing import Any, Literal

from flask import Response, g, jsonify
from pydantic import BaseModel, ValidationError

from jobs.upload_job import UploadRequest
from shopify_app.batch_status import BatchStatus
from shopify_app.batch_views import UploadStatus, upload_status
from shopify_app.extensions import db
from shopify_app.models import Sync
from shopify_app.problems import Problem
from shopify_app.query_params import reject_unknown_params

from . import batch_requests, bp, openapi
from .errors import json_body, validation_problem
from .syncs import Report

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadAccepted(BaseModel):
    id: str
    status: Literal[BatchStatus.QUEUED]
    created_at: datetime
    status_url: str


def _accepted(sync: Sync, replayed: bool) -> Response:
    location = f"{bp.url_prefix}/uploads/{sync.id}"
    body = UploadAccepted(id=sync.id, status=BatchStatus.QUEUED, created_at=sync.created_at, status_url=location)
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
    # An asset listed twice is handled once and its repeat reported in the
    # batch (JSON Schema can't state uniqueness by a key, so refusing it
    # would make the schema looser than the server).
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
    sync = _own_upload(upload_id)
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
