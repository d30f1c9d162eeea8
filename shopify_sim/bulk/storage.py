"""The storage bulk operations use, served by the simulator:

- the staged-upload bucket for BULK_MUTATION_VARIABLES files [G-M]. Shopify's
  targets for that resource are Google Cloud Storage ones (captured): for POST
  `url` and `resourceUrl` are both the bucket
  (`https://shopify-staged-uploads.storage.googleapis.com/`) and the object's
  name is the `key` form field, `tmp/<shop id>/bulk/<uuid>/<filename>`, whose
  policy allows 1 B to 104,857,600 B (100 MB, [C-2026-01]); for PUT both are a
  signed URL of the object and any body is stored, an empty one included
  (captured: a 0-byte PUT answered 200). What
  `bulkOperationRunMutation(stagedUploadPath:)` names is the object: its key
  (the import guide's form, captured) or its URL — the schema's text for
  `BulkMutationErrorCode.NO_SUCH_FILE` asks to "check that you've entered the
  URL correctly for the `stagedUploadPath` mutation argument", and a PUT
  target has no `key` parameter at all, only the object's URL. A URL names
  the object by its path in the bucket (the key); its query string is the
  signature, not part of the name. A URL of any other host or path names no
  staged file (`NO_SUCH_FILE`).
- the result files, at `{SIM_BASE_URL}/_sim/bulk-operation-outputs/<key>.jsonl`
  (`Content-Type: application/jsonl`, as captured) until they expire [S].
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any, Optional
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, Response, current_app, request

from ..catalog import StagedUpload

bp = Blueprint("bulk_storage", __name__)

BUCKET_PATH = "/_sim/staged-uploads"
# [C-2026-01] "Upload files up to 100MB"; captured policy: content-length-range 1..104857600.
MAX_VARIABLES_BYTES = 104_857_600
RESOURCE = "BULK_MUTATION_VARIABLES"
SIGNED_URL_LIFETIME = 7 * 24 * 3600  # captured X-Goog-Expires=604800


def bucket_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{BUCKET_PATH}/"


def object_key(shop_id: int, filename: str) -> str:
    return f"tmp/{shop_id}/bulk/{uuid.uuid4()}/{filename}"


def _signature(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def target(base_url: str, upload: StagedUpload, now: float) -> dict[str, Any]:
    """The staged target Shopify answers for a BULK_MUTATION_VARIABLES input."""
    assert upload.key is not None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    credential = f"assetlink-simulator@sim.iam.gserviceaccount.com/{stamp[:8]}/auto/storage/goog4_request"
    if upload.http_method == "PUT":
        url = (f"{bucket_url(base_url)}{quote(upload.key)}?X-Goog-Algorithm=GOOG4-RSA-SHA256"
               f"&X-Goog-Credential={quote(credential, safe='')}&X-Goog-Date={stamp}"
               f"&X-Goog-Expires={SIGNED_URL_LIFETIME}&X-Goog-SignedHeaders=host"
               f"&X-Goog-Signature={_signature(upload.id, upload.key)}")
        return {"url": url, "resourceUrl": url, "parameters": [
            {"name": "content_type", "value": upload.mime_type}, {"name": "acl", "value": "private"}]}
    policy = base64.b64encode(json.dumps({"conditions": [
        {"Content-Type": upload.mime_type}, {"success_action_status": "201"}, {"acl": "private"},
        ["content-length-range", 1, MAX_VARIABLES_BYTES], {"key": upload.key}]},
        separators=(",", ":")).encode()).decode()
    parameters = [("Content-Type", upload.mime_type), ("success_action_status", "201"), ("acl", "private"),
                  ("key", upload.key), ("x-goog-date", stamp), ("x-goog-credential", credential),
                  ("x-goog-algorithm", "GOOG4-RSA-SHA256"), ("x-goog-signature", _signature(upload.id, upload.key)),
                  ("policy", policy)]
    url = bucket_url(base_url)
    return {"url": url, "resourceUrl": url, "parameters": [{"name": n, "value": v} for n, v in parameters]}


# The staged-uploads bucket as Shopify names it (captured `url`/`resourceUrl`), in
# Google Cloud Storage's virtual-host and path-style forms.
SHOPIFY_BUCKET_HOST = "shopify-staged-uploads.storage.googleapis.com"
GCS_PATH_STYLE = ("storage.googleapis.com", "/shopify-staged-uploads/")


def staged_object_key(path: str, base_url: str) -> str:
    """The object key a `stagedUploadPath` names: a key as given, or the key a
    URL of the bucket names (see the module's docstring). A URL outside the
    bucket answers a key no upload has."""
    parts = urlsplit(path)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return path
    own = urlsplit(base_url) if base_url else None
    if own is not None and parts.netloc == own.netloc and parts.path.startswith(f"{BUCKET_PATH}/"):
        return unquote(parts.path[len(BUCKET_PATH) + 1:])
    if parts.netloc == SHOPIFY_BUCKET_HOST:
        return unquote(parts.path[1:])
    if parts.netloc == GCS_PATH_STYLE[0] and parts.path.startswith(GCS_PATH_STYLE[1]):
        return unquote(parts.path[len(GCS_PATH_STYLE[1]):])
    return path


def find_by_key(catalog: Any, key: str) -> Optional[StagedUpload]:
    for upload in catalog.staged_uploads.values():
        if upload.key == key:
            return upload
    return None


# -- HTTP ----------------------------------------------------------------------------
def _gcs_error(code: str, message: str, status: int) -> Response:
    body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error>")
    return Response(body, status=status, mimetype="application/xml")


def _state() -> Any:
    from .. import get_state
    return get_state()


def _locate(key: str) -> Optional[StagedUpload]:
    for shop in _state().shops.values():
        if shop.catalog is not None:
            found = find_by_key(shop.catalog, key)
            if found is not None:
                return found
    return None


def _now() -> float:
    clock = current_app.config.get("SIM_CLOCK")
    return float(clock()) if callable(clock) else time.time()


@bp.post(f"{BUCKET_PATH}/")
def post_object() -> Response:
    """A POST policy upload: the form's `key` names the object, `file` holds it."""
    state = _state()
    with state.lock:
        key = request.form.get("key") or ""
        upload = _locate(key)
        if upload is None or upload.http_method != "POST":
            return _gcs_error("AccessDenied", "Invalid according to Policy: Policy Condition failed", 403)
        file = request.files.get("file")
        data = file.read() if file is not None else b""
        if not 1 <= len(data) <= MAX_VARIABLES_BYTES:
            return _gcs_error("EntityTooSmall" if not data else "EntityTooLarge",
                              "Your proposed upload is smaller than the minimum object size specified in your "
                              "Policy Document." if not data else
                              "Your proposed upload exceeds the maximum allowed object size.", 400)
        upload.data, upload.uploaded_at = data, _now()
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()  # GCS's ETag is the object's MD5
    body = (f"<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>{bucket_url(request.host_url)}"
            f"{quote(key)}</Location><Bucket>shopify-staged-uploads</Bucket><Key>{key}</Key>"
            f"<ETag>\"{etag}\"</ETag></PostResponse>")
    return Response(body, status=201, mimetype="application/xml")


@bp.put(f"{BUCKET_PATH}/<path:key>")
def put_object(key: str) -> Response:
    state = _state()
    with state.lock:
        upload = _locate(key)
        if upload is None or upload.http_method != "PUT":
            return _gcs_error("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                              "signature you provided.", 403)
        upload.data, upload.uploaded_at = request.get_data(), _now()
    return Response(status=200)


@bp.get("/_sim/bulk-operation-outputs/<key>.jsonl")
def result(key: str) -> Response:
    from .lifecycle import result_file
    state = _state()
    now = _now()
    with state.lock:
        for shop in state.shops.values():
            if shop.catalog is not None and key in shop.catalog.bulk_results:
                data = result_file(shop.catalog, key, now)
                if data is None:
                    return _gcs_error("ExpiredToken", "The provided token has expired.", 400)
                return Response(data, status=200, mimetype="application/jsonl")
    return _gcs_error("NoSuchKey", "The specified key does not exist.", 404)
