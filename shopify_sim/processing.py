"""Asynchronous processing of files and media, derived from timestamps.

Shopify fetches and processes an uploaded file after the mutation returns:
the payload says UPLOADED, a read soon after says PROCESSING (videos and
external videos stay UPLOADED a while), then READY (or FAILED with `fileErrors`/`mediaErrors`).
The simulator needs no worker for this: the status is a function of the time
since processing started and the configured delay (SIM_PROCESSING_DELAY;
videos take twice as long, as real videos do). Jobs (productReorderMedia) complete the same way after
SIM_JOB_DELAY and apply their effect the first time they are observed done.
"""
from __future__ import annotations

from typing import Any, Optional

from .catalog import EXTERNAL_VIDEO, VIDEO, Catalog, File, Job

UPLOADED, PROCESSING, READY, FAILED = "UPLOADED", "PROCESSING", "READY", "FAILED"

# What each injected failure code says, as Shopify words the MediaErrorCode
# descriptions in the schema.
ERROR_MESSAGES = {
    "IMAGE_DOWNLOAD_FAILURE": "Image could not be downloaded.",
    "IMAGE_PROCESSING_FAILURE": "Image could not be processed.",
    "UNSUPPORTED_IMAGE_FILE_TYPE": "Image file type is unsupported.",
    "INVALID_IMAGE_FILE_SIZE": "Image has an invalid file size.",
    "INVALID_IMAGE_RESOLUTION": "Image resolution exceeds the max limit.",
    "INVALID_IMAGE_ASPECT_RATIO": "Image has an invalid aspect ratio.",
    "GENERIC_FILE_DOWNLOAD_FAILURE": "File could not be downloaded.",
    "GENERIC_FILE_INVALID_SIZE": "File is too large.",
    "VIDEO_VALIDATION_ERROR": "Video failed validation.",
    "VIDEO_INVALID_FILETYPE_ERROR": "Video has an invalid file type.",
    "MEDIA_TIMEOUT_ERROR": "Media timed out during processing.",
    "UNKNOWN": "Unknown error.",
}


def delay_for(f: File, delay: float) -> float:
    return delay * 2 if f.kind == VIDEO else delay


def status(f: File, now: float, delay: float) -> str:
    elapsed = now - f.processing_started_at
    total = delay_for(f, delay)
    if elapsed >= total:
        return FAILED if f.fail_code else READY
    if f.ready_url and not f.fail_code:
        # Replacing the source of a READY image keeps it READY (the old
        # rendition is served) until the new one is processed.
        return READY
    if f.kind in (VIDEO, EXTERNAL_VIDEO):
        # Videos (hosted or external) stay UPLOADED for a while (captured);
        # here: the first half of their processing time.
        return PROCESSING if elapsed >= total / 2 else UPLOADED
    # Captured: the creating mutation answers UPLOADED and the very next read
    # already says PROCESSING.
    return PROCESSING if elapsed > 0 else UPLOADED


def is_processed(f: File, now: float, delay: float) -> bool:
    return now - f.processing_started_at >= delay_for(f, delay)


def errors(f: File, now: float, delay: float) -> list[dict[str, Any]]:
    if status(f, now, delay) != FAILED:
        return []
    code = f.fail_code or "UNKNOWN"
    return [{"code": code, "details": f"{code.lower()}: {f.original_source}",
             "message": ERROR_MESSAGES.get(code, "File processing failed.")}]


def cdn_url(shop: Any, f: File, delay: float) -> str:
    """The CDN URL of the file's latest rendition, shaped as Shopify's
    (captured: shop 92891250994 serves /s/files/1/0928/9125/0994/files/dummy.pdf?v=1778175981,
    v being the file's updatedAt once processed)."""
    digits = f"{shop.number:012d}"
    version = int(f.processing_started_at + delay_for(f, delay))
    return f"https://cdn.shopify.com/s/files/1/{digits[:4]}/{digits[4:8]}/{digits[8:]}/files/{f.filename}?v={version}"


def current_url(shop: Any, f: File, now: float, delay: float) -> Optional[str]:
    """The URL a client sees now: the new rendition once processed, the old
    one while a replacement is being processed, None before the first."""
    if is_processed(f, now, delay):
        if f.fail_code:
            return f.ready_url
        return f.processed_url or cdn_url(shop, f, delay)
    return f.ready_url


def restart(f: File, now: float, shop: Any, delay: float, fail_code: Optional[str]) -> None:
    """Start processing again (the source was replaced), remembering what
    was served until now."""
    if is_processed(f, now, delay) and not f.fail_code:
        f.ready_url = f.processed_url or cdn_url(shop, f, delay)
    f.processed_url = None
    f.processing_started_at = now
    f.fail_code = fail_code
    f.updated_at = now


def settle_jobs(catalog: Catalog, now: float) -> None:
    """Apply the effect of every job whose time has come, oldest first."""
    for job in sorted(catalog.jobs.values(), key=lambda j: j.done_at):
        settle_job(job, now)


def settle_job(job: Job, now: float) -> bool:
    if now < job.done_at:
        return False
    if not job.applied:
        job.applied = True
        if job.apply is not None:
            job.apply()
    return True
