"""`stagedUploadsCreate`: upload targets on the simulator itself.

A target's `url` is `{SIM_BASE_URL}/_sim/uploads/<id>`; POST a multipart form
(the parameters, then `file`) or PUT the raw bytes there, then pass the
`resourceUrl` as `originalSource` to fileCreate / productUpdate(media:).
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any, Optional

from ..bulk import storage as bulk_storage
from ..catalog import StagedUpload
from . import mutation
from .common import user_error
from ..state import shop_number

IMAGE_RESOURCES = ("IMAGE", "PRODUCT_IMAGE", "COLLECTION_IMAGE", "SHOP_IMAGE")
# Shopify's POST policy for files allows 1 B – 20 MiB unless fileSize says otherwise.
MAX_UPLOAD_BYTES = 20_971_520
SIZE_REQUIRED = {"VIDEO": "file size is required for video resources",
                 "MODEL_3D": "file size is required for 3D model resources"}


def target_url(ctx: Any, upload_id: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/_sim/uploads/{upload_id}"


def _input_error(item: dict[str, Any], i: int) -> Optional[dict[str, Any]]:
    if item["resource"] in SIZE_REQUIRED and item.get("fileSize") is None:
        return user_error(["input", i, "fileSize"], SIZE_REQUIRED[item["resource"]])
    if item["resource"] in IMAGE_RESOURCES and not str(item["mimeType"]).startswith("image/"):
        return user_error(["input", i, "mimeType"],
                          f"{item['filename']}: ({item['mimeType']}) is not a recognized format")
    return None


def _parameters(ctx: Any, upload: StagedUpload) -> list[tuple[str, str]]:
    """The form fields Shopify's targets carry: Google Cloud Storage V4 POST
    policies for images and files, signed-URL fields for videos and 3D models,
    two headers for PUT. Values are the simulator's own; only the names and
    order follow Shopify."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ctx.now))
    key = (f"tmp/{shop_number(ctx.shop.domain)}/{'products' if upload.resource in IMAGE_RESOURCES else 'files'}"
           f"/{upload.id}/{upload.filename}")
    if upload.http_method == "PUT":
        return [("content_type", upload.mime_type), ("acl", "private")]
    policy = base64.b64encode(json.dumps({"conditions": [{"Content-Type": upload.mime_type}, ["content-length-range",
                              1, upload.file_size or MAX_UPLOAD_BYTES]]}, separators=(",", ":")).encode()).decode()
    signature = hashlib.sha256(f"{upload.id}:{key}".encode()).hexdigest()
    if upload.resource in ("VIDEO", "MODEL_3D"):
        return [("GoogleAccessId", "assetlink-simulator@sim.iam.gserviceaccount.com"), ("key", key),
                ("policy", policy), ("signature", signature)]
    return [("Content-Type", upload.mime_type), ("success_action_status", "201"), ("acl", "private"),
            ("key", key), ("x-goog-date", stamp),
            ("x-goog-credential", (f"assetlink-simulator@sim.iam.gserviceaccount.com/{stamp[:8]}/auto/storage/"
                                   "goog4_request")),
            ("x-goog-algorithm", "GOOG4-RSA-SHA256"), ("x-goog-signature", signature), ("policy", policy)]


@mutation("stagedUploadsCreate")
def staged_uploads_create(ctx: Any, info: Any, input: list[dict[str, Any]]) -> dict[str, Any]:
    """One target per input; an input with a userError gets an empty target
    (url and resourceUrl null, no parameters), as Shopify answers."""
    targets = []
    errors = []
    for i, item in enumerate(input):
        problem = _input_error(item, i)
        if problem is not None:
            errors.append(problem)
            targets.append({"url": None, "resourceUrl": None, "parameters": []})
            continue
        upload_id = uuid.uuid4().hex
        size = item.get("fileSize")
        upload = StagedUpload(id=upload_id, resource=item["resource"], filename=item["filename"],
                              mime_type=item["mimeType"], http_method=item.get("httpMethod") or "PUT",
                              file_size=int(size) if size is not None else None, created_at=ctx.now)
        ctx.catalog.staged_uploads[upload_id] = upload
        if upload.resource == bulk_storage.RESOURCE:
            # Bulk import variables go to the bucket bulk operations read (bulk/storage.py).
            upload.key = bulk_storage.object_key(ctx.shop.number, upload.filename)
            targets.append(bulk_storage.target(ctx.base_url, upload, ctx.now))
            continue
        url = target_url(ctx, upload_id)
        targets.append({"url": url, "resourceUrl": f"{url}/{upload.filename}",
                        "parameters": [{"name": n, "value": v} for n, v in _parameters(ctx, upload)]})
    return {"stagedTargets": targets, "userErrors": errors}
