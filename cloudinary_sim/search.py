"""The Search API: `POST /v1_1/<cloud>/resources/search`
(https://cloudinary.com/documentation/search_method; api-schemas
asset-management/schema.yml `search_parameters`/`search_response`).

Parameters: `expression` (search_expression.py), `sort_by` (a list of
single-key objects, `asc`/`desc`; default `[{"created_at": "desc"}]`),
`max_results` (default 50, 0–500; 0 answers only `total_count` and
`aggregations`), `next_cursor` (opaque, from the previous page), `with_field`
(context, tags, metadata, image_metadata, image_analysis, quality_analysis,
accessibility_analysis), `fields` (takes precedence over with_field; public_id,
asset_id, asset_folder, created_at, status, type and resource_type are always
returned), `aggregate` (format, resource_type, type, or ranges over bytes,
image_pixels, video_pixels, duration, each range with a `key` and `from`/`to`).
Answer: `total_count`, `time`, `resources`, `next_cursor` when more remain,
`aggregations` when asked. Invalid input answers 400.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any, Optional

from . import resources
from .errors import bad_request
from .search_expression import ExpressionError, parse, matches
from .state import Asset, Environment

WITH_FIELDS = {"context", "tags", "image_metadata", "image_analysis", "metadata", "quality_analysis",
               "accessibility_analysis"}
SORT_FIELDS = {"created_at", "uploaded_at", "updated_at", "public_id", "filename", "display_name", "bytes",
               "width", "height", "duration", "format", "resource_type", "asset_id", "asset_folder"}
SIMPLE_AGGREGATES = {"format", "resource_type", "type"}
RANGE_AGGREGATES = {"bytes", "image_pixels", "video_pixels", "duration"}
DEFAULT_MAX_RESULTS = 50
MAX_RESULTS = 500


def resolver(env: Environment, asset: Asset):  # type: ignore[no-untyped-def]
    """How each expression field reads on `asset`: (kind, value)."""
    def resolve(field: str) -> tuple[str, Any]:
        if field == "*":
            texts = [asset.public_id, asset.filename, asset.display_name, *asset.tags, *asset.context.values()]
            texts += [v for k, v in asset.metadata.items() if isinstance(v, str)]
            return "text", texts
        if field.startswith("metadata."):
            return _metadata(env, asset, field.split(".", 1)[1])
        if field.startswith("context."):
            return "text", asset.context.get(field.split(".", 1)[1])
        if field.startswith("last_updated."):
            return "date", asset.updated_at
        simple = {
            "public_id": ("exact", asset.public_id), "asset_id": ("exact", asset.asset_id),
            "folder": ("exact", asset.asset_folder), "asset_folder": ("exact", asset.asset_folder),
            "format": ("exact_folded", asset.format), "resource_type": ("exact_folded", asset.resource_type),
            "type": ("exact_folded", asset.type), "status": ("exact_folded", "active"),
            "access_mode": ("exact_folded", "public"),
            "moderation_status": ("exact", None), "moderation_kind": ("exact", None),
            "tags": ("text", asset.tags), "filename": ("text", asset.filename),
            "display_name": ("text", asset.display_name),
            "bytes": ("number", asset.bytes), "width": ("number", asset.width), "height": ("number", asset.height),
            "duration": ("number", asset.duration), "pages": ("number", 1),
            "aspect_ratio": ("number", asset.width / asset.height if asset.width and asset.height else None),
            "pixels": ("number", asset.width * asset.height if asset.width and asset.height else None),
            "face_count": ("number", 0),
            "uploaded_at": ("date", asset.uploaded_at), "created_at": ("date", asset.created_at),
            "updated_at": ("date", asset.updated_at), "taken_at": ("date", None),
        }
        return simple[field]
    return resolve


def _metadata(env: Environment, asset: Asset, name: str) -> tuple[str, Any]:
    field = env.metadata_fields.get(name)
    value = asset.metadata.get(name)
    if field is None:
        return "exact", None
    if field.type == "integer":
        return "number", value
    if field.type == "date":
        if value is None:
            return "date", None
        from datetime import datetime, timezone
        return "date", datetime.fromisoformat(value).replace(tzinfo=timezone.utc).timestamp()
    if field.type in ("enum", "set"):
        return "exact", value
    return "text", value


def _sort_by(raw: Any) -> list[tuple[str, bool]]:
    if raw in (None, [], ""):
        return [("created_at", True)]
    items = raw if isinstance(raw, list) else [raw]
    order = []
    for item in items:
        if isinstance(item, str):
            item = {item: "desc"}
        if not isinstance(item, dict) or len(item) != 1:
            raise bad_request("Invalid sort_by - each entry must map one field to asc or desc")
        (field, direction), = item.items()
        if field not in SORT_FIELDS and not str(field).startswith(("metadata.", "context.")):
            raise bad_request(f"Invalid sort_by field - {field}")
        if direction not in ("asc", "desc"):
            raise bad_request(f"Invalid sort_by direction - {direction}")
        order.append((str(field), direction == "desc"))
    return order


def _sort_key(env: Environment, asset: Asset, field: str) -> Any:
    if field.startswith("metadata."):
        value = asset.metadata.get(field.split(".", 1)[1])
    elif field.startswith("context."):
        value = asset.context.get(field.split(".", 1)[1])
    else:
        value = {"created_at": asset.created_at, "uploaded_at": asset.uploaded_at, "updated_at": asset.updated_at,
                 "public_id": asset.public_id, "filename": asset.filename, "display_name": asset.display_name,
                 "bytes": asset.bytes, "width": asset.width, "height": asset.height, "duration": asset.duration,
                 "format": asset.format, "resource_type": asset.resource_type, "asset_id": asset.asset_id,
                 "asset_folder": asset.asset_folder}[field]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    # Assets without the value sort last either way.
    return (value is None, (0, value) if isinstance(value, (int, float)) else (1, str(value or "")))


def _ordered(env: Environment, assets: list[Asset], order: list[tuple[str, bool]]) -> list[Asset]:
    result = sorted(assets, key=lambda a: a.asset_id)
    for field, descending in reversed(order):
        present = [a for a in result if _sort_key(env, a, field)[0] is False]
        missing = [a for a in result if _sort_key(env, a, field)[0] is True]
        present.sort(key=lambda a: _sort_key(env, a, field)[1], reverse=descending)
        result = present + missing
    return result


def _list(raw: Any, name: str) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        return [p.strip() for p in raw.split(",") if p.strip()]
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return raw
    raise bad_request(f"Invalid {name}")


def _cursor(offset: int, digest: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "q": digest}).encode()).decode().rstrip("=")


def _offset(cursor: Optional[str], digest: str) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["q"] != digest or not isinstance(data["o"], int) or data["o"] < 0:
            raise ValueError
        return data["o"]
    except (ValueError, KeyError, TypeError):
        raise bad_request(f"Invalid next_cursor - {cursor}") from None


def _aggregations(assets: list[Asset], requested: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in requested:
        if isinstance(item, str):
            if item not in SIMPLE_AGGREGATES:
                raise bad_request(f"Invalid aggregate - {item}")
            counts: dict[str, int] = {}
            for asset in assets:
                value = getattr(asset, item)
                counts[value] = counts.get(value, 0) + 1
            result[item] = counts
            continue
        if not isinstance(item, dict) or item.get("type") not in RANGE_AGGREGATES or not item.get("ranges"):
            raise bad_request("Invalid aggregate")
        buckets: dict[str, int] = {}
        for bucket in item["ranges"]:
            key = bucket.get("key") if isinstance(bucket, dict) else None
            if not isinstance(key, str) or not (1 <= len(key) <= 20) or ("from" not in bucket and "to" not in bucket):
                raise bad_request("Invalid aggregate range")
            buckets[key] = sum(1 for a in assets if _in_range(_range_value(a, item["type"]), bucket))
        result[item["type"]] = buckets
    return result


def _range_value(asset: Asset, kind: str) -> Optional[float]:
    pixels = asset.width * asset.height if asset.width and asset.height else None
    return {"bytes": asset.bytes, "duration": asset.duration,
            "image_pixels": pixels if asset.resource_type == "image" else None,
            "video_pixels": pixels if asset.resource_type == "video" else None}[kind]


def _in_range(value: Optional[float], bucket: dict[str, Any]) -> bool:
    return value is not None and ("from" not in bucket or value >= bucket["from"]) and \
        ("to" not in bucket or value < bucket["to"])


def search(env: Environment, body: dict[str, Any], now: float, origin: str) -> dict[str, Any]:
    started = time.monotonic()
    expression = body.get("expression") or ""
    if not isinstance(expression, str):
        raise bad_request("Invalid expression")
    try:
        tree = parse(expression)
    except ExpressionError as exc:
        raise bad_request(f"Syntax error in search expression: {exc}") from None
    order = _sort_by(body.get("sort_by"))
    max_results = body.get("max_results", DEFAULT_MAX_RESULTS)
    if isinstance(max_results, str) and max_results.isdigit():
        max_results = int(max_results)
    if not isinstance(max_results, int) or isinstance(max_results, bool) or not 0 <= max_results <= MAX_RESULTS:
        raise bad_request(f"Invalid max_results - must be between 0 and {MAX_RESULTS}")
    with_fields = set(_list(body.get("with_field"), "with_field"))
    unknown = with_fields - WITH_FIELDS
    if unknown:
        raise bad_request(f"Invalid with_field - {sorted(unknown)[0]}")
    fields = _list(body.get("fields"), "fields")
    if fields:
        with_fields |= {f for f in fields if f in WITH_FIELDS}
    digest = hashlib.sha1(json.dumps([expression, order]).encode()).hexdigest()[:16]
    offset = _offset(body.get("next_cursor"), digest)
    with env.lock:
        try:
            found = [a for a in env.assets.values() if matches(tree, resolver(env, a), now)]
        except ExpressionError as exc:
            raise bad_request(f"Syntax error in search expression: {exc}") from None
        ordered = _ordered(env, found, order)
        page = ordered[offset:offset + max_results] if max_results else []
        answer: dict[str, Any] = {
            "total_count": len(found),
            "time": int((time.monotonic() - started) * 1000),
            "resources": [resources.search_resource(a, env.cloud_name, origin, with_fields, fields) for a in page],
        }
        if max_results and offset + max_results < len(ordered):
            answer["next_cursor"] = _cursor(offset + max_results, digest)
        aggregate = body.get("aggregate")
        if aggregate:
            answer["aggregations"] = _aggregations(found, aggregate if isinstance(aggregate, list) else [aggregate])
    return answer
