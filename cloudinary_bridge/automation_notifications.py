"""Cloudinary's notifications at an automation's `notification_url`:
verify, persist, enqueue, answer.

- unknown token, or an automation switched off or deleted -> 404;
- X-Cld-Timestamp / X-Cld-Signature missing, wrong (SHA-1 or SHA-256 of
  body + timestamp + api_secret), or older than two hours -> 401, recorded
  as a `rejected` event;
- otherwise 200 at once: the notification is stored (a repeat of the same
  signed body is recognised by its hash and does nothing) and a coalesced
  run is scheduled (jobs.automation.flush). Types that change nothing that
  is linked are recorded as `ignored`.

Nothing in the body is trusted for what an asset is: the run reads assets
from Cloudinary's Admin and Search APIs.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app, jsonify, request
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jobs.automation.events import EventOutcome, Notice, read_notice
from jobs.automation.flush import schedule_flush
from shopify_app import cloudinary_admin, crypto, json_input
from shopify_app.extensions import db
from shopify_app.models import Automation, AutomationEvent, Shop, utcnow
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem

from . import bp, openapi
from .automation import NOTIFICATIONS_PATH

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
MAX_REJECTIONS_RECORDED = 100


class NotificationReceived(BaseModel):
    outcome: str


def _automation(token: str) -> Automation:
    automation = None
    if TOKEN.match(token):
        automation = db.session.scalars(select(Automation).where(Automation.notification_token == token)).first()
    if automation is None or not automation.enabled or automation.api_secret_enc is None \
            or not db.session.get(Shop, automation.shop_id).is_installed:  # type: ignore[union-attr]
        raise Problem(404, "No active automation receives notifications here.", title="Not Found")
    return automation


def _record_rejection(automation: Automation, problem: str, now: datetime) -> None:
    """Recorded for the merchant to see, but at most MAX_REJECTIONS_RECORDED an
    hour: a flood of forgeries must not fill the database."""
    recent = db.session.scalar(select(func.count()).select_from(AutomationEvent).where(
        AutomationEvent.automation_id == automation.id, AutomationEvent.outcome == EventOutcome.REJECTED,
        AutomationEvent.received_at > now - timedelta(hours=1)))
    if (recent or 0) < MAX_REJECTIONS_RECORDED:
        db.session.add(AutomationEvent(automation_id=automation.id, shop_id=automation.shop_id, dedup_key=None,
                                       notification_type="unverified", public_ids=[], refs=[], hints=[],
                                       outcome=EventOutcome.REJECTED, reason=problem, state="done",
                                       received_at=now))
        db.session.commit()
    else:
        db.session.rollback()
    log.warning("automation %s: refused a notification (%s)", automation.id, problem)


def _notice(raw: bytes) -> Notice:
    # The same door as every other body (NUL, lone surrogates, depth): what
    # PostgreSQL can't store is recorded as ignored, never a 500.
    try:
        body = json_input.parse(raw)
    except json_input.JsonInputError as error:
        return Notice("unknown", ignored=f"the body is not JSON AssetLink can take ({error.message})")
    return read_notice(body)


@bp.post(NOTIFICATIONS_PATH + "<token>")
@openapi.operation("Cloudinary's notifications for one automation", tag="Automation", public=True,
                   responses={200: NotificationReceived},
                   parameters=[{"name": "X-Cld-Timestamp", "in": "header", "required": True,
                                "description": "Unix time of the signature; older than two hours is refused.",
                                "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}},
                               {"name": "X-Cld-Signature", "in": "header", "required": True,
                                "description": "Hex SHA-1 or SHA-256 of body + timestamp + the API secret.",
                                "schema": {"type": "string", "pattern": "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"}}],
                   problems={401: "Missing, wrong or expired Cloudinary signature.",
                             404: "No active automation at this address."},
                   description="Cloudinary posts here (the automation's `notification_url`), signed with "
                               "`X-Cld-Timestamp` and `X-Cld-Signature`. Answers at once; the work is queued.")
def receive_notification(token: str):
    automation = _automation(token)
    raw = json_input.read_body()
    secret = crypto.decrypt(automation.api_secret_enc or "")
    problem = cloudinary_admin.notification_signature_problem(
        raw, request.headers.get("X-Cld-Timestamp"), request.headers.get("X-Cld-Signature"), secret)
    now = utcnow()
    if problem is not None:
        _record_rejection(automation, problem, now)
        raise Problem(401, f"Not a notification from this Cloudinary environment: {problem}.",
                      title="Unauthorized", type_=PROBLEM_TYPE_BASE + "bad-signature")
    notice = _notice(raw)
    outcome = EventOutcome.IGNORED if notice.ignored else EventOutcome.QUEUED
    automation_id, shop_id = automation.id, automation.shop_id
    db.session.add(AutomationEvent(
        automation_id=automation_id, shop_id=shop_id, dedup_key=cloudinary_admin.body_digest(raw),
        notification_type=notice.notification_type, public_ids=notice.public_ids[:100], refs=notice.refs,
        hints=notice.hints, outcome=outcome, reason=notice.ignored,
        state="done" if notice.ignored else "pending", received_at=now))
    automation.last_event_at = now
    try:
        db.session.commit()
    except IntegrityError:  # the same signed body again: done once already
        db.session.rollback()
        return jsonify(NotificationReceived(outcome="duplicate").model_dump())
    if not notice.ignored:
        try:
            schedule_flush(current_app.config, automation_id, shop_id)
        except Exception:  # Redis away: the sweep (jobs.automation.flush.sweep) schedules it later
            log.warning("automation %s: couldn't schedule its run now; the sweep will", automation_id)
    return jsonify(NotificationReceived(outcome=outcome).model_dump())
