"""The before- and after-state of each product a run touches, stored in
`run_snapshots` (jobs.undo_plan.Snapshot as JSON) so the run can be undone.

No extra Shopify reads: the before-state is the state the run read to plan
the product, stored in the commit that marks it planned (so it is durable
before the product's first write); the after-state is computed from the
executor's result and stored with the product's report rows. A resumed run
keeps the first before-state. Two statements per chunk, not per product.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import insert, select, update

from shopify_app.extensions import db
from shopify_app.models import RunSnapshot

from .executor.results import ProductResult
from .undo_plan import Snapshot, after_of


def record_before(sync_id: str, snapshots: Mapping[str, Snapshot]) -> None:
    """Store these before-states unless the product already has one (a
    resumed run). Added to the session; the caller commits."""
    if not snapshots:
        return
    known = set(db.session.scalars(select(RunSnapshot.product_id).where(
        RunSnapshot.sync_id == sync_id, RunSnapshot.product_id.in_(list(snapshots)))))
    rows = [{"sync_id": sync_id, "product_id": p, "before": s.to_json()} for p, s in snapshots.items()
            if p not in known]
    if rows:
        db.session.execute(insert(RunSnapshot), rows)


def befores(sync_id: str, product_ids: Iterable[str]) -> dict[str, tuple[int, Snapshot]]:
    """(row id, before-state) of these products."""
    ids = list(product_ids)
    if not ids:
        return {}
    return {p: (i, Snapshot.from_json(b)) for i, p, b in db.session.execute(select(
        RunSnapshot.id, RunSnapshot.product_id, RunSnapshot.before).where(
        RunSnapshot.sync_id == sync_id, RunSnapshot.product_id.in_(ids)))}


def record_after(sync_id: str, results: Iterable[ProductResult],
                 swatches_removed: Mapping[str, Iterable[str]] | None = None) -> None:
    """Store the after-state of the products these results report (and, for
    an unlink, the swatches it deleted: owner ids per product). Added to the
    session; the caller commits with the report rows."""
    results = [r for r in results if r.status != "stopped"]
    stored = befores(sync_id, [r.product_id for r in results])
    values = []
    for result in results:
        if result.product_id not in stored:
            continue
        row_id, before = stored[result.product_id]
        after = after_of(before, result)
        removed = set((swatches_removed or {}).get(result.product_id, ()))
        if removed and after.swatches is not None:
            after = Snapshot(after.gallery, after.productmedia, after.variant_media,
                             {o: (None if o in removed else f) for o, f in after.swatches.items()})
        values.append({"id": row_id, "after": after.to_json()})
    if values:
        db.session.execute(update(RunSnapshot), values)
