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

from . import addresses, transformation

# Cloudinary structured-metadata external ids and context keys.
KEY_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}"
ALT_TEXT_SOURCE_PATTERN = rf"^(display_name|public_id|none|metadata:{KEY_PATTERN}|context:{KEY_PATTERN})$"
MAX_URL_LENGTH = 2048

FilenameFormat = Literal["public_id", "all_metadata"]
VideoBehavior = Literal["placeholder", "full_video", "none"]
AltTextSource = Annotated[str, Field(pattern=ALT_TEXT_SOURCE_PATTERN)]
# The grammar goes into the JSON Schema as well (transformation.PATTERN).
Transformation = Annotated[StrictStr, Field(max_length=transformation.MAX_LENGTH,
                                            json_schema_extra=transformation.json_schema)]


class Settings(BaseModel):
    """Per-connection settings. Every key is optional in a PUT (left out = default)."""

    model_config = ConfigDict(extra="forbid", strict=True,
                              json_schema_extra={"description": "Settings of one Cloudinary connection."})

    default_transformation: Transformation = Field(
        "", description="Cloudinary transformation applied to every image, e.g. `w_1200,h_1200,c_fill`.")
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

    default_transformation: Optional[Transformation] = None  # type: ignore[assignment]
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

    Outside development only https to a public host is allowed: an IP
    address must be public (jobs.planner.addresses: IPv6 forms embedding an
    IPv4 address are judged by it) and written plainly (no 0x7f.0.0.1,
    0177.0.0.1 or 127.1). A name is not resolved here (DNS can change
    later): the sender checks the address it connects to at delivery time.
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
    address: addresses.IPAddress | None
    if ":" in host:  # only an IPv6 literal has colons in its host
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            return "has a host that is neither a name nor an IP address"
    else:
        try:
            address = addresses.numeric_host(host)
        except addresses.NotAnAddress:
            return "has a host that is neither a name nor an IP address"
        if address is not None and str(address) != host:
            # 0x7f.0.0.1, 0177.0.0.1, 127.1: what resolvers read as 127.0.0.1.
            return "must write an IPv4 address as four decimal numbers (a.b.c.d)"
    if address is None:
        return None if "." in host else "must be a fully qualified public host name"
    if not addresses.is_public(address):
        return "must point at a public address"
    return None


# -- the same rule as JSON Schema (the OpenAPI document) -------------------------------------------

_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# What `webhook_url_problem` refuses anywhere: control characters and every
# character str.isspace() calls whitespace, named one by one because regex
# dialects disagree on what `\s` holds (U+0085, U+001C-U+001F).
_NOT_IN_URL = r"\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A host here has no separators, user info, brackets or backslashes either.
_HOST_CHAR = rf"[^{_NOT_IN_URL}/?#@:\[\]\\]"
_REST = rf"([/?#][^{_NOT_IN_URL}]*)?"


def webhook_url_schema(*, development: bool) -> dict[str, object]:
    """`webhook_url_problem`'s rule as JSON Schema keywords for a string:
    every URL they accept, the function accepts (tests check it with
    generated URLs). Outside development a host must be a name whose last
    label holds a letter (IP literals, which the function judges address by
    address, are left out) and not a local one."""
    if development:
        pattern = rf"^[hH][tT][tT][pP][sS]?://{_HOST_CHAR}+(:{_PORT})?{_REST}$"
        return {"pattern": pattern}
    label = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    last = r"[A-Za-z0-9-]{0,62}[A-Za-z][A-Za-z0-9-]{0,62}"
    pattern = rf"^[hH][tT][tT][pP][sS]://({label}\.)+{last}\.?(:{_PORT})?{_REST}$"
    # Local names, and a last label that is a hex number (0x1f: an address).
    local_or_numeric = (r"^[^:]+://([^/?#:]*\.)?(localhost|local|internal|lan|home\.arpa)\.?([:/?#]|$)"
                        r"|^[^:]+://[^/?#:]*\.0[xX][0-9a-fA-F]*\.?([:/?#]|$)")
    return {"pattern": pattern, "not": {"pattern": local_or_numeric}}
