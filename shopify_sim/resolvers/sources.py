"""Where a new file's bytes come from and what kind of file they make.

Shopify checks only the syntax of a source URL synchronously (the download
happens during processing); videos and 3D models must come from a staged
upload, images, generic files and external videos may come from any public
URL (FileCreateInput.originalSource description, 2026-10).
"""
from __future__ import annotations

import mimetypes
import posixpath
import uuid
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import unquote, urlparse

from ..catalog import EXTERNAL_VIDEO, GENERIC_FILE, MEDIA_IMAGE, MODEL_3D, VIDEO, StagedUpload
from ..limits import MAX_SOURCE_LENGTH  # noqa: F401  (re-exported)

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp", "heic", "svg", "tif", "tiff", "bmp", "avif"}
VIDEO_EXTENSIONS = {"mp4", "mov", "webm", "m4v"}
MODEL_EXTENSIONS = {"glb", "usdz"}
# Shopify's own storage: a video or 3D model already there needs no staged
# upload (captured, file_create_content_type_inference: a Video created from
# https://shopify-video-production-core-originals.storage.googleapis.com/c/o/v/….mp4).
SHOPIFY_STORAGE_HOSTS = {"shopify-video-production-core-originals.storage.googleapis.com",
                         "shopify-staged-uploads.storage.googleapis.com"}

CONTENT_TYPE_KINDS = {"IMAGE": MEDIA_IMAGE, "FILE": GENERIC_FILE, "VIDEO": VIDEO,
                      "EXTERNAL_VIDEO": EXTERNAL_VIDEO, "MODEL_3D": MODEL_3D}
KIND_CONTENT_TYPES = {v: k for k, v in CONTENT_TYPE_KINDS.items()}


@dataclass
class Source:
    url: str
    staged: Optional[StagedUpload]
    filename: str  # from the URL's last path segment (or the staged upload)
    raw_extension: str  # as written, no dot; "" if none

    @property
    def uploaded(self) -> bool:
        """Whether the bytes are already in Shopify's storage (a staged
        upload, or a file Shopify hosts): required for videos and 3D models."""
        return self.staged is not None or urlparse(self.url).netloc.lower() in SHOPIFY_STORAGE_HOSTS

    @property
    def extension(self) -> str:
        return self.raw_extension.lower()

    @property
    def mime_type(self) -> str:
        if self.staged is not None and self.staged.mime_type:
            return self.staged.mime_type
        return mimetypes.guess_type("x." + self.extension)[0] or "application/octet-stream"


def is_valid_url(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and " " not in url


def staged_upload_for(ctx: Any, url: str) -> Optional[StagedUpload]:
    """The staged upload a resourceUrl points at (only this shop's)."""
    prefix = ctx.base_url.rstrip("/") + "/_sim/uploads/"
    if not url.startswith(prefix):
        return None
    upload_id = url[len(prefix):].split("/", 1)[0]
    return ctx.catalog.staged_uploads.get(upload_id)


def read_source(ctx: Any, url: str) -> Optional[Source]:
    """Parse a source URL; None when it is not a valid http(s) URL."""
    if not isinstance(url, str) or not is_valid_url(url):
        return None
    staged = staged_upload_for(ctx, url)
    if staged is not None:
        name = staged.filename
    else:
        name = unquote(posixpath.basename(urlparse(url).path)) or "file"
    return Source(url=url, staged=staged, filename=name, raw_extension=raw_extension_of(name))


def guess_kind(source: Source) -> str:
    """The file kind when `contentType` is omitted: image-like → MediaImage,
    video-like → Video, otherwise GenericFile (3D models need MODEL_3D)."""
    mime = source.mime_type
    if source.extension in IMAGE_EXTENSIONS or mime.startswith("image/"):
        return MEDIA_IMAGE
    if source.extension in VIDEO_EXTENSIONS or mime.startswith("video/"):
        return VIDEO
    return GENERIC_FILE


def is_external_video_url(url: str) -> bool:
    host = urlparse(url).netloc.lower()
    return any(h in host for h in ("youtube.com", "youtu.be", "vimeo.com"))


def default_filename(source: Source, kind: str) -> str:
    """Shopify names a file after the URL's last segment; without an
    extension it adds one from the content (`…/600x400/png` → `png.png`)."""
    name = source.filename
    if "." in name:
        return name
    if kind == MEDIA_IMAGE:
        ext = name.lower() if name.lower() in IMAGE_EXTENSIONS else "jpg"
    elif kind == VIDEO:
        ext = "mp4"
    else:
        ext = (mimetypes.guess_extension(source.mime_type) or ".bin").lstrip(".")
    return f"{name}.{ext}"


def append_uuid(filename: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    token = str(uuid.uuid4())
    return f"{stem}_{token}.{ext}" if dot else f"{filename}_{token}"


def raw_extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[1] if "." in filename else ""


def extension_of(filename: str) -> str:
    return raw_extension_of(filename).lower()
