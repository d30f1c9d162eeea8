"""Full video: fetch the bytes from Cloudinary (streamed, size-checked) and put
them on a Shopify staged upload target (`stage_videos`, used by the sync's
executor and the upload job alike).

Shopify takes videos only from its own staged uploads (a video URL in
`fileCreate` is refused), so AssetLink has to move the bytes. They are streamed
into a spooled temporary file (memory up to SPOOL_BYTES, then disk) and sent on
from there, never held whole in memory. The downloader is injectable: tests
serve bytes from a local HTTP server, and Cloudinary is not reachable from
every environment.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Callable, Mapping, Protocol, Sequence

import requests

from shopify_app.admin_api import queries
from shopify_app.admin_api.client import AdminApiClient

from .files import MAX_FILES_PER_CALL

# Shopify's documented ceiling for a product video; a bigger file would only
# fail processing after a long upload.
MAX_VIDEO_BYTES = 1024 ** 3
SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024
TIMEOUT = (10.0, 60.0)


class DownloadError(Exception):
    """The video could not be fetched, or not within the size limit."""


@dataclass
class Download:
    body: IO[bytes]      # positioned at 0
    size: int
    mime_type: str

    def close(self) -> None:
        self.body.close()


class Downloader(Protocol):
    def __call__(self, url: str, *, max_bytes: int) -> Download: ...


def stream_download(url: str, *, max_bytes: int = MAX_VIDEO_BYTES,
                    session: requests.Session | None = None) -> Download:
    """GET `url` in chunks; refuse a declared or actual size over `max_bytes`
    and a body shorter or longer than its Content-Length."""
    http = session or requests.Session()
    try:
        response = http.get(url, stream=True, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise DownloadError(f"could not fetch {url}: {type(exc).__name__}") from exc
    with response:
        if response.status_code != 200:
            raise DownloadError(f"fetching {url} answered HTTP {response.status_code}")
        declared = response.headers.get("Content-Length")
        expected = int(declared) if declared and declared.isdigit() else None
        if expected is not None and expected > max_bytes:
            raise DownloadError(f"the video is {expected} bytes; the limit is {max_bytes}")
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        size = 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"the video is over the {max_bytes}-byte limit")
                body.write(chunk)
        except requests.RequestException as exc:
            body.close()
            raise DownloadError(f"fetching {url} broke off: {type(exc).__name__}") from exc
        except DownloadError:
            body.close()
            raise
        if expected is not None and size != expected:
            body.close()
            raise DownloadError(f"got {size} bytes of {url}; Content-Length said {expected}")
        if size == 0:
            body.close()
            raise DownloadError(f"{url} is empty")
        body.seek(0)
        mime = (response.headers.get("Content-Type") or "video/mp4").split(";", 1)[0].strip() or "video/mp4"
        return Download(body, size, mime)


def put_staged(url: str, parameters: Sequence[Mapping[str, str]], download: Download, *,
               session: requests.Session | None = None) -> None:
    """Send the bytes to a PUT staged target: its parameters go as headers."""
    http = session or requests.Session()
    headers = {p["name"]: p["value"] for p in parameters}
    headers.setdefault("Content-Type", download.mime_type)
    headers["Content-Length"] = str(download.size)
    download.body.seek(0)
    try:
        response = http.put(url, data=download.body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise DownloadError(f"uploading to Shopify's staged target failed: {type(exc).__name__}") from exc
    if response.status_code not in (200, 201, 204):
        raise DownloadError(f"Shopify's staged target answered HTTP {response.status_code}: "
                            f"{response.text[:200]}")


Uploader = Callable[[str, Sequence[Mapping[str, str]], Download], None]


@dataclass
class StagedVideo:
    """One full video to stage: where Cloudinary delivers it and its Files
    filename in; what `fileCreate` takes (the staged `resourceUrl`) or why
    there is none out."""

    url: str
    filename: str
    resource_url: str | None = None
    error: str | None = None


def stage_videos(client: AdminApiClient, videos: Sequence[StagedVideo], *, downloader: Downloader,
                 uploader: Uploader, max_bytes: int = MAX_VIDEO_BYTES) -> None:
    """Fetch each video from Cloudinary, ask for staged targets in one call
    per 250, send the bytes; each video ends with a resource URL or an error."""
    downloads: list[tuple[StagedVideo, Download]] = []
    for video in videos:
        try:
            downloads.append((video, downloader(video.url, max_bytes=max_bytes)))
        except DownloadError as exc:
            video.error = str(exc)
    try:
        for start in range(0, len(downloads), MAX_FILES_PER_CALL):
            chunk = downloads[start:start + MAX_FILES_PER_CALL]
            data = client.execute(queries.STAGED_UPLOADS_CREATE, {"input": [
                {"resource": "VIDEO", "filename": v.filename, "mimeType": d.mime_type, "httpMethod": "PUT",
                 "fileSize": str(d.size)} for v, d in chunk]}, raise_user_errors=False)
            payload = data.get("stagedUploadsCreate") or {}
            errors = payload.get("userErrors") or []
            targets = payload.get("stagedTargets") or []
            if errors or len(targets) != len(chunk):
                message = "; ".join(e.get("message") or "" for e in errors) or "no staged target"
                for video, _ in chunk:
                    video.error = f"stagedUploadsCreate: {message}"
                continue
            for (video, download), target in zip(chunk, targets):
                try:
                    uploader(target["url"], target.get("parameters") or [], download)
                except DownloadError as exc:
                    video.error = str(exc)
                    continue
                video.resource_url = target["resourceUrl"]
    finally:
        for _, download in downloads:
            download.close()
