"""The Link to Products job: `run_sync(sync_id)`.

Phases, each committed before the next so a worker killed at any instant
resumes where it stopped (the job is retried, or re-dispatched):

  planning  group the assets, match the group values against Shopify, and
            store one SyncProduct per matched product (plus report rows for
            assets that link nowhere);
  linking   product by product, in link order: read its current state, plan
            it (the plan is stored, so a resumed product carries out the plan
            it made, not a new one against a half-changed gallery), then
            carry the plan out step by step (jobs.link_executor) or, for a dry
            run, report it;
  finishing counters, final status.

Before each product the job re-reads the abort flag, so an abort stops the
sync before its next product and everything done so far stays reported.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Mapping

from flask import current_app
from rq import get_current_job
from sqlalchemy import delete, func, select

from shopify_app.admin_api import AdminApiClient, AuthenticationError, ThrottledError, TransientError, for_shop
from shopify_app.extensions import db
from shopify_app.models import StoreFile, Sync, SyncItem, SyncProduct, utcnow
from shopify_app.problems import Problem

from . import link_queries
from .context import with_app_context
from .planner import (Action, PlanContext, ProductMatch, ProductState, ProductTarget, SyncRequest, assign_groups,
                      build_groups, parse_document, plan_product, unplaced_rows)
from .planner.grouping import Group
from .planner.plan import ProductPlan, plan_from_json, plan_to_json
from .planner.request import Settings, SettingsOverride
from .sync_dispatch import dispatch_next, store_head, store_lock

log = logging.getLogger(__name__)

LINKED = ("created", "replaced", "moved", "unchanged")
DONE = ("done", "failed", "aborted")
ROW_STRIDE = 100_000          # report rows per product (<= 1000 assets + 250 removals + swatches)
UNPLACED_BASE = 10 ** 15      # rows for assets that link nowhere come last


def row_seq(product_seq: int | None, index: int) -> int:
    return (UNPLACED_BASE if product_seq is None else product_seq * ROW_STRIDE) + index


class ProductGone(Exception):
    """The product was deleted between matching and linking."""


@with_app_context
def run_sync(sync_id: str) -> str:
    sync = db.session.get(Sync, sync_id)
    if sync is None:
        return "missing"
    shop_id = sync.shop_id
    config = current_app.config
    try:
        with store_lock(shop_id) as held:
            if not held:
                return "another worker runs this store"
            head = store_head(shop_id)
            if head is None or head.id != sync_id:
                return "not this store's next batch"
            SyncRun(sync, config).run()
            return sync.status
    finally:
        db.session.rollback()
        dispatch_next(config, shop_id)


def _retries_left() -> int:
    job = get_current_job()
    return int(getattr(job, "retries_left", 0) or 0) if job is not None else 0


class SyncRun:
    def __init__(self, sync: Sync, config: Mapping[str, Any]) -> None:
        self.sync = sync
        self.config = config
        body = SyncRequest.model_validate(sync.request)
        # The settings were merged and validated when the request was accepted.
        self.request = body.model_copy(update={"settings": SettingsOverride()})
        self.settings = Settings.model_validate(sync.settings or {})
        self._client: AdminApiClient | None = None

    @property
    def client(self) -> AdminApiClient:
        if self._client is None:
            self._client = for_shop(_shop(self.sync))
        return self._client

    # -- driver -------------------------------------------------------------------------------
    def run(self) -> None:
        sync = self.sync
        try:
            if sync.status == "queued":
                sync.status = "running"
                sync.started_at = sync.started_at or utcnow()
            sync.run_time = sync.run_time or int(time.time())
            db.session.commit()
            if sync.phase == "planning":
                self.plan_sync()
            if sync.phase == "linking":
                self.link_products()
            if sync.phase == "finishing":
                self.finish()
        except AuthenticationError:
            db.session.rollback()
            self.fail("Shopify refused the app's access to this store; the merchant must open the app in the "
                      "Shopify admin to reauthorize it.")
        except (TransientError, ThrottledError) as exc:
            db.session.rollback()
            if _retries_left() > 0:
                raise  # RQ retries later; the sync resumes from its stored step
            self.fail(f"Shopify did not answer, even after retries ({type(exc).__name__}).")
        except Exception:
            db.session.rollback()
            if _retries_left() > 0:
                raise
            log.exception("sync %s failed", sync.id)
            self.fail("The sync stopped on an internal error; it has been logged.")

    def fail(self, message: str) -> None:
        sync = db.session.get(Sync, self.sync.id)
        assert sync is not None
        sync.errors = [*(sync.errors or []), {"message": message}]
        self.update_progress(sync)
        sync.status = "failed"
        sync.finished_at = utcnow()
        db.session.commit()

    # -- planning -----------------------------------------------------------------------------
    def plan_sync(self) -> None:
        from cloudinary_bridge.matches import find_matches, resolve_field

        sync, request = self.sync, self.request
        grouping = build_groups(request, self.settings)
        try:
            spec = resolve_field(self.client, request.match.shopify_field)
        except Problem as problem:
            reasons = "; ".join(e.get("message", "") for e in problem.errors or [])
            self.fail(f"match.shopify_field '{request.match.shopify_field}' {reasons or problem.detail}")
            return
        matches: dict[str, list[ProductMatch]] = {}
        if grouping.groups:
            result = find_matches(self.client, spec, grouping.values())
            for value, products in result.matches:
                matches[str(value)] = [ProductMatch(p["id"], p.get("title") or "", p.get("variant_id"))
                                       for p in products]
        targets, unmatched = assign_groups(grouping.groups, matches)

        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == sync.id))
        db.session.execute(delete(SyncProduct).where(SyncProduct.sync_id == sync.id))
        for seq, target in enumerate(targets):
            db.session.add(SyncProduct(sync_id=sync.id, seq=seq, product_id=target.product_id,
                                       product_title=target.title,
                                       groups=[[group.value, variant] for group, variant in target.groups]))
        for index, row in enumerate(unplaced_rows(grouping.unplaced) + unmatched):
            db.session.add(_item(sync.id, row_seq(None, index), None, None, row))
        sync.products_total = len(targets)
        sync.assets_total = sum(len({a.key for g, _ in t.groups for a in g.assets + g.swatches}) for t in targets)
        sync.phase = "linking"
        db.session.commit()

    # -- linking ------------------------------------------------------------------------------
    def link_products(self) -> None:
        sync = self.sync
        groups = {g.value: g for g in build_groups(self.request, self.settings).groups}
        ctx = PlanContext.for_request(self.request, self.settings, sync.cloud_name or "", sync.run_time or 0)
        products = db.session.scalars(select(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status.notin_(DONE)).order_by(SyncProduct.seq)).all()
        for product in products:
            db.session.refresh(sync, ["abort_requested"])
            if sync.abort_requested:
                break
            self.link_product(product, groups, ctx)
            self.update_progress(sync)
            db.session.commit()
        sync.phase = "finishing"
        db.session.commit()

    def link_product(self, product: SyncProduct, groups: Mapping[str, Group], ctx: PlanContext) -> None:
        target = ProductTarget(product.product_id, product.product_title or "",
                               tuple((groups[value], variant) for value, variant in product.groups))
        product.started_at = product.started_at or utcnow()
        if product.plan is None:
            try:
                state = read_product_state(self.client, self.sync.shop_id, target)
            except ProductGone:
                self.finish_product(product, "failed", [Action("failed", a.public_id, g.value,
                                                               reason="the product no longer exists")
                                                        for g, _ in target.groups for a in g.assets + g.swatches],
                                    "the product no longer exists")
                return
            plan = plan_product(target, state, ctx)
            product.plan = plan_to_json(plan)
            product.gallery_before = list(state.gallery)
            product.product_title = plan.title
            product.status = "planned"
            db.session.commit()
        else:
            plan = plan_from_json(product.plan)
        if plan.status == "failed":
            self.finish_product(product, "failed", list(plan.actions), plan.error)
            return
        if self.sync.dry_run or not plan.has_writes:
            # A dry run reports the plan; a plan without writes (the same sync
            # run again) has nothing to send to Shopify.
            self.finish_product(product, "done", list(plan.actions))
            return
        from .link_executor import LinkExecutor
        rows, error = LinkExecutor(self.client, self.sync, product, plan, ctx).run()
        self.finish_product(product, "failed" if error else "done", rows, error)

    def finish_product(self, product: SyncProduct, status: str, rows: list[Action], error: str | None = None
                       ) -> None:
        """Write the product's report rows and its end state in one commit."""
        db.session.execute(delete(SyncItem).where(SyncItem.sync_id == product.sync_id,
                                                  SyncItem.seq >= row_seq(product.seq, 0),
                                                  SyncItem.seq < row_seq(product.seq + 1, 0)))
        for index, row in enumerate(rows):
            db.session.add(_item(product.sync_id, row_seq(product.seq, index), product.product_id,
                                 product.product_title, row))
        product.status = status
        product.error = error
        product.finished_at = utcnow()
        if error:
            sync = self.sync
            sync.errors = [*(sync.errors or []), {"product_id": product.product_id, "message": error}]
        db.session.commit()

    # -- finishing ----------------------------------------------------------------------------
    def update_progress(self, sync: Sync) -> None:
        """Counters recomputed from the stored rows: a resumed job never counts twice."""
        done = db.session.scalar(select(func.count()).select_from(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status.in_(("done", "failed"))))
        counts = dict(db.session.execute(select(SyncItem.action, func.count()).where(
            SyncItem.sync_id == sync.id).group_by(SyncItem.action)).all())
        sync.products_done = int(done or 0)
        sync.assets_linked = sum(int(counts.get(word, 0)) for word in LINKED) if not sync.dry_run else 0
        sync.failures = int(counts.get("failed", 0))

    def finish(self) -> None:
        sync = self.sync
        db.session.refresh(sync, ["abort_requested"])
        left = db.session.scalars(select(SyncProduct).where(SyncProduct.sync_id == sync.id,
                                                            SyncProduct.status.notin_(DONE))).all()
        for product in left:
            product.status = "aborted"
        failed_products = db.session.scalar(select(func.count()).select_from(SyncProduct).where(
            SyncProduct.sync_id == sync.id, SyncProduct.status == "failed")) or 0
        self.update_progress(sync)
        if left and sync.abort_requested:
            sync.status = "aborted"
        elif sync.products_total and failed_products == sync.products_total:
            sync.status = "failed"
        elif failed_products or sync.failures:
            sync.status = "partially_succeeded"
        else:
            sync.status = "succeeded"
        sync.finished_at = utcnow()
        db.session.commit()


def _shop(sync: Sync) -> Any:
    from shopify_app.models import Shop
    shop = db.session.get(Shop, sync.shop_id)
    assert shop is not None
    return shop


def _item(sync_id: str, seq: int, product_id: str | None, title: str | None, row: Action) -> SyncItem:
    failed = row.action == "failed"
    return SyncItem(sync_id=sync_id, seq=seq, product_id=product_id, product_title=title,
                    group_value=row.group_value, public_id=row.public_id, action=row.action, position=row.position,
                    media_id=row.media_id, error=row.reason if failed else None,
                    detail=None if failed else row.reason)


def read_product_state(client: AdminApiClient, shop_id: int, target: ProductTarget) -> ProductState:
    data = client.execute(link_queries.PRODUCT_STATE, {"id": target.product_id},
                          expected_cost=link_queries.PRODUCT_STATE_COST)
    node = data.get("product")
    if node is None:
        raise ProductGone(target.product_id)
    gallery = tuple(m["id"] for m in node["media"]["nodes"])
    value = (node.get("productmedia") or {}).get("value")
    entries, _problem = parse_document(value)
    swatch_files: dict[str, str | None] = {target.product_id: (node.get("swatch") or {}).get("value")}
    variant_media: dict[str, str | None] = {}
    variant_ids = list(dict.fromkeys(v for _, v in target.groups if v))
    for start in range(0, len(variant_ids), 100):
        chunk = variant_ids[start:start + 100]
        result = client.execute(link_queries.VARIANT_STATE, {"ids": chunk},
                                expected_cost=2 + len(chunk) * link_queries.VARIANT_STATE_NODE_COST)
        for variant in result.get("nodes") or []:
            if not variant:
                continue
            media = variant.get("media", {}).get("nodes") or []
            variant_media[variant["id"]] = media[0]["id"] if media else None
            swatch_files[variant["id"]] = (variant.get("swatch") or {}).get("value")
    # A swatch counts as current only when AssetLink made its file from the
    # same source URL (store_files).
    file_ids = [f for f in swatch_files.values() if f]
    sources = dict(db.session.execute(select(StoreFile.file_id, StoreFile.source_url).where(
        StoreFile.shop_id == shop_id, StoreFile.file_id.in_(file_ids))).all()) if file_ids else {}
    swatches = {owner: sources.get(file_id) for owner, file_id in swatch_files.items() if file_id}
    return ProductState(target.product_id, node.get("title") or target.title, gallery, tuple(entries), value,
                        variant_media, swatches)
