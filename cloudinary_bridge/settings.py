"""The Setup tab's settings: loading, validating and the two endpoints.
The model itself is jobs.planner.settings, which the planner reads too.

Settings belong to one connection (or API key) and are stored on its
`BridgeCredential.settings`. A sync or upload may override any of them for
one batch: `effective_settings(credential, overrides)` is the one place that
merges and validates both.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import current_app, g, jsonify
from pydantic import ValidationError

from jobs.planner.settings import Settings
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential

from . import bp, openapi
from .errors import parse_body, validation_problem


# Settings whose value may be null (their default is None).
NULLABLE = frozenset(name for name, field in Settings.model_fields.items() if field.default is None)


def stored_settings(credential: BridgeCredential) -> Settings:
    """The credential's settings, defaults filled in. Stored values were
    validated when saved (under the deployment's webhook URL policy, which
    is not judged again here); any that no longer validate fall back to
    default."""
    stored = dict(credential.settings or {})
    known = {k: v for k, v in stored.items() if k in Settings.model_fields}
    try:
        return Settings.model_validate(known)
    except ValidationError:
        return Settings()


def validate_settings(data: Any, *, loc_prefix: tuple[Any, ...] = ()) -> Settings:
    """Validate a settings object from a request; 422 with field paths."""
    try:
        return Settings.model_validate(data, context=_context())
    except ValidationError as exc:
        raise validation_problem(exc, prefix=loc_prefix) from None


def effective_settings(credential: BridgeCredential, overrides: Mapping[str, Any] | None,
                       *, loc_prefix: tuple[Any, ...] = ("settings",)) -> Settings:
    """The credential's settings with a batch's `settings` overrides applied."""
    stored = stored_settings(credential)
    if overrides is None:
        return stored
    if isinstance(overrides, Mapping):
        # null overrides nothing, except where null is a setting's value
        # (asset_type_field: no swatches; sync_completed_webhook_url: none).
        overrides = {key: value for key, value in overrides.items() if value is not None or key in NULLABLE}
    base = stored.model_dump()
    # The overrides alone first, so unknown keys and bad types are named as
    # the batch sent them; then the merged object.
    validate_settings(overrides, loc_prefix=loc_prefix)
    return validate_settings({**base, **overrides}, loc_prefix=loc_prefix)


def _context() -> dict[str, Any]:
    return {"development": bool(current_app.config.get("ASSETLINK_DEVELOPMENT"))}


@bp.get("/settings")
@openapi.operation("Read the connection's settings", tag="Settings", responses={200: Settings})
def get_settings():
    return jsonify(stored_settings(g.credential).model_dump())


@bp.put("/settings")
@openapi.operation("Replace the connection's settings", tag="Settings", request=Settings, responses={200: Settings},
                   description="The whole object: keys left out take their default, unknown keys are 422.")
def put_settings():
    settings = parse_body(Settings, context=_context())
    credential = db.session.get(BridgeCredential, g.credential.id)
    credential.settings = settings.model_dump()
    db.session.commit()
    return jsonify(settings.model_dump())
