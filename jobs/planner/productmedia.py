"""The `cloudinary.productmedia_v1` metafield: a JSON list of a product's
AssetLink assets in gallery order (contract "Link to Products: syncs").

Its shape is ours to define (no public definition exists), so it is defined
once here and published as JSON Schema in jobs/schemas/productmedia_v1.schema.json
(generated from this model; a test keeps the file in step). Themes read it;
the planner reads it back to know what AssetLink linked before.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

NAMESPACE = "cloudinary"
KEY = "productmedia_v1"
SWATCH_KEY = "swatch"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "productmedia_v1.schema.json"

DeliveryKind = Literal["image", "video_placeholder", "video", "none"]


class ProductMediaEntry(BaseModel):
    """One AssetLink asset of a product."""

    # Every field is always written, so the published schema requires them all.
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_serialization_defaults_required=True,
                              json_schema_extra={"additionalProperties": True})

    public_id: str = Field(description="The Cloudinary public ID; prefixed v<cache_bust>/ when cache_bust is set")
    resource_type: Literal["image", "video", "raw"]
    type: str = Field("upload", description="Cloudinary delivery type")
    alt: str = Field(description="Alt text sent to Shopify (empty when none)")
    media_id: Optional[str] = Field(description="Shopify media GID; null when nothing was uploaded")
    cloud_name: str
    version: Optional[int] = Field(None, description="Cloudinary version that was linked")
    format: Optional[str] = Field(None, description="Extension delivered to Shopify")
    transformation: str = Field("", description="default_transformation applied when linking")
    delivery: DeliveryKind = Field(
        description="What Shopify received: the image, a video still with a play button, the video, or nothing")
    source_url: Optional[str] = Field(None, description="The Cloudinary URL Shopify fetched")
    cache_bust: Optional[int] = Field(
        None, description="Unix time of the sync that (re)linked this asset, when cache busting was on")

    @property
    def raw_public_id(self) -> str:
        prefix = f"v{self.cache_bust}/"
        if self.cache_bust is not None and self.public_id.startswith(prefix):
            return self.public_id[len(prefix):]
        return self.public_id

    @property
    def asset_key(self) -> tuple[str, str, str]:
        return (self.resource_type, self.type, self.raw_public_id)


_adapter: TypeAdapter[list[ProductMediaEntry]] = TypeAdapter(list[ProductMediaEntry])


def json_schema() -> dict[str, Any]:
    schema = _adapter.json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://assetlink.app/schemas/productmedia_v1.schema.json",
            "title": "cloudinary.productmedia_v1",
            "description": "A product's AssetLink assets in gallery order.", **schema}


def parse_document(value: str | None) -> tuple[list[ProductMediaEntry], str | None]:
    """The entries of a metafield value, and an error when it was unreadable.

    An unreadable document (edited by hand, another app) is treated as empty:
    the gallery itself is the truth, the document is rewritten on the next
    write, and the error goes into the report.
    """
    if not value:
        return [], None
    try:
        return _adapter.validate_json(value), None
    except ValidationError as exc:
        return [], f"{NAMESPACE}.{KEY} was unreadable and is rebuilt ({exc.error_count()} problems)"


def dump_document(entries: list[ProductMediaEntry]) -> str:
    """The metafield value; stable (sorted keys, no spaces) so an unchanged
    document compares equal and is never rewritten."""
    return json.dumps([entry.model_dump(mode="json") for entry in entries],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":  # regenerate the published schema
    SCHEMA_PATH.write_text(json.dumps(json_schema(), indent=2) + "\n")
