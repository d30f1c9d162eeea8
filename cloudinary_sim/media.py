"""Real media bytes: what an upload contains, and what a delivery URL returns.

Uploads are probed with Pillow (images) and PyAV/FFmpeg (videos) so that
`resource_type`, `format`, `width`, `height`, `duration` and `bytes` are the
file's own, as Cloudinary reports them in the upload response. Deliveries are
rendered: an image in the requested format (JPEG, PNG, WebP, GIF…), resized
per the transformation's width/height/crop; a video as a real H.264 MP4 (or
VP9 WebM); a video public id with an image extension as a still frame at
`so_` (https://cloudinary.com/documentation/video_manipulation_and_delivery
#video_thumbnails: "by changing the file extension … to an image format").
Assets seeded without a file get a generated stand-in (a solid colour with the
public id drawn on it; a one-second clip for videos).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Optional

from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageOps, UnidentifiedImageError

from .transformations import Plan

PIL_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "jpe": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF",
               "bmp": "BMP", "tif": "TIFF", "tiff": "TIFF", "ico": "ICO", "avif": "AVIF"}
FORMAT_NAMES = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tiff",
                "ICO": "ico", "AVIF": "avif", "MPO": "jpg"}
MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg", "png": "image/png", "webp": "image/webp",
        "gif": "image/gif", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff", "ico": "image/x-icon",
        "avif": "image/avif", "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime"}
VIDEO_OUTPUTS = {"mp4": ("mp4", "libx264", "yuv420p"), "mov": ("mov", "libx264", "yuv420p"),
                 "webm": ("webm", "libvpx-vp9", "yuv420p")}
MAX_RENDER_SIDE = 4000
STAND_IN_SIZE = (1000, 1000)
STAND_IN_VIDEO_SIZE = (640, 360)
STAND_IN_VIDEO_SECONDS = 1.0


@dataclass
class Probe:
    resource_type: str
    format: str
    width: Optional[int] = None
    height: Optional[int] = None
    duration: Optional[float] = None


def probe(data: bytes, filename: str) -> Probe:
    """What kind of file this is, as Cloudinary classifies an upload."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = FORMAT_NAMES.get(image.format or "", (image.format or extension or "bin").lower())
            return Probe("image", fmt, image.width, image.height)
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    video = _probe_video(data, extension)
    if video is not None:
        return video
    return Probe("raw", extension)


def _probe_video(data: bytes, extension: str) -> Optional[Probe]:
    import av  # FFmpeg bindings; imported lazily (slow import)
    try:
        with av.open(io.BytesIO(data)) as container:
            streams = container.streams.video
            if not streams:
                return None
            stream = streams[0]
            duration = float(container.duration) / av.time_base if container.duration else None
            names = container.format.name.split(",")
            fmt = extension if extension in names else ("webm" if "webm" in names else
                                                        "mp4" if "mp4" in names else names[0])
            if fmt == "mov" and data[8:12] != b"qt  ":
                fmt = "mp4" if extension != "mov" else "mov"
            return Probe("video", fmt, stream.codec_context.width, stream.codec_context.height,
                         round(duration, 3) if duration else None)
    except (av.error.FFmpegError, ValueError, IndexError):
        return None


# -- rendering -----------------------------------------------------------------------------------

def stand_in_color(public_id: str) -> str:
    digest = hashlib.sha1(public_id.encode()).hexdigest()
    return "#" + digest[:6]


def stand_in_image(public_id: str, color: str, size: tuple[int, int] = STAND_IN_SIZE) -> Image.Image:
    image = Image.new("RGB", size, ImageColor.getrgb(color))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), public_id, fill=(255, 255, 255))
    return image


def source_image(content: Optional[bytes], public_id: str, color: str) -> Image.Image:
    if content is None:
        return stand_in_image(public_id, color)
    with Image.open(io.BytesIO(content)) as image:
        image = ImageOps.exif_transpose(image)
        return image.convert("RGBA") if image.mode in ("RGBA", "LA", "P") else image.convert("RGB")


def video_frame(content: Optional[bytes], public_id: str, color: str, offset: Optional[str],
                duration: Optional[float]) -> Image.Image:
    """The frame at `so_` (seconds, `Np` percent, or `auto`: the middle here —
    Cloudinary's automatic choice is not documented)."""
    if content is None:
        return stand_in_image(public_id, color, STAND_IN_VIDEO_SIZE)
    import av
    seconds = _offset_seconds(offset, duration)
    with av.open(io.BytesIO(content)) as container:
        stream = container.streams.video[0]
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= seconds:
                break
        if chosen is None:
            raise ValueError("no video frame")
        return chosen.to_image().convert("RGB")


def _offset_seconds(offset: Optional[str], duration: Optional[float]) -> float:
    if not offset:
        return 0.0
    if offset == "auto":
        return (duration or 0.0) / 2
    if offset.endswith("p"):
        return (duration or 0.0) * float(offset[:-1]) / 100
    try:
        return max(0.0, float(offset))
    except ValueError:
        return 0.0


def resize(image: Image.Image, plan: Plan) -> Image.Image:
    """Width/height/crop as the transformation reference defines the common
    crop modes (scale stretches; fit/limit keep the aspect ratio inside the
    box, limit never enlarges; fill/lfill/thumb/crop/auto cover then cut to the
    box; pad/lpad/mpad letterbox on `b_`)."""
    width = _resolve(plan.width, image.width)
    height = _resolve(plan.height, image.height)
    if width is None and height is None:
        return image
    if width is None:
        width = max(1, round(image.width * height / image.height))
    if height is None:
        height = max(1, round(image.height * width / image.width))
    width, height = min(width, MAX_RENDER_SIDE), min(height, MAX_RENDER_SIDE)
    crop = plan.crop
    if crop in ("fit", "limit", "mfit"):
        if crop == "limit" and image.width <= width and image.height <= height:
            return image
        if crop == "mfit" and image.width >= width and image.height >= height:
            return image
        return ImageOps.contain(image, (width, height))
    if crop in ("fill", "lfill", "thumb", "crop", "auto", "fill_pad", "imagga_crop"):
        return ImageOps.fit(image, (width, height))
    if crop in ("pad", "lpad", "mpad", "auto_pad"):
        return ImageOps.pad(image.convert("RGB"), (width, height), color=_color(plan.background))
    return image.resize((width, height))


def _resolve(value: Optional[float], original: int) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, float) and value <= 1.0:
        return max(1, round(original * value))
    return max(1, int(value))


def _color(name: str) -> tuple[int, int, int]:
    if name.startswith("rgb:"):
        hexa = name[4:]
        if len(hexa) in (3, 4):
            hexa = "".join(c * 2 for c in hexa[:3])
        return ImageColor.getrgb("#" + hexa[:6])
    try:
        return ImageColor.getrgb(name)[:3]
    except ValueError:
        return (255, 255, 255)


def encode_image(image: Image.Image, fmt: str, quality: Optional[int]) -> bytes:
    pil_format = PIL_FORMATS[fmt]
    if pil_format in ("JPEG", "BMP") and image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    options = {"quality": quality} if quality and pil_format in ("JPEG", "WEBP", "AVIF") else {}
    image.save(out, format=pil_format, **options)
    return out.getvalue()


def encode_video(first: Image.Image, fmt: str, seconds: float, fps: int = 10) -> bytes:
    """A real clip in `fmt`: `seconds` long, frames derived from `first`
    (shifted so the clip visibly moves)."""
    import av
    container_format, codec, pix_fmt = VIDEO_OUTPUTS[fmt]
    width, height = (first.width // 2) * 2 or 2, (first.height // 2) * 2 or 2
    base = first.convert("RGB").resize((width, height))
    out = io.BytesIO()
    with av.open(out, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        frames = max(1, round(seconds * fps))
        for index in range(frames):
            shifted = ImageChops.offset(base, index * max(1, width // frames), 0)
            for packet in stream.encode(av.VideoFrame.from_image(shifted)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
