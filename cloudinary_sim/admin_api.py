"""The Admin API's resource and search endpoints
(https://cloudinary.com/documentation/admin_api): ping, resource types,
listing (`GET /resources/<type>[/<delivery type>]` with prefix, public_ids,
max_results ≤ 500 (default 10), next_cursor, direction, tags/context/metadata
flags), by asset ids, one resource (GET), update (POST), delete (DELETE), and
`POST /resources/search` (search.py). HTTP Basic with the API key and secret.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Optional

from flask import Blueprint, current_app, jsonify, request

from . import assets, get_state, resources
from .auth import check_basic, environment_for
from .errors import CloudinaryError, bad_request, not_found
from .params import admin_params, as_bool, as_int, as_list
from .search import search as run_search
from .state import Asset, Environment

bp = Blueprint("cloudinary_sim_admin", __name__)

RESOURCE_TYPES = ("image", "video", "raw")
DELIVERY_TYPES = ("upload", "private", "authenticated", "fetch", "multi", "text", "asset", "list", "facebook",
                  "twitter", "gravatar", "youtube", "hulu", "vimeo", "animoto", "worldstarhiphop", "dailymotion")
LIST_DEFAULT = 10
LIST_MAX = 500
BY_IDS_MAX = 100


def _origin() -> str:
    return current_app.config["SIM_DELIVERY_ORIGIN"]


def _env(cloud: str) -> Environment:
    env = environment_for(get_state(), cloud)
    check_basic(env, request)
    return env


def _flags(params: dict[str, Any]) -> dict[str, Any]:
    fields = params.get("fields")
    return {"tags": as_bool(params, "tags", False), "context": as_bool(params, "context", False),
            "metadata": as_bool(params, "metadata", False),
            "fields": [f for f in str(fields).split(",") if f] if fields else None}


@bp.get("/v1_1/<cloud>/ping")
def ping(cloud: str):  # type: ignore[no-untyped-def]
    _env(cloud)
    return jsonify({"status": "ok"})


@bp.get("/v1_1/<cloud>/resources")
def resource_types(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        kinds = sorted({a.resource_type for a in env.assets.values()})
    return jsonify({"resource_types": kinds})


@bp.get("/v1_1/<cloud>/resources/<segment>")
def list_or_by_asset_id(cloud: str, segment: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    params = admin_params(request)
    if segment == "by_asset_ids":
        return jsonify(_by_asset_ids(env, params))
    if segment in RESOURCE_TYPES:
        return jsonify(_listing(env, segment, None, params))
    with env.lock:
        asset = env.by_asset_id(segment)
    if asset is None:
        raise not_found(f"Resource not found - {segment}")
    return jsonify(resources.admin_resource(asset, env.cloud_name, _origin()))


@bp.get("/v1_1/<cloud>/resources/<resource_type>/<kind>")
def list_by_type(cloud: str, resource_type: str, kind: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    _check_types(resource_type, kind)
    params = admin_params(request)
    if "public_ids" in params:
        return jsonify(_by_public_ids(env, resource_type, kind, params))
    return jsonify(_listing(env, resource_type, kind, params))


@bp.delete("/v1_1/<cloud>/resources/<resource_type>/<kind>")
def delete_resources(cloud: str, resource_type: str, kind: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    _check_types(resource_type, kind)
    return jsonify(assets.delete_resources(get_state(), env, resource_type, kind, admin_params(request)))


@bp.get("/v1_1/<cloud>/resources/<resource_type>/<kind>/<path:public_id>")
def resource(cloud: str, resource_type: str, kind: str, public_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    _check_types(resource_type, kind)
    with env.lock:
        asset = env.assets.get((resource_type, kind, public_id))
    if asset is None:
        raise not_found(f"Resource not found - {public_id}")
    body = resources.admin_resource(asset, env.cloud_name, _origin())
    body.update({"derived": [], "next_cursor": None})
    return jsonify(body)


@bp.post("/v1_1/<cloud>/resources/<resource_type>/<kind>/<path:public_id>")
def update(cloud: str, resource_type: str, kind: str, public_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    _check_types(resource_type, kind)
    return jsonify(assets.update(get_state(), env, resource_type, kind, public_id, admin_params(request), _origin()))


@bp.route("/v1_1/<cloud>/resources/search", methods=["POST", "GET"])
def search(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = admin_params(request)
    return jsonify(run_search(env, body, get_state().now(), _origin()))


def _check_types(resource_type: str, kind: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise bad_request(f"Invalid resource type {resource_type}")
    if kind not in DELIVERY_TYPES:
        raise bad_request(f"Invalid type {kind}")


def _by_public_ids(env: Environment, resource_type: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    ids = as_list(params, "public_ids")
    if len(ids) > BY_IDS_MAX:
        raise bad_request(f"Too many public_ids (maximum {BY_IDS_MAX})")
    flags = _flags(params)
    with env.lock:
        found = [env.assets[(resource_type, kind, p)] for p in ids if (resource_type, kind, p) in env.assets]
        return {"resources": [resources.admin_resource(a, env.cloud_name, _origin(), **flags) for a in found]}


def _by_asset_ids(env: Environment, params: dict[str, Any]) -> dict[str, Any]:
    ids = as_list(params, "asset_ids")
    if not ids:
        raise bad_request("asset_ids parameter is required")
    if len(ids) > BY_IDS_MAX:
        raise bad_request(f"Too many asset_ids (maximum {BY_IDS_MAX})")
    flags = _flags(params)
    with env.lock:
        by_id = {a.asset_id: a for a in env.assets.values()}
        found = [by_id[i] for i in ids if i in by_id]
        return {"resources": [resources.admin_resource(a, env.cloud_name, _origin(), **flags) for a in found]}


def _listing(env: Environment, resource_type: str, kind: Optional[str], params: dict[str, Any]) -> dict[str, Any]:
    max_results = as_int(params, "max_results", LIST_DEFAULT, 1, LIST_MAX)
    direction = str(params.get("direction") or "desc")
    if direction not in ("asc", "desc", "1", "-1"):
        raise bad_request(f"Invalid direction {direction}")
    prefix = str(params.get("prefix") or "")
    flags = _flags(params)
    with env.lock:
        chosen: list[Asset] = [a for a in env.assets.values() if a.resource_type == resource_type
                               and (kind is None or a.type == kind) and a.public_id.startswith(prefix)]
        chosen.sort(key=lambda a: (a.created_at, a.asset_id), reverse=direction in ("desc", "-1"))
        offset = _decode_cursor(params.get("next_cursor"))
        page = chosen[offset:offset + max_results]
        body: dict[str, Any] = {"resources": [resources.admin_resource(a, env.cloud_name, _origin(), **flags)
                                              for a in page]}
    if offset + max_results < len(chosen):
        body["next_cursor"] = base64.urlsafe_b64encode(json.dumps({"o": offset + max_results}).encode()).decode()
    return body


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(str(cursor)))["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise CloudinaryError(400, f"Invalid next_cursor - {cursor}") from None
