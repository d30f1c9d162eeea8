"""The Link to Products request and its settings, as the bridge contract
defines them (spec: "Settings" and "Link to Products: syncs").

These models are the single definition: the bridge validates request bodies
with them and the planner reads the validated objects, so both always agree
on names, defaults and limits.
"""
from __future__ import annotations

import re
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_ASSETS = 1000  # the Cloudinary selection limit (contract "Limits")

LinkMode = Literal["overwrite", "reset", "append", "prepend", "position"]
LINK_MODES: tuple[str, ...] = ("overwrite", "reset", "append", "prepend", "position")

_ALT_SOURCE = re.compile(r"^(display_name|public_id|none|(metadata|context):\S+)$")


class Settings(BaseModel):
    """A connection's settings (the Setup tab). Unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")

    default_transformation: str = Field("", max_length=1000)
    alt_text_source: str = "display_name"
    filename_format: Literal["public_id", "all_metadata"] = "public_id"
    video_behavior: Literal["placeholder", "full_video", "none"] = "placeholder"
    asset_type_field: Optional[str] = Field(None, min_length=1, max_length=255)
    sync_completed_webhook_url: Optional[str] = Field(None, max_length=2048)
    cache_busting: bool = False

    @field_validator("alt_text_source")
    @classmethod
    def _alt_source(cls, value: str) -> str:
        if not _ALT_SOURCE.match(value):
            raise ValueError("must be display_name, public_id, none, metadata:<key> or context:<key>")
        return value

    @field_validator("default_transformation")
    @classmethod
    def _transformation(cls, value: str) -> str:
        value = value.strip().strip("/")
        # A transformation is URL path components; whitespace, '?' or '#'
        # would produce a broken delivery URL.
        if re.search(r"[\s?#]", value):
            raise ValueError("must be a Cloudinary transformation string such as w_1200,h_1200,c_fill")
        return value

    @field_validator("sync_completed_webhook_url")
    @classmethod
    def _webhook_url(cls, value: Optional[str]) -> Optional[str]:
        # Whether the address is public (and https-only outside development)
        # is checked where the deployment mode is known: the bridge.
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL or null")
        return value


class SettingsOverride(Settings):
    """`settings` inside a sync request: any subset, for that batch only."""

    default_transformation: Optional[str] = Field(None, max_length=1000)  # type: ignore[assignment]
    alt_text_source: Optional[str] = None  # type: ignore[assignment]
    filename_format: Optional[Literal["public_id", "all_metadata"]] = None  # type: ignore[assignment]
    video_behavior: Optional[Literal["placeholder", "full_video", "none"]] = None  # type: ignore[assignment]
    cache_busting: Optional[bool] = None  # type: ignore[assignment]

    @field_validator("alt_text_source")
    @classmethod
    def _alt_source(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else Settings._alt_source(value)

    @field_validator("default_transformation")
    @classmethod
    def _transformation(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else Settings._transformation(value)

    def apply_to(self, base: Settings) -> Settings:
        """The settings in force for one batch: `base` with the keys this
        override sets (explicit nulls included: `asset_type_field: null`
        switches swatches off for the batch)."""
        return base.model_copy(update=self.model_dump(exclude_unset=True))


class Asset(BaseModel):
    """One selected Cloudinary asset. Fields the Cloudinary side adds beyond
    the contract (bytes, width, created_at, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    public_id: str = Field(min_length=1, max_length=1024)
    resource_type: Literal["image", "video", "raw"] = "image"
    type: str = Field("upload", min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    format: Optional[str] = Field(None, max_length=16, pattern=r"^[A-Za-z0-9]+$")
    version: Optional[int] = Field(None, ge=1)
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
    model_config = ConfigDict(extra="forbid")

    cloudinary_field: str = Field(min_length=1, max_length=255)
    shopify_field: str = Field(min_length=1, max_length=255)


class SyncRequest(BaseModel):
    """POST /syncs body."""

    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(False, description="Plan and report only; nothing is written to Shopify.")
    match: Match
    link_mode: LinkMode = Field(description="overwrite: A[i] takes E[i]'s place; reset: the gallery becomes A; "
                                            "append: E + A; prepend: A + E; position: A inserted at `position`.")
    position: Optional[int] = Field(None, ge=1, description="1-based; required for link_mode position "
                                                            "(past the end = append).")
    order_by: Optional[str] = Field(None, min_length=1, max_length=255,
                                    description="Metadata key ordering each group (numbers numerically, missing "
                                                "last); null keeps the order of `assets` (manual order).")
    settings: SettingsOverride = Field(default_factory=SettingsOverride,
                                       description="Overrides of the connection's settings for this sync only.")
    variant_images: bool = Field(False, description="Also set each variant-level group's first image as that "
                                                    "variant's image.")
    # Our addition: the dialog's (-) button next to a group.
    excluded_groups: list[str] = Field(default_factory=list, max_length=MAX_ASSETS,
                                       description="Group values to leave out (compared trimmed, "
                                                   "case-insensitively); their assets are reported as skipped.")
    assets: list[Asset] = Field(min_length=1, max_length=MAX_ASSETS)

    @field_validator("settings", mode="before")
    @classmethod
    def _no_settings(cls, value: Any) -> Any:
        return {} if value is None else value  # "settings": null = no overrides

    @model_validator(mode="after")
    def _position(self) -> "SyncRequest":
        if self.link_mode == "position" and self.position is None:
            raise ValueError("position is required when link_mode is position")
        return self

    def repeated_assets(self) -> list[tuple[int, int]]:
        """(index, index of its first occurrence) of assets listed twice.
        The planner links each asset once anyway; the bridge rejects repeats
        so the caller learns about them."""
        seen: dict[AssetKey, int] = {}
        repeats: list[tuple[int, int]] = []
        for index, asset in enumerate(self.assets):
            if asset.key in seen:
                repeats.append((index, seen[asset.key]))
            else:
                seen[asset.key] = index
        return repeats
