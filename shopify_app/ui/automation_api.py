"""The Settings page's Automation section (issue 10.8), JSON under
/app/api/automation: whether each automation is on, its rules in words, the
last notifications and what each did, pause and resume. Set up over the
bridge (PUT /bridge/v1/automation); the secret never reaches the page."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from jobs.automation.events import EventOutcome
from jobs.automation.flush import schedule_flush
from jobs.automation.rules import AutomationRule, in_words

from ..auth.session_token import session_token_required
from ..extensions import db
from ..models import Automation, AutomationEvent
from ..problems import Problem
from . import bp
from .api import current_shop, rfc3339

EVENTS_SHOWN = 10
TYPE_WORDS = {"upload": "Upload", "restore_asset_version": "Version restored", "delete": "Deletion",
              "rename": "Rename", "move": "Moved", "resource_metadata_changed": "Metadata changed",
              "resource_tags_changed": "Tags changed", "resource_context_changed": "Context changed",
              "resource_display_name_changed": "Display name changed", "unverified": "Unverified request"}


def _status(automation: Automation) -> str:
    if not automation.enabled or automation.api_secret_enc is None:
        return "off"
    if not automation.credentials_valid:
        return "credentials_invalid"
    return "paused" if automation.paused else "active"


def _event_json(event: AutomationEvent) -> dict[str, Any]:
    if event.outcome == EventOutcome.QUEUED:
        did = ("waiting to run" if event.state == "pending"
               else "re-linked its groups" + (f" (run {event.sync_id[:8]})" if event.sync_id else ""))
    else:
        did = f"{event.outcome}: {event.reason or ''}".strip(": ")
    return {"type": TYPE_WORDS.get(event.notification_type, event.notification_type),
            "public_ids": list(event.public_ids or [])[:5], "received_at": rfc3339(event.received_at),
            "outcome": event.outcome, "did": did, "sync_id": event.sync_id}


def _automation_json(automation: Automation) -> dict[str, Any]:
    events = db.session.scalars(select(AutomationEvent).where(AutomationEvent.automation_id == automation.id)
                                .order_by(AutomationEvent.received_at.desc(), AutomationEvent.id.desc())
                                .limit(EVENTS_SHOWN)).all()
    return {"id": automation.id, "cloud_name": automation.cloud_name, "status": _status(automation),
            "schedule": automation.schedule,
            "rules": [in_words(AutomationRule.model_validate(r)) for r in automation.rules or []],
            "last_event_at": rfc3339(automation.last_event_at), "last_run_at": rfc3339(automation.last_run_at),
            "events": [_event_json(e) for e in events]}


def _own_automation(automation_id: str) -> Automation:
    shop = current_shop()
    automation = None
    if re.fullmatch(r"[0-9a-f]{32}", automation_id):
        automation = db.session.scalars(select(Automation).where(Automation.id == automation_id,
                                                                 Automation.shop_id == shop.id)).first()
    if automation is None or automation.api_secret_enc is None or not automation.enabled:
        raise Problem(404, "No such automation on this store.")
    return automation


@bp.get("/app/api/automation")
@session_token_required
def list_automations() -> ResponseReturnValue:
    shop = current_shop()
    rows = db.session.scalars(select(Automation).where(Automation.shop_id == shop.id)
                              .order_by(Automation.created_at)).all()
    return jsonify(automations=[_automation_json(a) for a in rows])


def _set_paused(automation_id: str, paused: bool) -> ResponseReturnValue:
    automation = _own_automation(automation_id)
    automation.paused = paused
    db.session.commit()
    if not paused:  # what waited meanwhile runs now
        schedule_flush(current_app.config, automation.id, automation.shop_id)
    return jsonify(_automation_json(automation))


@bp.post("/app/api/automation/<automation_id>/pause")
@session_token_required
def pause_automation(automation_id: str) -> ResponseReturnValue:
    return _set_paused(automation_id, True)


@bp.post("/app/api/automation/<automation_id>/resume")
@session_token_required
def resume_automation(automation_id: str) -> ResponseReturnValue:
    return _set_paused(automation_id, False)
