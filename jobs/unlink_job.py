"""Managing links: `run_unlink(unlink_id)` takes assets off products.

For each product, in the order asked: read it live, decide (pure,
`plan_unlink`) and carry the decision out with the sync's executor, so an
unlink writes exactly as a sync does: `fileUpdate` with `referencesToRemove`
naming only this product (a file another product shares keeps that
product's reference; nothing is deleted from Files), then
`cloudinary.productmedia_v1` rewritten with its compare digest.

Which media AssetLink made is decided by two sources that must agree: the
product's productmedia_v1 lists the media for the public ID, and our own
records (report rows of the store's syncs, the executor's journal) show
AssetLink created that media. Media that fail either test are never
touched; a metafield entry pointing at media that is not ours is dropped
from the metafield only. Filenames are never used to guess. Swatches the
same way: a `cloudinary.swatch` (product or variant) is deleted only when
the file it references is one our records show AssetLink made of that
asset for this product.

Status, abort (before the next product) and report are the sync's: the
unlink is a `Sync` of kind `unlink` with SyncProduct and SyncItem rows.
"""
from __future__ import annotations

from typing import Any, Collection, Iterable

from sqlalchemy import delete, func, select

from shopify_app.admin_api import queries
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow

from .batch_jobs import run_as_head
from .context import with_app_context
from .executor.execute import MAX_METAFIELDS_PER_CALL
from .executor.files import MAX_FILES_PER_CALL as MAX_NODES
from .executor.state import ReadState
from .planner.plan import Action, ProductPlan, Slot
from .planner.productmedia import NAMESPACE, SWATCH_KEY
from .product_batch import ProductBatchRun

# Report words that show a sync left AssetLink's media on a product.
OWN_MEDIA_ACTIONS = ("created", "replaced", "moved", "unchanged")


def plan_unlink(state: ReadState, public_ids: Iterable[str], ours: Collection[str],
                swatches: Collection[str] = ()) -> ProductPlan:
    """What unlinking `public_ids` from this product does (pure).

    `ours`: media ids our records say AssetLink made for this product;
    `swatches`: public IDs unlinked as this product's swatches (reported
    on their own rows). Public IDs match an entry's public ID as listed or
    without its cache-busting `v<time>/` prefix."""
    wanted = list(dict.fromkeys(public_ids))
    gallery = set(state.gallery)
    removals: list[Action] = []
    notes: list[Action] = []
    dropped: set[int] = set()
    for public_id in wanted:
        hits = [(i, e) for i, e in enumerate(state.productmedia)
                if public_id in (e.public_id, e.raw_public_id)]
        if not hits:
            if public_id not in swatches:
                notes.append(Action("skipped", public_id, reason="not linked to this product by AssetLink"))
            continue
        for index, entry in hits:
            dropped.add(index)
            media_id = entry.media_id
            if media_id is None:
                removals.append(Action("removed", public_id, reason="listed in productmedia_v1 only (no media)"))
            elif media_id not in gallery:
                removals.append(Action("removed", public_id,
                                       reason=f"its media {media_id} was already off the product; "
                                              f"removed from productmedia_v1"))
            elif media_id not in ours:
                notes.append(Action("skipped", public_id, media_id=media_id,
                                    reason="AssetLink's records do not show it created this media: the media is "
                                           "left on the product; the entry is removed from productmedia_v1"))
            else:
                removals.append(Action("removed", public_id, media_id=media_id, reason="unlinked"))
    leaving = {a.media_id for a in removals if a.media_id}
    keep = tuple(e for i, e in enumerate(state.productmedia) if i not in dropped)
    return ProductPlan(
        product_id=state.product_id, title=state.title, status="planned", error=None,
        gallery=tuple(Slot(m) for m in state.gallery if m not in leaving), actions=tuple(removals + notes),
        productmedia=keep, productmedia_changed=bool(dropped))


def own_media(shop_id: int, product_id: str, journalled: Iterable[str] = ()) -> set[str]:
    """Media ids AssetLink made for this product, by our records: report rows
    of the store's (non dry run) syncs, and files the journal holds."""
    rows = db.session.scalars(select(SyncItem.media_id).join(Sync, Sync.id == SyncItem.sync_id).where(
        Sync.shop_id == shop_id, Sync.kind == "sync", Sync.dry_run.is_(False), SyncItem.product_id == product_id,
        SyncItem.action.in_(OWN_MEDIA_ACTIONS), SyncItem.media_id.is_not(None))).all()
    return {m for m in rows if m} | {m for m in journalled if m}


def own_files(shop_id: int, product_id: str) -> dict[str, str]:
    """File id -> public ID of what AssetLink made for this product (gallery
    media and swatch files), by the report rows of the store's syncs."""
    rows = db.session.execute(select(SyncItem.media_id, SyncItem.public_id).join(Sync, Sync.id == SyncItem.sync_id)
                              .where(Sync.shop_id == shop_id, Sync.kind == "sync", Sync.dry_run.is_(False),
                                     SyncItem.product_id == product_id, SyncItem.action == "created",
                                     SyncItem.media_id.is_not(None), SyncItem.public_id.is_not(None))).all()
    return {media_id: public_id for media_id, public_id in rows}


@with_app_context
def run_unlink(unlink_id: str) -> str:
    return run_as_head(unlink_id, UnlinkRun)


class UnlinkRun(ProductBatchRun):
    def steps(self) -> None:
        sync = self.sync
        request: dict[str, Any] = sync.request or {}
        if sync.phase == "planning":
            db.session.execute(delete(SyncItem).where(SyncItem.sync_id == sync.id))
            db.session.execute(delete(SyncProduct).where(SyncProduct.sync_id == sync.id))
            product_ids = list(dict.fromkeys(request.get("product_ids") or []))
            for seq, product_id in enumerate(product_ids):
                db.session.add(SyncProduct(sync_id=sync.id, seq=seq, product_id=product_id, groups=[]))
            sync.products_total = len(product_ids)
            sync.assets_total = len(product_ids) * len(set(request.get("public_ids") or []))
            sync.phase = "linking"
            db.session.commit()
        if sync.phase == "linking":
            self.unlink_products(list(dict.fromkeys(request.get("public_ids") or [])))
        self.finish()

    def unlink_products(self, public_ids: list[str]) -> None:
        from .executor import execute, read_product_states
        from .sync_journal import SyncJournal

        sync = self.sync
        journal = SyncJournal(sync.shop_id)
        for batch in self.in_batches(self.products_to_do()):
            ids = [p.product_id for p in batch]
            states = read_product_states(self.client, ids, journal=journal)
            journalled: dict[str, list[str]] = {}
            for record in journal.records(ids):
                if record.file_id:
                    journalled.setdefault(record.product_id, []).append(record.file_id)
            found = [states[p.product_id] for p in batch if states[p.product_id].found]
            swatch_rows = self.unlink_swatches(found, public_ids)
            plans = []
            by_id = {p.product_id: p for p in batch}
            for product in batch:
                state = states[product.product_id]
                product.started_at = product.started_at or utcnow()
                if not state.found:
                    self.finish_product(product, "failed", [Action("failed", p, reason="the product no longer exists")
                                                            for p in public_ids], "the product no longer exists")
                    continue
                plan = plan_unlink(state, public_ids, own_media(sync.shop_id, product.product_id,
                                                                journalled.get(product.product_id, ())),
                                   {a.public_id for a in swatch_rows.get(product.product_id, []) if a.public_id})
                product.product_title = plan.title
                product.status = "planned"
                plans.append(plan)
            db.session.commit()
            if plans:
                for result in execute(self.client, plans, states=states, journal=journal):
                    extra = swatch_rows.get(result.product_id, [])
                    failed = result.status == "failed" and not any(a.action == "removed" for a in extra)
                    error = "; ".join(filter(None, [result.error, *(a.reason for a in extra
                                                                    if a.action == "failed")])) or None
                    self.finish_product(by_id[result.product_id], "failed" if failed else "done",
                                        [*result.rows, *extra], error)
            self.update_progress(sync)
            db.session.commit()
        sync.phase = "finishing"
        db.session.commit()

    def unlink_swatches(self, states: list[ReadState], public_ids: list[str]) -> dict[str, list[Action]]:
        """Take off the `cloudinary.swatch` metafields (product or variant)
        that reference a swatch file AssetLink made of one of these assets.
        The file stays in Files (another owner may use it)."""
        owners = {owner: state.product_id for state in states for owner in (state.product_id, *state.variant_ids)}
        if not owners:
            return {}
        referenced: dict[str, str] = {}
        ids = list(owners)
        for start in range(0, len(ids), MAX_NODES):
            chunk = ids[start:start + MAX_NODES]
            data = self.client.execute(queries.SWATCH_REFERENCES, {"ids": chunk})
            for owner, node in zip(chunk, data.get("nodes") or []):
                file_id = (((node or {}).get("swatch") or {}).get("reference") or {}).get("id")
                if file_id:
                    referenced[owner] = file_id
        wanted = set(public_ids)
        files = {state.product_id: own_files(self.sync.shop_id, state.product_id) for state in states}
        targets = [(owner, file_id, files[owners[owner]][file_id]) for owner, file_id in referenced.items()
                   if files[owners[owner]].get(file_id) in wanted]
        rows: dict[str, list[Action]] = {}
        for start in range(0, len(targets), MAX_METAFIELDS_PER_CALL):
            chunk = targets[start:start + MAX_METAFIELDS_PER_CALL]
            data = self.client.execute(queries.METAFIELDS_DELETE, {"metafields": [
                {"ownerId": owner, "namespace": NAMESPACE, "key": SWATCH_KEY} for owner, _, _ in chunk]},
                raise_user_errors=False)
            errors = "; ".join(e.get("message") or "" for e in
                               (data.get("metafieldsDelete") or {}).get("userErrors") or [])
            for owner, file_id, public_id in chunk:
                rows.setdefault(owners[owner], []).append(
                    Action("failed", public_id, media_id=file_id, reason=f"{NAMESPACE}.{SWATCH_KEY} on {owner}: "
                                                                         f"{errors}") if errors else
                    Action("removed", public_id, media_id=file_id,
                           reason=f"swatch: {NAMESPACE}.{SWATCH_KEY} removed from {owner}"))
        return rows

    def update_progress(self, sync: Sync) -> None:
        done = db.session.scalar(select(func.count()).select_from(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status.in_(("done", "failed"))))
        failures = db.session.scalar(select(func.count()).select_from(SyncItem).where(
            SyncItem.sync_id == sync.id, SyncItem.action == "failed"))
        sync.products_done = int(done or 0)
        sync.failures = int(failures or 0)
