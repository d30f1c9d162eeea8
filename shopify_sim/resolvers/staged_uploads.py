"""`stagedUploadsCreate`: upload targets on the simulator itself.

A target's `url` is `{SIM_BASE_URL}/_sim/uploads/<id>`; POST a multipart form
(the parameters, then `file`) or PUT the raw bytes there, then pass the
`resourceUrl` as `originalSource` to fileCreate / productUpdate(media:).
"""
from __future__ import annotations

import secrets
import uuid
from typing import Any

from ..catalog import StagedUpload
from . import mutation
from .common import user_error

SIZE_REQUIRED = {"VIDEO": "file size is required for video resources",
                 "MODEL_3D": "file size is required for 3D model resources"}


def target_url(ctx: Any, upload_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/_sim/uploads/{upload_id}"


@mutation("stagedUploadsCreate")
def staged_uploads_create(ctx: Any, info: Any, input: list[dict[str, Any]]) -> dict[str, Any]:
    errors = []
    for i, item in enumerate(input):
        if item["resource"] in SIZE_REQUIRED and item.get("fileSize") is None:
            errors.append(user_error(["input", i, "fileSize"], SIZE_REQUIRED[item["resource"]]))
    if errors:
        return {"stagedTargets": [], "userErrors": errors}
    targets = []
    for item in input:
        upload_id = uuid.uuid4().hex
        size = item.get("fileSize")
        upload = StagedUpload(id=upload_id, resource=item["resource"], filename=item["filename"],
                              mime_type=item["mimeType"], http_method=item.get("httpMethod") or "PUT",
                              file_size=int(size) if size is not None else None, created_at=ctx.now)
        ctx.catalog.staged_uploads[upload_id] = upload
        url = target_url(ctx, upload_id)
        key = f"tmp/{ctx.shop.domain}/files/{upload_id}/{upload.filename}"
        if upload.http_method == "POST":
            parameters = [("Content-Type", upload.mime_type), ("success_action_status", "201"),
                          ("acl", "private"), ("key", key), ("x-sim-signature", secrets.token_hex(16))]
        else:
            parameters = [("content_type", upload.mime_type), ("acl", "private")]
        targets.append({"url": url, "resourceUrl": f"{url}/{upload.filename}",
                        "parameters": [{"name": n, "value": v} for n, v in parameters]})
    return {"stagedTargets": targets, "userErrors": []}
