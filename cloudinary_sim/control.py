"""The simulator's own control API (`/_sim/...`), for tests and the demo.
Bad input answers an RFC 9457 problem document (422), like shopify_sim's.

| request | effect |
|---|---|
| `POST /_sim/environments {"cloud_name", "api_key", "api_secret", "signature_algorithm"?, "replace"?}` | creates a product environment (201); 409 if it exists unless `replace` |
| `GET /_sim/environments`, `GET /_sim/environments/<cloud>` | summaries / one environment's assets, fields, triggers |
| `PATCH /_sim/environments/<cloud> {"signature_algorithm": "sha1"/"sha256"}` | what notifications are signed with and which upload signatures are accepted |
| `DELETE /_sim/environments/<cloud>` | removes it |
| `POST /_sim/environments/<cloud>/assets {"assets": [{public_id, resource_type?, metadata?, tags?, context?, uploaded_at?, …}]}` | stores assets without files (generated media), no notifications |
| `GET /_sim/environments/<cloud>/notifications` | every notification: status, attempts, headers, body |
| `POST /_sim/environments/<cloud>/notifications/faults {"action": "drop"/"duplicate"/"hold", "count"?, "notification_type"?}` | the next matching notifications are dropped, sent twice, or held |
| `POST /_sim/environments/<cloud>/notifications/release {"order": "reverse"/"sent", "ids"?}` | sends held notifications in that order |
| `POST /_sim/environments/<cloud>/notifications/deliver` | attempts every due notification now (servers run without the delivery thread) |
| `POST /_sim/environments/<cloud>/delivery_faults {"match", "status", "count"?}` | delivery URLs containing `match` answer `status` |
| `GET /_sim/clock`, `POST /_sim/clock {"advance": seconds}` | the simulator's clock (upload versions, dates, relative search dates, signature freshness) |
"""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from . import assets, get_state, notifications
from .errors import ControlProblem
from .notifications import FAULT_ACTIONS, iso
from .state import SIGNATURE_ALGORITHMS, Environment

bp = Blueprint("cloudinary_sim_control", __name__, url_prefix="/_sim")

CLOUD_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RESERVED_CLOUDS = {"v1_1", "v2", "_sim"}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ControlProblem(422, "Invalid body", "The body must be a JSON object")
    return body


def _env(cloud: str) -> Environment:
    env = get_state().environment(cloud)
    if env is None:
        raise ControlProblem(404, "No such environment", f"No environment named {cloud}")
    return env


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ControlProblem(422, "Invalid environment", f"{name} is required (a non-empty string)",
                             errors=[{"pointer": f"#/{name}", "detail": "required"}])
    return value


def _algorithm(body: dict[str, Any]) -> str:
    algorithm = body.get("signature_algorithm", "sha1")
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise ControlProblem(422, "Invalid environment", "signature_algorithm must be sha1 or sha256",
                             errors=[{"pointer": "#/signature_algorithm", "detail": "sha1 or sha256"}])
    return algorithm


@bp.post("/environments")
def create_environment():  # type: ignore[no-untyped-def]
    body = _body()
    cloud = _text(body, "cloud_name")
    if not CLOUD_NAME.match(cloud) or cloud in RESERVED_CLOUDS:
        raise ControlProblem(422, "Invalid environment", "cloud_name: lower-case letters, digits, '-' and '_'",
                             errors=[{"pointer": "#/cloud_name", "detail": "invalid"}])
    env = Environment(cloud_name=cloud, api_key=_text(body, "api_key"), api_secret=_text(body, "api_secret"),
                      signature_algorithm=_algorithm(body))
    state = get_state()
    with state.lock:
        if cloud in state.environments and not body.get("replace"):
            raise ControlProblem(409, "Environment exists", f"{cloud} exists; send replace: true to start it afresh")
        state.environments[cloud] = env
    response = jsonify(env.as_json())
    response.status_code = 201
    return response


@bp.get("/environments")
def list_environments():  # type: ignore[no-untyped-def]
    return jsonify({"environments": [e.as_json() for e in get_state().environments.values()]})


@bp.get("/environments/<cloud>")
def show_environment(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        return jsonify({**env.as_json(),
                        "assets": [_asset_json(a) for a in env.assets.values()],
                        "metadata_fields": [f.as_json() for f in env.metadata_fields.values()],
                        "triggers": [{"id": t.id, "uri": t.uri, "event_type": t.event_type}
                                     for t in env.triggers.values()]})


def _asset_json(asset: Any) -> dict[str, Any]:
    return {"asset_id": asset.asset_id, "public_id": asset.public_id, "resource_type": asset.resource_type,
            "type": asset.type, "format": asset.format, "version": asset.version, "tags": asset.tags,
            "context": asset.context, "metadata": asset.metadata, "display_name": asset.display_name,
            "asset_folder": asset.asset_folder, "created_at": iso(asset.created_at),
            "uploaded_at": iso(asset.uploaded_at), "updated_at": iso(asset.updated_at), "bytes": asset.bytes,
            "generated": asset.content is None}


@bp.patch("/environments/<cloud>")
def patch_environment(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = _body()
    with env.lock:
        env.signature_algorithm = _algorithm({"signature_algorithm": env.signature_algorithm, **body})
    return jsonify(env.as_json())


@bp.delete("/environments/<cloud>")
def delete_environment(cloud: str):  # type: ignore[no-untyped-def]
    _env(cloud)
    get_state().environments.pop(cloud, None)
    return "", 204


@bp.post("/environments/<cloud>/assets")
def seed_assets(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    specs = _body().get("assets")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ControlProblem(422, "Invalid assets", "assets must be a list of objects")
    created = [assets.seed(get_state(), env, spec) for spec in specs]
    response = jsonify({"assets": [_asset_json(a) for a in created]})
    response.status_code = 201
    return response


@bp.get("/environments/<cloud>/notifications")
def list_notifications(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    with env.lock:
        return jsonify({"notifications": [notifications.as_json(n) for n in env.notifications]})


@bp.post("/environments/<cloud>/notifications/faults")
def add_notification_fault(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = _body()
    action = body.get("action")
    count = body.get("count", 1)
    if action not in FAULT_ACTIONS:
        raise ControlProblem(422, "Invalid fault", f"action must be one of {', '.join(FAULT_ACTIONS)}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ControlProblem(422, "Invalid fault", "count must be a positive integer")
    kind = body.get("notification_type")
    if kind is not None and not isinstance(kind, str):
        raise ControlProblem(422, "Invalid fault", "notification_type must be a string")
    with env.lock:
        env.notification_faults.append({"action": action, "count": count, "notification_type": kind})
    return jsonify({"faults": env.notification_faults}), 201


@bp.post("/environments/<cloud>/notifications/release")
def release_notifications(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = request.get_json(silent=True) or {}
    order = body.get("order", "reverse")
    if order not in ("reverse", "sent"):
        raise ControlProblem(422, "Invalid release", "order must be reverse or sent")
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise ControlProblem(422, "Invalid release", "ids must be a list of notification ids")
    released = notifications.release(get_state(), env, order, ids)
    return jsonify({"released": released})


@bp.post("/environments/<cloud>/notifications/deliver")
def deliver_now(cloud: str):  # type: ignore[no-untyped-def]
    _env(cloud)
    attempted = notifications.deliver_pending(get_state(), current_app.config["SIM_NOTIFICATION_RETRY_SCALE"])
    return jsonify({"attempted": attempted})


@bp.post("/environments/<cloud>/delivery_faults")
def add_delivery_fault(cloud: str):  # type: ignore[no-untyped-def]
    env = _env(cloud)
    body = _body()
    match, status, count = body.get("match"), body.get("status"), body.get("count", 1)
    if not isinstance(match, str) or not match:
        raise ControlProblem(422, "Invalid fault", "match must be a non-empty string")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise ControlProblem(422, "Invalid fault", "status must be an HTTP error status (400-599)")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ControlProblem(422, "Invalid fault", "count must be a positive integer")
    with env.lock:
        env.delivery_faults.append({"match": match, "status": status, "count": count})
    return jsonify({"faults": env.delivery_faults}), 201


@bp.get("/clock")
def clock():  # type: ignore[no-untyped-def]
    state = get_state()
    return jsonify({"now": state.now(), "iso": iso(state.now()), "offset": state.clock_offset})


@bp.post("/clock")
def advance_clock():  # type: ignore[no-untyped-def]
    seconds = _body().get("advance")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise ControlProblem(422, "Invalid clock change", "advance must be a non-negative number of seconds")
    state = get_state()
    state.clock_offset += float(seconds)
    return jsonify({"now": state.now(), "iso": iso(state.now()), "offset": state.clock_offset})
