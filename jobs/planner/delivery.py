"""What AssetLink sends to Shopify for one asset: the Cloudinary delivery URL,
its content type and format (pure; the Cloudinary SDK only formats URLs here).

The cloud name is passed on every call: one worker serves many merchants, so
the SDK's global configuration is never read or written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloudinary.utils import cloudinary_url

from .request import Asset
from .settings import Settings

# Formats Shopify accepts as product images; anything else is converted by
# Cloudinary on delivery (vector art rasterises to PNG to keep transparency).
SHOPIFY_IMAGE_FORMATS = frozenset({"jpg", "jpeg", "png", "gif", "webp"})
STILL_FORMAT = "jpg"
VIDEO_FORMAT = "mp4"  # H.264 MP4 is what Shopify's video importer takes everywhere

# A play button drawn with text layers, so no overlay asset has to exist in
# the merchant's cloud: a translucent dark disc, then a white triangle, each
# sized relative to the frame.
PLAY_BUTTON: list[dict[str, Any]] = [
    {"overlay": {"font_family": "Arial", "font_size": 200, "text": "\u25cf"},
     "color": "black", "opacity": 50, "width": 0.25, "flags": "relative"},
    {"flags": "layer_apply", "gravity": "center"},
    {"overlay": {"font_family": "Arial", "font_size": 200, "text": "\u25ba"},
     "color": "white", "width": 0.12, "flags": "relative"},
    {"flags": "layer_apply", "gravity": "center"},
]

Kind = Literal["image", "video_placeholder", "video", "none", "unsupported"]


@dataclass(frozen=True)
class Delivery:
    kind: Kind
    url: str | None             # what Shopify fetches; None when nothing is sent
    format: str | None          # the delivered extension
    content_type: str | None    # Shopify MediaContentType / FileContentType
    transformation: str         # the merchant-visible transformation applied ("" for none)


def image_format(asset_format: str | None) -> str:
    fmt = (asset_format or "").lower()
    if fmt in SHOPIFY_IMAGE_FORMATS:
        return fmt
    return "png" if fmt in {"svg", "pdf", "ai", "eps"} else "jpg"


def image_url(cloud_name: str, asset: Asset, transformation: str, fmt: str) -> str:
    url, _ = cloudinary_url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="image",
                            type=asset.type, version=asset.version, format=fmt,
                            raw_transformation=transformation or None)
    return url


def video_placeholder_url(cloud_name: str, asset: Asset, transformation: str) -> str:
    """A still frame (Cloudinary's automatic poster frame) with a play button."""
    chain: list[dict[str, Any]] = [{"start_offset": "auto"}]
    if transformation:
        chain.append({"raw_transformation": transformation})
    chain.extend(PLAY_BUTTON)
    url, _ = cloudinary_url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video",
                            type=asset.type, version=asset.version, format=STILL_FORMAT, transformation=chain)
    return url


def video_url(cloud_name: str, asset: Asset) -> str:
    url, _ = cloudinary_url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video",
                            type=asset.type, version=asset.version, format=VIDEO_FORMAT)
    return url


def delivery_for(asset: Asset, cloud_name: str, settings: Settings) -> Delivery:
    transformation = settings.default_transformation
    if asset.resource_type == "image":
        fmt = image_format(asset.format)
        return Delivery("image", image_url(cloud_name, asset, transformation, fmt), fmt, "IMAGE", transformation)
    if asset.resource_type == "video":
        if settings.video_behavior == "placeholder":
            return Delivery("video_placeholder", video_placeholder_url(cloud_name, asset, transformation),
                            STILL_FORMAT, "IMAGE", transformation)
        if settings.video_behavior == "full_video":
            return Delivery("video", video_url(cloud_name, asset), VIDEO_FORMAT, "VIDEO", "")
        return Delivery("none", None, None, None, "")
    return Delivery("unsupported", None, None, None, "")


def swatch_delivery(asset: Asset, cloud_name: str, settings: Settings) -> Delivery:
    """Swatches are images in Files: a video swatch becomes its still frame."""
    transformation = settings.default_transformation
    if asset.resource_type == "video":
        url, _ = cloudinary_url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video",
                                type=asset.type, version=asset.version, format=STILL_FORMAT,
                                transformation=[{"start_offset": "auto"}]
                                + ([{"raw_transformation": transformation}] if transformation else []))
        return Delivery("image", url, STILL_FORMAT, "IMAGE", transformation)
    if asset.resource_type == "image":
        fmt = image_format(asset.format)
        return Delivery("image", image_url(cloud_name, asset, transformation, fmt), fmt, "IMAGE", transformation)
    return Delivery("unsupported", None, None, None, "")
