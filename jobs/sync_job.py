"""The Link to Products job: `run_sync(sync_id)`.

Phases, each committed before the next so a worker killed at any instant
resumes where it stopped (the job is retried, or re-dispatched):

  planning  group the assets, match the group values against Shopify, and
            store one SyncProduct per matched product (plus report rows for
            assets that link nowhere);
  linking   a chunk of products at a time (SYNC_PRODUCTS_PER_BATCH), in link
            order: read their current state, plan them, then carry the
            plans out (jobs.executor, with the database journal of
            jobs.sync_journal) or, for a dry run, report them. A product is
            marked done in the same commit as its report rows; one
            interrupted midway is read and planned again on resume, and the
            journal lets the executor find the files it already made;
  finishing counters, final status.

The abort flag is read before each chunk and, inside the executor, between
its steps and before each product's first write: an abort stops the sync
before its next product's first write and everything done so far stays
reported.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow

from .batch_run import run_as_head
from .context import with_app_context
from .matching import FieldNotMatchable, MatchResult, ValuesTooBroad, find_matches, resolve_field
from .executor.state import ReadNeeds
from .planner import (Action, PlanContext, ProductMatch, ProductTarget, SyncRequest, assign_groups, build_groups,
                      plan_product, unplaced_rows)
from .planner.grouping import Group
from .planner.plan import ProductPlan, plan_to_json
from .planner.settings import Settings, SettingsOverride
from .product_batch import ProductBatchRun, report_item, row_seq
from .sync_journal import SyncJournal
from .undo_plan import snapshot_of
from .undo_record import record_after, record_before

if TYPE_CHECKING:
    from .executor import Execution

LINKED = ("created", "replaced", "moved", "unchanged")


@dataclass
class Linking:
    """A chunk on its way: its product rows, its plans and, unless a dry run,
    the execution whose files are being made."""

    products: dict[str, SyncProduct]
    plans: list[ProductPlan]
    execution: "Execution | None" = field(default=None)


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
        sync, request = self.sync, self.request
        grouping = build_groups(request, self.settings)
        try:
            spec = resolve_field(self.client, request.match.shopify_field)
            result = find_matches(self.client, spec, grouping.values()) if grouping.groups else MatchResult()
        except FieldNotMatchable as error:
            self.fail(f"match.shopify_field '{request.match.shopify_field}' {error.reason}")
            return
        except ValuesTooBroad as error:
            self.fail(f"The group values are {error.reason}: Shopify's search finds too many products to compare "
                      f"them all; match on a more specific field such as sku or handle.")
            return
        matches: dict[str, list[ProductMatch]] = {}
        if grouping.groups:
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
        """Products in link order, a chunk at a time (`chunks`). Each chunk is
        read, planned and carried out from the state read just then: after a
        crash, what was done shows in that state and in the journal, so the
        new plan only does what is still missing.

        The chunks overlap: the next chunk is read, planned and its files are
        created while Shopify processes the files of the one before, which is
        finished after that (the journal covers both if the worker dies)."""
        from .executor import ensure_metafield_definitions

        sync = self.sync
        pending: Linking | None = None
        for index, chunk in enumerate(self.chunks()):
            if index == 0 and not sync.dry_run:
                ensure_metafield_definitions(self.client)
            linking = self.start_chunk(chunk)
            if pending is not None:
                self.finish_chunk(pending)
            pending = linking
        if pending is not None:
            self.finish_chunk(pending)
        sync.phase = "finishing"
        db.session.commit()

    def start_chunk(self, chunk: list[SyncProduct]) -> Linking:
        """Read the chunk's products, plan them, and (unless a dry run) start
        carrying the plans out: their files are made."""
        from .executor import ExecutorOptions, read_product_states, start

        sync = self.sync
        ctx = self.plan_context()
        needs = self.read_needs(ctx)
        states = read_product_states(self.client, [p.product_id for p in chunk],
                                     journal=None if sync.dry_run else self.journal, needs=needs)
        groups = self.groups
        plans: list[ProductPlan] = []
        gone = []
        for product in chunk:
            target = ProductTarget(product.product_id, product.product_title or "",
                                   tuple((groups[value], variant) for value, variant in product.groups))
            state = states[product.product_id]
            product.started_at = product.started_at or utcnow()
            if not state.found:
                gone.append((product, "failed", [
                    Action("failed", a.public_id, g.value, reason="the product no longer exists")
                    for g, _ in target.groups for a in g.assets + g.swatches], "the product no longer exists"))
                continue
            plan = plan_product(target, state, ctx)
            product.plan = plan_to_json(plan)
            product.product_title = plan.title
            product.status = "planned"
            plans.append(plan)
        if not sync.dry_run:
            # Durable before the first write: what undo puts back.
            record_before(sync.id, {plan.product_id: snapshot_of(states[plan.product_id], variants=needs.variants,
                                                                 swatches=needs.swatches) for plan in plans})
        db.session.commit()
        self.finish_products(gone)
        linking = Linking({p.product_id: p for p in chunk}, plans)
        if not sync.dry_run and plans:
            linking.execution = start(self.client, plans, states=states, journal=self.journal,
                                      options=ExecutorOptions(stop_requested=self.abort_requested))
        return linking

    def finish_chunk(self, linking: Linking) -> None:
        """Carry the rest of the chunk out and report it; products an abort
        stopped before their first write stay unreported (they end aborted)."""
        if self.sync.dry_run:
            ended = [(linking.products[plan.product_id], "failed" if plan.status == "failed" else "done",
                      list(plan.actions), plan.error) for plan in linking.plans]
        else:
            results = linking.execution.finish() if linking.execution is not None else []
            record_after(self.sync.id, results)
            ended = [(linking.products[r.product_id], "failed" if r.status == "failed" else "done", list(r.rows),
                      r.error) for r in results if r.status != "stopped"]
        self.finish_products(ended)
        self.update_progress(self.sync)
        db.session.commit()

    @functools.cached_property
    def journal(self) -> SyncJournal:
        return SyncJournal(self.sync.shop_id)

    def plan_context(self) -> PlanContext:
        sync = self.sync
        return PlanContext.for_request(self.request, self.settings, sync.cloud_name or "", sync.run_time or 0)

    @functools.cached_property
    def groups(self) -> dict[str, Group]:
        return {g.value: g for g in build_groups(self.request, self.settings).groups}

    def read_needs(self, ctx: PlanContext) -> ReadNeeds:
        """What the state read must include: variants and swatches only when
        this sync sets variant images or links swatches."""
        swatches = any(g.swatches for g in self.groups.values())
        return ReadNeeds(variants=ctx.variant_images or swatches, swatches=swatches)

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
