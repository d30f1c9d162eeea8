"""How an asset is written in API answers (upload response, Admin API
resource, Search API result) and its delivery URLs.

Field names follow the upload response and `info` schemas of Cloudinary's
asset-management OpenAPI document (github.com/cloudinary/api-schemas) and the
examples in https://cloudinary.com/documentation/admin_api#get_details_of_a_single_resource_by_public_id:
dates in ISO 8601 with `Z`, `url`/`secure_url` on res.cloudinary.com with the
version (`v<version>`), context as `{"custom": {...}}` in Upload/Admin answers
and as a flat map in Search results
(https://cloudinary.com/documentation/search_method#sample_response), tags as
a list, structured metadata as a map keyed by field external_id. Raw files
keep their extension in the public id, so their URLs add none.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

from .notifications import iso
from .state import Asset


def delivery_url(origin: str, cloud: str, asset: Asset, *, secure: bool = True) -> str:
    base = origin if secure else origin.replace("https://", "http://", 1)
    path = quote(asset.public_id, safe="/")
    suffix = "" if asset.resource_type == "raw" or not asset.format else f".{asset.format}"
    return f"{base}/{cloud}/{asset.resource_type}/{asset.type}/v{asset.version}/{path}{suffix}"


def core(asset: Asset, cloud: str, origin: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "asset_id": asset.asset_id,
        "public_id": asset.public_id,
        "format": asset.format,
        "version": asset.version,
        "resource_type": asset.resource_type,
        "type": asset.type,
        "created_at": iso(asset.created_at),
        "bytes": asset.bytes,
        "width": asset.width,
        "height": asset.height,
        "asset_folder": asset.asset_folder,
        "display_name": asset.display_name,
        "url": delivery_url(origin, cloud, asset, secure=False),
        "secure_url": delivery_url(origin, cloud, asset),
    }
    if asset.resource_type == "raw":
        body.pop("width"), body.pop("height")
    if asset.duration is not None:
        body["duration"] = asset.duration
    return body


def upload_response(asset: Asset, cloud: str, origin: str, api_key: str, *, existing: bool = False,
                    overwritten: bool = False) -> dict[str, Any]:
    body = core(asset, cloud, origin)
    body.update({"version_id": asset.version_id, "signature": "", "tags": list(asset.tags), "etag": asset.etag,
                 "placeholder": False, "original_filename": asset.original_filename, "api_key": api_key})
    if asset.context:
        body["context"] = {"custom": dict(asset.context)}
    if asset.metadata:
        body["metadata"] = dict(asset.metadata)
    if existing:
        body["existing"] = True
    if overwritten:
        body["overwritten"] = True
    return body


def admin_resource(asset: Asset, cloud: str, origin: str, *, tags: bool = True, context: bool = True,
                   metadata: bool = True, fields: Optional[list[str]] = None) -> dict[str, Any]:
    """A resource in Admin API answers: a single resource includes tags,
    context and metadata; list endpoints only when asked (tags=true, …)."""
    body = core(asset, cloud, origin)
    body.update({"uploaded_at": iso(asset.uploaded_at), "filename": asset.filename, "folder": asset.folder,
                 "etag": asset.etag, "status": "active", "access_mode": "public", "access_control": None,
                 "placeholder": False, "backup_bytes": 0})
    if tags:
        body["tags"] = list(asset.tags)
    if context and asset.context:
        body["context"] = {"custom": dict(asset.context)}
    if metadata and asset.metadata:
        body["metadata"] = dict(asset.metadata)
    if fields:
        always = {"public_id", "asset_id", "asset_folder", "created_at", "status", "type", "resource_type"}
        body = {k: v for k, v in body.items() if k in always or k in fields}
    return body


def search_resource(asset: Asset, cloud: str, origin: str, with_fields: set[str],
                    fields: Optional[list[str]]) -> dict[str, Any]:
    body = core(asset, cloud, origin)
    body.update({"filename": asset.filename, "folder": asset.folder, "uploaded_at": iso(asset.uploaded_at),
                 "last_updated": {"updated_at": iso(asset.updated_at)}, "backup_bytes": 0,
                 "aspect_ratio": round(asset.width / asset.height, 5) if asset.width and asset.height else None,
                 "pixels": asset.width * asset.height if asset.width and asset.height else None,
                 "status": "active", "access_mode": "public", "access_control": None, "etag": asset.etag})
    if "tags" in with_fields:
        body["tags"] = list(asset.tags)
    if "context" in with_fields and asset.context:
        body["context"] = dict(asset.context)
    if "metadata" in with_fields:
        body["metadata"] = dict(asset.metadata)
    if fields:
        always = {"public_id", "asset_id", "asset_folder", "created_at", "status", "type", "resource_type"}
        body = {k: v for k, v in body.items() if k in always or k in fields}
    return body
