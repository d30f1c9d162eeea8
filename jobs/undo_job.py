"""Undo a finished sync or unlink: `run_undo(undo_id)`.

An undo is a batch of its own (kind `undo`, `request = {"undo_of": id}`):
queued behind the store's other batches, with a status, an abort (before
its next chunk of products), progress and a report row per change, like
a sync. Per product of the undone run that has a stored before- and
after-state (jobs.undo_record), in the run's order, a chunk at a time:

  read      the products' state now (one batched read, as a sync reads);
  decide    jobs.undo_plan.plan_undo (pure): restore, nothing to do, or
            refused because the product changed since the run;
  write     `fileUpdate` (media the run added off the product, media it
            took off back on: nothing is deleted from Files), the gallery
            order (the executor's reorder step), variant images, then
            productmedia_v1 and swatches (`metafieldsSet` with the compare
            digest just read, or `metafieldsDelete` where there was none).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Sequence

from sqlalchemy import delete, select

from shopify_app.admin_api import GraphQLErrors, queries
from shopify_app.batch_views import UNDO_REFUSED_PREFIX
from shopify_app.extensions import db
from shopify_app.models import RunSnapshot, Sync, SyncItem, SyncProduct, utcnow

from .batch_run import run_as_head
from .context import with_app_context
from .executor.file_update import Change, send_file_updates
from .executor.files import MAX_FILES_PER_CALL
from .executor.journal import MemoryJournal
from .executor.metafields import MAX_METAFIELDS_PER_CALL
from .executor.ordering import ALIASES_PER_REQUEST, MUTATION_COST, reorder
from .executor.record import ExecutorOptions, ProductWork, Work
from .executor.state import ReadNeeds, ReadState, read_product_states
from .executor.variants import send_variant_media
from .executor.video import put_staged, stream_download
from .planner.plan import Action, ProductPlan
from .planner.productmedia import KEY, NAMESPACE, SWATCH_KEY
from .product_batch import ProductBatchRun
from .undo_plan import Snapshot, UndoPlan, owner_name, plan_undo, snapshot_of

REFUSED_PREFIX = UNDO_REFUSED_PREFIX


@with_app_context
def run_undo(undo_id: str) -> str:
    return run_as_head(undo_id, UndoRun)


class Named(NamedTuple):
    """The asset a media id was reported with by the undone run."""
    public_id: str
    group_value: str | None


@dataclass
class Undoing:
    """One product being put back: its decision and what came of it."""

    product: SyncProduct
    plan: UndoPlan
    work: ProductWork
    names: dict[str, Named]                   # media id -> its asset (from the undone run's report)
    errors: list[str] = field(default_factory=list)
    rows: list[Action] = field(default_factory=list)


def undone_run_id(sync: Sync) -> str:
    return str((sync.request or {}).get("undo_of") or "")


class UndoRun(ProductBatchRun):
    def steps(self) -> None:
        sync = self.sync
        if sync.phase == "planning":
            self.plan_products()
        if sync.phase == "linking":
            self.undo_products()
        self.finish()

    def plan_products(self) -> None:
        """One SyncProduct per product the undone run planned to write, in its order."""
        sync = self.sync
        target = undone_run_id(sync)
        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == sync.id))
        db.session.execute(delete(SyncProduct).where(SyncProduct.sync_id == sync.id))
        titles = dict(db.session.execute(select(SyncProduct.product_id, SyncProduct.product_title).where(
            SyncProduct.sync_id == target)).all())
        order = dict(db.session.execute(select(SyncProduct.product_id, SyncProduct.seq).where(
            SyncProduct.sync_id == target)).all())
        products = db.session.scalars(select(RunSnapshot.product_id).where(RunSnapshot.sync_id == target)).all()
        products = sorted(products, key=lambda p: (order.get(p, 0), p))
        for seq, product_id in enumerate(products):
            db.session.add(SyncProduct(sync_id=sync.id, seq=seq, product_id=product_id,
                                       product_title=titles.get(product_id), groups=[]))
        sync.products_total = len(products)
        sync.phase = "linking"
        db.session.commit()

    def undo_products(self) -> None:
        target = undone_run_id(self.sync)
        for chunk in self.chunks():
            rows = db.session.execute(select(RunSnapshot.product_id, RunSnapshot.before, RunSnapshot.after).where(
                RunSnapshot.sync_id == target, RunSnapshot.product_id.in_([p.product_id for p in chunk])))
            snapshots = {p: (Snapshot.from_json(b), Snapshot.from_json(a) if a else None) for p, b, a in rows}
            needs = ReadNeeds(variants=any(b.variant_media is not None for b, _ in snapshots.values()),
                              swatches=any(b.swatches is not None for b, _ in snapshots.values()))
            states = read_product_states(self.client, [p.product_id for p in chunk], needs=needs)
            names = self.media_names(target, [p.product_id for p in chunk])
            todo: list[Undoing] = []
            ended: list[tuple[SyncProduct, str, list[Action], str | None]] = []
            for product in chunk:
                before, after = snapshots[product.product_id]
                state = states[product.product_id]
                live = snapshot_of(state, variants=needs.variants, swatches=needs.swatches) if state.found else None
                plan = plan_undo(before, after, live)
                product.started_at = product.started_at or utcnow()
                product.product_title = state.title or product.product_title
                if plan.status == "refused":
                    reason = f"{REFUSED_PREFIX}{plan.reason}"
                    ended.append((product, "failed", [Action("skipped", None, reason=reason)], reason))
                elif plan.status == "nothing":
                    ended.append((product, "done", [Action("unchanged", None, reason=plan.reason)], None))
                else:
                    todo.append(Undoing(product, plan, _product_work(state), names.get(product.product_id, {})))
            self.finish_products(ended)
            if todo and not self.abort_requested():
                self.write(todo)
                self.finish_products([(u.product, "failed" if u.errors and not u.work.wrote else "done",
                                       u.rows, "; ".join(u.errors) or None) for u in todo])
            self.update_progress(self.sync)
            db.session.commit()
        self.sync.phase = "finishing"
        db.session.commit()

    @staticmethod
    def media_names(target: str, product_ids: Sequence[str]) -> dict[str, dict[str, Named]]:
        """Per product, media id -> the asset the undone run reported it with."""
        names: dict[str, dict[str, Named]] = {}
        for product_id, media_id, public_id, group_value in db.session.execute(select(
                SyncItem.product_id, SyncItem.media_id, SyncItem.public_id, SyncItem.group_value).where(
                SyncItem.sync_id == target, SyncItem.product_id.in_(list(product_ids)),
                SyncItem.media_id.is_not(None)).order_by(SyncItem.id)):
            if public_id and product_id and media_id:
                names.setdefault(product_id, {})[media_id] = Named(public_id, group_value)
        return names

    # -- writing ------------------------------------------------------------------------------
    def write(self, todo: list[Undoing]) -> None:
        work = Work(self.client, MemoryJournal(), ExecutorOptions(), stream_download, put_staged,
                    [u.work for u in todo])
        self.galleries(work, todo)
        self.variants(work, todo)
        self.metafields(todo)
        for undoing in todo:
            undoing.errors += undoing.work.errors
            undoing.rows += _rows(undoing)

    @staticmethod
    def galleries(work: Work, todo: list[Undoing]) -> None:
        """Media the run added off, media it took off back on (fileUpdate,
        250 rows a call), then the order as it was (reorder step)."""
        rows: list[dict[str, Any]] = []
        changes: dict[str, list[Change]] = {}
        for undoing in todo:
            plan, product = undoing.plan, undoing.work
            for media_id in plan.detach:
                rows.append({"id": media_id, "referencesToRemove": [product.product_id]})
                changes.setdefault(media_id, []).append(Change(product, "remove", media_id))
            for media_id in plan.reattach:
                rows.append({"id": media_id, "referencesToAdd": [product.product_id]})
                changes.setdefault(media_id, []).append(Change(product, "reattach", media_id))
            if plan.gallery is not None:
                product.gallery = list(plan.gallery)  # the reorder step reads back and moves to this
        for start in range(0, len(rows), MAX_FILES_PER_CALL):
            batch = rows[start:start + MAX_FILES_PER_CALL]
            send_file_updates(work, batch, {r["id"]: changes[r["id"]] for r in batch})
        for undoing in todo:
            product = undoing.work
            product.errors += [f"{m} could not be taken off the product: {e}" for m, e in
                               product.removal_errors.items()]
        reorder(work)

    def variants(self, work: Work, todo: list[Undoing]) -> None:
        """Variant images as they were: detach what the run set, append the old one."""
        for template, index, name in ((queries.PRODUCT_VARIANT_DETACH_MEDIA, 1, "productVariantDetachMedia"),
                                      (queries.PRODUCT_VARIANT_APPEND_MEDIA, 2, "productVariantAppendMedia")):
            calls = [(u.work, [{"variantId": v[0], "mediaIds": [v[index]]} for v in u.plan.variants if v[index]])
                     for u in todo]
            calls = [(p, pairs) for p, pairs in calls if pairs]
            for start in range(0, len(calls), ALIASES_PER_REQUEST):
                send_variant_media(work, template, calls[start:start + ALIASES_PER_REQUEST], name)

    def metafields(self, todo: list[Undoing]) -> None:
        """productmedia_v1 and swatches as they were, compare-and-set
        against the state just read; deleted where there was none."""
        sets: list[tuple[Undoing, dict[str, Any]]] = []
        deletes: list[tuple[Undoing, dict[str, Any]]] = []
        for undoing in todo:
            plan, state = undoing.plan, undoing.work.state
            owner = undoing.product.product_id
            if plan.productmedia is not None:
                value = plan.productmedia[0]
                if value is None:
                    deletes.append((undoing, {"ownerId": owner, "namespace": NAMESPACE, "key": KEY}))
                else:
                    sets.append((undoing, {"ownerId": owner, "namespace": NAMESPACE, "key": KEY, "type": "json",
                                           "value": value, "compareDigest": state.productmedia_digest}))
            for swatch_owner, file_id in plan.swatches:
                if file_id is None:
                    deletes.append((undoing, {"ownerId": swatch_owner, "namespace": NAMESPACE, "key": SWATCH_KEY}))
                else:
                    sets.append((undoing, {"ownerId": swatch_owner, "namespace": NAMESPACE, "key": SWATCH_KEY,
                                           "type": "file_reference", "value": file_id,
                                           "compareDigest": state.swatch_digests.get(swatch_owner)}))
        for document, items, root in ((queries.METAFIELDS_SET, sets, "metafieldsSet"),
                                      (queries.METAFIELDS_DELETE, deletes, "metafieldsDelete")):
            for start in range(0, len(items), MAX_METAFIELDS_PER_CALL):
                self._send_metafields(document, root, items[start:start + MAX_METAFIELDS_PER_CALL])

    def _send_metafields(self, document: str, root: str, batch: list[tuple[Undoing, dict[str, Any]]]) -> None:
        try:
            data = self.client.execute(document, {"metafields": [i for _, i in batch]}, expected_cost=MUTATION_COST,
                                       raise_user_errors=False)
        except GraphQLErrors as exc:
            for undoing, item in batch:
                undoing.errors.append(f"{root} {item['key']}: {exc}")
            return
        errors = (data.get(root) or {}).get("userErrors") or []
        message = "; ".join(e.get("message") or "" for e in errors)
        for undoing, item in batch:
            if errors:
                undoing.errors.append(f"{root} {NAMESPACE}.{item['key']} on {item['ownerId']}: {message}")
            else:
                undoing.work.wrote = True


def _product_work(state: ReadState) -> ProductWork:
    """The executor's record of a product, for the steps undo shares with it."""
    plan = ProductPlan(state.product_id, state.title, "planned", None, (), (), (), False)
    return ProductWork(plan, state, gallery=list(state.gallery))


def _rows(undoing: Undoing) -> list[Action]:
    """The report of one restored product: a row per change."""
    plan, work = undoing.plan, undoing.work

    def named(media_id: str | None) -> tuple[str | None, str | None]:
        """(public ID, group value), so the links record what undo puts back."""
        known = undoing.names.get(media_id or "")
        return (known.public_id, known.group_value) if known else (None, None)

    rows = []
    for media_id in plan.detach:
        error = work.removal_errors.get(media_id)
        rows.append(Action("failed", *named(media_id), media_id=media_id, reason=error) if error else
                    Action("removed", *named(media_id), media_id=media_id,
                           reason="undo: the run added this media; taken off the product (it stays in Files)"))
    position = {m: i for i, m in enumerate(plan.gallery or (), start=1)}
    for media_id in plan.reattach:
        ok = media_id in work.reattached
        why = next((e for e in undoing.errors if media_id in e), "undo: could not be put back on the product")
        rows.append(Action("moved" if ok else "failed", *named(media_id), position=position.get(media_id),
                           media_id=media_id, reason="undo: put back on the product" if ok else why))
    if plan.gallery is not None:
        rows.append(Action("moved", None, reason="undo: the gallery order as it was before the run"))
    if plan.productmedia is not None:
        rows.append(Action("replaced", None, reason=f"undo: {NAMESPACE}.{KEY} as it was before the run "
                                                      f"(the storefront list of its assets)"))
    for variant, _, image in plan.variants:
        rows.append(Action("replaced", *named(image), media_id=image,
                           reason=f"undo: the image of {owner_name(variant)} as it was before the run"))
    for owner, file_id in plan.swatches:
        rows.append(Action("replaced" if file_id else "removed", *named(file_id), media_id=file_id,
                           reason=f"undo: {NAMESPACE}.{SWATCH_KEY} of {owner_name(owner)} as it was before the run"))
    # Errors no row above shows (the order, variant images, metafields).
    shown = {m for m in plan.detach if m in work.removal_errors} | set(plan.reattach) - work.reattached
    rest = [e for e in undoing.errors if not any(m in e for m in shown)]
    if rest:
        rows.append(Action("failed", None, reason="; ".join(rest)))
    return rows
