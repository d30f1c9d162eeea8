"""Remove AssetLink's files that nothing uses any more: `run_cleanup(id)`.

A batch of kind `cleanup` (`dry_run`: a preview that deletes nothing). Only
files AssetLink's own records say it created are candidates: media and
swatch files a sync reported `created` (jobs.made_files, kept when the
history is purged), files in the executor's journal, and files Upload to
Store Files made (StoreFile). A merchant's file is
never one of them. Each candidate is then checked live against Shopify,
and deleted (`fileDelete`, batched) only when

  - it still exists in Files,
  - no product uses it (`files(query: "used_in:product ...")`: gallery
    media; a variant's image is always one of its product's media),
  - no productmedia_v1 document or `cloudinary.swatch` metafield of a
    product or variant AssetLink has worked on references it (read live).

Pure decision (`cleanup_decisions`) and thin I/O. One report row per
candidate file: `removed` (or, in a dry run, would be), `skipped` with why
it is kept, `unchanged` when Shopify no longer has it, `failed`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Iterable, Mapping

from sqlalchemy import delete, insert, select

from shopify_app.admin_api import queries
from shopify_app.admin_api.by_ids import id_searches, read_by_ids
from shopify_app.batch_status import BatchStatus
from shopify_app.extensions import db
from shopify_app.models import MediaJournal, StoreFile, Sync, SyncItem, SyncProduct

from . import made_files
from .batch_run import BatchRun, final_status, run_as_head
from .context import with_app_context
from .executor.state import FULL, read_product_states
from .product_batch import report_values

FILES_PER_CHUNK = 250
GID = re.compile(r"gid://shopify/\w+/\d+")
FILE_DELETE_COST = 10
SEARCH_TERMS = 100        # ids per `used_in:product AND (...)` search


@dataclass(frozen=True)
class Candidate:
    file_id: str
    public_id: str | None
    source: str            # "sync" (product media or swatch) | "upload" (Upload to Store Files)


@dataclass
class Decision:
    """What happens to one candidate; also its report row (product_batch.Row)."""

    candidate: Candidate
    action: str            # removed | skipped | unchanged | failed
    reason: str | None
    position: int | None = None
    group_value: str | None = None
    media_id: str | None = None
    public_id: str | None = None

    def __post_init__(self) -> None:
        self.media_id = self.media_id or self.candidate.file_id
        self.public_id = self.public_id or self.candidate.public_id


def cleanup_decisions(candidates: Iterable[Candidate], *, existing: Collection[str], on_products: Collection[str],
                      in_metafields: Collection[str], dry_run: bool) -> list[Decision]:
    """What happens to each candidate (pure): deleted only when it exists
    and nothing is known to use it."""
    out = []
    for c in candidates:
        if c.file_id not in existing:
            decision = Decision(c, "unchanged", "already gone from Files")
        elif c.file_id in on_products:
            decision = Decision(c, "skipped", "kept: a product uses it")
        elif c.file_id in in_metafields:
            decision = Decision(c, "skipped", "kept: a productmedia_v1 or swatch metafield references it")
        else:
            decision = Decision(c, "removed", ("dry run: would be deleted" if dry_run else "deleted") +
                                " from Files: no product, variant or metafield uses it" +
                                (" (uploaded by Upload to Store Files: a theme or page that links to it by URL "
                                 "can't be seen from here)" if c.source == "upload" else ""))
        out.append(decision)
    return out


@with_app_context
def run_cleanup(cleanup_id: str) -> str:
    return run_as_head(cleanup_id, CleanupRun)


class CleanupRun(BatchRun):
    def steps(self) -> None:
        sync = self.sync
        # Every step is safe to repeat (a deleted file is reported gone), so a resumed run starts over.
        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == sync.id))
        candidates = self.candidates()
        sync.products_total = sync.assets_total = len(candidates)
        sync.products_done = sync.assets_linked = 0
        db.session.commit()
        referenced, on_products = self.references_of_known_products()
        stopped = False
        failed = 0
        for start in range(0, len(candidates), FILES_PER_CHUNK):
            if self.abort_requested():
                stopped = True
                break
            chunk = candidates[start:start + FILES_PER_CHUNK]
            decisions = self.decide(chunk, referenced, on_products)
            errors = {} if sync.dry_run else self.delete_files([d.candidate.file_id for d in decisions
                                                                if d.action == "removed"])
            rows = [Decision(d.candidate, "failed", errors[d.candidate.file_id], media_id=d.media_id)
                    if d.candidate.file_id in errors else d for d in decisions]
            failed += len(errors)
            made_files.forget(sync.shop_id, [r.candidate.file_id for r in rows if r.action == "unchanged" or (
                r.action == "removed" and not sync.dry_run)])
            db.session.execute(insert(SyncItem), [
                report_values(sync.id, start + index, None, None, row) for index, row in enumerate(rows)])
            sync.products_done += len(rows)
            sync.assets_linked += sum(1 for r in rows if r.action == "removed")
            sync.failures = failed
            db.session.commit()
        self.end(final_status(stopped_early=stopped, units=len(candidates), failed_units=failed, failures=failed)
                 if candidates else BatchStatus.SUCCEEDED)

    def candidates(self) -> list[Candidate]:
        """Files AssetLink's records say it made in this store, oldest first."""
        shop_id = self.sync.shop_id
        found: dict[str, Candidate] = {}
        for file_id, public_id in made_files.recorded(shop_id):
            found.setdefault(file_id, Candidate(file_id, public_id, "sync"))
        for record in db.session.scalars(select(MediaJournal.record).where(MediaJournal.shop_id == shop_id)
                                         .order_by(MediaJournal.id)):
            file_id = (record or {}).get("file_id")
            key = (record or {}).get("key") or []
            if file_id and (record or {}).get("role") in ("gallery", "swatch"):  # not media moved, not made
                found.setdefault(file_id, Candidate(file_id, key[2] if len(key) > 2 else None, "sync"))
        for file_id, public_id in db.session.execute(select(StoreFile.file_id, StoreFile.public_id).where(
                StoreFile.shop_id == shop_id, StoreFile.file_id.is_not(None)).order_by(StoreFile.id)):
            found.setdefault(str(file_id), Candidate(str(file_id), public_id, "upload"))
        return list(found.values())

    def references_of_known_products(self) -> tuple[set[str], set[str]]:
        """Read live, for every product AssetLink has worked on in this
        store: the files its productmedia_v1 and swatches (product and
        variants) reference, and its gallery media (a second check beside
        the files search)."""
        shop_id = self.sync.shop_id
        products = list(dict.fromkeys([*made_files.products(shop_id), *db.session.scalars(
            select(SyncProduct.product_id).join(Sync, Sync.id == SyncProduct.sync_id).where(Sync.shop_id == shop_id))]))
        referenced: set[str] = set()
        galleries: set[str] = set()
        for start in range(0, len(products), FILES_PER_CHUNK):
            states = read_product_states(self.client, products[start:start + FILES_PER_CHUNK], needs=FULL)
            for state in states.values():
                referenced |= {e.media_id for e in state.productmedia if e.media_id}
                referenced |= set(state.swatch_files.values())
                galleries |= set(state.gallery) | {m for m in state.variant_media.values() if m}
        return referenced, galleries

    def decide(self, chunk: list[Candidate], referenced: set[str], on_known_products: set[str]) -> list[Decision]:
        ids = [c.file_id for c in chunk]
        existing = {i for i, node in read_by_ids(self.client, ids, connection=queries.FILE_STATUSES, root="files",
                                                 nodes=queries.FILE_STATUSES_BY_IDS).items() if node}
        on_products = self.used_by_products(sorted(existing)) | (on_known_products & existing)
        return cleanup_decisions(chunk, existing=existing, on_products=on_products, in_metafields=referenced,
                                 dry_run=self.sync.dry_run)

    def used_by_products(self, file_ids: list[str]) -> set[str]:
        """The files among these that a product uses (its gallery)."""
        used: set[str] = set()
        wanted = set(file_ids)
        for _chunk, search in id_searches(file_ids, max_terms=SEARCH_TERMS):
            after = None
            while True:
                data = self.client.execute(queries.FILE_STATUSES, {"query": f"used_in:product AND ({search})",
                                                                   "first": 250, "after": after})
                page = data.get("files") or {}
                used |= {n["id"] for n in page.get("nodes") or [] if n and n.get("id") in wanted}
                info = page.get("pageInfo") or {}
                after = info.get("endCursor") if info.get("hasNextPage") else None
                if after is None:
                    break
        return used

    def delete_files(self, file_ids: list[str]) -> Mapping[str, str]:
        """fileDelete, a batch at a time; the errors by file id."""
        errors: dict[str, str] = {}
        for start in range(0, len(file_ids), FILES_PER_CHUNK):
            batch = file_ids[start:start + FILES_PER_CHUNK]
            for _attempt in range(2):
                data = self.client.execute(queries.FILE_DELETE, {"fileIds": batch}, expected_cost=FILE_DELETE_COST,
                                           raise_user_errors=False)
                payload = data.get("fileDelete") or {}
                deleted = set(payload.get("deletedFileIds") or [])
                message = "; ".join(e.get("message") or "" for e in payload.get("userErrors") or [])
                # Shopify refuses the whole call when a file is gone (deleted
                # meanwhile): those are dropped and the rest sent once more.
                gone = set(GID.findall(message)) & set(batch) if not deleted else set()
                for file_id in batch:
                    if file_id not in deleted:
                        errors[file_id] = f"fileDelete: {message or 'not deleted'}"
                batch = [f for f in batch if f not in gone and f not in deleted]
                if not gone or not batch:
                    break
                for file_id in batch:
                    errors.pop(file_id, None)
        return errors
