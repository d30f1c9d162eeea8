"""Carry a batch of ProductPlans out on Shopify.

The order of the writes is what makes a batch cheap and safe:

1. files      one `fileCreate` per 250 new media of the whole batch (swatches
              included), each with its contentType and the filename the
              settings give; full videos are fetched from Cloudinary and
              staged first. The journal records intent before, ids after.
2. wait       a few `nodes(ids:)` status reads (scalar-only, ~1 point each)
              with growing intervals until every file is READY or FAILED.
3. galleries  `fileUpdate` rows, 250 per call across products: displaced media
              first (`referencesToRemove` names only this product, so media
              another product shares stay there), alt-only changes, then the
              new files (`referencesToAdd`). `productDeleteMedia` and
              `productUpdateMedia` are deprecated ("Use fileUpdate instead").
4. order      the galleries are read back (where Shopify puts added media is
              not documented) and `productReorderMedia` is sent only where the
              order differs, several products per request under aliases; its
              Jobs are polled the same way.
5. variants   with `variant_images`, `productVariantDetachMedia` (a variant
              holds one media) and `productVariantAppendMedia`.
6. metafields `metafieldsSet` 25 per call: productmedia_v1 (and swatches) with
              the compareDigest read before planning, so a concurrent edit is
              reported instead of overwritten.

`productSet(files:)` could attach and order in one call but replaces the whole
list (media not named are removed) and needs every file READY first; with
shared and merchant media in galleries, fileUpdate's explicit add/remove is
the safer tool, and it batches across products where productSet cannot.

An asset whose upload fails is reported failed and left out (a merchant's
media it was to overwrite stays); the rest of the product goes on. A plan the
planner failed (e.g. over 250 media) makes no write at all.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

from jobs.planner.plan import Action, ProductPlan, reorder_moves
from jobs.planner.productmedia import KEY, NAMESPACE, SWATCH_KEY, ProductMediaEntry, dump_document
from jobs.planner.request import AssetKey
from shopify_app.admin_api import GraphQLErrors, queries
from shopify_app.admin_api.client import AdminApiClient

from . import aliases
from .files import (MAX_FILES_PER_CALL, READY, FILE_UPDATE_COST, NewFile, PollOptions, create_files, file_statuses,
                    find_unattached, shopify_alt, wait_until_processed)
from .journal import ROLE_GALLERY, ROLE_REATTACH, ROLE_SWATCH, Journal, JournalRecord
from .state import ReadState
from .video import MAX_VIDEO_BYTES, Downloader, StagedVideo, Uploader, put_staged, stage_videos, stream_download

log = logging.getLogger("jobs.executor")

MAX_METAFIELDS_PER_CALL = 25      # metafieldsSet
MAX_VARIANT_PAIRS = 100           # productVariantAppendMedia / DetachMedia per product
MUTATION_COST = 10
ALIASES_PER_REQUEST = 20          # 20 mutations = 200 points: well under the 1,000 per-query cap
GALLERY_READ_BATCH = 100
RESUME_CLOCK_SLACK = 600          # seconds: our clock vs Shopify's createdAt when resuming

Status = Literal["succeeded", "unchanged", "partially_succeeded", "failed"]


@dataclass
class ExecutorOptions:
    poll: PollOptions = field(default_factory=PollOptions)
    job_poll: PollOptions = field(default_factory=lambda: PollOptions(first_wait=0.5, max_interval=5.0,
                                                                      max_total=120.0))
    max_video_bytes: int = MAX_VIDEO_BYTES
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    # Order galleries by taking media off and re-attaching them after the new
    # ones (two fileUpdate rows per moved media, batched) instead of one
    # productReorderMedia per product (10 points). Off by default: the media
    # are off the storefront for the moment between the two calls.
    move_by_reattaching: bool = False


@dataclass
class RowResult:
    """One report row (contract: product, asset, action, position, media_id, error)."""

    action: str
    public_id: str | None
    group_value: str | None
    position: int | None
    media_id: str | None
    error: str | None = None
    reason: str | None = None
    swatch_owner: str | None = None


@dataclass
class ProductResult:
    product_id: str
    title: str
    status: Status
    error: str | None
    rows: list[RowResult]
    gallery: tuple[str, ...] = ()
    productmedia: tuple[ProductMediaEntry, ...] = ()

    @property
    def assets_linked(self) -> int:
        return sum(1 for r in self.rows if r.error is None and r.public_id and r.swatch_owner is None
                   and r.action in ("created", "replaced", "moved", "unchanged"))


@dataclass
class _Upload:
    product_id: str
    key: AssetKey
    role: str
    action: Action
    owner: str | None
    filename: str
    content_type: str
    alt: str
    delivery_url: str
    entry_json: str | None = None
    file: NewFile | None = None
    file_id: str | None = None
    error: str | None = None

    @property
    def ident(self) -> tuple[str, AssetKey, str]:
        return (self.product_id, self.key, self.role)


@dataclass
class _Work:
    """One product's execution."""

    plan: ProductPlan
    state: ReadState
    uploads: list[_Upload] = field(default_factory=list)
    new_media: dict[AssetKey, str] = field(default_factory=dict)
    failed: dict[AssetKey, str] = field(default_factory=dict)         # asset -> why its upload failed
    removed: set[str] = field(default_factory=set)
    removal_errors: dict[str, str] = field(default_factory=dict)
    alt_errors: dict[str, str] = field(default_factory=dict)
    add_errors: dict[AssetKey, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wrote: bool = False
    gallery: list[str] = field(default_factory=list)               # the target, once known
    document: list[ProductMediaEntry] = field(default_factory=list)
    swatch_files: dict[str, str] = field(default_factory=dict)      # owner -> file id
    swatch_errors: dict[str, str] = field(default_factory=dict)
    detached: set[str] = field(default_factory=set)                 # taken off to be put back in order
    reattached: set[str] = field(default_factory=set)               # ... and put back
    fatal: str | None = None

    @property
    def product_id(self) -> str:
        return self.plan.product_id


def execute(client: AdminApiClient, plans: Sequence[ProductPlan], *, states: Mapping[str, ReadState],
            journal: Journal, options: ExecutorOptions | None = None,
            downloader: Downloader | None = None, uploader: Uploader | None = None) -> list[ProductResult]:
    """Carry `plans` out (planned from `states`, as `read_product_states`
    returned them) and report per product, in plan order.

    Transient failures (Shopify down after the client's retries, the journal's
    storage gone) propagate: the job retries and the journal makes that safe.
    """
    run = _Run(client, journal, options or ExecutorOptions(), downloader or stream_download,
               uploader or put_staged)
    return run.go(plans, states)


class _Run:
    def __init__(self, client: AdminApiClient, journal: Journal, options: ExecutorOptions,
                 downloader: Downloader, uploader: Uploader) -> None:
        self.client = client
        self.journal = journal
        self.options = options
        self.downloader = downloader
        self.uploader = uploader

    # -- the whole batch --------------------------------------------------------------------------
    def go(self, plans: Sequence[ProductPlan], states: Mapping[str, ReadState]) -> list[ProductResult]:
        results: dict[str, ProductResult] = {}
        works: list[_Work] = []
        for plan in plans:
            state = states.get(plan.product_id)
            if plan.status != "planned":
                results[plan.product_id] = _failed_plan(plan)
            elif state is None or not state.found:
                results[plan.product_id] = _failed_plan(plan, "the product no longer exists")
            elif not plan.has_writes and not state.detached:
                self.journal.complete(plan.product_id)
                results[plan.product_id] = _unchanged(plan, state)
            else:
                works.append(_Work(plan, state))
        if works:
            self._carry_out(works)
            for work in works:
                results[work.product_id] = self._result(work)
        return [results[p.product_id] for p in plans]

    def _carry_out(self, works: list[_Work]) -> None:
        uploads = [u for w in works for u in self._uploads_of(w)]
        self._resume(works, uploads)
        self._create(uploads)
        self._wait(works, uploads)
        for work in works:
            self._settle_target(work)
        self._update_galleries(works)
        self._reorder(works)
        self._variant_images(works)
        self._metafields(works)
        for work in works:
            if not work.errors and not work.fatal:
                self.journal.complete(work.product_id)

    # -- 1. files -----------------------------------------------------------------------------------
    def _uploads_of(self, work: _Work) -> list[_Upload]:
        seen: set[tuple[AssetKey, str]] = set()
        for action in work.plan.actions:
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
            entry = next((e for e in work.plan.productmedia if e.asset_key == planned.key), None)
            work.uploads.append(_Upload(
                work.product_id, planned.key, role, action, owner, planned.filename or "", 
                planned.delivery.content_type or "IMAGE", planned.alt, planned.delivery.url,
                entry_json=entry.model_dump_json() if entry is not None and role == ROLE_GALLERY else None))
        return work.uploads

    def _resume(self, works: list[_Work], uploads: list[_Upload]) -> None:
        """Reuse files an earlier, interrupted attempt made for the same assets."""
        records = {r.ident: r for r in self.journal.records([w.product_id for w in works])}
        if not records:
            return
        claimed = {r.file_id for r in records.values() if r.file_id}
        found: dict[tuple[str, str, float], list[str]] = {}
        known: list[_Upload] = []
        for upload in uploads:
            record = records.get(upload.ident)
            if record is None or record.delivery_url != upload.delivery_url:
                continue
            if record.file_id:
                upload.file_id = record.file_id
                known.append(upload)
            else:
                lookup = (record.filename, record.source_url, record.intended_at)
                if lookup not in found:
                    after = _iso(record.intended_at - RESUME_CLOCK_SLACK) if record.intended_at else None
                    found[lookup] = find_unattached(self.client, record.filename, record.source_url,
                                                    created_after=after)
                for file_id in found[lookup]:
                    if file_id not in claimed:
                        upload.file_id = file_id
                        claimed.add(file_id)
                        known.append(upload)
                        break
        if known:
            statuses = file_statuses(self.client, [u.file_id for u in known if u.file_id])
            for upload in known:
                if statuses.get(upload.file_id or "") in (None, "MISSING", "FAILED"):
                    upload.file_id = None  # gone or broken: make it again
            self.journal.created([_record(u, u.file_id, self.options.wall_clock())
                                  for u in known if u.file_id])

    def _create(self, uploads: list[_Upload]) -> None:
        todo = [u for u in uploads if u.file_id is None and u.error is None]
        if not todo:
            return
        self._stage_videos([u for u in todo if u.content_type == "VIDEO"])
        todo = [u for u in todo if u.error is None]
        now = self.options.wall_clock()
        for upload in todo:
            upload.file = NewFile(upload.file.original_source if upload.file else upload.delivery_url,
                                  upload.filename, upload.content_type, upload.alt)
        self.journal.intend([_record(u, None, now) for u in todo])
        create_files(self.client, [u.file for u in todo if u.file])
        made = []
        for upload in todo:
            assert upload.file is not None
            if upload.file.file_id:
                upload.file_id = upload.file.file_id
                made.append(_record(upload, upload.file_id, now))
            else:
                upload.error = upload.file.error or "fileCreate made no file"
        if made:
            self.journal.created(made)

    def _stage_videos(self, videos: list[_Upload]) -> None:
        """Full videos: staged (video.stage_videos), then created from the resourceUrl."""
        staged = [StagedVideo(u.delivery_url, u.filename) for u in videos]
        stage_videos(self.client, staged, downloader=self.downloader, uploader=self.uploader,
                     max_bytes=self.options.max_video_bytes)
        for upload, video in zip(videos, staged):
            if video.error:
                upload.error = video.error
            elif video.resource_url:
                upload.file = NewFile(video.resource_url, upload.filename, "VIDEO", upload.alt)

    # -- 2. wait --------------------------------------------------------------------------------------
    def _wait(self, works: list[_Work], uploads: list[_Upload]) -> None:
        ids = [u.file_id for u in uploads if u.file_id]
        known: dict[str, str] = {}
        # Media this run changes on the product (removals, alt) must be READY too.
        for work in works:
            for media_id in _touched_media(work.plan):
                info = work.state.media_info(media_id)
                if info is not None:
                    known[media_id] = info.status
                    ids.append(media_id)
        outcome = wait_until_processed(self.client, ids, options=self.options.poll, sleep=self.options.sleep,
                                       clock=self.options.clock, known=known)
        self.ready = {i for i, s in outcome.status.items() if s == READY}
        self.not_ready = {i: outcome.errors.get(i) or f"the file is {s.lower()}"
                          for i, s in outcome.status.items() if s != READY}
        for upload in uploads:
            if upload.file_id and upload.file_id not in self.ready:
                upload.error = f"Shopify could not process the file: {self.not_ready.get(upload.file_id)}"
        for work in works:
            for upload in work.uploads:
                if upload.role == ROLE_GALLERY:
                    if upload.error is None and upload.file_id:
                        work.new_media[upload.key] = upload.file_id
                    else:
                        work.failed[upload.key] = upload.error or "not uploaded"
                elif upload.owner is not None:
                    if upload.error is None and upload.file_id:
                        work.swatch_files[upload.owner] = upload.file_id
                    else:
                        work.swatch_errors[upload.owner] = upload.error or "not uploaded"

    # -- 3. galleries ----------------------------------------------------------------------------------
    def _settle_target(self, work: _Work) -> None:
        """The gallery and document this product gets, given which uploads
        worked: a failed new asset is left out, a failed overwrite keeps the
        media it was to replace, a failed refresh keeps the old media."""
        plan, state = work.plan, work.state
        displaced = {a.asset.key: a.replaces for a in plan.actions
                     if a.action == "replaced" and a.media_id is None and a.replaces and a.asset}
        gallery: list[str] = []
        for slot in plan.gallery:
            if slot.asset is None:
                assert slot.media_id is not None
                gallery.append(slot.media_id)
                continue
            key = slot.asset.key
            if key in work.new_media:
                gallery.append(work.new_media[key])
            elif slot.media_id is not None:
                gallery.append(slot.media_id)
            elif key in displaced and displaced[key]:
                gallery.append(displaced[key])  # type: ignore[arg-type]
        work.gallery = gallery
        old_entries = {e.asset_key: e for e in state.productmedia if e.media_id in set(state.gallery)}
        document: list[ProductMediaEntry] = []
        for entry in plan.productmedia:
            if entry.media_id is None and entry.delivery != "none":
                if entry.asset_key in work.new_media:
                    document.append(entry.model_copy(update={"media_id": work.new_media[entry.asset_key]}))
                elif entry.asset_key in old_entries and old_entries[entry.asset_key].media_id in gallery:
                    document.append(old_entries[entry.asset_key])
                continue
            document.append(entry)
        work.document = document

    def _update_galleries(self, works: list[_Work]) -> None:
        """fileUpdate in two rounds of 250-row calls: first what leaves
        galleries (removals, media taken off to be re-attached) and alt text,
        then what joins them, in target order."""
        leaving: dict[str, dict[str, Any]] = {}
        owners: dict[str, list[tuple[_Work, str, Any]]] = {}   # file id -> (work, kind, detail)
        reattach = self._reattach_sets(works)
        intents: list[JournalRecord] = []
        now = self.options.wall_clock()
        for work in works:
            target = set(work.gallery)
            attached = set(work.state.gallery) - work.state.detached
            for media_id in work.plan.removals:
                if media_id not in attached or media_id in target:
                    continue
                if media_id not in self.ready:
                    work.removal_errors[media_id] = (f"Shopify only updates READY media: "
                                                     f"{self.not_ready.get(media_id, 'not ready')}")
                    continue
                leaving.setdefault(media_id, {"id": media_id}).setdefault("referencesToRemove", []).append(
                    work.product_id)
                owners.setdefault(media_id, []).append((work, "remove", media_id))
            for media_id in reattach.get(work.product_id, []):
                leaving.setdefault(media_id, {"id": media_id}).setdefault("referencesToRemove", []).append(
                    work.product_id)
                owners.setdefault(media_id, []).append((work, "detach", media_id))
                intents.append(JournalRecord(work.product_id, ("reattach", "", media_id), ROLE_REATTACH, "", "",
                                             media_id, media_id, None, now, work.gallery.index(media_id)))
            for action in work.plan.actions:
                if (action.action == "replaced" and action.media_id and action.replaces is None
                        and action.asset is not None and action.media_id in target):
                    if action.media_id not in self.ready:
                        work.alt_errors[action.media_id] = "Shopify only updates READY media"
                        continue
                    leaving.setdefault(action.media_id, {"id": action.media_id})["alt"] = shopify_alt(action.asset.alt)
                    owners.setdefault(action.media_id, []).append((work, "alt", action.media_id))
        if intents:
            # Media off a gallery only for a moment: a worker killed now puts
            # them back on the next run (read_product_states, journal).
            self.journal.intend(intents)
            self.journal.created(intents)
        # Removals first: an overwrite frees its slot before the new media
        # arrives, so a full gallery never goes over 250 on the way.
        order = sorted(leaving, key=lambda i: "alt" in leaving[i])
        for start in range(0, len(order), MAX_FILES_PER_CALL):
            self._file_update([leaving[i] for i in order[start:start + MAX_FILES_PER_CALL]], owners)

        joining: dict[str, dict[str, Any]] = {}
        add_owners: dict[str, list[tuple[_Work, str, Any]]] = {}
        for work in works:
            key_of = {file_id: key for key, file_id in work.new_media.items()}
            attached = set(work.state.gallery) - work.state.detached
            detached_now = work.detached | work.state.detached
            for media_id in work.gallery:   # target order: Shopify appends in the order it is given
                if media_id in key_of and media_id not in attached:
                    kind, detail = "add", key_of[media_id]
                elif media_id in detached_now:
                    kind, detail = "reattach", media_id
                else:
                    continue
                joining.setdefault(media_id, {"id": media_id}).setdefault("referencesToAdd", []).append(
                    work.product_id)
                add_owners.setdefault(media_id, []).append((work, kind, detail))
        order = list(joining)
        for start in range(0, len(order), MAX_FILES_PER_CALL):
            self._file_update([joining[i] for i in order[start:start + MAX_FILES_PER_CALL]], add_owners)
        # Media back on their gallery are no longer the journal's business (a
        # record without file id is never acted on), even if the product has
        # other errors and its records stay.
        back = [JournalRecord(w.product_id, ("reattach", "", m), ROLE_REATTACH, "", "", m, None, None, now)
                for w in works for m in w.reattached]
        if back:
            self.journal.created(back)

    def _reattach_sets(self, works: list[_Work]) -> dict[str, list[str]]:
        """With `move_by_reattaching`, the media to take off and put back
        after the new ones so a gallery comes out in order without
        productReorderMedia (10 points per product): the attached media
        that are not already a prefix of the target. Not for media that are
        a variant's image (detaching clears it), not READY, or in several
        galleries of this batch; those products are reordered instead."""
        if not self.options.move_by_reattaching:
            return {}
        out: dict[str, list[str]] = {}
        seen: dict[str, int] = {}
        for work in works:
            for media_id in work.state.gallery:
                seen[media_id] = seen.get(media_id, 0) + 1
        for work in works:
            removals = set(work.plan.removals)
            attached = [m for m in work.state.gallery if m not in work.state.detached and m not in removals]
            place = {m: i for i, m in enumerate(attached)}
            k, last = 0, -1
            while k < len(work.gallery) and work.gallery[k] in place and place[work.gallery[k]] > last:
                last = place[work.gallery[k]]
                k += 1
            prefix = set(work.gallery[:k])
            moving = [m for m in attached if m not in prefix and m in set(work.gallery)]
            if not moving:
                continue
            variant_media = {m for m in work.state.variant_media.values() if m}
            if any(m in variant_media or seen.get(m, 0) > 1 or getattr(work.state.media_info(m), "status", None) != READY
                   for m in moving):
                continue
            out[work.product_id] = moving
        return out

    def _file_update(self, batch: list[dict[str, Any]], owners: Mapping[str, list[tuple[_Work, str, Any]]]) -> None:
        def fail(file_id: str, message: str) -> None:
            for work, kind, detail in owners.get(file_id, []):
                if kind == "remove":
                    work.removal_errors[detail] = message
                elif kind == "detach":
                    pass  # still on the gallery: the reorder puts it in place
                elif kind == "reattach":
                    work.errors.append(f"{detail} could not be put back on the product: {message}")
                elif kind == "alt":
                    work.alt_errors[detail] = message
                else:
                    work.add_errors[detail] = message

        for _attempt in range(4):
            if not batch:
                return
            try:
                data = self.client.execute(queries.FILE_UPDATE, {"files": batch}, expected_cost=FILE_UPDATE_COST,
                                           raise_user_errors=False)
            except GraphQLErrors as exc:
                for item in batch:
                    fail(item["id"], f"fileUpdate refused the batch: {exc}")
                return
            payload = data.get("fileUpdate") or {}
            errors = payload.get("userErrors") or []
            by_index: dict[int, str] = {}
            whole: list[Mapping[str, Any]] = []
            for error in errors:
                path = error.get("field") or []
                if len(path) >= 2 and str(path[1]).isdigit():
                    by_index[int(path[1])] = f"{error.get('message')} ({error.get('code')})"
                else:
                    whole.append(error)
            if not whole:
                for index, item in enumerate(batch):
                    if index in by_index:
                        fail(item["id"], by_index[index])
                    else:
                        self._applied(item, owners)
                return
            # The whole batch was refused: take out what caused it, send the rest again.
            codes = {e.get("code") for e in whole}
            named = {g for e in whole for g in re.findall(r"gid://shopify/\w+/\d+", e.get("message") or "")}
            dropped = False
            if codes & {"FILE_DOES_NOT_EXIST", "REFERENCE_TARGET_DOES_NOT_EXIST"} and named:
                kept = []
                for item in batch:
                    refs = set(item.get("referencesToAdd", [])) | set(item.get("referencesToRemove", []))
                    if item["id"] in named or refs & named:
                        fail(item["id"], "; ".join(e.get("message") or "" for e in whole))
                        dropped = True
                    else:
                        kept.append(item)
                batch = kept
            elif "NON_READY_STATE" in codes:
                statuses = file_statuses(self.client, [item["id"] for item in batch])
                kept = []
                for item in batch:
                    if statuses.get(item["id"]) == READY:
                        kept.append(item)
                    else:
                        fail(item["id"], "Non-ready files cannot be updated.")
                        dropped = True
                batch = kept
            if not dropped:
                message = "; ".join(f"{e.get('message')} ({e.get('code')})" for e in whole)
                for item in batch:
                    fail(item["id"], f"fileUpdate: {message}")
                return

    def _applied(self, item: Mapping[str, Any], owners: Mapping[str, list[tuple[_Work, str, Any]]]) -> None:
        for work, kind, _detail in owners.get(item["id"], []):
            work.wrote = True
            if kind == "remove":
                work.removed.add(item["id"])
            elif kind == "detach":
                work.detached.add(item["id"])
            elif kind == "reattach":
                work.reattached.add(item["id"])

    # -- 4. order --------------------------------------------------------------------------------------
    def _reorder(self, works: list[_Work]) -> None:
        # Only galleries this run changed, or whose order the plan changes, are read back.
        active = [w for w in works if w.fatal is None
                  and (w.removed or w.new_media or w.gallery != list(w.state.gallery))]
        actual = self._read_galleries([w.product_id for w in active])
        todo: list[tuple[_Work, list[tuple[str, int]]]] = []
        for work in active:
            current = actual.get(work.product_id)
            if current is None:
                continue
            wanted = set(work.gallery)
            present = set(current)
            desired = [m for m in work.gallery if m in present] + [m for m in current if m not in wanted]
            moves = reorder_moves(current, desired)
            if moves:
                todo.append((work, moves))
            work.gallery = desired
        jobs: list[tuple[_Work, str]] = []
        for start in range(0, len(todo), ALIASES_PER_REQUEST):
            chunk = todo[start:start + ALIASES_PER_REQUEST]
            document = aliases.aliased_document(queries.PRODUCT_REORDER_MEDIA, len(chunk))
            variables = aliases.aliased_variables(
                [{"id": w.product_id, "moves": [{"id": m, "newPosition": str(p)} for m, p in moves]}
                 for w, moves in chunk])
            data = self._aliased(document, variables, MUTATION_COST * len(chunk), [w for w, _ in chunk],
                                 "productReorderMedia")
            for (work, _), payload in zip(chunk, aliases.aliased_results(data, len(chunk))):
                errors = (payload or {}).get("mediaUserErrors") or []
                job = (payload or {}).get("job")
                if errors or not job:
                    work.errors.append("productReorderMedia: " + ("; ".join(e.get("message") or "" for e in errors)
                                                                  or "no job"))
                    continue
                work.wrote = True
                if not job.get("done"):
                    jobs.append((work, job["id"]))
        self._wait_jobs(jobs)

    def _read_galleries(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(product_ids), GALLERY_READ_BATCH):
            chunk = list(product_ids[start:start + GALLERY_READ_BATCH])
            data = self.client.execute(queries.GALLERY_ORDER, {"ids": chunk})
            for product_id, node in zip(chunk, data.get("nodes") or []):
                if node and node.get("id"):
                    out[product_id] = [m["id"] for m in ((node.get("media") or {}).get("nodes") or [])]
        return out

    def _wait_jobs(self, jobs: list[tuple[_Work, str]]) -> None:
        """Wait for the reorder Jobs without polling each one each time: poll
        the newest (1 point) until it is done, then read the galleries back
        (which also checks the order came out as planned); only products whose
        order is not there yet have their own Job polled."""
        options = self.options.job_poll
        pending = list(jobs)
        started = self.options.clock()
        interval = options.first_wait
        while pending:
            self.options.sleep(interval)
            interval = min(interval * options.growth, options.max_interval)
            timed_out = self.options.clock() - started >= options.max_total
            if not timed_out and not self._jobs_done([pending[-1][1]])[0]:
                continue
            actual = self._read_galleries([w.product_id for w, _ in pending])
            off = [(w, j) for w, j in pending if actual.get(w.product_id) != w.gallery]
            if not off:
                return
            done = self._jobs_done([j for _, j in off])
            pending = []
            for (work, job_id), finished in zip(off, done):
                if finished or timed_out:
                    work.errors.append(
                        "the gallery order is not as planned (changed in Shopify meanwhile?)" if finished else
                        f"Shopify had not applied the new media order after {options.max_total:.0f} s")
                else:
                    pending.append((work, job_id))

    def _jobs_done(self, job_ids: Sequence[str]) -> list[bool]:
        out: list[bool] = []
        for start in range(0, len(job_ids), ALIASES_PER_REQUEST * 5):
            chunk = list(job_ids[start:start + ALIASES_PER_REQUEST * 5])
            document = aliases.aliased_document(queries.JOB_STATUS, len(chunk))
            data = self.client.execute(document, aliases.aliased_variables([{"id": j} for j in chunk]),
                                       expected_cost=len(chunk))
            out += [bool((node or {}).get("done")) for node in aliases.aliased_results(data, len(chunk))]
        return out

    # -- 5. variants -------------------------------------------------------------------------------------
    def _variant_images(self, works: list[_Work]) -> None:
        detach: list[tuple[_Work, list[dict[str, Any]]]] = []
        append: list[tuple[_Work, list[dict[str, Any]]]] = []
        for work in works:
            if work.fatal or not work.plan.variant_images:
                continue
            on_product = set(work.gallery)
            pairs, unpairs = [], []
            for image in work.plan.variant_images:
                media_id = work.new_media.get(image.key) or image.media_id
                if media_id is None or media_id not in on_product:
                    work.errors.append(f"variant image for {image.variant_id}: {image.public_id} is not on the "
                                       f"product ({work.failed.get(image.key, 'not linked')})")
                    continue
                current = work.state.variant_media.get(image.variant_id)
                if current in work.removed:
                    current = None  # removing media from a product clears it from its variants
                if current == media_id:
                    continue
                if current is not None:
                    unpairs.append({"variantId": image.variant_id, "mediaIds": [current]})
                pairs.append({"variantId": image.variant_id, "mediaIds": [media_id]})
            for start in range(0, len(unpairs), MAX_VARIANT_PAIRS):
                detach.append((work, unpairs[start:start + MAX_VARIANT_PAIRS]))
            for start in range(0, len(pairs), MAX_VARIANT_PAIRS):
                append.append((work, pairs[start:start + MAX_VARIANT_PAIRS]))
        for template, calls, name in ((queries.PRODUCT_VARIANT_DETACH_MEDIA, detach, "productVariantDetachMedia"),
                                      (queries.PRODUCT_VARIANT_APPEND_MEDIA, append, "productVariantAppendMedia")):
            for start in range(0, len(calls), ALIASES_PER_REQUEST):
                chunk = calls[start:start + ALIASES_PER_REQUEST]
                document = aliases.aliased_document(template, len(chunk))
                variables = aliases.aliased_variables([{"productId": w.product_id, "variantMedia": pairs}
                                                       for w, pairs in chunk])
                data = self._aliased(document, variables, MUTATION_COST * len(chunk), [w for w, _ in chunk], name)
                for (work, _), payload in zip(chunk, aliases.aliased_results(data, len(chunk))):
                    errors = (payload or {}).get("userErrors") or []
                    if errors:
                        work.errors.append(f"{name}: " + "; ".join(e.get("message") or "" for e in errors))
                    elif payload is not None:
                        work.wrote = True

    # -- 6. metafields -------------------------------------------------------------------------------------
    def _metafields(self, works: list[_Work]) -> None:
        inputs: list[tuple[_Work, dict[str, Any]]] = []
        for work in works:
            if work.fatal:
                continue
            value = dump_document(work.document)
            if not _same_json(value, work.state.productmedia_value):
                inputs.append((work, {"ownerId": work.product_id, "namespace": NAMESPACE, "key": KEY, "type": "json",
                                      "value": value, "compareDigest": work.state.productmedia_digest}))
            for owner, file_id in work.swatch_files.items():
                inputs.append((work, {"ownerId": owner, "namespace": NAMESPACE, "key": SWATCH_KEY,
                                      "type": "file_reference", "value": file_id,
                                      "compareDigest": work.state.swatch_digests.get(owner)}))
        for start in range(0, len(inputs), MAX_METAFIELDS_PER_CALL):
            batch = inputs[start:start + MAX_METAFIELDS_PER_CALL]
            while batch:
                try:
                    data = self.client.execute(queries.METAFIELDS_SET, {"metafields": [i for _, i in batch]},
                                               expected_cost=MUTATION_COST, raise_user_errors=False)
                except GraphQLErrors as exc:
                    for work, item in batch:
                        work.errors.append(f"metafieldsSet {item['key']}: {exc}")
                    break
                errors = (data.get("metafieldsSet") or {}).get("userErrors") or []
                if not errors:
                    for work, _ in batch:
                        work.wrote = True
                    break
                # Atomic: nothing was written. Drop the inputs Shopify named, send the rest.
                bad: dict[int, str] = {}
                for error in errors:
                    path = error.get("field") or []
                    index = error.get("elementIndex")
                    if len(path) >= 2 and str(path[1]).isdigit():
                        index = int(path[1])
                    if index is not None:
                        bad[int(index)] = f"{error.get('message')} ({error.get('code')})"
                if not bad:
                    for work, item in batch:
                        work.errors.append(f"metafieldsSet {item['key']}: "
                                           + "; ".join(e.get("message") or "" for e in errors))
                    break
                for index, message in bad.items():
                    if index < len(batch):
                        work, item = batch[index]
                        if "STALE_OBJECT" in message:
                            message = (f"{NAMESPACE}.{item['key']} on {item['ownerId']} changed while this sync "
                                       f"ran; it was not overwritten — run the sync again")
                        work.errors.append(message)
                        if item["key"] == SWATCH_KEY:
                            work.swatch_errors[item["ownerId"]] = message
                batch = [b for i, b in enumerate(batch) if i not in bad]

    # -- helpers -----------------------------------------------------------------------------------------
    def _aliased(self, document: str, variables: dict[str, Any], cost: int, works: Sequence[_Work],
                 name: str) -> dict[str, Any]:
        try:
            return self.client.execute(document, variables, expected_cost=cost, raise_user_errors=False)
        except GraphQLErrors as exc:
            for work in works:
                work.errors.append(f"{name}: {exc}")
            return {}

    def _result(self, work: _Work) -> ProductResult:
        plan = work.plan
        position = {media_id: index for index, media_id in enumerate(work.gallery, start=1)}
        rows: list[RowResult] = []
        for action in plan.actions:
            key = action.asset.key if action.asset is not None else None
            error = None
            media_id = action.media_id
            if action.swatch_owner is not None:
                if action.action == "created":
                    media_id = work.swatch_files.get(action.swatch_owner)
                    error = work.swatch_errors.get(action.swatch_owner)
                rows.append(RowResult("failed" if error else action.action, action.public_id, action.group_value,
                                      None, media_id, error, action.reason, action.swatch_owner))
                continue
            if action.action == "removed":
                error = work.removal_errors.get(action.media_id or "")
                rows.append(RowResult("failed" if error else "removed", action.public_id, action.group_value, None,
                                      action.media_id, error, action.reason))
                continue
            if action.needs_upload and key is not None:
                media_id = work.new_media.get(key)
                error = work.failed.get(key) or work.add_errors.get(key)
            elif action.action == "replaced" and action.media_id:
                error = work.alt_errors.get(action.media_id)
            rows.append(RowResult("failed" if error else action.action, action.public_id, action.group_value,
                                  position.get(media_id or "") if not error else None, media_id, error,
                                  action.reason))
            if action.action == "replaced" and action.replaces and not error and action.media_id is None:
                # The media an overwrite displaced, reported like a removal.
                removal_error = work.removal_errors.get(action.replaces)
                if removal_error:
                    rows.append(RowResult("failed", None, action.group_value, None, action.replaces, removal_error,
                                          "displaced by an overwrite"))
        errors = [r.error for r in rows if r.error] + work.errors
        status: Status
        if work.fatal:
            status = "failed"
        elif not errors:
            status = "succeeded"
        else:
            status = "partially_succeeded" if work.wrote else "failed"
        return ProductResult(plan.product_id, plan.title, status, "; ".join(dict.fromkeys(errors)) or None, rows,
                             tuple(work.gallery), tuple(work.document))


# -- pure helpers ------------------------------------------------------------------------------------------
def _record(upload: _Upload, file_id: str | None, now: float) -> JournalRecord:
    source = upload.file.original_source if upload.file else upload.delivery_url
    return JournalRecord(upload.product_id, upload.key, upload.role, upload.filename, source, upload.delivery_url,
                         file_id, upload.entry_json, now)


def _iso(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix))


def _touched_media(plan: ProductPlan) -> list[str]:
    """Existing media this plan updates: removals and alt-only changes."""
    out = list(plan.removals)
    out += [a.media_id for a in plan.actions
            if a.action == "replaced" and a.media_id and a.replaces is None and a.swatch_owner is None]
    return list(dict.fromkeys(out))


def _same_json(value: str, stored: str | None) -> bool:
    """Shopify may store JSON with other spacing or key order; equal content
    needs no write."""
    if stored is None:
        return False
    try:
        return json.loads(value) == json.loads(stored)
    except ValueError:
        return False


def _failed_plan(plan: ProductPlan, error: str | None = None) -> ProductResult:
    message = error or plan.error
    rows = [RowResult("failed" if error else a.action, a.public_id, a.group_value, a.position, a.media_id,
                      error or (a.reason if a.action == "failed" else None), a.reason, a.swatch_owner)
            for a in plan.actions]
    return ProductResult(plan.product_id, plan.title, "failed", message, rows,
                         tuple(s.media_id for s in plan.gallery if s.media_id))


def _unchanged(plan: ProductPlan, state: ReadState) -> ProductResult:
    rows = [RowResult(a.action, a.public_id, a.group_value, a.position, a.media_id, None, a.reason, a.swatch_owner)
            for a in plan.actions]
    return ProductResult(plan.product_id, plan.title, "unchanged", None, rows, state.gallery, state.productmedia)


def summarize(results: Iterable[ProductResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts
