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

import functools
from typing import Any, Collection, Iterable, Mapping, NamedTuple

from sqlalchemy import delete

from shopify_app.admin_api import queries
from shopify_app.admin_api.by_ids import read_by_ids
from shopify_app.extensions import db
from shopify_app.models import SyncItem, SyncProduct, utcnow

from . import asset_links
from .batch_run import run_as_head
from .context import with_app_context
from .executor.metafields import MAX_METAFIELDS_PER_CALL
from .executor.results import ProductResult
from .executor.state import ReadState
from .planner.plan import Action, ProductPlan, Slot
from .planner.productmedia import NAMESPACE, SWATCH_KEY
from .product_batch import ProductBatchRun
from .sync_journal import SyncJournal
from .undo_plan import owner_name, snapshot_of
from .undo_record import record_after, record_before


class SwatchTarget(NamedTuple):
    """A `cloudinary.swatch` metafield an unlink takes off: its owner (product
    or variant), the file AssetLink made, and the link it came from."""
    owner: str
    file_id: str
    public_id: str
    group_value: str | None


def plan_unlink(state: ReadState, public_ids: Iterable[str], ours: Mapping[str, str | None],
                swatches: Collection[str] = ()) -> ProductPlan:
    """What unlinking `public_ids` from this product does (pure).

    `ours`: media ids our records say AssetLink made for this product, with
    the group value each is linked under (carried on the "removed" rows, so
    an undo of the unlink records the link again as it was);
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
                removals.append(Action("removed", public_id, ours[media_id], media_id=media_id, reason="unlinked"))
    leaving = {a.media_id for a in removals if a.media_id}
    keep = tuple(e for i, e in enumerate(state.productmedia) if i not in dropped)
    return ProductPlan(
        product_id=state.product_id, title=state.title, status="planned", error=None,
        gallery=tuple(Slot(m) for m in state.gallery if m not in leaving), actions=tuple(removals + notes),
        productmedia=keep, productmedia_changed=bool(dropped))


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
        from .executor import ExecutorOptions, execute, read_product_states

        sync = self.sync
        for chunk in self.chunks():
            ids = [p.product_id for p in chunk]
            states = read_product_states(self.client, ids, journal=self.journal)
            swatches = self.swatch_targets([states[i] for i in ids if states[i].found], public_ids)
            plans = self.plan_chunk(chunk, states, public_ids, swatches)
            if plans:
                results = execute(self.client, plans, states=states, journal=self.journal,
                                  options=ExecutorOptions(stop_requested=self.abort_requested))
                self.finish_chunk({p.product_id: p for p in chunk}, results, swatches)
            self.update_progress(sync)
            db.session.commit()
        sync.phase = "finishing"
        db.session.commit()

    @functools.cached_property
    def journal(self) -> SyncJournal:
        return SyncJournal(self.sync.shop_id)

    def plan_chunk(self, chunk: list[SyncProduct], states: dict[str, ReadState], public_ids: list[str],
                   swatches: dict[str, list[SwatchTarget]]) -> list[ProductPlan]:
        """Each product's unlink plan; products that no longer exist end failed here."""
        journalled: dict[str, list[str]] = {}
        for record in self.journal.records([p.product_id for p in chunk]):
            if record.file_id:
                journalled.setdefault(record.product_id, []).append(record.file_id)
        plans = []
        gone = []
        for product in chunk:
            state = states[product.product_id]
            product.started_at = product.started_at or utcnow()
            if not state.found:
                gone.append((product, "failed", [Action("failed", p, reason="the product no longer exists")
                                                 for p in public_ids], "the product no longer exists"))
                continue
            # Media an interrupted run made (journalled) are ours, under no known group.
            ours = {**{m: None for m in journalled.get(product.product_id, ()) if m},
                    **asset_links.own_media(self.sync.shop_id, product.product_id)}
            plan = plan_unlink(state, public_ids, ours,
                               {target.public_id for target in swatches.get(product.product_id, [])})
            product.product_title = plan.title
            product.status = "planned"
            plans.append(plan)
        # Durable before the first write: what undo puts back.
        record_before(self.sync.id, {plan.product_id: snapshot_of(states[plan.product_id], variants=True,
                                                                  swatches=True) for plan in plans})
        db.session.commit()
        self.finish_products(gone)
        return plans

    def finish_chunk(self, products: dict[str, SyncProduct], results: list[ProductResult],
                     swatches: dict[str, list[SwatchTarget]]) -> None:
        """Swatches come off after the galleries (after an abort only for
        products whose writes had begun); then the report."""
        stopping = self.abort_requested()
        results = [r for r in results if r.status != "stopped" and not (
            stopping and swatches.get(r.product_id) and r.status not in ("succeeded", "partially_succeeded"))]
        swatch_rows = self.unlink_swatches([(r.product_id, target) for r in results
                                            for target in swatches.get(r.product_id, [])])
        record_after(self.sync.id, results, self._removed_swatches(results, swatches, swatch_rows))
        ended = []
        for result in results:
            extra = swatch_rows.get(result.product_id, [])
            failed = result.status == "failed" and not any(a.action == "removed" for a in extra)
            error = "; ".join(filter(None, [result.error, *(a.reason for a in extra if a.action == "failed")])) or None
            ended.append((products[result.product_id], "failed" if failed else "done", [*result.rows, *extra], error))
        self.finish_products(ended)

    @staticmethod
    def _removed_swatches(results: list[ProductResult], swatches: dict[str, list[SwatchTarget]],
                          rows: dict[str, list[Action]]) -> dict[str, list[str]]:
        """Per product, the owners whose swatch this chunk deleted."""
        out: dict[str, list[str]] = {}
        for result in results:
            removed = {a.media_id for a in rows.get(result.product_id, []) if a.action == "removed"}
            out[result.product_id] = [target.owner for target in swatches.get(result.product_id, [])
                                      if target.file_id in removed]
        return out

    def swatch_targets(self, states: list[ReadState], public_ids: list[str]) -> dict[str, list[SwatchTarget]]:
        """Per product, the `cloudinary.swatch` metafields (product or
        variant) to take off: those whose file is one AssetLink made of one
        of these assets."""
        owners = {owner: state.product_id for state in states for owner in (state.product_id, *state.variant_ids)}
        if not owners:
            return {}
        referenced: dict[str, str] = {}
        variants = [o for o in owners if "/ProductVariant/" in o]
        for ids, connection, root in (([o for o in owners if o not in set(variants)],
                                       queries.SWATCH_REFERENCES_OF_PRODUCTS, "products"),
                                      (variants, queries.SWATCH_REFERENCES_OF_VARIANTS, "productVariants")):
            nodes = read_by_ids(self.client, ids, connection=connection, root=root,
                                nodes=queries.SWATCH_REFERENCES_BY_IDS)
            for owner, node in nodes.items():
                file_id = (((node or {}).get("swatch") or {}).get("reference") or {}).get("id")
                if file_id:
                    referenced[owner] = file_id
        wanted = set(public_ids)
        files = {state.product_id: asset_links.own_files(self.sync.shop_id, state.product_id) for state in states}
        targets: dict[str, list[SwatchTarget]] = {}
        for owner, file_id in referenced.items():
            public_id, group_value = files[owners[owner]].get(file_id, (None, None))
            if public_id in wanted:
                targets.setdefault(owners[owner], []).append(SwatchTarget(owner, file_id, public_id, group_value))
        return targets

    def unlink_swatches(self, targets: list[tuple[str, SwatchTarget]]) -> dict[str, list[Action]]:
        """Delete those swatch metafields, given as (product, target); the
        files stay in Files (another owner may use them). Report rows per
        product."""
        rows: dict[str, list[Action]] = {}
        for start in range(0, len(targets), MAX_METAFIELDS_PER_CALL):
            chunk = targets[start:start + MAX_METAFIELDS_PER_CALL]
            data = self.client.execute(queries.METAFIELDS_DELETE, {"metafields": [
                {"ownerId": target.owner, "namespace": NAMESPACE, "key": SWATCH_KEY} for _, target in chunk]},
                raise_user_errors=False)
            errors = "; ".join(e.get("message") or "" for e in
                               (data.get("metafieldsDelete") or {}).get("userErrors") or [])
            for product_id, (owner, file_id, public_id, group_value) in chunk:
                rows.setdefault(product_id, []).append(
                    Action("failed", public_id, media_id=file_id, reason=f"{NAMESPACE}.{SWATCH_KEY} on {owner}: "
                                                                         f"{errors}") if errors else
                    Action("removed", public_id, group_value, media_id=file_id,
                           reason=f"swatch: {NAMESPACE}.{SWATCH_KEY} removed from {owner_name(owner)}"))
        return rows
