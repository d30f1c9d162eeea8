"""The embedded admin's JSON API under /app/api.

The Settings page holds no secret in its HTML: it fetches the connection code,
connected environments and API keys from here, authenticated by the App Bridge
session token like every other call. Every query is scoped to the token's shop,
so another store's id answers 404.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from .. import credentials
from ..auth.session_token import session_token_required
from ..extensions import db
from ..models import BridgeCredential, Shop
from ..problems import Problem
from . import bp

LABEL_MAX_LENGTH = 100


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def environment_json(credential: BridgeCredential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "cloud_name": credential.cloud_name,
        "label": credential.label,
        "connected_at": rfc3339(credential.created_at),
        "last_used_at": rfc3339(credential.last_used_at),
    }


def api_key_json(credential: BridgeCredential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "label": credential.label,
        "prefix": credential.prefix,
        "created_at": rfc3339(credential.created_at),
        "last_used_at": rfc3339(credential.last_used_at),
    }


def validate_label(body: Any) -> str:
    """The trimmed label of a new API key, or a 422 naming the field."""
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object such as {\"label\": \"PIM import\"}.")
    label = body.get("label")
    if not isinstance(label, str):
        raise Problem(422, "The API key needs a label.",
                      errors=[{"field": "label", "message": "Enter a label, for example \"PIM import\"."}])
    label = label.strip()
    if not label:
        raise Problem(422, "The API key needs a label.",
                      errors=[{"field": "label", "message": "Enter a label, for example \"PIM import\"."}])
    if len(label) > LABEL_MAX_LENGTH:
        raise Problem(422, f"The label is longer than {LABEL_MAX_LENGTH} characters.",
                      errors=[{"field": "label",
                               "message": f"Use at most {LABEL_MAX_LENGTH} characters ({len(label)} given)."}])
    return label


def current_shop() -> Shop:
    """The installed shop the session token speaks for; 401 otherwise.

    An uninstalled shop has no codes or keys to manage; reloading the app
    runs the install again.
    """
    shop = db.session.scalar(select(Shop).where(Shop.domain == g.session.shop))
    if shop is None or not shop.is_installed:
        raise Problem(401, "AssetLink isn't installed on this store. Reload the app to install it again.")
    return shop


def _own_credential(shop: Shop, credential_id: str, kind: str, noun: str) -> BridgeCredential:
    credential = db.session.scalar(
        select(BridgeCredential).where(BridgeCredential.id == credential_id, BridgeCredential.shop_id == shop.id,
                                       BridgeCredential.kind == kind, BridgeCredential.revoked_at.is_(None)))
    if credential is None:
        raise Problem(404, f"No such {noun} on this store.")
    return credential


@bp.get("/app/api/connection")
@session_token_required
def get_connection() -> ResponseReturnValue:
    shop = current_shop()
    code = credentials.current_code(shop)
    environments = [environment_json(c) for c in credentials.list_credentials(shop.id, "connection")]
    return jsonify(code=code, environments=environments)


@bp.post("/app/api/connection/regenerate")
@session_token_required
def regenerate_connection_code() -> ResponseReturnValue:
    shop = current_shop()
    return jsonify(code=credentials.regenerate_code(shop))


@bp.delete("/app/api/connections/<credential_id>")
@session_token_required
def disconnect_environment(credential_id: str) -> ResponseReturnValue:
    shop = current_shop()
    credential = _own_credential(shop, credential_id, "connection", "connected environment")
    credentials.revoke(credential)
    db.session.commit()
    return Response(status=204)


@bp.get("/app/api/api-keys")
@session_token_required
def list_api_keys() -> ResponseReturnValue:
    shop = current_shop()
    return jsonify([api_key_json(c) for c in credentials.list_credentials(shop.id, "api_key")])


@bp.post("/app/api/api-keys")
@session_token_required
def create_api_key() -> ResponseReturnValue:
    shop = current_shop()
    label = validate_label(request.get_json(silent=True))
    issued = credentials.create_api_key(shop, label)
    # The key and its signing secret exist in clear only in this response.
    body = {**api_key_json(issued.credential), "key": issued.token, "signing_secret": issued.signing_secret}
    return jsonify(body), 201


@bp.delete("/app/api/api-keys/<credential_id>")
@session_token_required
def revoke_api_key(credential_id: str) -> ResponseReturnValue:
    shop = current_shop()
    credential = _own_credential(shop, credential_id, "api_key", "API key")
    credentials.revoke(credential)
    db.session.commit()
    return Response(status=204)
