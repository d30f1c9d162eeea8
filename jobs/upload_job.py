"""Upload to Store Files: `run_upload(upload_id)`.

The selected assets go to the store's Files (no product), with the same
filenames, alt text, delivery URLs and video behaviour as a sync
(jobs.planner: naming, delivery). The job runs like a sync: one batch per
store at a time in arrival order (jobs.batch_dispatch), abort before its
next chunk of files, counters and per-asset rows committed as it goes.

Per chunk of up to 250 assets (Shopify's `fileCreate` limit):

1. reuse    files an earlier upload made of the same asset version,
            transformation and delivered kind (models.StoreFile), if Shopify
            still has them (a merchant may have deleted one): one
            `nodes(ids:)` status read. An asset without a version is never
            reused across uploads: nothing says its content is unchanged;
2. resume   a StoreFile row whose `fileCreate` answer was never recorded (a
            worker killed during the call) is looked up by filename and
            source among unattached files instead of creating it again;
3. create   full videos are fetched and staged first; the intent is
            committed, then one `fileCreate` for the chunk;
4. wait     a few status reads with growing intervals (executor.files),
            then one read of the CDN URLs and alt texts; a file Shopify could
            not process is reported with its `fileErrors`; a reused file whose
            alt text differs from this upload's gets it (`fileUpdate`).
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select

from shopify_app.admin_api import GraphQLErrors, queries
from shopify_app.admin_api.by_ids import read_by_ids
from shopify_app.extensions import db
from shopify_app.models import StoreFile, Sync, SyncItem

from .batch_run import BatchRun, final_status, run_as_head
from .context import with_app_context
from .executor.files import (FAILED, FILE_UPDATE_COST, MAX_FILES_PER_CALL, MISSING, READY, NewFile, PollOptions,
                             create_files, file_statuses, find_unattached, shopify_alt, user_errors_by_index,
                             wait_until_processed)
from .executor.video import StagedVideo, put_staged, stage_videos, stream_download
from .planner.delivery import Delivery, delivery_for
from .planner.naming import alt_text, filename_for
from .planner.request import MAX_ASSETS, Asset, no_settings, nullable, repeated_assets
from .planner.settings import Settings, SettingsOverride

RESUME_CLOCK_SLACK = 600  # seconds: our clock vs Shopify's createdAt when looking for a lost file


class UploadRequest(BaseModel):
    """POST /uploads body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    settings: SettingsOverride = Field(default_factory=SettingsOverride, json_schema_extra=nullable)
    assets: list[Asset] = Field(min_length=1, max_length=MAX_ASSETS)

    @field_validator("settings", mode="before")
    @classmethod
    def _no_settings(cls, value: Any) -> Any:
        return no_settings(value)

    def repeated_assets(self) -> list[tuple[int, int]]:
        return repeated_assets(self.assets)


@dataclass(frozen=True)
class PlannedUpload:
    """One asset as it will go to Files, or why nothing goes."""

    index: int
    asset: Asset
    delivery: Delivery
    filename: str
    alt: str
    key_hash: str
    skip: str | None = None
    refused: str | None = None  # failed up front (jobs.planner.delivery.within_source_limit)


def store_file_key(cloud_name: str, asset: Asset, delivery: Delivery, upload_id: str) -> str:
    """What makes two uploads the same file: the asset (cloud, resource type,
    delivery type, public ID), its version, the transformation and what was
    delivered. Without a version the key is this upload's own."""
    version: Any = asset.version if asset.version is not None else f"unversioned:{upload_id}"
    raw = json.dumps([cloud_name, asset.resource_type, asset.type, asset.public_id, version,
                      delivery.transformation, delivery.kind], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def plan_uploads(assets: Sequence[Asset], settings: Settings, cloud_name: str, upload_id: str
                 ) -> list[PlannedUpload]:
    """Pure: what each asset becomes in Files under these settings."""
    out = []
    first_index: dict[Any, int] = {}
    for index, asset in enumerate(assets):
        delivery = delivery_for(asset, cloud_name, settings)
        key = store_file_key(cloud_name, asset, delivery, upload_id)
        skip = None
        repeats = first_index.setdefault(asset.key, index)
        refused = delivery.reason if delivery.kind == "refused" and not asset.excluded and repeats == index else None
        if repeats != index:
            skip = f"repeats assets[{repeats}] (same resource_type, type and public_id): uploaded once"
        elif asset.excluded:
            skip = "excluded in the dialog"
        elif delivery.kind == "none":
            skip = "video_behavior is none: nothing is uploaded for a video"
        elif refused is None and (delivery.url is None or delivery.format is None):
            skip = f"{asset.resource_type} assets are not uploaded to Shopify"
        filename = filename_for(asset, cloud_name, settings.filename_format, delivery.format) \
            if delivery.format else ""
        out.append(PlannedUpload(index, asset, delivery, filename, alt_text(asset, settings.alt_text_source), key,
                                 skip, refused))
    return out


@dataclass
class _Item:
    plan: PlannedUpload
    row: StoreFile | None = None
    file_id: str | None = None
    source: str | None = None       # what fileCreate is given (a staged resourceUrl for full videos)
    reused: bool = False
    status: str | None = None       # Shopify's fileStatus when known
    error: str | None = None
    url: str | None = None
    note: str | None = None         # what else happened to a reused file


@with_app_context
def run_upload(upload_id: str) -> str:
    return run_as_head(upload_id, UploadRun)


class UploadRun(BatchRun):
    # Injectable (tests serve video bytes locally; Cloudinary is not reachable everywhere).
    downloader = staticmethod(stream_download)
    uploader = staticmethod(put_staged)
    sleep = staticmethod(time.sleep)

    def steps(self) -> None:
        sync = self.sync
        request = UploadRequest.model_validate(sync.request)
        settings = Settings.model_validate(sync.settings or {})
        plans = plan_uploads(request.assets, settings, sync.cloud_name or "", sync.id)
        sync.assets_total = len(plans)
        done = set(db.session.scalars(select(SyncItem.seq).where(SyncItem.sync_id == sync.id)))
        for plan in plans:
            if plan.refused and plan.index not in done:
                self.add_row(plan, "failed", error=plan.refused)
            elif plan.skip and plan.index not in done:
                self.add_row(plan, "skipped", detail=plan.skip)
        db.session.commit()
        todo = [p for p in plans if not p.skip and not p.refused and p.index not in done]
        size = min(MAX_FILES_PER_CALL, max(1, int(self.config["UPLOAD_FILES_PER_BATCH"])))
        for start in range(0, len(todo), size):
            if self.abort_requested():
                break
            self.upload_chunk(todo[start:start + size])
            self.update_progress(sync)
            db.session.commit()
        self.finish(plans)

    # -- one chunk ------------------------------------------------------------------------------
    def upload_chunk(self, plans: Sequence[PlannedUpload]) -> None:
        sync = self.sync
        rows = {r.key_hash: r for r in db.session.scalars(select(StoreFile).where(
            StoreFile.shop_id == sync.shop_id, StoreFile.key_hash.in_([p.key_hash for p in plans])))}
        items = [_Item(p, rows.get(p.key_hash)) for p in plans]
        self.reuse(items)
        self.create(items)
        self.wait(items)
        for item in items:
            plan = item.plan
            if item.error:
                self.add_row(plan, "failed", file_id=item.file_id, error=item.error)
            elif item.reused:
                self.add_row(plan, "unchanged", file_id=item.file_id, url=item.url,
                             detail="; ".join(filter(None, ["reused the file an earlier upload made of this version",
                                                            item.note])))
            else:
                self.add_row(plan, "created", file_id=item.file_id, url=item.url)
            if item.row is not None and item.url:
                item.row.url = item.url
        db.session.commit()

    def reuse(self, items: list[_Item]) -> None:
        """Files recorded for these keys, and files a killed worker's
        fileCreate made without the answer being recorded; kept only if
        Shopify still has them and they did not fail."""
        claimed = {i.row.file_id for i in items if i.row is not None and i.row.file_id}
        for item in items:
            row = item.row
            if row is None:
                continue
            if row.file_id:
                item.file_id = row.file_id
            elif row.intended_at:
                after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.intended_at - RESUME_CLOCK_SLACK))
                for file_id in find_unattached(self.client, row.filename, row.source_url, created_after=after):
                    if file_id not in claimed:
                        claimed.add(file_id)
                        item.file_id = row.file_id = file_id
                        break
        known = [i for i in items if i.file_id]
        if not known:
            return
        statuses = file_statuses(self.client, [i.file_id for i in known if i.file_id])
        for item in known:
            status = statuses.get(item.file_id or "")
            if status in (None, MISSING, FAILED):
                item.file_id = None  # deleted by the merchant, or broken: upload anew
                if item.row is not None:
                    item.row.file_id = item.row.url = None
            else:
                item.status = status
                item.reused = item.row is not None and item.row.sync_id != self.sync.id
                item.url = item.row.url if item.row is not None else None
        db.session.commit()

    def create(self, items: list[_Item]) -> None:
        todo = [i for i in items if i.file_id is None]
        videos = [i for i in todo if i.plan.delivery.content_type == "VIDEO"]
        for item in todo:
            if item not in videos:
                item.source = item.plan.delivery.url
        self.stage_videos(videos)
        todo = [i for i in todo if i.error is None and i.source]
        if not todo:
            return
        now = time.time()
        for item in todo:  # the intent is durable before Shopify is asked
            plan = item.plan
            if item.row is None:
                item.row = StoreFile(shop_id=self.sync.shop_id, key_hash=plan.key_hash)
                db.session.add(item.row)
            item.row.public_id = plan.asset.public_id
            item.row.resource_type = plan.asset.resource_type
            item.row.version = plan.asset.version
            item.row.transformation = plan.delivery.transformation
            item.row.delivery = plan.delivery.kind
            item.row.filename = plan.filename
            item.row.source_url = item.source or ""
            item.row.file_id = item.row.url = None
            item.row.intended_at = now
            item.row.sync_id = self.sync.id
        db.session.commit()
        files = [NewFile(i.source or "", i.plan.filename, i.plan.delivery.content_type or "IMAGE", i.plan.alt)
                 for i in todo]
        create_files(self.client, files)
        for item, new in zip(todo, files):
            if new.file_id:
                item.file_id = new.file_id
                assert item.row is not None
                item.row.file_id = new.file_id
            else:
                item.error = new.error or "fileCreate made no file"
                if item.row is not None:
                    item.row.intended_at = 0.0  # Shopify answered: nothing to look for on a later run
        db.session.commit()

    def stage_videos(self, items: list[_Item]) -> None:
        """Shopify takes videos only from its staged uploads (executor.video)."""
        staged = [StagedVideo(i.plan.delivery.url or "", i.plan.filename) for i in items]
        stage_videos(self.client, staged, downloader=self.downloader, uploader=self.uploader)
        for item, video in zip(items, staged):
            item.source, item.error = video.resource_url, video.error

    def wait(self, items: list[_Item]) -> None:
        pending = [i for i in items if i.file_id and i.error is None]
        if not pending:
            return
        options = PollOptions(max_total=float(self.config["UPLOAD_MAX_PROCESSING_SECONDS"]))
        outcome = wait_until_processed(self.client, [i.file_id for i in pending if i.file_id], options=options,
                                       sleep=self.sleep, clock=time.monotonic,
                                       known={i.file_id: i.status for i in pending if i.file_id and i.status})
        for item in pending:
            status = outcome.status.get(item.file_id or "")
            if status != READY:
                item.error = "Shopify could not process the file: " + (
                    outcome.errors.get(item.file_id or "") or f"the file is {str(status).lower()}")
        ready = [i for i in pending if i.error is None and i.file_id]
        details = file_details(self.client, [i.file_id for i in ready if i.file_id])
        for item in ready:
            url, _alt = details.get(item.file_id or "", (None, None))
            item.url = url or item.url
        self.refresh_alt([i for i in ready if i.reused], details)

    def refresh_alt(self, reused: list[_Item], details: Mapping[str, tuple[str | None, str | None]]) -> None:
        """A reused file gets the alt text this upload would give it (the
        sync's rule: alt text changes are updated in place, no new file)."""
        changed = [i for i in reused if details.get(i.file_id or "", (None, None))[1] != shopify_alt(i.plan.alt)]
        for start in range(0, len(changed), MAX_FILES_PER_CALL):
            chunk = changed[start:start + MAX_FILES_PER_CALL]
            try:
                data = self.client.execute(queries.FILE_UPDATE, {"files": [
                    {"id": i.file_id, "alt": shopify_alt(i.plan.alt)} for i in chunk]},
                    expected_cost=FILE_UPDATE_COST, raise_user_errors=False)
                errors = (data.get("fileUpdate") or {}).get("userErrors") or []
            except GraphQLErrors as exc:
                errors = [{"message": str(exc)}]
            by_index = user_errors_by_index(errors, "files")
            for index, item in enumerate(chunk):
                problem = by_index.get(index) if by_index or not errors else "; ".join(
                    e.get("message") or "" for e in errors)
                item.note = f"alt text not updated: {problem}" if problem else "alt text updated"

    # -- rows and the end -----------------------------------------------------------------------
    def add_row(self, plan: PlannedUpload, action: str, *, file_id: str | None = None, url: str | None = None,
                error: str | None = None, detail: str | None = None) -> None:
        db.session.add(SyncItem(sync_id=self.sync.id, seq=plan.index, public_id=plan.asset.public_id,
                                action=action, media_id=file_id, url=url, error=error, detail=detail))

    def update_progress(self, sync: Sync) -> None:
        counts = dict(db.session.execute(select(SyncItem.action, func.count()).where(
            SyncItem.sync_id == sync.id).group_by(SyncItem.action)).all())
        sync.assets_linked = int(counts.get("created", 0)) + int(counts.get("unchanged", 0))
        sync.failures = int(counts.get("failed", 0))

    def finish(self, plans: Sequence[PlannedUpload]) -> None:
        sync = self.sync
        stopped = self.abort_requested()
        done = set(db.session.scalars(select(SyncItem.seq).where(SyncItem.sync_id == sync.id)))
        left = [p for p in plans if p.index not in done]
        for plan in left:
            self.add_row(plan, "skipped", detail="the upload was aborted before this asset")
        db.session.flush()
        self.update_progress(sync)
        uploadable = sum(1 for p in plans if not p.skip)
        self.end(final_status(stopped_early=bool(left) and stopped, units=uploadable, failed_units=sync.failures or 0,
                              failures=sync.failures or 0))


def file_details(client: Any, ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """(Shopify CDN URL, alt text) of each file, one search read per 250 (by_ids)."""
    nodes = read_by_ids(client, ids, connection=queries.FILE_DETAILS, root="files", nodes=queries.FILE_DETAILS_BY_IDS)
    return {file_id: (_url_of(node), node.get("alt")) for file_id, node in nodes.items() if node}


def _url_of(node: Mapping[str, Any]) -> str | None:
    if (node.get("image") or {}).get("url"):
        return node["image"]["url"]
    sources = node.get("sources") or []  # a video's playable renditions on Shopify's CDN
    if sources and sources[0].get("url"):
        return sources[0]["url"]
    if (node.get("originalSource") or {}).get("url"):
        return node["originalSource"]["url"]
    return node.get("url")
