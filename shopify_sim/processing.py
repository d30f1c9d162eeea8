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

import functools
from typing import Any, Optional

from .catalog import EXTERNAL_VIDEO, GENERIC_FILE, VIDEO, Catalog, File, Job

UPLOADED, PROCESSING, READY, FAILED = "UPLOADED", "PROCESSING", "READY", "FAILED"


@functools.lru_cache(maxsize=None)
def error_message(enum: str, code: str) -> str:
    """What a file or media error says: the description Shopify's schema gives
    the code (FileErrorCode for `fileErrors`, MediaErrorCode for `mediaErrors`)."""
    from . import schema
    for t in schema.introspection()["__schema"]["types"]:
        if t["name"] == enum:
            for value in t.get("enumValues") or ():
                if value["name"] == code:
                    return value["description"] or code
    return "File error has occurred for an unknown reason."


def delay_for(f: File, delay: float) -> float:
    return delay * 2 if f.kind == VIDEO else delay


def settle_download(f: File) -> bool:
    """Apply the outcome of the file's download once it is done; False while
    it still runs (then processing is not over, whatever the time)."""
    future = f.download
    if future is None:
        return True
    if not future.done():
        return False
    f.download = None
    outcome = future.result()
    f.fail_code, f.fail_detail = outcome.code, outcome.detail
    if outcome.size is not None:
        f.original_file_size = outcome.size
    if outcome.code is None:
        if outcome.mime_type:
            f.mime_type = outcome.mime_type  # Shopify reports the type it read, not the URL's
        if outcome.width and outcome.height:
            f.width, f.height = outcome.width, outcome.height
        if outcome.duration_ms is not None:
            f.duration_ms = outcome.duration_ms
    return True


def status(f: File, now: float, delay: float) -> str:
    elapsed = now - f.processing_started_at
    total = delay_for(f, delay)
    if is_processed(f, now, delay):
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
    """Processing is over: its time has passed and the source's download is done."""
    return now - f.processing_started_at >= delay_for(f, delay) and settle_download(f)


def is_due(f: File, now: float, delay: float) -> bool:
    """The file's processing time is up (its download may still run)."""
    return now - f.processing_started_at >= delay_for(f, delay)


def errors(f: File, now: float, delay: float, enum: str = "FileErrorCode") -> list[dict[str, Any]]:
    if status(f, now, delay) != FAILED:
        return []
    code = f.fail_code or "UNKNOWN"
    return [{"code": code, "details": f.fail_detail or None, "message": error_message(enum, code)}]


def cdn_url(shop: Any, f: File, delay: float) -> str:
    """The CDN URL of the file's latest rendition, shaped as Shopify's
    (captured: shop 92891250994 serves /s/files/1/0928/9125/0994/files/dummy.pdf?v=1778175981,
    v being the file's updatedAt once processed)."""
    digits = f"{shop.number:012d}"
    version = int(f.processing_started_at + delay_for(f, delay))
    return f"https://cdn.shopify.com/s/files/1/{digits[:4]}/{digits[4:8]}/{digits[8:]}/files/{served_name(f)}?v={version}"


def served_name(f: File) -> str:
    """The name a processed file is served under: an image's (or video's)
    file name; a generic file keeps its source's own name whatever `filename`
    says (captured twice: `filename: "…-generic.pdf"` from …/pdf/dummy.pdf is
    served as …/files/dummy.pdf), and keeps the name it was served under when
    its source is replaced (captured: media-file-update-source-semantics, a
    generic file whose originalSource became …/pdf-table/table.pdf is served
    as …/files/dummy.pdf with a new `?v=`)."""
    if f.kind == GENERIC_FILE:
        if f.served_as:
            return f.served_as
        last = _last_segment(f.original_source)
        if last and "." in last:
            return last
    return f.filename


def _last_segment(url: Optional[str]) -> str:
    from urllib.parse import unquote, urlsplit
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]) if url and "://" in url else ""


def current_url(shop: Any, f: File, now: float, delay: float) -> Optional[str]:
    """The URL a client sees now: the new rendition once processed, the old
    one while a replacement is being processed, None before the first."""
    if is_processed(f, now, delay):
        if f.fail_code:
            return f.ready_url
        return f.processed_url or cdn_url(shop, f, delay)
    return f.ready_url


def restart(f: File, now: float, shop: Any, delay: float, fail_code: Optional[str]) -> None:
    """Start processing again (the source is being replaced: call before the
    file takes the new source), remembering what was served until now."""
    if is_processed(f, now, delay) and not f.fail_code:
        f.ready_url = f.processed_url or cdn_url(shop, f, delay)
    if f.kind == GENERIC_FILE and f.served_as is None:
        f.served_as = _last_segment(f.ready_url) or served_name(f)
    f.processed_url = None
    f.processing_started_at = now
    f.fail_code, f.fail_detail = fail_code, ""
    f.download = None
    f.updated_at = now


def due_downloads(catalog: Catalog, now: float, delay: float) -> list[Any]:
    """The downloads a request must wait for: those of files whose processing
    time is up. Forgets files whose download was applied."""
    due = []
    for file_id, f in list(catalog.pending_downloads.items()):
        if f.download is None:
            del catalog.pending_downloads[file_id]
        elif is_due(f, now, delay):
            due.append(f.download)
    return due


def wait_for_due_downloads(state: Any, shop: Any, now: float, delay: float) -> None:
    """Let the downloads whose processing time is up finish before a request
    reads the shop, waiting outside the lock (a source may be served by a
    server that itself talks to this simulator): what a request sees then
    depends on the simulated time only, not on how fast the machine is."""
    with state.lock:
        due = due_downloads(shop.catalog, now, delay) if shop.catalog is not None else []
    if due:
        state.downloads.wait(due)


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
