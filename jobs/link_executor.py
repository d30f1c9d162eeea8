"""Carry one product's plan out against Shopify, step by step.

Steps, each committed on the SyncProduct before the next, each safe to run
again after a crash:

  detach    take the media the mode removes off the product: AssetLink's own
            files are deleted, the merchant's are only detached
            (fileUpdate referencesToRemove), so they stay in Files;
  create    add the new media (productUpdate media). Before the call the ids
            already on the product are recorded; Shopify appends new media in
            input order, so afterwards (or on resume, if the worker died
            mid-call) the new ids are exactly the ones not seen before, in
            order. Nothing is ever created twice;
  ready     wait until Shopify has processed them; failed media are reported
            and deleted;
  names     all_metadata filenames and alt-only updates (fileUpdate);
  cleanup   delete the old media of refreshed assets;
  reorder   one productReorderMedia with the moves from the current to the
            target gallery (none when already in order);
  swatches  upload swatch files once per source (store_files) and point
            cloudinary.swatch at them;
  metafield write cloudinary.productmedia_v1 when it changed;
  variants  variant images.

Every step reads the product again rather than trusting memory, so a step
re-run after a crash only does what is still missing.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

from sqlalchemy import select

from shopify_app.admin_api import AdminApiClient, UserErrors
from shopify_app.extensions import db
from shopify_app.models import StoreFile, Sync, SyncProduct

from . import link_queries as q
from .planner import Action, PlanContext, ProductMediaEntry, dump_document
from .planner.plan import ProductPlan, reorder_moves
from .planner.productmedia import KEY, NAMESPACE, SWATCH_KEY

STEPS = ("detach", "create", "ready", "names", "cleanup", "reorder", "swatches", "metafield", "variants")
PENDING = ("UPLOADED", "PROCESSING")
BATCH = 250  # Shopify's list-input maximum


class ExecutionError(Exception):
    """The product can't be finished safely; nothing was duplicated."""


def key_text(key: tuple[str, str, str] | list[str]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class LinkExecutor:
    def __init__(self, client: AdminApiClient, sync: Sync, product: SyncProduct, plan: ProductPlan,
                 ctx: PlanContext, *, ready_timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.sync = sync
        self.product = product
        self.plan = plan
        self.ctx = ctx
        self.ready_timeout = ready_timeout
        self.sleep = sleep
        self.clock = clock
        state = dict(product.created or {})
        self.media: dict[str, str] = dict(state.get("media", {}))       # asset key -> new media GID
        self.failed: dict[str, str] = dict(state.get("failed", {}))     # asset key -> why
        self.swatch_files: dict[str, str] = dict(state.get("swatches", {}))  # owner GID -> file GID

    # -- driver ---------------------------------------------------------------------------------
    def run(self) -> tuple[list[Action], str | None]:
        start = STEPS.index(self.product.step) if self.product.step in STEPS else 0
        try:
            for step in STEPS[start:]:
                self.product.step = step
                db.session.commit()
                getattr(self, "step_" + step)()
                self.save()
        except (UserErrors, ExecutionError) as exc:
            self.save()
            return self.rows(str(exc)), str(exc)
        self.product.step = "done"
        db.session.commit()
        return self.rows(None), None

    def save(self) -> None:
        self.product.created = {"media": self.media, "failed": self.failed, "swatches": self.swatch_files}
        db.session.commit()

    # -- reads --------------------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        data = self.client.execute(q.PRODUCT_GALLERY, {"id": self.plan.product_id},
                                   expected_cost=q.PRODUCT_GALLERY_COST)
        if data.get("product") is None:
            raise ExecutionError("the product was deleted during the sync")
        return data["product"]

    def gallery(self) -> list[str]:
        return [m["id"] for m in self.read()["media"]["nodes"]]

    def gallery_rows(self) -> list[Action]:
        return [a for a in self.plan.actions if a.swatch_owner is None]

    # -- steps ----------------------------------------------------------------------------------
    def step_detach(self) -> None:
        refreshed = {a.media_id for a in self.gallery_rows() if a.action == "replaced" and a.media_id
                     and a.replaces == a.media_id}
        removals = [m for m in self.plan.removals if m not in refreshed]
        if not removals:
            return
        present = set(self.gallery())
        own = {a.media_id for a in self.gallery_rows() if a.action == "removed" and a.public_id}
        delete = [m for m in removals if m in present and m in own]
        detach = [m for m in removals if m in present and m not in own]
        for start in range(0, len(delete), BATCH):
            self.client.execute(q.DELETE_FILES, {"ids": delete[start:start + BATCH]})
        for start in range(0, len(detach), BATCH):
            files = [{"id": m, "referencesToRemove": [self.plan.product_id]} for m in detach[start:start + BATCH]]
            self.client.execute(q.UPDATE_FILES, {"files": files})

    def uploads(self) -> list[Action]:
        return [a for a in self.gallery_rows() if a.needs_upload and a.asset is not None]

    def step_create(self) -> None:
        if self.product.pending and self.product.pending.get("step") == "create":
            self.recover_creates()
        todo = []
        for row in self.uploads():
            k = key_text(row.asset.key)  # type: ignore[union-attr]
            if k in self.media or k in self.failed:
                continue
            if row.asset.delivery.kind == "video":  # type: ignore[union-attr]
                # Shopify takes videos only through a staged upload of the bytes.
                self.failed[k] = "full_video needs a staged upload of the video file, which this version doesn't do"
                continue
            todo.append(row)
        if not todo:
            return
        self.product.pending = {"step": "create", "keys": [key_text(r.asset.key) for r in todo],  # type: ignore[union-attr]
                                "before": self.gallery()}
        db.session.commit()
        media = [{"originalSource": r.asset.delivery.url, "alt": r.asset.alt,  # type: ignore[union-attr]
                  "mediaContentType": r.asset.delivery.content_type} for r in todo]  # type: ignore[union-attr]
        try:
            self.client.execute(q.CREATE_MEDIA, {"product": {"id": self.plan.product_id}, "media": media})
        except UserErrors:
            self.product.pending = None  # rejected whole: nothing was created
            db.session.commit()
            raise
        self.recover_creates()

    def recover_creates(self) -> None:
        """Map the media a create call added, found by what is new on the product."""
        pending = self.product.pending or {}
        before = set(pending.get("before") or [])
        keys = list(pending.get("keys") or [])
        new = [m for m in self.gallery() if m not in before and m not in self.media.values()]
        if len(new) == len(keys):
            self.media.update(zip(keys, new))
        elif new:
            raise ExecutionError(f"{len(new)} new media appeared on the product while {len(keys)} were being "
                                 f"added; stopped rather than guess which are AssetLink's")
        self.product.pending = None
        self.save()

    def step_ready(self) -> None:
        waiting = {m: k for k, m in self.media.items()}
        deadline = self.clock() + self.ready_timeout
        delay = 0.25
        while waiting:
            ids = list(waiting)
            nodes = []
            for start in range(0, len(ids), BATCH):
                nodes += self.client.execute(q.MEDIA_STATUS, {"ids": ids[start:start + BATCH]})["nodes"] or []
            for node in nodes:
                if not node or node.get("status") in PENDING:
                    continue
                media_id = node["id"]
                if node["status"] == "FAILED":
                    errors = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in node.get("mediaErrors") or [])
                    key = waiting[media_id]
                    self.failed[key] = f"Shopify could not process the media ({errors or 'no reason given'})"
                    self.media.pop(key, None)
                    self.client.execute(q.DELETE_FILES, {"ids": [media_id]})
                waiting.pop(media_id, None)
            self.save()
            if not waiting or self.clock() >= deadline:
                return
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def step_names(self) -> None:
        updates: dict[str, dict[str, Any]] = {}
        if self.ctx.settings.filename_format == "all_metadata":
            for row in self.uploads():
                media_id = self.media.get(key_text(row.asset.key))  # type: ignore[union-attr]
                if media_id and row.asset.filename and row.asset.delivery.content_type == "IMAGE":  # type: ignore[union-attr]
                    updates[media_id] = {"id": media_id, "filename": row.asset.filename}  # type: ignore[union-attr]
        for row in self.gallery_rows():
            if row.action == "replaced" and row.media_id and row.replaces is None and row.asset is not None:
                updates.setdefault(row.media_id, {"id": row.media_id})["alt"] = row.asset.alt
        files = list(updates.values())
        for start in range(0, len(files), BATCH):
            self.client.execute(q.UPDATE_FILES, {"files": files[start:start + BATCH]})

    def step_cleanup(self) -> None:
        old = [a.media_id for a in self.gallery_rows() if a.action == "replaced" and a.media_id
               and a.replaces == a.media_id and key_text(a.asset.key) in self.media]  # type: ignore[union-attr]
        present = set(self.gallery())
        gone = [m for m in old if m in present]
        if gone:
            self.client.execute(q.DELETE_FILES, {"ids": gone})

    def target_gallery(self) -> list[str]:
        target = []
        for slot in self.plan.gallery:
            if slot.asset is not None:
                k = key_text(slot.asset.key)
                if k in self.media:
                    target.append(self.media[k])
                elif slot.media_id is not None and k not in self.failed and not any(
                        a.needs_upload and a.asset is not None and key_text(a.asset.key) == k
                        for a in self.gallery_rows()):
                    target.append(slot.media_id)
            elif slot.media_id is not None:
                target.append(slot.media_id)
        return target

    def step_reorder(self) -> None:
        current = self.gallery()
        present = set(current)
        target = [m for m in self.target_gallery() if m in present]
        # Media that appeared meanwhile (the merchant's) keep their place at the end.
        target += [m for m in current if m not in set(target)]
        moves = reorder_moves(current, target)
        if not moves:
            return
        data = self.client.execute(q.REORDER_MEDIA, {"id": self.plan.product_id, "moves": [
            {"id": media_id, "newPosition": str(position)} for media_id, position in moves]})
        job = (data.get("productReorderMedia") or {}).get("job")
        deadline = self.clock() + self.ready_timeout
        while job and not job.get("done") and self.clock() < deadline:
            self.sleep(0.25)
            job = self.client.execute(q.JOB_DONE, {"id": job["id"]}).get("job")

    def step_swatches(self) -> None:
        for row in self.plan.actions:
            if row.swatch_owner is None or row.action != "created" or row.asset is None:
                continue
            if row.swatch_owner in self.swatch_files:
                continue
            source = row.asset.delivery.url
            stored = db.session.scalars(select(StoreFile).where(StoreFile.shop_id == self.sync.shop_id,
                                                                StoreFile.source_url == source)).first()
            if stored is None or not stored.file_id:
                data = self.client.execute(q.CREATE_FILES, {"files": [{
                    "originalSource": source, "alt": row.asset.alt, "contentType": "IMAGE",
                    "filename": row.asset.filename}]})
                file_id = data["fileCreate"]["files"][0]["id"]
                stored = StoreFile(shop_id=self.sync.shop_id, source_url=source, public_id=row.asset.public_id,
                                   resource_type=row.asset.asset.resource_type, file_id=file_id,
                                   filename=row.asset.filename)
                db.session.add(stored)
                db.session.commit()
            self.client.execute(q.SET_METAFIELDS, {"metafields": [{
                "ownerId": row.swatch_owner, "namespace": NAMESPACE, "key": SWATCH_KEY, "type": "file_reference",
                "value": stored.file_id}]})
            self.swatch_files[row.swatch_owner] = stored.file_id  # type: ignore[assignment]
            self.save()

    def document(self) -> list[ProductMediaEntry]:
        out = []
        for entry in self.plan.productmedia:
            if entry.media_id is None and entry.delivery != "none":
                k = key_text(entry.asset_key)
                if k not in self.media:
                    continue  # failed: not linked
                entry = entry.model_copy(update={"media_id": self.media[k]})
            out.append(entry)
        return out

    def step_metafield(self) -> None:
        value = dump_document(self.document())
        current = (self.read().get("productmedia") or {}).get("value")
        if current == value or (current is None and value == "[]"):
            return
        self.client.execute(q.SET_METAFIELDS, {"metafields": [{
            "ownerId": self.plan.product_id, "namespace": NAMESPACE, "key": KEY, "type": "json", "value": value}]})

    def step_variants(self) -> None:
        pairs = []
        for image in self.plan.variant_images:
            media_id = self.media.get(key_text(image.key)) or image.media_id
            if media_id:
                pairs.append((image.variant_id, media_id))
        if not pairs:
            return
        nodes = self.client.execute(q.VARIANT_MEDIA, {"ids": [v for v, _ in pairs]})["nodes"] or []
        current = {n["id"]: [m["id"] for m in n["media"]["nodes"]] for n in nodes if n}
        detach = [{"variantId": v, "mediaIds": current[v]} for v, m in pairs if current.get(v) and current[v] != [m]]
        append = [{"variantId": v, "mediaIds": [m]} for v, m in pairs if current.get(v) != [m]]
        for start in range(0, len(detach), 100):  # MAXIMUM_VARIANT_MEDIA_PAIRS
            self.client.execute(q.DETACH_VARIANT_MEDIA, {"productId": self.plan.product_id,
                                                         "variantMedia": detach[start:start + 100]})
        for start in range(0, len(append), 100):
            self.client.execute(q.APPEND_VARIANT_MEDIA, {"productId": self.plan.product_id,
                                                         "variantMedia": append[start:start + 100]})

    # -- report -----------------------------------------------------------------------------------
    def rows(self, error: str | None) -> list[Action]:
        out = []
        done = self.product.step == "done"
        for row in self.plan.actions:
            k = key_text(row.asset.key) if row.asset is not None else None
            if k is not None and k in self.failed and row.swatch_owner is None:
                out.append(Action("failed", row.public_id, row.group_value, row.position, row.media_id,
                                  reason=self.failed[k]))
            elif not done and row.action in ("created", "replaced", "moved", "removed"):
                out.append(Action("failed", row.public_id, row.group_value, row.position, row.media_id,
                                  reason=error or "not finished"))
            elif k is not None and row.swatch_owner is None and k in self.media and row.needs_upload:
                out.append(Action(row.action, row.public_id, row.group_value, row.position, self.media[k],
                                  row.replaces, row.reason))
            elif row.swatch_owner is not None and row.action == "created":
                out.append(Action("created", row.public_id, row.group_value, None,
                                  self.swatch_files.get(row.swatch_owner), reason=row.reason,
                                  swatch_owner=row.swatch_owner))
            else:
                out.append(row)
        return out
