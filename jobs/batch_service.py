"""The batch service: the only code that changes a batch's status.

A batch (a `Sync` row of kind sync, upload or unlink) moves

    queued --start--> running --end--> succeeded | partially_succeeded | failed | aborted
    queued --------------------end---> aborted (abort while queued) | failed (lost too often)

and every move is one conditional UPDATE (`... WHERE status = 'queued'`,
`... WHERE status IN ('queued', 'running')`), so concurrent callers (the
job ending a batch while the merchant aborts it, a reaper failing it) can't
both win: PostgreSQL re-checks the condition after the first committer, and
exactly one caller sees its row updated. That caller, and only it, emits
*ended*: the completion webhook is queued, the end is counted in the
metrics and the store's next batch is handed to the queue. A batch therefore ends once and announces it once.

Callers: the bridge (new batches, aborts), the jobs (start, end, failure),
the dispatcher (a batch whose job is lost again and again), and the app's
uninstall (every batch of the store aborted).
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Mapping

from sqlalchemy import func, update

from shopify_app.extensions import db
from shopify_app import outages
from shopify_app.batch_status import UNFINISHED, BatchStatus
from shopify_app.models import Sync, utcnow

log = logging.getLogger(__name__)


class AlreadyFinished(Exception):
    """The batch had already ended; nothing was changed."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the batch has already finished ({status})")
        self.status = BatchStatus(status)


def new_batch(**fields: Any) -> Sync:
    """A batch as it is accepted: queued (not yet added to the session)."""
    return Sync(status=BatchStatus.QUEUED, **fields)


def start(sync: Sync) -> bool:
    """queued -> running (a resumed batch stays running). Commits. Returns
    whether the batch is running now: False once it has ended (an abort
    while it waited in the queue)."""
    db.session.execute(update(Sync).where(Sync.id == sync.id, Sync.status == BatchStatus.QUEUED)
                       .values(status=BatchStatus.RUNNING, started_at=func.coalesce(Sync.started_at, utcnow()))
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(sync)
    return sync.status == BatchStatus.RUNNING


def end(config: Mapping[str, Any], sync: Sync, status: BatchStatus, *, error: str | None = None,
        dispatch: bool = True) -> bool:
    """End the batch with `status` (and `error` added to its errors) unless
    it has already ended. Commits, with whatever else the session holds for
    the batch (its counters). Returns whether this call ended it; only then
    is *ended* emitted (`dispatch=False`: the caller hands the store's next
    batch over itself)."""
    if status in UNFINISHED:
        raise ValueError(f"{status} is not an end")
    values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
    if error:
        values["errors"] = [*(sync.errors or []), {"message": error}]
    won = _update_if(sync, UNFINISHED, values)
    if won:
        announce_ended(config, [sync], dispatch=dispatch)
    return won


def request_abort(config: Mapping[str, Any], sync: Sync) -> BatchStatus:
    """Ask the batch to stop before its next step; a queued batch ends
    `aborted` at once (its job, if already handed over, finds it ended).
    Returns the batch's status now; raises AlreadyFinished."""
    if _update_if(sync, (BatchStatus.QUEUED,), {"status": BatchStatus.ABORTED, "abort_requested": True,
                                               "finished_at": utcnow()}):
        announce_ended(config, [sync])
        return BatchStatus.ABORTED
    if _update_if(sync, (BatchStatus.RUNNING,), {"abort_requested": True}):
        return BatchStatus.RUNNING
    raise AlreadyFinished(sync.status)


def abort_store(shop_id: int) -> list[str]:
    """The app was uninstalled: the store's queued batches end `aborted`,
    running ones stop before their next step. Runs in the caller's
    transaction; after its commit, pass the returned ids to
    `announce_ended_ids`."""
    now = utcnow()
    ended = db.session.execute(
        update(Sync).where(Sync.shop_id == shop_id, Sync.status == BatchStatus.QUEUED)
        .values(status=BatchStatus.ABORTED, abort_requested=True, finished_at=now)
        .returning(Sync.id).execution_options(synchronize_session=False)).scalars().all()
    db.session.execute(update(Sync).where(Sync.shop_id == shop_id, Sync.status == BatchStatus.RUNNING)
                       .values(abort_requested=True).execution_options(synchronize_session=False))
    return list(ended)


def announce_ended_ids(config: Mapping[str, Any], sync_ids: Iterable[str]) -> None:
    syncs = [s for s in (db.session.get(Sync, i) for i in sync_ids) if s is not None]
    announce_ended(config, syncs)


def announce_ended(config: Mapping[str, Any], syncs: Iterable[Sync], *, dispatch: bool = True,
                   dispatch_shops: Iterable[int] = ()) -> None:
    """*ended*: the completion webhook of each batch, then the next batch of
    their stores (and of `dispatch_shops`) handed over. The outcome is
    committed before; a failure here is logged, never raised (the reaper
    hands a store's head over if this dispatch didn't)."""
    from .batch_dispatch import dispatch_next
    from .sync_webhook import notify_sync_ended

    shops: list[int] = list(dict.fromkeys(dispatch_shops))
    for sync in syncs:
        record_metrics(sync)
        try:
            notify_sync_ended(config, sync)
        except Exception:
            log.exception("could not queue the completion webhook of %s %s", sync.kind, sync.id)
        if dispatch and sync.shop_id not in shops:
            shops.append(sync.shop_id)
    for shop_id in shops:
        try:
            dispatch_next(config, shop_id)
        except Exception as exc:
            db.session.rollback()
            if outages.is_outage(exc):  # expected while a service is down: one line, not a traceback
                log.warning("could not hand over the next batch of shop %s (%s unavailable); the reaper will",
                            shop_id, outages.is_outage(exc))
            else:
                log.exception("could not hand over the next batch of shop %s; the reaper will", shop_id)


def record_metrics(sync: Sync) -> None:
    """The batch's end in the app's metrics (shopify_app.metrics), once."""
    from shopify_app import metrics
    try:
        metrics.record_batch_end(sync.kind, sync.status, created_at=sync.created_at, started_at=sync.started_at,
                                 finished_at=sync.finished_at)
    except Exception:  # metrics must never fail a batch
        log.warning("could not record the end of %s %s in the metrics", sync.kind, sync.id, exc_info=True)


def _update_if(sync: Sync, current: Iterable[BatchStatus], values: Mapping[str, Any]) -> bool:
    """One conditional UPDATE of the batch, committed (with whatever else the
    session holds); whether it matched. The row is read back either way."""
    db.session.flush()
    result = db.session.execute(update(Sync).where(Sync.id == sync.id, Sync.status.in_(tuple(current)))
                                .values(**values).execution_options(synchronize_session=False))
    won = result.rowcount == 1  # type: ignore[attr-defined]
    db.session.commit()
    db.session.refresh(sync)
    return won
