"""What Shopify's processing makes of downloaded bytes: the file becomes READY
(with the type, size and dimensions read from the bytes) or FAILED with the
FileErrorCode/MediaErrorCode Shopify uses for that kind of file. Pure: the
download itself is in downloads.py.

Limits, each from Shopify's documentation:

- Images: "PNG, GIF, or JPG. The maximum image size is 4472 x 4472 px, or 20
  megapixels" (shopify.dev, *Manage media for products*,
  https://shopify.dev/docs/apps/build/online-store/product-media); Shopify's
  Help Center (*Product media types*) adds WEBP, HEIC, SVG, TIFF, BMP and PSD
  and a file size under 20 MB. Accepted here: the Help Center's formats (Shopify
  does take WebP, which AssetLink sends), the stricter 20-megapixel ceiling of
  the API guide, and 20,971,520 bytes, the `content-length-range` of the
  upload policy Shopify's own staged targets carry (captured in
  files-upload-live-capture).
- Generic files: the same 20,971,520 bytes (that upload policy is the FILE
  resource's), any content type.
- Videos (only ever from Shopify's own storage; see sources.py): MP4, MOV or
  WebM, up to 1 GB, 10 minutes and 4K (Help Center, *Product media types*).

Which code a failure gets follows the enums' descriptions in the 2026-10
schema: IMAGE_DOWNLOAD_FAILURE "the image could not be downloaded",
UNSUPPORTED_IMAGE_FILE_TYPE "an unsupported file type", IMAGE_PROCESSING_FAILURE
"the image could not be processed" (a file of an image type that does not
decode), INVALID_IMAGE_FILE_SIZE "the image size is too large",
INVALID_IMAGE_RESOLUTION "resolution exceeds the max limit";
GENERIC_FILE_DOWNLOAD_FAILURE / GENERIC_FILE_INVALID_SIZE for generic files;
VIDEO_VALIDATION_ERROR, VIDEO_INVALID_FILETYPE_ERROR, VIDEO_METADATA_READ_ERROR,
VIDEO_MAX_DURATION_ERROR, VIDEO_MAX_WIDTH_ERROR/VIDEO_MAX_HEIGHT_ERROR for videos.
"""
from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from typing import Optional

from .catalog import GENERIC_FILE, MEDIA_IMAGE, VIDEO

MAX_IMAGE_BYTES = 20_971_520
MAX_IMAGE_PIXELS = 20_000_000
MAX_GENERIC_FILE_BYTES = 20_971_520
MAX_VIDEO_BYTES = 1024 ** 3
MAX_VIDEO_DURATION_MS = 10 * 60 * 1000
MAX_VIDEO_SIDE = 4096  # "4K": the longer side of a 4K frame (DCI 4096, UHD 3840)

# Pillow's names of the image formats Shopify accepts (Help Center list).
ACCEPTED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp",
                          "TIFF": "image/tiff", "BMP": "image/bmp", "PSD": "image/vnd.adobe.photoshop"}
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}
VIDEO_BRANDS_MP4 = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VP",
                    b"dash", b"qt  "}
EBML_MAGIC = bytes.fromhex("1a45dfa3")


@dataclass(frozen=True)
class Fetched:
    """What an HTTP GET of a source returned. `body` is None when nothing
    usable came back; `too_large` when the body passed `limit` bytes and
    reading stopped."""
    status: Optional[int]
    content_type: Optional[str]
    body: Optional[bytes]
    error: Optional[str] = None
    too_large: bool = False


@dataclass(frozen=True)
class Outcome:
    """The result of processing: `code` None means READY."""
    code: Optional[str]
    detail: str = ""
    mime_type: Optional[str] = None
    size: Optional[int] = None
    width: Optional[int] = None
    height: Optional[int] = None
    duration_ms: Optional[int] = None


def byte_limit(kind: str) -> int:
    """How many bytes are worth reading for a file of this kind (one more
    tells that it is too large)."""
    return {MEDIA_IMAGE: MAX_IMAGE_BYTES, GENERIC_FILE: MAX_GENERIC_FILE_BYTES,
            VIDEO: MAX_VIDEO_BYTES}.get(kind, MAX_GENERIC_FILE_BYTES)


def _media_type(content_type: Optional[str]) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def inspect(kind: str, fetched: Fetched) -> Outcome:
    if kind == MEDIA_IMAGE:
        return inspect_image(fetched)
    if kind == VIDEO:
        return inspect_video(fetched)
    return inspect_generic(fetched)


def _unreachable(fetched: Fetched) -> Optional[str]:
    if fetched.error:
        return fetched.error
    if fetched.status != 200:
        return f"HTTP {fetched.status}"
    return None


# -- images ------------------------------------------------------------------------------------------
def inspect_image(fetched: Fetched) -> Outcome:
    problem = _unreachable(fetched)
    if problem:
        return Outcome("IMAGE_DOWNLOAD_FAILURE", problem)
    if fetched.too_large:
        return Outcome("INVALID_IMAGE_FILE_SIZE", f"larger than {MAX_IMAGE_BYTES} bytes")
    body = fetched.body or b""
    if not body:
        return Outcome("INVALID_IMAGE_FILE_SIZE", "empty file", size=0)
    declared = _media_type(fetched.content_type)
    if not declared.startswith("image/"):
        return Outcome("UNSUPPORTED_IMAGE_FILE_TYPE", f"served as {declared or 'no content type'}", size=len(body))
    return _decode_image(body)


def _decode_image(body: bytes) -> Outcome:
    if _is_svg(body):
        return Outcome(None, mime_type="image/svg+xml", size=len(body))
    if body[4:8] == b"ftyp" and body[8:12] in HEIC_BRANDS:
        return Outcome(None, mime_type="image/heic", size=len(body))
    from PIL import Image, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past its own bomb limits: far over Shopify's.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(body))
    except UnidentifiedImageError:
        return Outcome("UNSUPPORTED_IMAGE_FILE_TYPE", "not an image", size=len(body))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        return Outcome("INVALID_IMAGE_RESOLUTION", str(exc), size=len(body))
    except (OSError, ValueError) as exc:
        return Outcome("IMAGE_PROCESSING_FAILURE", f"{type(exc).__name__}: {exc}", size=len(body))
    with image:
        fmt, (width, height) = image.format, image.size
        if fmt not in ACCEPTED_IMAGE_FORMATS:
            return Outcome("UNSUPPORTED_IMAGE_FILE_TYPE", f"{fmt} images are not accepted", size=len(body))
        if width * height > MAX_IMAGE_PIXELS:
            return Outcome("INVALID_IMAGE_RESOLUTION", f"{width}x{height} is over {MAX_IMAGE_PIXELS} pixels",
                           size=len(body), width=width, height=height)
        try:
            image.verify()  # the file's structure (chunks, CRCs) without decoding every pixel
        except Exception as exc:  # Pillow raises many kinds for a broken file
            return Outcome("IMAGE_PROCESSING_FAILURE", f"{type(exc).__name__}: {exc}", size=len(body))
    return Outcome(None, mime_type=ACCEPTED_IMAGE_FORMATS[fmt], size=len(body), width=width, height=height)


def _is_svg(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head)


# -- generic files -----------------------------------------------------------------------------------
def inspect_generic(fetched: Fetched) -> Outcome:
    problem = _unreachable(fetched)
    if problem:
        return Outcome("GENERIC_FILE_DOWNLOAD_FAILURE", problem)
    if fetched.too_large:
        return Outcome("GENERIC_FILE_INVALID_SIZE", f"larger than {MAX_GENERIC_FILE_BYTES} bytes")
    body = fetched.body or b""
    if not body:
        return Outcome("GENERIC_FILE_INVALID_SIZE", "empty file", size=0)
    return Outcome(None, mime_type=_media_type(fetched.content_type) or "application/octet-stream", size=len(body))


# -- videos ------------------------------------------------------------------------------------------
def inspect_video(fetched: Fetched) -> Outcome:
    problem = _unreachable(fetched)
    if problem:
        return Outcome("VIDEO_VALIDATION_ERROR", problem)
    if fetched.too_large:
        return Outcome("VIDEO_VALIDATION_ERROR", f"larger than {MAX_VIDEO_BYTES} bytes")
    body = fetched.body or b""
    if body[:4] == EBML_MAGIC:
        return Outcome(None, mime_type="video/webm", size=len(body))
    if body[4:8] != b"ftyp" or body[8:12] not in VIDEO_BRANDS_MP4:
        return Outcome("VIDEO_INVALID_FILETYPE_ERROR", "not an MP4, MOV or WebM file", size=len(body))
    meta = mp4_metadata(body)
    if meta is None:
        return Outcome("VIDEO_METADATA_READ_ERROR", "no readable moov/mvhd/tkhd", size=len(body))
    duration_ms, width, height = meta
    mime = "video/quicktime" if body[8:12] == b"qt  " else "video/mp4"
    base = {"mime_type": mime, "size": len(body), "width": width, "height": height, "duration_ms": duration_ms}
    if duration_ms > MAX_VIDEO_DURATION_MS:
        return Outcome("VIDEO_MAX_DURATION_ERROR", f"{duration_ms} ms", **base)
    if width > MAX_VIDEO_SIDE:
        return Outcome("VIDEO_MAX_WIDTH_ERROR", f"{width} px wide", **base)
    if height > MAX_VIDEO_SIDE:
        return Outcome("VIDEO_MAX_HEIGHT_ERROR", f"{height} px high", **base)
    return Outcome(None, **base)


def _boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1 and pos + 16 <= end:
            size, header = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


def mp4_metadata(data: bytes) -> Optional[tuple[int, int, int]]:
    """(duration in ms, width, height) from the moov box of an ISO BMFF
    file, or None when it cannot be read."""
    for kind, start, end in _boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        duration_ms: Optional[int] = None
        width = height = 0
        for inner, s, e in _boxes(data, start, end):
            if inner == b"mvhd" and e - s >= 20:
                version = data[s]
                if version == 1 and e - s >= 32:
                    timescale, duration = struct.unpack(">IQ", data[s + 20:s + 32])
                else:
                    timescale, duration = struct.unpack(">II", data[s + 12:s + 20])
                duration_ms = int(duration * 1000 / timescale) if timescale else None
            elif inner == b"trak":
                for leaf, ls, le in _boxes(data, s, e):
                    if leaf == b"tkhd" and le - ls >= 84:
                        w, h = struct.unpack(">II", data[le - 8:le])
                        width, height = max(width, w >> 16), max(height, h >> 16)
        return (duration_ms, width, height) if duration_ms is not None else None
    return None
