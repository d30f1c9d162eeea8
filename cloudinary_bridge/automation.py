"""Automation (contract: "Automation: linking without opening the dialog"):
`PUT/GET/DELETE /automation` and `GET /automation/events`.

One automation per store and Cloudinary environment (the token's: a
connection's own cloud, or an API key's store's one connected environment).
The credentials are checked against Cloudinary's Admin API before they are
saved (422 when Cloudinary refuses them, 502 when it can't be reached);
`api_secret` is stored encrypted and never returned or logged. Rules are
jobs.automation.rules.AutomationRule: the sync's own match, link mode,
position, order and settings model. Notifications arrive at
`notification_url` (cloudinary_bridge.automation_notifications).
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any, Literal, Optional

from flask import Response, current_app, g, jsonify
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from jobs.automation.events import PRODUCT_EVENT, EventOutcome
from jobs.automation.flush import drop_pending, schedule_flush
from jobs.automation.rules import MAX_RULES, AutomationRule
from shopify_app import cloudinary_admin, credentials, crypto
from shopify_app.extensions import db
from shopify_app.models import Automation, AutomationEvent
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem
from shopify_app.query_params import PageLimit, reject_unknown_params

from . import bp, openapi
from .batch_requests import no_cloud_name
from .errors import parse_body

log = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/automation/notifications/"


class CloudinaryCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    api_key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    api_secret: str = Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
                            description="Stored encrypted; never returned.")


class AutomationRequest(BaseModel):
    """PUT /automation body: the whole object."""

    model_config = ConfigDict(extra="forbid", strict=True)

    enabled: bool
    cloudinary: CloudinaryCredentials
    rules: list[AutomationRule] = Field(max_length=MAX_RULES)
    schedule: Optional[Literal["daily"]] = Field(None, description="daily: a reconciliation run every day "
                                                                     "catches what notifications missed.")
    paused: bool = Field(False, description="Our addition: notifications are kept but wait until resumed.")
    register_triggers: bool = Field(False, description="Our addition: AssetLink registers Cloudinary Admin API "
                                                       "triggers sending every notification type it handles to "
                                                       "`notification_url` (and removes them on DELETE).")


class CloudinaryKey(BaseModel):
    api_key: str


class AutomationView(BaseModel):
    enabled: bool
    paused: bool
    cloud_name: str
    cloudinary: CloudinaryKey
    rules: list[AutomationRule]
    schedule: Optional[Literal["daily"]]
    register_triggers: bool
    notification_url: str
    status: Literal["active", "paused", "credentials_invalid"]
    last_event_at: Optional[datetime]
    last_run_at: Optional[datetime]


class AutomationEventView(BaseModel):
    id: int
    type: str
    public_ids: list[str]
    received_at: datetime
    outcome: EventOutcome
    reason: Optional[str]
    sync_id: Optional[str]
    pending: bool = Field(description="Still waiting for its coalesced run.")


class AutomationEvents(BaseModel):
    events: list[AutomationEventView]


# -- representations (shared with the admin's Settings page) ---------------------------------------------

def notification_url(automation: Automation) -> str:
    return f"{current_app.config['APP_URL']}{bp.url_prefix}{NOTIFICATIONS_PATH}{automation.notification_token}"


def status_of(automation: Automation) -> str:
    if not automation.credentials_valid:
        return "credentials_invalid"
    return "paused" if automation.paused or not automation.enabled else "active"


def view(automation: Automation) -> dict[str, Any]:
    return AutomationView(
        enabled=automation.enabled, paused=automation.paused, cloud_name=automation.cloud_name,
        cloudinary=CloudinaryKey(api_key=automation.api_key),
        rules=[AutomationRule.model_validate(r) for r in automation.rules or []], schedule=automation.schedule,
        register_triggers=bool(automation.register_triggers),
        notification_url=notification_url(automation), status=status_of(automation),  # type: ignore[arg-type]
        last_event_at=automation.last_event_at, last_run_at=automation.last_run_at).model_dump(mode="json")


def event_view(event: AutomationEvent) -> dict[str, Any]:
    return AutomationEventView(id=event.id, type=event.notification_type,
                               public_ids=[str(p) for p in event.public_ids or []], received_at=event.received_at,
                               outcome=event.outcome, reason=event.reason,  # type: ignore[arg-type]
                               sync_id=event.sync_id, pending=event.state == "pending").model_dump(mode="json")


def stored_rule(rule: AutomationRule) -> dict[str, Any]:
    """A rule as stored: its settings overrides only as given (unset ones follow the connection's)."""
    return {**rule.model_dump(mode="json"), "settings": rule.settings.model_dump(mode="json", exclude_unset=True)}


def recent_events(automation: Automation, limit: int) -> list[dict[str, Any]]:
    # Cloudinary's notifications only: products changed in Shopify are events of the run, not notifications.
    events = db.session.scalars(select(AutomationEvent).where(AutomationEvent.automation_id == automation.id,
                                                              AutomationEvent.notification_type != PRODUCT_EVENT)
                                .order_by(AutomationEvent.received_at.desc(), AutomationEvent.id.desc())
                                .limit(limit)).all()
    return [event_view(e) for e in events]


# -- endpoints --------------------------------------------------------------------------------------------

def _cloud_name() -> str:
    cloud_name = credentials.delivery_cloud_name(g.credential)
    if cloud_name is None:
        raise no_cloud_name(g.shop.id)
    return cloud_name


def _own_automation() -> Automation:
    automation = db.session.scalars(select(Automation).where(Automation.shop_id == g.shop.id,
                                                             Automation.cloud_name == _cloud_name())).first()
    if automation is None or automation.api_secret_enc is None:
        raise Problem(404, "No automation is set up for this Cloudinary environment; PUT /automation sets one up.",
                      title="Not Found")
    return automation


def _environment(cloud_name: str, api_key: str, api_secret: str) -> cloudinary_admin.Environment:
    return cloudinary_admin.Environment(cloud_name, api_key, api_secret, current_app.config["CLOUDINARY_API_ORIGIN"])


def _unreachable() -> Problem:
    return Problem(502, "Cloudinary could not be reached; try again shortly.", title="Bad Gateway")


def _check_credentials(cloud_name: str, body: AutomationRequest) -> None:
    env = _environment(cloud_name, body.cloudinary.api_key, body.cloudinary.api_secret)
    try:
        cloudinary_admin.verify_credentials(env)
    except cloudinary_admin.CredentialsRefused:
        raise Problem(422, f"Cloudinary refused this API key and secret for the environment {cloud_name!r}.",
                      type_=PROBLEM_TYPE_BASE + "cloudinary-credentials-refused",
                      errors=[{"field": "cloudinary", "message": "refused by Cloudinary's Admin API"}]) from None
    except cloudinary_admin.CloudinaryUnavailable:
        raise Problem(502, "Cloudinary could not be reached to check the credentials; try again shortly.",
                      title="Bad Gateway") from None


@bp.put("/automation")
@openapi.operation("Set up automation for this Cloudinary environment", tag="Automation",
                   request=AutomationRequest, responses={200: AutomationView},
                   problems={422: "Invalid body, or Cloudinary refused the credentials.",
                             502: "Cloudinary could not be reached to check the credentials."},
                   description="The whole object. The credentials are checked against Cloudinary's Admin API "
                               "before they are saved; `api_secret` is stored encrypted and never returned.")
def put_automation():
    reject_unknown_params()
    body = parse_body(AutomationRequest, context={"development": bool(current_app.config.get(
        "ASSETLINK_DEVELOPMENT"))})
    cloud_name = _cloud_name()
    _check_credentials(cloud_name, body)
    automation = db.session.scalars(select(Automation).where(Automation.shop_id == g.shop.id,
                                                             Automation.cloud_name == cloud_name)).first()
    if automation is None:
        automation = Automation(shop_id=g.shop.id, cloud_name=cloud_name,
                                notification_token=secrets.token_urlsafe(24))
        db.session.add(automation)
    automation.credential_id = g.credential.id
    automation.api_key = body.cloudinary.api_key
    automation.api_secret_enc = crypto.encrypt(body.cloudinary.api_secret)
    automation.enabled, automation.paused, automation.credentials_valid = body.enabled, body.paused, True
    automation.rules = [stored_rule(r) for r in body.rules]
    automation.schedule = body.schedule
    automation.register_triggers = body.register_triggers
    db.session.flush()
    if body.register_triggers and body.enabled:
        try:
            cloudinary_admin.register_triggers(_environment(cloud_name, body.cloudinary.api_key,
                                                            body.cloudinary.api_secret), notification_url(automation))
        except cloudinary_admin.CloudinaryError:
            db.session.rollback()
            raise _unreachable() from None
    if not body.enabled:
        drop_pending(automation.id, "automation is disabled")
    db.session.commit()
    if body.enabled and not body.paused:  # notifications that waited (paused, credentials refused) run now
        try:
            schedule_flush(current_app.config, automation.id, automation.shop_id)
        except Exception:  # Redis away: the sweep schedules it
            log.warning("automation %s: couldn't schedule a run now; the sweep will", automation.id)
    return jsonify(view(automation))


@bp.get("/automation")
@openapi.operation("This environment's automation", tag="Automation", responses={200: AutomationView})
def get_automation():
    reject_unknown_params()
    return jsonify(view(_own_automation()))


@bp.delete("/automation")
@openapi.operation("Switch automation off and erase the secret", tag="Automation", responses={204: None})
def delete_automation():
    reject_unknown_params()
    automation = _own_automation()
    if automation.register_triggers and automation.api_secret_enc:
        env = _environment(automation.cloud_name, automation.api_key, crypto.decrypt(automation.api_secret_enc))
        try:
            cloudinary_admin.remove_triggers(env, notification_url(automation))
        except cloudinary_admin.CloudinaryError:  # the automation goes off anyway; its URL then answers 404
            log.warning("automation %s: couldn't remove its Cloudinary triggers", automation.id)
    automation.enabled = False
    automation.api_secret_enc = None
    drop_pending(automation.id, "automation was deleted")
    db.session.commit()
    return Response(status=204)


EVENTS_LIMIT = PageLimit(default=50, maximum=200)


@bp.get("/automation/events")
@openapi.operation("Recent notifications, newest first", tag="Automation", responses={200: AutomationEvents},
                   parameters=[EVENTS_LIMIT.parameter()])
def automation_events():
    reject_unknown_params("limit")
    limit = EVENTS_LIMIT.read()
    return jsonify({"events": recent_events(_own_automation(), limit)})
