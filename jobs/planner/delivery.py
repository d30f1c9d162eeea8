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

Kind = Literal["image", "video_placeholder", "video", "none", "unsupported", "refused"]

# Shopify refuses an originalSource longer than this, and refuses the whole
# fileCreate call for it (top-level INVALID_FIELD_ARGUMENTS "originalSource is
# too long (maximum is 2048)", captured from Shopify in
# tests/conformance_data/fixtures/conformance/harry-test-heelo.myshopify.com/
# 2026-04/media/media-file-create-input-validation.json; shopify_sim enforces
# it as MAX_SOURCE_LENGTH). So an asset whose URL is longer is refused alone,
# before any call, instead of failing the other assets of its batch.
MAX_SOURCE_LENGTH = 2048


@dataclass(frozen=True)
class Delivery:
    kind: Kind
    url: str | None             # what Shopify fetches; None when nothing is sent
    format: str | None          # the delivered extension
    content_type: str | None    # Shopify MediaContentType / FileContentType
    transformation: str         # the merchant-visible transformation applied ("" for none)
    reason: str | None = None   # why nothing is sent, for kind "refused"


def within_source_limit(delivery: Delivery) -> Delivery:
    """`delivery`, or a refusal when the URL Shopify would fetch is too long.
    A full video is sent through a staged upload (Shopify's own short URL),
    so only URLs Shopify fetches directly are measured."""
    if delivery.url is None or delivery.kind not in ("image", "video_placeholder"):
        return delivery
    if len(delivery.url) <= MAX_SOURCE_LENGTH:
        return delivery
    return Delivery("refused", None, None, None, delivery.transformation,
                    reason=f"the Cloudinary URL of this asset is {len(delivery.url)} characters long; Shopify accepts "
                           f"at most {MAX_SOURCE_LENGTH} (shorten the public ID or the transformation)")


def image_format(asset_format: str | None) -> str:
    fmt = (asset_format or "").lower()
    if fmt in SHOPIFY_IMAGE_FORMATS:
        return fmt
    return "png" if fmt in {"svg", "pdf", "ai", "eps"} else "jpg"


def _url(public_id: str, **options: Any) -> str:
    """The SDK's URL builder (untyped) returns the URL and the options it
    didn't use; only the URL matters here."""
    url, _unused = cloudinary_url(public_id, **options)
    return str(url)


def image_url(cloud_name: str, asset: Asset, transformation: str, fmt: str) -> str:
    return _url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="image", type=asset.type,
                version=asset.version, format=fmt, raw_transformation=transformation or None)


def video_placeholder_url(cloud_name: str, asset: Asset, transformation: str) -> str:
    """A still frame (Cloudinary's automatic poster frame) with a play button."""
    chain: list[dict[str, Any]] = [{"start_offset": "auto"}]
    if transformation:
        chain.append({"raw_transformation": transformation})
    chain.extend(PLAY_BUTTON)
    return _url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video", type=asset.type,
                version=asset.version, format=STILL_FORMAT, transformation=chain)


def video_url(cloud_name: str, asset: Asset) -> str:
    return _url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video", type=asset.type,
                version=asset.version, format=VIDEO_FORMAT)


def delivery_for(asset: Asset, cloud_name: str, settings: Settings) -> Delivery:
    return within_source_limit(_delivery_for(asset, cloud_name, settings))


def _delivery_for(asset: Asset, cloud_name: str, settings: Settings) -> Delivery:
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
    return within_source_limit(_swatch_delivery(asset, cloud_name, settings))


def _swatch_delivery(asset: Asset, cloud_name: str, settings: Settings) -> Delivery:
    transformation = settings.default_transformation
    if asset.resource_type == "video":
        url = _url(asset.public_id, cloud_name=cloud_name, secure=True, resource_type="video", type=asset.type,
                   version=asset.version, format=STILL_FORMAT,
                   transformation=[{"start_offset": "auto"}]
                   + ([{"raw_transformation": transformation}] if transformation else []))
        return Delivery("image", url, STILL_FORMAT, "IMAGE", transformation)
    if asset.resource_type == "image":
        fmt = image_format(asset.format)
        return Delivery("image", image_url(cloud_name, asset, transformation, fmt), fmt, "IMAGE", transformation)
    return Delivery("unsupported", None, None, None, "")
