"""The Link to Products job: `run_sync(sync_id)`.

Phases, each committed before the next so a worker killed at any instant
resumes where it stopped (the job is retried, or re-dispatched):

  planning  group the assets, match the group values against Shopify, and
            store one SyncProduct per matched product (plus report rows for
            assets that link nowhere);
  linking   product by product, in link order: read its current state, plan
            it, then carry the plan out (jobs.executor, with the database
            journal of jobs.sync_journal) or, for a dry run, report it. A
            product is marked done in the same commit as its report rows;
            one interrupted midway is read and planned again on resume, and
            the journal lets the executor find the files it already made;
  finishing counters, final status.

Before each product the job re-reads the abort flag, so an abort stops the
sync before its next product and everything done so far stays reported.
"""
from __future__ import annotations

import time
from sqlalchemy import delete, func, select

from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow
from shopify_app.problems import Problem

from .batch_jobs import run_as_head
from .context import with_app_context
from .planner import (Action, PlanContext, ProductMatch, ProductTarget, SyncRequest, assign_groups, build_groups,
                      plan_product, unplaced_rows)
from .planner.plan import ProductPlan, plan_to_json
from .planner.settings import Settings, SettingsOverride
from .product_batch import ProductBatchRun, report_item, row_seq

LINKED = ("created", "replaced", "moved", "unchanged")


@with_app_context
def run_sync(sync_id: str) -> str:
    return run_as_head(sync_id, SyncRun)


class SyncRun(ProductBatchRun):
    def load(self) -> None:
        body = SyncRequest.model_validate(self.sync.request)
        # The settings were merged and validated by the bridge when the
        # request was accepted; the request's own overrides are already in.
        self.request = body.model_copy(update={"settings": SettingsOverride()})
        self.settings = Settings.model_validate(self.sync.settings or {})

    def steps(self) -> None:
        self.load()
        sync = self.sync
        sync.run_time = sync.run_time or int(time.time())
        db.session.commit()
        if sync.phase == "planning":
            self.plan_sync()
        if sync.phase == "linking":
            self.link_products()
        if sync.phase == "finishing":
            self.finish()

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
            db.session.add(report_item(sync.id, row_seq(None, index), None, None, row))
        sync.products_total = len(targets)
        sync.assets_total = sum(len({a.key for g, _ in t.groups for a in g.assets + g.swatches}) for t in targets)
        sync.phase = "linking"
        db.session.commit()

    # -- linking ------------------------------------------------------------------------------
    def link_products(self) -> None:
        """Products in link order, a batch at a time (`in_batches`). Each
        batch is read, planned and carried out from the state read just then:
        after a crash, what was done shows in that state and in the journal,
        so the new plan only does what is still missing."""
        from .executor import ensure_metafield_definitions, execute, read_product_states
        from .sync_journal import SyncJournal

        sync = self.sync
        groups = {g.value: g for g in build_groups(self.request, self.settings).groups}
        ctx = PlanContext.for_request(self.request, self.settings, sync.cloud_name or "", sync.run_time or 0)
        journal = SyncJournal(sync.shop_id)
        products = self.products_to_do()
        if products and not sync.dry_run:
            ensure_metafield_definitions(self.client)
        for batch in self.in_batches(products):
            states = read_product_states(self.client, [p.product_id for p in batch],
                                         journal=None if sync.dry_run else journal)
            plans: list[ProductPlan] = []
            for product in batch:
                target = ProductTarget(product.product_id, product.product_title or "",
                                       tuple((groups[value], variant) for value, variant in product.groups))
                state = states[product.product_id]
                product.started_at = product.started_at or utcnow()
                if not state.found:
                    self.finish_product(product, "failed", [
                        Action("failed", a.public_id, g.value, reason="the product no longer exists")
                        for g, _ in target.groups for a in g.assets + g.swatches], "the product no longer exists")
                    continue
                plan = plan_product(target, state, ctx)
                product.plan = plan_to_json(plan)
                product.product_title = plan.title
                product.status = "planned"
                plans.append(plan)
            db.session.commit()
            by_id = {p.product_id: p for p in batch}
            if sync.dry_run:
                for plan in plans:
                    failed = plan.status == "failed"
                    self.finish_product(by_id[plan.product_id], "failed" if failed else "done",
                                        list(plan.actions), plan.error)
            elif plans:
                for result in execute(self.client, plans, states=states, journal=journal):
                    self.finish_product(by_id[result.product_id], "failed" if result.status == "failed" else "done",
                                        list(result.rows), result.error)
            self.update_progress(sync)
            db.session.commit()
        sync.phase = "finishing"
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
