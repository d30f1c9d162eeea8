"""Step 1, files: what each product needs uploaded, the files an interrupted
run already made for it (from the journal), and one `fileCreate` per 250 new
files of the whole chunk (swatches included; full videos staged first).

fileCreate writes to the store's Files library, not to a product: an abort
is honoured before it (nothing is made) and the files of products stopped
later stay in the journal, where the next run for those products finds them.
"""
from __future__ import annotations

import time

from .files import NewFile, create_files, file_statuses, find_unattached
from .journal import ROLE_GALLERY, ROLE_SWATCH, JournalRecord
from .record import ProductWork, Upload, Work
from .video import StagedVideo, stage_videos

RESUME_CLOCK_SLACK = 600          # seconds: our clock vs Shopify's createdAt when resuming


def collect_uploads(product: ProductWork) -> list[Upload]:
    """The files a product's plan needs: new gallery assets and new swatches, once per (asset, role)."""
    seen: set[tuple[tuple[str, str, str], str]] = set()
    for action in product.plan.actions:
        planned = action.asset
        if planned is None or planned.delivery.url is None:
            continue
        if action.swatch_owner is not None:
            if action.action != "created":
                continue
            role, owner = ROLE_SWATCH, action.swatch_owner
        elif action.needs_upload:
            role, owner = ROLE_GALLERY, None
        else:
            continue
        if (planned.key, role) in seen:
            continue
        seen.add((planned.key, role))
        entry = next((e for e in product.plan.productmedia if e.asset_key == planned.key), None)
        product.uploads.append(Upload(
            product.product_id, planned.key, role, action, owner, planned.filename or "",
            planned.delivery.content_type or "IMAGE", planned.alt, planned.delivery.url,
            entry_json=entry.model_dump_json() if entry is not None and role == ROLE_GALLERY else None))
    return product.uploads


def resume_uploads(work: Work) -> None:
    """Reuse files an earlier, interrupted attempt made for the same assets."""
    records = {r.ident: r for r in work.journal.records([p.product_id for p in work.products])}
    if not records:
        return
    claimed = {r.file_id for r in records.values() if r.file_id}
    found: dict[tuple[str, str, float], list[str]] = {}
    known: list[Upload] = []
    for upload in work.uploads:
        record = records.get(upload.ident)
        if record is None or record.delivery_url != upload.delivery_url:
            continue
        if record.file_id:
            upload.file_id = record.file_id
            known.append(upload)
            continue
        lookup = (record.filename, record.source_url, record.intended_at)
        if lookup not in found:
            after = _iso(record.intended_at - RESUME_CLOCK_SLACK) if record.intended_at else None
            found[lookup] = find_unattached(work.client, record.filename, record.source_url, created_after=after)
        file_id = next((f for f in found[lookup] if f not in claimed), None)
        if file_id is not None:
            upload.file_id = file_id
            claimed.add(file_id)
            known.append(upload)
    if known:
        statuses = file_statuses(work.client, [u.file_id for u in known if u.file_id])
        for upload in known:
            if statuses.get(upload.file_id or "") in (None, "MISSING", "FAILED"):
                upload.file_id = None  # gone or broken: make it again
        work.journal.created([journal_record(u, u.file_id, work.options.wall_clock())
                              for u in known if u.file_id])


def create_uploads(work: Work) -> None:
    """fileCreate for every upload still without a file; the journal records
    the intent before and the file ids after. Nothing is made once an abort
    was requested."""
    todo = [u for u in work.uploads if u.file_id is None and u.error is None]
    if not todo or work.stop_requested():
        return
    _stage_videos(work, [u for u in todo if u.content_type == "VIDEO"])
    todo = [u for u in todo if u.error is None]
    now = work.options.wall_clock()
    for upload in todo:
        upload.file = NewFile(upload.file.original_source if upload.file else upload.delivery_url,
                              upload.filename, upload.content_type, upload.alt)
    work.journal.intend([journal_record(u, None, now) for u in todo])
    create_files(work.client, [u.file for u in todo if u.file])
    work.files_made_at = work.options.clock()
    made = []
    for upload in todo:
        assert upload.file is not None
        if upload.file.file_id:
            upload.file_id = upload.file.file_id
            made.append(journal_record(upload, upload.file_id, now))
        else:
            upload.error = upload.file.error or "fileCreate made no file"
    if made:
        work.journal.created(made)


def _stage_videos(work: Work, videos: list[Upload]) -> None:
    """Full videos: staged (video.stage_videos), then created from the resourceUrl."""
    staged = [StagedVideo(u.delivery_url, u.filename) for u in videos]
    stage_videos(work.client, staged, downloader=work.downloader, uploader=work.uploader,
                 max_bytes=work.options.max_video_bytes)
    for upload, video in zip(videos, staged):
        if video.error:
            upload.error = video.error
        elif video.resource_url:
            upload.file = NewFile(video.resource_url, upload.filename, "VIDEO", upload.alt)


def journal_record(upload: Upload, file_id: str | None, now: float) -> JournalRecord:
    source = upload.file.original_source if upload.file else upload.delivery_url
    return JournalRecord(upload.product_id, upload.key, upload.role, upload.filename, source, upload.delivery_url,
                         file_id, upload.entry_json, now)


def _iso(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))
