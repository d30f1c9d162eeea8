"""The daily reconciliation (`schedule: "daily"`): what a lost notification
missed is fixed by the next morning.

The scheduler (jobs.scheduler, RQ's cron, at AUTOMATION_RECONCILE_CRON)
queues `reconcile_all`, which queues one `reconcile` per active automation
with a daily schedule. `reconcile` asks Cloudinary's Search API for the
assets uploaded or updated since the last run (an hour of overlap, so a
Search index lag loses nothing) and re-links their groups like a
notification would (trigger `daily`); our records supply the groups they
were linked under before. Deletions leave nothing to search for, so the
public IDs AssetLink linked are looked up too (Search API, 40 per call) and
the ones Cloudinary no longer has are unlinked (unless `on_delete: "keep"`).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from shopify_app import cloudinary_admin
from shopify_app.extensions import db
from shopify_app.models import Automation, utcnow

from .. import asset_links, queues
from ..batch_dispatch import dispatch_next
from ..context import with_app_context
from .relink import Work, create_batches, environment, plan_relink, rules_of

log = logging.getLogger(__name__)

OVERLAP = timedelta(hours=1)
# Linked public IDs checked for deletions per run (one search per 40).
MAX_DELETION_CHECKS = 4000
FIRST_LOOK_BACK = timedelta(days=1)


@with_app_context
def reconcile_all() -> int:
    ids = db.session.scalars(select(Automation.id).where(
        Automation.enabled.is_(True), Automation.paused.is_(False), Automation.schedule == "daily",
        Automation.api_secret_enc.is_not(None))).all()
    db.session.rollback()
    for automation_id in ids:
        queues.enqueue(current_app.config, "jobs.automation.daily.reconcile", automation_id)
    return len(ids)


@with_app_context
def reconcile(automation_id: str) -> int:
    """Re-link the groups of assets changed since the last run. Returns the batches queued."""
    config = current_app.config
    automation = db.session.get(Automation, automation_id)
    if automation is None or not automation.enabled or automation.api_secret_enc is None:
        return 0
    started = utcnow()
    since = (automation.reconciled_at or started - FIRST_LOOK_BACK) - OVERLAP
    env = environment(config, automation)
    changed = list(cloudinary_admin.search_changed_since(env, since))
    # Deletions leave nothing to search for: check what we linked is still there
    # (the most recent links, and a slice of all of them that moves on each day).
    linked = asset_links.linked_public_ids(automation.shop_id, automation.cloud_name, MAX_DELETION_CHECKS,
                                           turn=started.toordinal())
    gone = sorted(set(linked) - cloudinary_admin.existing_public_ids(env, linked))
    rules = rules_of(automation)
    batches = []
    if changed or gone:
        work = Work(current=changed, refs=[{"asset_id": r.get("asset_id"), "public_id": r.get("public_id")}
                                           for r in changed], gone=gone)
        batches = create_batches(automation, plan_relink(env, automation.shop_id, rules, work), "daily")
    automation.reconciled_at = started
    shop_id = automation.shop_id
    db.session.commit()
    if batches:
        dispatch_next(config, shop_id)
    log.info("automation %s: reconciliation found %d changed assets -> %d batches", automation_id, len(changed),
             len(batches))
    return len(batches)
