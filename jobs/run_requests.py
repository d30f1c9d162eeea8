"""What the merchant (embedded admin) or the Cloudinary side (bridge) can do
with a store's runs besides starting them: abort one, run the same request
again (retry), undo a sync or unlink, and clean up AssetLink's unused files.
Each new run is a queued batch like any other (jobs.batch_service), handed
over after the commit; the rules of what is allowed are
shopify_app.batch_views' (the status object's `actions` shows the same).

The callers turn `NotAllowed` into a 409 problem.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from shopify_app import outages
from shopify_app.batch_status import FINISHED
from shopify_app.batch_views import can_retry, can_undo
from shopify_app.extensions import db
from shopify_app.models import ShopPreferences, Sync, utcnow

from . import batch_service
from .batch_dispatch import dispatch_next

log = logging.getLogger(__name__)


class NotAllowed(Exception):
    """The run can't be aborted, retried or undone now (the message says why)."""


def abort(config: Mapping[str, Any], sync: Sync) -> None:
    try:
        batch_service.request_abort(config, sync)
    except batch_service.AlreadyFinished as finished:
        raise NotAllowed(f"This run has already finished ({finished.status}).") from None


def retry(config: Mapping[str, Any], sync: Sync) -> Sync:
    """The same request again as a new run, with the settings and cloud the
    first one ran with."""
    if not can_retry(sync):
        raise NotAllowed("Only a finished sync, unlink, upload or clean-up can be run again."
                         if sync.status in FINISHED else "This run hasn't finished yet.")
    if sync.kind == "cleanup":
        return cleanup(config, sync.shop_id, dry_run=sync.dry_run)  # the opt-in is asked again
    if sync.kind == "undo":
        undone = db.session.get(Sync, str((sync.request or {}).get("undo_of") or ""))
        assert undone is not None  # can_retry found it
        return undo(config, undone, credential_id=sync.credential_id)
    retried = _queue(config, sync.shop_id, sync.kind, dict(sync.request or {}), dry_run=sync.dry_run,
                     settings=dict(sync.settings or {}), cloud_name=sync.cloud_name,
                     credential_id=sync.credential_id,
                     totals={"products_total": sync.products_total if sync.kind == "unlink" else 0,
                             "assets_total": sync.assets_total if sync.kind in ("unlink", "upload") else 0})
    return retried


def undo(config: Mapping[str, Any], sync: Sync, credential_id: str | None = None, *,
         idempotency_key: str | None = None, request_hash: str | None = None) -> Sync:
    """A run that puts back every product `sync` changed (jobs.undo_job).
    With an Idempotency-Key (the bridge's), a second request with the key
    finds this run instead (cloudinary_bridge.batch_requests.replay)."""
    if not can_undo(sync):
        raise NotAllowed(_why_not_undoable(sync))
    return _queue(config, sync.shop_id, "undo", {"undo_of": sync.id}, cloud_name=sync.cloud_name,
                  credential_id=credential_id or sync.credential_id, settings=dict(sync.settings or {}),
                  keys={"idempotency_key": idempotency_key, "request_hash": request_hash})


def cleanup(config: Mapping[str, Any], shop_id: int, *, dry_run: bool) -> Sync:
    """Remove AssetLink's files nothing uses (jobs.files_cleanup); only a
    preview unless the store turned clean-up on."""
    if not dry_run and not cleanup_enabled(shop_id):
        raise NotAllowed("Removing files is off for this store: turn on \"Remove AssetLink files no product "
                         "uses\" in Settings first, or ask for a dry run.")
    return _queue(config, shop_id, "cleanup", {"dry_run": dry_run}, dry_run=dry_run)


def cleanup_enabled(shop_id: int) -> bool:
    preferences = db.session.get(ShopPreferences, shop_id)
    return bool(preferences and preferences.files_cleanup)


def set_cleanup_enabled(shop_id: int, enabled: bool) -> None:
    preferences = db.session.get(ShopPreferences, shop_id)
    if preferences is None:
        preferences = ShopPreferences(shop_id=shop_id)
        db.session.add(preferences)
    preferences.files_cleanup = enabled
    db.session.commit()


def _why_not_undoable(sync: Sync) -> str:
    if sync.kind not in ("sync", "unlink"):
        return "Only a sync or an unlink can be undone."
    if sync.dry_run:
        return "A dry run changed nothing, so there is nothing to undo."
    if sync.status not in FINISHED:
        return "This run hasn't finished yet; abort it or wait for it to end, then undo it."
    return "This run has already been undone, is being undone, or changed no product."


def _queue(config: Mapping[str, Any], shop_id: int, kind: str, request: dict[str, Any], *, dry_run: bool = False,
           settings: dict[str, Any] | None = None, cloud_name: str | None = None,
           credential_id: str | None = None, totals: dict[str, int] | None = None,
           keys: dict[str, str | None] | None = None) -> Sync:
    """A new queued batch (with the totals known before it runs, as the
    bridge gives them), committed, then the store's head handed over."""
    sync = batch_service.new_batch(shop_id=shop_id, credential_id=credential_id, kind=kind, dry_run=dry_run,
                                   request=request, settings=settings or {}, cloud_name=cloud_name,
                                   created_at=utcnow(), **(totals or {}), **(keys or {}))
    db.session.add(sync)
    db.session.commit()
    try:
        dispatch_next(config, shop_id)
    except Exception as exc:
        # The batch stays queued; the reaper hands it over.
        db.session.rollback()
        log.warning("could not hand over the next batch of shop %s (%s)", shop_id, outages.is_outage(exc) or exc)
    return sync

