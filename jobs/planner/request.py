"""The Link to Products request, as the bridge contract defines it (spec:
"Link to Products: syncs"); its settings are in `settings`.

These models are the single definition: the bridge validates request bodies
with them and the planner reads the validated objects, so both always agree
on names, defaults and limits.
"""
from __future__ import annotations

from typing import Any, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .settings import SettingsOverride

MAX_ASSETS = 1000  # the Cloudinary selection limit (contract "Limits")

LinkMode = Literal["overwrite", "reset", "append", "prepend", "position"]
LINK_MODES: tuple[str, ...] = ("overwrite", "reset", "append", "prepend", "position")


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
