"""Notifications as Cloudinary sends them: JSON POSTs, signed, asynchronous,
retried.

Who gets one (https://cloudinary.com/documentation/notifications): a call's
own `notification_url`, which "overrides the global value" for that call;
otherwise every trigger registered for the event's type or for `all` (Admin
API triggers, https://cloudinary.com/documentation/admin_api#triggers; one
trigger = one event type + one URL).

Signature (https://cloudinary.com/documentation/notification_signatures):
headers `X-Cld-Timestamp` (unix seconds) and `X-Cld-Signature`, the hex SHA-1
(default) or SHA-256 (accounts set to it) digest of the raw body followed by
the timestamp and the API secret, which is what the SDK's
`verify_notification_signature` recomputes.

Bodies: `notification_type` plus the fields of each event. Cloudinary's docs
don't print every body; the shapes for upload, delete, rename,
resource_tags_changed, resource_context_changed and resource_metadata_changed
follow the public AsyncAPI description of Cloudinary's notifications
(github.com/api-evangelist/cloudinary asyncapi/cloudinary-notifications-
asyncapi.yml; UNCONFIRMED against Cloudinary's own examples): upload carries
the upload response; delete a `resources` list; rename `from_public_id`/
`to_public_id`; tags a `resources` list with `added`/`removed`; context and
metadata a `resources` map keyed by public id; every body has
`notification_context {triggered_at, triggered_by {source, id}}`.

Delivery and retries: delivered from a background thread, never inside the
API call; "Cloudinary retries delivery up to three times (at roughly 3, 6, and
9 minutes) when the subscriber response is not HTTP 200" (same AsyncAPI
source, UNCONFIRMED in Cloudinary's docs). SIM_NOTIFICATION_RETRY_SCALE shrinks
that schedule for tests. Faults (tests): drop, duplicate or hold (then release
in any order) the next matching notifications.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

import requests

from .state import Environment, Notification, SimState, new_id

log = logging.getLogger(__name__)

RETRY_DELAYS_SECONDS = (180.0, 360.0, 540.0)
CONNECT_TIMEOUT = 2.0
RESPONSE_TIMEOUT = 10.0
USER_AGENT = "Cloudinary"
FAULT_ACTIONS = ("drop", "duplicate", "hold")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def signature(body: bytes, timestamp: int, secret: str, algorithm: str) -> str:
    """hex(SHA(body + timestamp + api_secret)), as notification_signatures describes."""
    return hashlib.new(algorithm, body + str(timestamp).encode() + secret.encode()).hexdigest()


def recipients(env: Environment, notification_type: str, notification_url: Optional[str]) -> list[tuple[str, str]]:
    """(url, origin) pairs: the call's own URL, or the matching triggers."""
    if notification_url:
        return [(notification_url, "notification_url")]
    return [(t.uri, f"trigger:{t.id}") for t in env.triggers.values()
            if t.uri_type == "webhook" and t.event_type in (notification_type, "all")]


def enqueue(state: SimState, env: Environment, notification_type: str, payload: dict[str, Any],
            notification_url: Optional[str] = None, source: str = "api") -> list[Notification]:
    """Queue one notification per recipient (none without recipients)."""
    now = state.now()
    created = []
    for url, origin in recipients(env, notification_type, notification_url):
        body_obj = {"notification_type": notification_type, **payload,
                    "notification_context": {"triggered_at": iso(now),
                                             "triggered_by": {"source": source, "id": env.api_key}},
                    "signature_key": env.api_key}
        body = json.dumps(body_obj).encode("utf-8")
        timestamp = int(now)
        note = Notification(id=new_id(), notification_type=notification_type, url=url, origin=origin, body=body,
                            timestamp=timestamp, signature=signature(body, timestamp, env.api_secret,
                                                                     env.signature_algorithm),
                            algorithm=env.signature_algorithm, created_at=now, next_attempt_at=time.monotonic())
        with env.lock:
            for copy in _apply_faults(env, note):
                env.notifications.append(copy)
                created.append(copy)
    state.wakeup.set()
    return created


def _apply_faults(env: Environment, note: Notification) -> list[Notification]:
    for fault in env.notification_faults:
        if fault["count"] <= 0:
            continue
        if fault.get("notification_type") not in (None, note.notification_type):
            continue
        fault["count"] -= 1
        action = fault["action"]
        if action == "drop":
            note.status = "dropped"
            return [note]
        if action == "hold":
            note.status = "held"
            return [note]
        if action == "duplicate":
            twin = Notification(**{**note.__dict__, "id": new_id(), "attempts": []})
            return [note, twin]
    return [note]


def release(state: SimState, env: Environment, order: str = "reverse",
            ids: Optional[Iterable[str]] = None) -> list[str]:
    """Send held notifications, in the order asked (reverse: newest first)."""
    wanted = set(ids) if ids is not None else None
    with env.lock:
        held = [n for n in env.notifications if n.status == "held" and (wanted is None or n.id in wanted)]
        if order == "reverse":
            held.reverse()
        start = time.monotonic()
        for position, note in enumerate(held):
            note.status = "pending"
            # Spaced so a sequential sender delivers them in this order.
            note.next_attempt_at = start + position * 0.001
            env.notifications.remove(note)
            env.notifications.append(note)
    state.wakeup.set()
    return [n.id for n in held]


def due(state: SimState) -> list[tuple[Environment, Notification]]:
    now = time.monotonic()
    ready = []
    for env in list(state.environments.values()):
        with env.lock:
            for note in env.notifications:
                if note.status == "pending" and not note.in_flight and note.next_attempt_at <= now:
                    note.in_flight = True
                    ready.append((env, note))
    ready.sort(key=lambda pair: pair[1].next_attempt_at)
    return ready


def deliver_pending(state: SimState, retry_scale: float = 1.0, session: Optional[requests.Session] = None) -> int:
    """Attempt every due notification once, in order; returns how many were attempted."""
    http = session or requests
    attempted = 0
    for env, note in due(state):
        attempted += 1
        outcome: dict[str, Any] = {"at": iso(state.now())}
        try:
            response = http.post(note.url, data=note.body, headers={**note.headers, "User-Agent": USER_AGENT},
                                 timeout=(CONNECT_TIMEOUT, RESPONSE_TIMEOUT), allow_redirects=False)
            outcome["status"] = response.status_code
            ok = response.status_code == 200
        except requests.RequestException as exc:
            outcome["error"] = type(exc).__name__
            ok = False
        with env.lock:
            note.attempts.append(outcome)
            note.in_flight = False
            retries_used = len(note.attempts) - 1
            if ok:
                note.status = "delivered"
            elif retries_used < len(RETRY_DELAYS_SECONDS):
                note.next_attempt_at = time.monotonic() + RETRY_DELAYS_SECONDS[retries_used] * retry_scale
            else:
                note.status = "failed"
    return attempted


def next_due_in(state: SimState) -> float:
    now = time.monotonic()
    times = [n.next_attempt_at for env in list(state.environments.values())
             for n in list(env.notifications) if n.status == "pending" and not n.in_flight]
    return max(0.0, min(times) - now) if times else 1.0


class DeliveryThread(threading.Thread):
    """Sends notifications as they fall due, one at a time (so held ones
    released in an order arrive in that order)."""

    def __init__(self, state: SimState, retry_scale: float) -> None:
        super().__init__(name="cloudinary-sim-notifications", daemon=True)
        self.state = state
        self.retry_scale = retry_scale
        self.stopping = threading.Event()
        self.session = requests.Session()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                deliver_pending(self.state, self.retry_scale, self.session)
            except Exception:  # keep delivering whatever one bad attempt did
                log.exception("notification delivery failed")
            self.state.wakeup.wait(timeout=min(1.0, next_due_in(self.state)))
            self.state.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.state.wakeup.set()
        self.join(timeout=5)


def as_json(note: Notification) -> dict[str, Any]:
    return {"id": note.id, "notification_type": note.notification_type, "url": note.url, "origin": note.origin,
            "status": note.status, "created_at": iso(note.created_at), "attempts": list(note.attempts),
            "headers": note.headers, "body": note.body.decode("utf-8"), "payload": json.loads(note.body)}


def resource_ref(asset: Any) -> dict[str, Any]:
    return {"asset_id": asset.asset_id, "public_id": asset.public_id, "resource_type": asset.resource_type,
            "type": asset.type}
