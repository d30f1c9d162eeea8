"""The Link to Products request, as the bridge contract defines it (spec:
"Link to Products: syncs"); its settings are in `settings`.

These models are the single definition: the bridge validates request bodies
with them and the planner reads the validated objects, so both always agree
on names, defaults and limits.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Sequence

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from .settings import SettingsOverride

MAX_ASSETS = 1000  # the Cloudinary selection limit (contract "Limits")

# The Shopify fields a value can be matched against (contract: "Fields and
# match preview"): the standard ones (cloudinary_bridge.fields describes
# them) or a product metafield definition as `metafield:<namespace>.<key>`.
# Shopify: a namespace is alphanumeric, hyphen and underscore (3-255), a key
# the same (2-64) (MetafieldDefinitionInput, Admin API 2025-10); `$` and `:`
# let the app-reserved `$app:...` form through. ASCII classes on purpose:
# regex dialects disagree on what `\s` holds.
STANDARD_FIELD_KEYS = ("sku", "barcode", "handle", "title", "vendor", "product_type", "tag", "id")
_METAFIELD = r"metafield:[A-Za-z0-9_$:\-]{1,255}\.[A-Za-z0-9_\-]{1,64}"
SHOPIFY_FIELD_PATTERN = rf"^({'|'.join(STANDARD_FIELD_KEYS)}|{_METAFIELD})$"

LinkMode = Literal["overwrite", "reset", "append", "prepend", "position"]


def _whole_float(value: Any) -> Any:
    # JSON Schema counts 1.0 as an integer; a strict int field alone refuses it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer as JSON Schema means it (1 and 1.0; never "1" or true). Bounds
# go before the validator (Annotated[int, Field(ge=1), WHOLE]) so the JSON
# Schema states them as minimum/maximum.
WHOLE = BeforeValidator(_whole_float)
JsonInt = Annotated[int, WHOLE]


def nullable(schema: dict[str, Any]) -> None:
    """JSON Schema hook: the field also takes null (a `before` validator
    turns it into the default)."""
    inner = dict(schema)
    schema.clear()
    schema["anyOf"] = [inner, {"type": "null"}]


def no_settings(value: Any) -> Any:
    """`"settings": null` means no overrides."""
    return {} if value is None else value


def shopify_field(value: str) -> str:
    """`value` if it names a Shopify field (SHOPIFY_FIELD_PATTERN), else a
    ValueError saying what would."""
    if not re.fullmatch(SHOPIFY_FIELD_PATTERN, value):
        raise ValueError(f"is not a Shopify field; use one of {', '.join(STANDARD_FIELD_KEYS)} or "
                         f"metafield:<namespace>.<key> (see GET /fields)")
    return value


class Asset(BaseModel):
    """One selected Cloudinary asset. Fields the Cloudinary side adds beyond
    the contract (bytes, width, created_at, ...) are accepted and ignored."""

    # strict: the JSON types the schema states, no coercion ("1" is no
    # version, 1 no boolean), so the OpenAPI document is as strict as this.
    model_config = ConfigDict(extra="ignore", strict=True)

    public_id: str = Field(min_length=1, max_length=1024,
                           json_schema_extra={"pattern": "^[^\\x00-\\x1f]+$"})
    resource_type: Literal["image", "video", "raw"] = "image"
    type: str = Field("upload", min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    format: Optional[str] = Field(None, max_length=16, pattern=r"^[A-Za-z0-9]+$")
    # Cloudinary versions are unix times; the bound is the BIGINT column
    # uploads record it in (store_files.version), so no version fails a job.
    version: Optional[Annotated[int, Field(ge=1, le=2**63 - 1), WHOLE]] = None
    display_name: Optional[str] = Field(None, max_length=1024)
    alt: Optional[str] = Field(None, max_length=5000)
    tags: list[str] = Field(default_factory=list)
    context: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    # Our addition: the dialog's "click a thumbnail to exclude it".
    excluded: bool = Field(False, description="Leave this asset out; it is reported as skipped.")

    @field_validator("public_id")
    @classmethod
    def _public_id(cls, value: str) -> str:
        # Filenames and URLs are built from the UTF-8 bytes of the ID.
        if any(ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise ValueError("must not contain control characters or unpaired surrogates")
        return value

    @property
    def key(self) -> "AssetKey":
        return (self.resource_type, self.type, self.public_id)


# Cloudinary public IDs are unique per resource type and delivery type.
AssetKey = tuple[str, str, str]


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    cloudinary_field: str = Field(min_length=1, max_length=255)
    shopify_field: str = Field(min_length=1, max_length=330, json_schema_extra={"pattern": SHOPIFY_FIELD_PATTERN},
                               description="`sku`, `barcode`, `handle`, `title`, `vendor`, `product_type`, `tag`, "
                                           "`id` or `metafield:<namespace>.<key>` (see GET /fields)")

    @field_validator("shopify_field")
    @classmethod
    def _shopify_field(cls, value: str) -> str:
        return shopify_field(value)


POSITION_RULE: JsonDict = {
    "if": {"properties": {"link_mode": {"const": "position"}}, "required": ["link_mode"]},
    "then": {"properties": {"position": {"type": "integer", "minimum": 1}}, "required": ["position"]}}


class LinkRule(BaseModel):
    """How assets are linked: the match, link mode, position, order and
    settings overrides. One definition for a dialog sync (SyncRequest) and an
    automation rule (jobs.automation.rules), so both validate alike."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=POSITION_RULE)

    match: Match
    link_mode: LinkMode = Field(description="overwrite: A[i] takes E[i]'s place; reset: the gallery becomes A; "
                                            "append: E + A; prepend: A + E; position: A inserted at `position`.")
    position: Optional[Annotated[int, Field(ge=1), WHOLE]] = Field(
        None, description="1-based; required for link_mode position (past the end = append).")
    order_by: Optional[str] = Field(None, min_length=1, max_length=255,
                                    description="Metadata key ordering each group (numbers numerically, missing "
                                                "last); null keeps the order of `assets` (manual order).")
    settings: SettingsOverride = Field(default_factory=SettingsOverride, json_schema_extra=nullable,
                                       description="Overrides of the connection's settings for this sync only.")
    variant_images: bool = Field(False, description="Also set each variant-level group's first image as that "
                                                    "variant's image.")

    @field_validator("settings", mode="before")
    @classmethod
    def _no_settings(cls, value: Any) -> Any:
        return no_settings(value)

    @model_validator(mode="after")
    def _position(self) -> "LinkRule":
        if self.link_mode == "position" and self.position is None:
            raise ValueError("position is required when link_mode is position")
        return self


class SyncRequest(LinkRule):
    """POST /syncs body."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=POSITION_RULE)

    dry_run: bool = Field(False, description="Plan and report only; nothing is written to Shopify.")
    # Our addition: the dialog's (-) button next to a group.
    excluded_groups: list[str] = Field(default_factory=list, max_length=MAX_ASSETS,
                                       description="Group values to leave out (compared trimmed, "
                                                   "case-insensitively); their assets are reported as skipped.")
    assets: list[Asset] = Field(min_length=1, max_length=MAX_ASSETS)

    def repeated_assets(self) -> list[tuple[int, int]]:
        """The planner links each asset once anyway; the bridge rejects
        repeats so the caller learns about them."""
        return repeated_assets(self.assets)


def repeated_assets(assets: Sequence[Asset]) -> list[tuple[int, int]]:
    """(index, index of its first occurrence) of assets listed twice."""
    seen: dict[AssetKey, int] = {}
    repeats: list[tuple[int, int]] = []
    for index, asset in enumerate(assets):
        if asset.key in seen:
            repeats.append((index, seen[asset.key]))
        else:
            seen[asset.key] = index
    return repeats
