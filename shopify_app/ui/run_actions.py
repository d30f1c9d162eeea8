"""The admin's controls over runs, under /app/api (session-token auth like
api.py): abort, retry (the same request again, a new run) and undo a run;
start the files clean-up and turn it on or off. Each new run answers
202 {"id": <run id>} and is polled with GET /app/api/syncs/<id>; what is
allowed is what the status object's `actions` shows (batch_views).
"""
from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from jobs import run_requests

from .. import json_input
from ..auth.session_token import session_token_required
from ..problems import Problem
from . import bp
from .api import _own_sync, current_shop


def _not_allowed(error: run_requests.NotAllowed) -> Problem:
    return Problem(409, str(error), title="Conflict")


def _accepted(run_id: str) -> ResponseReturnValue:
    return jsonify(id=run_id), 202


@bp.post("/app/api/syncs/<sync_id>/abort")
@session_token_required
def abort_run(sync_id: str) -> ResponseReturnValue:
    sync = _own_sync(current_shop(), sync_id)
    try:
        run_requests.abort(current_app.config, sync)
    except run_requests.NotAllowed as error:
        raise _not_allowed(error) from None
    return _accepted(sync.id)


@bp.post("/app/api/syncs/<sync_id>/retry")
@session_token_required
def retry_run(sync_id: str) -> ResponseReturnValue:
    sync = _own_sync(current_shop(), sync_id)
    try:
        return _accepted(run_requests.retry(current_app.config, sync).id)
    except run_requests.NotAllowed as error:
        raise _not_allowed(error) from None


@bp.post("/app/api/syncs/<sync_id>/undo")
@session_token_required
def undo_run(sync_id: str) -> ResponseReturnValue:
    sync = _own_sync(current_shop(), sync_id)
    try:
        return _accepted(run_requests.undo(current_app.config, sync).id)
    except run_requests.NotAllowed as error:
        raise _not_allowed(error) from None


def _flag(field: str) -> bool:
    body = json_input.json_body()
    if not isinstance(body, dict) or not isinstance(body.get(field), bool):
        raise Problem(422, f"The body must be a JSON object with \"{field}\": true or false.",
                      errors=[{"field": field, "message": "must be true or false"}])
    return bool(body[field])


@bp.post("/app/api/files/cleanup")
@session_token_required
def start_cleanup() -> ResponseReturnValue:
    shop = current_shop()
    dry_run = _flag("dry_run")
    try:
        return _accepted(run_requests.cleanup(current_app.config, shop.id, dry_run=dry_run).id)
    except run_requests.NotAllowed as error:
        raise _not_allowed(error) from None


@bp.get("/app/api/files/cleanup/settings")
@session_token_required
def cleanup_settings() -> ResponseReturnValue:
    return jsonify(enabled=run_requests.cleanup_enabled(current_shop().id))


@bp.put("/app/api/files/cleanup/settings")
@session_token_required
def update_cleanup_settings() -> ResponseReturnValue:
    shop = current_shop()
    enabled = _flag("enabled")
    run_requests.set_cleanup_enabled(shop.id, enabled)
    return jsonify(enabled=enabled)
