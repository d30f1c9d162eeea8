"""Delivery URLs, at the same paths as res.cloudinary.com
(https://cloudinary.com/documentation/image_transformations#transformation_url_structure):

    /<cloud>/<resource_type>/<type>/[s--<signature>--/][<transformation>/…][v<version>/]<public_id>[.<format>]

so substituting the origin https://res.cloudinary.com with this server's base
URL points any delivery URL here. Transformation components are read while
they look like transformations (transformations.py checks them; malformed
ones answer 400); a `v<digits>` component ends them; the rest is the public
id with the requested format as its extension (raw files: the extension is
part of the public id). The version is accepted whatever its value, as
Cloudinary does (the SDK's `v1` for ids with folders works for every version).
A signed URL (`s--…--`, https://cloudinary.com/documentation/control_access_to_media#signed_delivery_urls)
must carry the first 8 URL-safe base64 characters of SHA-1 (32 of SHA-256
for long signatures) of `<transformation>/<public_id.ext>` + API secret
(pycloudinary utils.cloudinary_url). A missing asset answers 404 with
`X-Cld-Error` (errors.py). A video public id with an image extension answers a
still frame.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from typing import Optional

from flask import Blueprint, Response, current_app, request

from . import get_state, media
from .errors import DeliveryError
from .state import Asset, Environment
from .transformations import (AUDIO_FORMATS, IMAGE_FORMATS, VIDEO_FORMATS, looks_like_transformation, parse,
                              plan)

bp = Blueprint("cloudinary_sim_delivery", __name__)

RESOURCE_TYPES = ("image", "video", "raw")
DELIVERY_TYPES = ("upload", "private", "authenticated")
SIGNATURE = re.compile(r"^s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--$")
VERSION = re.compile(r"^v\d+$")
CACHE_ENTRIES = 256
MAX_VIDEO_SECONDS = 3.0


class RenderCache:
    def __init__(self) -> None:
        self.items: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Optional[tuple[bytes, str]]:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, value: tuple[bytes, str]) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > CACHE_ENTRIES:
                self.items.popitem(last=False)


def split_path(rest: str, resource_type: str) -> tuple[Optional[str], str, str, Optional[str]]:
    """(signature, transformation, public_id, requested format or None)."""
    segments = rest.split("/")
    signature = None
    if segments and SIGNATURE.match(segments[0]):
        signature, segments = segments[0], segments[1:]
    transformation: list[str] = []
    while len(segments) > 1 and looks_like_transformation(segments[0]) and not VERSION.match(segments[0]):
        transformation.append(segments.pop(0))
    if len(segments) > 1 and VERSION.match(segments[0]):
        segments = segments[1:]
    source = "/".join(segments)
    if not source:
        raise DeliveryError(400, "Missing public id")
    if resource_type == "raw" or "." not in segments[-1]:
        return signature, "/".join(transformation), source, None
    public_id, extension = source.rsplit(".", 1)
    return signature, "/".join(transformation), public_id, extension.lower()


def _check_signature(env: Environment, signature: str, transformation: str, source: str) -> None:
    given = SIGNATURE.match(signature).group(1)  # type: ignore[union-attr]
    to_sign = "/".join(p for p in (transformation, source) if p)
    algorithm, length = ("sha1", 8) if len(given) == 8 else ("sha256", 32)
    digest = hashlib.new(algorithm, (to_sign + env.api_secret).encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode()[:length]
    if not hmac.compare_digest(expected, given):
        raise DeliveryError(401, "Invalid signature")


def _fault(env: Environment, path: str) -> Optional[int]:
    with env.lock:
        for fault in env.delivery_faults:
            if fault["count"] > 0 and fault["match"] in path:
                fault["count"] -= 1
                return int(fault["status"])
    return None


@bp.get("/<cloud>/<resource_type>/<kind>/<path:rest>")
def deliver(cloud: str, resource_type: str, kind: str, rest: str) -> Response:
    env = get_state().environment(cloud)
    if env is None:
        raise DeliveryError(404, f"Invalid cloud_name {cloud}")
    if resource_type not in RESOURCE_TYPES:
        raise DeliveryError(400, f"Invalid resource type {resource_type}")
    if kind not in DELIVERY_TYPES:
        raise DeliveryError(400, f"Unsupported delivery type {kind}")
    injected = _fault(env, request.path)
    if injected:
        raise DeliveryError(injected, "Injected failure (simulator fault)")
    signature, transformation, public_id, extension = split_path(rest, resource_type)
    components = parse(transformation) if transformation else []
    if signature:
        source = f"{public_id}.{extension}" if extension else public_id
        _check_signature(env, signature, transformation, source)
    with env.lock:
        asset = env.assets.get((resource_type, kind, public_id))
    if asset is None:
        raise DeliveryError(404, f"Resource not found - {public_id}")
    if kind == "authenticated" and not signature:
        raise DeliveryError(401, "Authenticated resource requires a signed URL")
    return _respond(asset, components, transformation, extension)


def _respond(asset: Asset, components: list, transformation: str, extension: Optional[str]) -> Response:
    the_plan = plan(components)
    fmt = the_plan.format or extension or asset.format
    if fmt == "jpeg":
        fmt = "jpg"
    key = (asset.asset_id, asset.version, transformation, fmt)
    cache: RenderCache = current_app.extensions["cloudinary_sim_render_cache"]
    cached = cache.get(key)
    if cached is None:
        cached = _render(asset, components, the_plan, fmt)
        cache.put(key, cached)
    body, mimetype = cached
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=2592000"
    response.headers["ETag"] = '"' + hashlib.md5(body).hexdigest() + '"'
    return response


def _render(asset: Asset, components: list, the_plan, fmt: str) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    if asset.resource_type == "raw":
        if components:
            raise DeliveryError(400, "Transformations are not supported for raw files")
        return asset.content or b"", "application/octet-stream"
    if fmt in AUDIO_FORMATS:
        raise DeliveryError(400, f"Audio output ({fmt}) is not rendered by the simulator")
    if asset.resource_type == "image" and fmt in VIDEO_FORMATS:
        raise DeliveryError(400, f"Invalid format {fmt} for an image")
    if fmt not in IMAGE_FORMATS and fmt not in VIDEO_FORMATS:
        raise DeliveryError(400, f"Unsupported format {fmt}")
    color = asset.seed_color or media.stand_in_color(asset.public_id)
    if fmt in VIDEO_FORMATS:
        if fmt not in media.VIDEO_OUTPUTS:
            raise DeliveryError(400, f"Video output {fmt} is not rendered by the simulator (mp4, webm, mov are)")
        if not components and fmt == asset.format and asset.content is not None:
            return asset.content, media.MIME[fmt]
        frame = media.video_frame(asset.content, asset.public_id, color, the_plan.start_offset, asset.duration)
        seconds = min(asset.duration or 1.0, MAX_VIDEO_SECONDS)
        return media.encode_video(media.resize(frame, the_plan), fmt, seconds), media.MIME[fmt]
    if fmt not in media.PIL_FORMATS:
        raise DeliveryError(400, f"Image output {fmt} is not rendered by the simulator")
    if asset.resource_type == "video":
        image = media.video_frame(asset.content, asset.public_id, color, the_plan.start_offset, asset.duration)
    else:
        image = media.source_image(asset.content, asset.public_id, color)
    return media.encode_image(media.resize(image, the_plan), fmt, the_plan.quality), media.MIME[fmt]
