"""A connection's settings (the Setup tab) and a batch's overrides of them:
the one definition the bridge validates requests with (PUT /settings, a
batch's `settings`, the OpenAPI schema) and the planner and jobs read.

Pure, like the rest of the planner: the rule that depends on the deployment
(webhook URLs: https to a public host outside development) takes the
deployment from the validation context, `{"development": bool}`, which the
bridge passes. Without a context the data is a snapshot the bridge already
validated, so only the deployment-independent rules apply; the webhook
sender checks the URL again at delivery time.
"""
from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Optional
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationInfo, field_validator

from . import transformation

# Cloudinary structured-metadata external ids and context keys.
KEY_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}"
ALT_TEXT_SOURCE_PATTERN = rf"^(display_name|public_id|none|metadata:{KEY_PATTERN}|context:{KEY_PATTERN})$"
MAX_URL_LENGTH = 2048

FilenameFormat = Literal["public_id", "all_metadata"]
VideoBehavior = Literal["placeholder", "full_video", "none"]
AltTextSource = Annotated[str, Field(pattern=ALT_TEXT_SOURCE_PATTERN)]


class Settings(BaseModel):
    """Per-connection settings. Every key is optional in a PUT (left out = default)."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"description": "Settings of one Cloudinary connection."})

    default_transformation: StrictStr = Field(
        "", max_length=transformation.MAX_LENGTH,
        description="Cloudinary transformation applied to every image, e.g. `w_1200,h_1200,c_fill`.")
    alt_text_source: AltTextSource = Field(
        "display_name", description="`display_name`, `public_id`, `metadata:<key>`, `context:<key>` or `none`.")
    filename_format: FilenameFormat = "public_id"
    video_behavior: VideoBehavior = "placeholder"
    asset_type_field: Optional[Annotated[str, Field(pattern=rf"^{KEY_PATTERN}$")]] = Field(
        None, description="Metadata key whose value `swatch` marks a swatch.")
    sync_completed_webhook_url: Optional[Annotated[str, Field(max_length=MAX_URL_LENGTH)]] = Field(
        None, description="https URL that receives `sync.completed`.")
    cache_busting: StrictBool = False

    @field_validator("default_transformation")
    @classmethod
    def _transformation(cls, value: Optional[str]) -> Optional[str]:
        if value is None:  # a batch override leaving the setting alone
            return None
        try:
            return transformation.validate(value)
        except transformation.TransformationError as exc:
            raise ValueError(f"not a Cloudinary transformation: {exc}") from None

    @field_validator("sync_completed_webhook_url")
    @classmethod
    def _webhook_url(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        if value is None:
            return None
        development = bool((info.context or {}).get("development", True))
        problem = webhook_url_problem(value, development=development)
        if problem:
            raise ValueError(problem)
        return value


class SettingsOverride(Settings):
    """`settings` inside a sync or upload request: any subset, for that batch only."""

    model_config = ConfigDict(json_schema_extra={
        "description": "`settings` inside a sync request: any subset, for that batch only."})

    default_transformation: Optional[StrictStr] = Field(  # type: ignore[assignment]
        None, max_length=transformation.MAX_LENGTH)
    alt_text_source: Optional[AltTextSource] = None  # type: ignore[assignment]
    filename_format: Optional[FilenameFormat] = None  # type: ignore[assignment]
    video_behavior: Optional[VideoBehavior] = None  # type: ignore[assignment]
    cache_busting: Optional[StrictBool] = None  # type: ignore[assignment]

    def apply_to(self, base: Settings) -> Settings:
        """The settings in force for one batch: `base` with the keys this
        override sets (explicit nulls included: `asset_type_field: null`
        switches swatches off for the batch)."""
        return base.model_copy(update=self.model_dump(exclude_unset=True))


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
