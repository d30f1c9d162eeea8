"""The Upload API (https://cloudinary.com/documentation/image_upload_api_reference):
`POST /v1_1/<cloud>/<resource_type>/<action>` for upload, explicit, rename,
destroy, tags, context and metadata, and `POST /v1_1/<cloud>/upload` (resource
type detected, like `auto`). Signed parameters or Basic credentials (auth.py).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, current_app, jsonify, request

from . import assets, get_state
from .auth import check_upload_auth, environment_for
from .errors import CloudinaryError
from .params import upload_params

bp = Blueprint("cloudinary_sim_upload", __name__)

RESOURCE_TYPES = ("image", "video", "raw", "auto")
ACTIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "explicit": lambda state, env, rt, params, origin: assets.explicit(state, env, rt, params, origin),
    "rename": lambda state, env, rt, params, origin: assets.rename(state, env, rt, params, origin),
    "destroy": lambda state, env, rt, params, origin: assets.destroy(state, env, rt, params),
    "tags": lambda state, env, rt, params, origin: assets.tags_command(state, env, rt, params),
    "context": lambda state, env, rt, params, origin: assets.context_command(state, env, rt, params),
    "metadata": lambda state, env, rt, params, origin: assets.metadata_command(state, env, rt, params),
}


def _origin() -> str:
    return current_app.config["SIM_DELIVERY_ORIGIN"]


@bp.post("/v1_1/<cloud>/upload")
def upload_auto(cloud: str):  # type: ignore[no-untyped-def]
    return upload(cloud, "auto")


@bp.post("/v1_1/<cloud>/<resource_type>/upload")
def upload(cloud: str, resource_type: str):  # type: ignore[no-untyped-def]
    state = get_state()
    env = environment_for(state, cloud)
    params, file_param = upload_params(request)
    check_upload_auth(env, request, params, "upload", state.now())
    if resource_type not in RESOURCE_TYPES:
        raise CloudinaryError(400, f"Invalid resource type {resource_type}")
    return jsonify(assets.upload(state, env, resource_type, params, file_param, _origin()))


@bp.post("/v1_1/<cloud>/<resource_type>/<action>")
def action(cloud: str, resource_type: str, action: str):  # type: ignore[no-untyped-def]
    handler = ACTIONS.get(action)
    if handler is None:
        raise CloudinaryError(404, f"Unsupported action {action}")
    state = get_state()
    env = environment_for(state, cloud)
    params, _ = upload_params(request)
    check_upload_auth(env, request, params, action, state.now())
    if resource_type not in ("image", "video", "raw"):
        raise CloudinaryError(400, f"Invalid resource type {resource_type}")
    return jsonify(handler(state, env, resource_type, params, _origin()))
