"""Admin API configuration endpoints: structured metadata field definitions
(`/metadata_fields`, metadata.py) and notification triggers (`/triggers`).

Triggers (https://cloudinary.com/documentation/admin_api#triggers; api-schemas
environment-config/schema.yml): `GET /triggers[?event_type=]` →
`{"triggers": [...], "total": n}`; `POST /triggers {uri, event_type}` → 201 with
the trigger (`id`, `product_environment_id`, `uri_type` "webhook", `uri`,
`event_type`, `created_at`, `updated_at`), 409 `record_already_exists` for the
same uri and event type, 400 `limit_reached` past 30 URLs per event type;
`PUT /triggers/<id> {new_uri}` → `{"message": "ok"}`; `DELETE /triggers/<id>` →
`{"message": "ok"}`; an unknown id → 404 `record_not_found`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from . import get_state
from . import metadata as smd
from .admin_api import _env
from .errors import CloudinaryError, bad_request, not_found
from .notifications import iso
from .params import admin_params
from .state import Trigger, new_id

bp = Blueprint("cloudinary_sim_admin_config", __name__)

EVENT_TYPES = {"all", "access_control_changed", "bulk_refresh_auto_fetch", "create_folder", "delete",
               "delete_by_token", "delete_folder", "eager", "error", "explode", "generate_archive", "info",
               "invalidate_custom_cdn", "moderation", "moderation_summary", "move", "move_or_rename_asset_folder",
               "multi", "publish", "rename", "report", "resource_context_changed", "resource_display_name_changed",
               "resource_metadata_changed", "resource_tags_changed", "restore_asset_version", "sprite", "upload"}
URLS_PER_EVENT_TYPE = 30


@bp.get("/v1_1/<cloud>/metadata_fields")
def list_fields(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        return jsonify({"metadata_fields": [f.as_json() for f in env.metadata_fields.values()]})


@bp.post("/v1_1/<cloud>/metadata_fields")
def create_field(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = admin_params(request)
    with env.lock:
        field = smd.field_from_request(body, env.metadata_fields)
        env.metadata_fields[field.external_id] = field
        return jsonify(field.as_json())


@bp.get("/v1_1/<cloud>/metadata_fields/<external_id>")
def get_field(cloud: str, external_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    field = env.metadata_fields.get(external_id)
    if field is None:
        raise not_found(f"Metadata field {external_id} not found")
    return jsonify(field.as_json())


@bp.put("/v1_1/<cloud>/metadata_fields/<external_id>")
def update_field(cloud: str, external_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        field = env.metadata_fields.get(external_id)
        if field is None:
            raise not_found(f"Metadata field {external_id} not found")
        smd.update_field(field, admin_params(request))
        return jsonify(field.as_json())


@bp.delete("/v1_1/<cloud>/metadata_fields/<external_id>")
def delete_field(cloud: str, external_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        if env.metadata_fields.pop(external_id, None) is None:
            raise not_found(f"Metadata field {external_id} not found")
        for asset in env.assets.values():
            asset.metadata.pop(external_id, None)
    return jsonify({"message": "ok"})


def _trigger_json(trigger: Trigger, env_id: str) -> dict[str, Any]:
    return {"id": trigger.id, "product_environment_id": env_id, "uri_type": trigger.uri_type, "uri": trigger.uri,
            "event_type": trigger.event_type, "created_at": iso(trigger.created_at).replace("Z", "+00:00"),
            "updated_at": iso(trigger.updated_at).replace("Z", "+00:00")}


def _env_id(cloud: str) -> str:
    import hashlib
    return hashlib.md5(cloud.encode()).hexdigest()


@bp.get("/v1_1/<cloud>/triggers")
def list_triggers(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    event_type = request.args.get("event_type")
    if event_type and event_type not in EVENT_TYPES:
        raise bad_request(f"Invalid value {event_type} for parameter event_type")
    with env.lock:
        chosen = [t for t in env.triggers.values() if not event_type or t.event_type == event_type]
        return jsonify({"triggers": [_trigger_json(t, _env_id(cloud)) for t in chosen], "total": len(chosen)})


@bp.post("/v1_1/<cloud>/triggers")
def create_trigger(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = admin_params(request)
    uri, event_type = body.get("uri"), body.get("event_type")
    uri_type = body.get("uri_type") or "webhook"
    if not uri or not event_type:
        raise bad_request("missing_attributes")
    if event_type not in EVENT_TYPES:
        raise bad_request(f"Invalid value {event_type} for parameter event_type")
    if uri_type != "webhook":
        raise bad_request(f"Invalid value {uri_type} for parameter uri_type")
    if not str(uri).startswith(("http://", "https://")):
        raise bad_request("invalid_or_malformed_attribute")
    with env.lock:
        same_type = [t for t in env.triggers.values() if t.event_type == event_type]
        if any(t.uri == uri for t in same_type):
            raise CloudinaryError(409, "record_already_exists")
        if len(same_type) >= URLS_PER_EVENT_TYPE:
            raise bad_request("limit_reached")
        now = get_state().now()
        trigger = Trigger(id=new_id(), uri=str(uri), event_type=event_type, uri_type=uri_type, created_at=now,
                          updated_at=now)
        env.triggers[trigger.id] = trigger
    response = jsonify(_trigger_json(trigger, _env_id(cloud)))
    response.status_code = 201
    return response


@bp.put("/v1_1/<cloud>/triggers/<trigger_id>")
def update_trigger(cloud: str, trigger_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    new_uri = admin_params(request).get("new_uri")
    if not new_uri:
        raise bad_request("missing_attributes")
    with env.lock:
        trigger = env.triggers.get(trigger_id)
        if trigger is None:
            raise not_found("record_not_found")
        trigger.uri, trigger.updated_at = str(new_uri), get_state().now()
    return jsonify({"message": "ok"})


@bp.delete("/v1_1/<cloud>/triggers/<trigger_id>")
def delete_trigger(cloud: str, trigger_id: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        if env.triggers.pop(trigger_id, None) is None:
            raise not_found("record_not_found")
    return jsonify({"message": "ok"})
