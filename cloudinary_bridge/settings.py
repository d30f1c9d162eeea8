"""The Setup tab's settings: their model, validation and the two endpoints.

Settings belong to one connection (or API key) and are stored on its
`BridgeCredential.settings`. A sync or upload may override any of them for
one batch: `effective_settings(credential, overrides)` is the one place that
merges and validates both.
"""
from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal, Mapping, Optional
from urllib.parse import urlsplit

from flask import current_app, g, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, ValidationInfo, \
    field_validator

from shopify_app.extensions import db
from shopify_app.models import BridgeCredential

from . import bp, openapi, transformation
from .errors import parse_body, validation_problem

# Cloudinary structured-metadata external ids and context keys.
KEY_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}"
ALT_TEXT_SOURCE_PATTERN = rf"^(display_name|public_id|none|metadata:{KEY_PATTERN}|context:{KEY_PATTERN})$"
MAX_URL_LENGTH = 2048


class Settings(BaseModel):
    """Per-connection settings. Every key is optional in a PUT (left out = default)."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"description": "Settings of one Cloudinary connection."})

    default_transformation: StrictStr = Field(
        "", max_length=transformation.MAX_LENGTH,
        description="Cloudinary transformation applied to every image, e.g. `w_1200,h_1200,c_fill`.")
    alt_text_source: Annotated[str, Field(pattern=ALT_TEXT_SOURCE_PATTERN)] = Field(
        "display_name", description="`display_name`, `public_id`, `metadata:<key>`, `context:<key>` or `none`.")
    filename_format: Literal["public_id", "all_metadata"] = "public_id"
    video_behavior: Literal["placeholder", "full_video", "none"] = "placeholder"
    asset_type_field: Optional[Annotated[str, Field(pattern=rf"^{KEY_PATTERN}$")]] = Field(
        None, description="Metadata key whose value `swatch` marks a swatch.")
    sync_completed_webhook_url: Optional[Annotated[str, Field(max_length=MAX_URL_LENGTH)]] = Field(
        None, description="https URL that receives `sync.completed`.")
    cache_busting: StrictBool = False

    @field_validator("default_transformation")
    @classmethod
    def _transformation(cls, value: str) -> str:
        try:
            return transformation.validate(value)
        except transformation.TransformationError as exc:
            raise ValueError(f"not a Cloudinary transformation: {exc}") from None

    @field_validator("sync_completed_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        development = bool((info.context or {}).get("development"))
        problem = webhook_url_problem(value, development=development)
        if problem:
            raise ValueError(problem)
        return value


def webhook_url_problem(url: str, *, development: bool) -> str | None:
    """Why `url` can't receive webhooks, or None.

    Outside development only https to a public host is allowed. A name is
    not resolved here (DNS can change later): the sender resolves it and
    checks the address again at delivery time.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "must not contain spaces or control characters"
    allowed = ("https", "http") if development else ("https",)
    if parts.scheme not in allowed:
        return "must be an https URL" if not development else "must be an http or https URL"
    if not parts.hostname:
        return "must name a host"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    if port == 0:
        return "has an invalid port"
    if development:
        return None
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan", ".home.arpa")):
        return "must point at a public address"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return "must be a fully qualified public host name"
        return None
    if not address.is_global:
        return "must point at a public address"
    return None


def stored_settings(credential: BridgeCredential) -> Settings:
    """The credential's settings, defaults filled in. Stored values were
    validated when saved; any that no longer validate fall back to default."""
    stored = dict(credential.settings or {})
    known = {k: v for k, v in stored.items() if k in Settings.model_fields}
    try:
        return Settings.model_validate(known, context={"development": True})
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
    base = stored_settings(credential).model_dump()
    if overrides is None:
        return Settings.model_validate(base, context={"development": True})
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
