"""Coalescing: a store's notifications become a few syncs, not one each.

The intake (cloudinary_bridge.automation_notifications) stores each
notification as a pending event and calls `schedule_flush`: the first one
of a quiet period queues `run_flush` a debounce window later
(AUTOMATION_DEBOUNCE_SECONDS; a Redis key marks it queued, so a burst
queues one job). The debounce trails: while notifications keep arriving
the run waits for a quiet window, at most AUTOMATION_MAX_DELAY_SECONDS
after the oldest waiting one, so a burst of a thousand uploads in a minute
is one or two syncs. The run takes every pending event, re-links their groups
(jobs.automation.relink) as batches on the store's ordinary queue, and
marks the events with the batch they joined, in one commit. While an
earlier automation batch of the store is still queued or running, the run
waits another window, so notifications arriving meanwhile join one later
sync instead of one each.

Nothing is lost: events stay pending until the commit that queues their
batches, and `sweep` (queued by the scheduler every minute) schedules a run
for any automation whose pending events are older than a window (a worker
killed mid-run, Redis flushed, Cloudinary unavailable).
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import select, text, update

from shopify_app import cloudinary_admin
from shopify_app.batch_status import UNFINISHED
from shopify_app.extensions import db
from shopify_app.models import Automation, AutomationEvent, AutomationRun, Shop, Sync, utcnow

from .. import queues
from ..batch_dispatch import dispatch_next
from ..context import with_app_context
from .events import HANDLED, PRODUCT_EVENT, EventOutcome
from .relink import Work, create_batches, environment, plan_relink, rules_of

log = logging.getLogger(__name__)

MAX_EVENTS_PER_RUN = 5000
RUN_LOCK_NAMESPACE = 0x41534D  # "ASM": apart from the store locks (jobs.batch_dispatch, "ASL")
SWEEP_SECONDS = 60


def _flag(config: Mapping[str, Any], automation_id: str) -> str:
    return f"{config['REDIS_KEY_PREFIX']}:automation-flush:{automation_id}"


def window(config: Mapping[str, Any]) -> int:
    return int(config.get("AUTOMATION_DEBOUNCE_SECONDS", 3))


def schedule_flush(config: Mapping[str, Any], automation_id: str, shop_id: int | None = None,
                   delay: float | None = None) -> bool:
    """Queue a run a window (or `delay` seconds) from now unless one is
    already queued. Returns whether this call queued it."""
    delay = window(config) if delay is None else max(0.5, delay)
    if queues.is_async(config):
        connection = queues.redis_connection(config)
        if not connection.set(_flag(config, automation_id), b"1", nx=True, ex=int(delay) + 120):
            return False
    queues.enqueue_in(config, delay, "jobs.automation.flush.run_flush", automation_id,
                      meta={"shop_id": shop_id} if shop_id else None)
    return True


def _run_lock(automation_id: str) -> bool:
    """One run per automation at a time: a transaction-scoped advisory lock
    (not a row lock, which would hold up the intake's writes while the run
    talks to Cloudinary)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.execute(text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:id))"),
                                   {"ns": RUN_LOCK_NAMESPACE, "id": automation_id}).scalar())


def _busy(automation_id: str) -> bool:
    """An earlier batch of this automation is still queued or running."""
    return db.session.scalar(select(Sync.id).join(AutomationRun, AutomationRun.sync_id == Sync.id).where(
        AutomationRun.automation_id == automation_id, Sync.status.in_(UNFINISHED)).limit(1)) is not None


@with_app_context
def run_flush(automation_id: str) -> int:
    """Re-link what the automation's pending events touched. Returns the number of batches queued."""
    config = current_app.config
    if queues.is_async(config):
        queues.redis_connection(config).delete(_flag(config, automation_id))
    if not _run_lock(automation_id):  # another run of this automation is under way: it takes these up
        db.session.rollback()
        schedule_flush(config, automation_id)
        return 0
    automation = db.session.get(Automation, automation_id)
    if automation is None:
        db.session.rollback()
        return 0
    pending = list(db.session.scalars(select(AutomationEvent).where(
        AutomationEvent.automation_id == automation_id, AutomationEvent.state == "pending")
        .order_by(AutomationEvent.id).limit(MAX_EVENTS_PER_RUN)))
    if not pending:
        db.session.rollback()
        return 0
    shop = db.session.get(Shop, automation.shop_id)
    if not automation.enabled or shop is None or not shop.is_installed:
        _finish(pending, None, outcome=EventOutcome.IGNORED,
                reason="the app is not installed" if automation.enabled else "automation is disabled")
        db.session.commit()
        return 0
    wait = _still_arriving(config, automation, pending[0])
    if wait is not None and queues.is_async(config):
        db.session.rollback()
        schedule_flush(config, automation_id, automation.shop_id, delay=wait)
        return 0
    if automation.paused or not automation.credentials_valid or _busy(automation_id):
        # Paused, or credentials refused: the events wait for resume or new
        # credentials (PUT /automation). Busy: they join the next run.
        db.session.rollback()
        if not automation.paused and automation.credentials_valid:
            schedule_flush(config, automation_id, automation.shop_id)
        return 0
    work = Work()
    for event in pending:
        work.refs += event.refs or []
        work.hints += event.hints or []
    trigger = run_trigger([e.notification_type for e in pending])
    try:
        plan = plan_relink(environment(config, automation), automation.shop_id, rules_of(automation), work)
    except cloudinary_admin.CredentialsRefused:
        automation.credentials_valid = False
        db.session.commit()
        log.warning("automation %s: Cloudinary refuses its credentials; %d notifications wait", automation_id,
                    len(pending))
        return 0
    batches = create_batches(automation, plan, trigger)
    if batches:
        _finish(pending, batches[-1].id, outcome=EventOutcome.QUEUED, reason=None)
    elif plan.kept:
        _finish(pending, None, outcome=EventOutcome.IGNORED,
                reason="deleted in Cloudinary; on_delete keep leaves it on its products")
    else:
        _finish(pending, None, outcome=EventOutcome.IGNORED,
                reason="nothing to re-link: no rule's match value on these assets, before or now")
    shop_id = automation.shop_id
    db.session.commit()
    log.info("automation %s: %d notifications -> %d batches", automation_id, len(pending), len(batches))
    if batches:
        dispatch_next(config, shop_id)
    if len(pending) == MAX_EVENTS_PER_RUN:
        schedule_flush(config, automation_id, shop_id)
    return len(batches)


def run_trigger(notification_types: list[str]) -> str:
    """What a run says started it (pure): deletions only, products only
    (created or changed in Shopify), else uploads and changes in Cloudinary."""
    kinds = {PRODUCT_EVENT if t == PRODUCT_EVENT else HANDLED.get(t) for t in notification_types}
    if kinds == {"delete"}:
        return "delete"
    return "new_product" if kinds == {PRODUCT_EVENT} else "upload"


def _still_arriving(config: Mapping[str, Any], automation: Automation, oldest: AutomationEvent) -> float | None:
    """Seconds to wait while notifications are still arriving (a trailing
    debounce: a burst is taken up once it has been quiet for a window),
    unless the oldest has waited AUTOMATION_MAX_DELAY_SECONDS already."""
    now = utcnow()
    quiet = (now - (automation.last_event_at or oldest.received_at)).total_seconds()
    waited = (now - oldest.received_at).total_seconds()
    if quiet >= window(config) or waited >= int(config.get("AUTOMATION_MAX_DELAY_SECONDS", 60)):
        return None
    return window(config) - quiet


def _finish(events: list[AutomationEvent], sync_id: str | None, *, outcome: str, reason: str | None) -> None:
    for event in events:
        event.state = "done"
        event.sync_id = sync_id
        if event.outcome == EventOutcome.QUEUED:
            event.outcome, event.reason = outcome, reason


@with_app_context
def sweep() -> int:
    """Schedule a run for every automation whose events wait longer than they should."""
    config = current_app.config
    cutoff = utcnow() - timedelta(seconds=2 * window(config) + 10)
    rows = db.session.execute(select(AutomationEvent.automation_id, Automation.shop_id)
                              .join(Automation, Automation.id == AutomationEvent.automation_id)
                              .where(AutomationEvent.state == "pending", AutomationEvent.received_at < cutoff,
                                     Automation.paused.is_(False), Automation.credentials_valid.is_(True))
                              .distinct()).all()
    db.session.rollback()
    for automation_id, shop_id in rows:
        schedule_flush(config, automation_id, shop_id)
    return len(rows)


def drop_pending(automation_id: str, reason: str) -> None:
    """The automation was switched off: its waiting events won't run."""
    db.session.execute(update(AutomationEvent).where(AutomationEvent.automation_id == automation_id,
                                                     AutomationEvent.state == "pending")
                       .values(state="done", outcome=EventOutcome.IGNORED, reason=reason))
