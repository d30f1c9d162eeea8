"""`sync.completed`: tell the caller's webhook URL that a sync has ended.

POST {"event": "sync.completed", "sync": <GET /syncs/{id}>} with
`X-AssetLink-Hmac-Sha256: base64(HMAC-SHA256(signing_secret, raw body))`,
the signing secret of the connection that asked for the sync (uploads send
`upload.completed` with their GET /uploads/{id} object). A non-2xx
answer or a network error raises, so RQ retries with the back-off in
jobs.queues; the body is rebuilt each time from the (finished, unchanging)
sync, so every attempt carries the same content.

Outside development the URL must be https to a public host, and the address
is checked again here, when the name is resolved for the delivery (the
setting was checked without resolving it), and once more by the connection
itself against the address it actually reached (jobs.public_http), which
closes the DNS-rebinding window. Redirects are not followed: a redirect could
lead to an address that was never checked.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests
from flask import current_app

from shopify_app import crypto
from shopify_app.batch_views import sync_status, upload_status
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, Sync

from . import queues
from .context import with_app_context
from .planner.addresses import is_public
from .planner.settings import webhook_url_problem
from .public_http import public_session

log = logging.getLogger(__name__)

JOB = "jobs.sync_webhook.deliver_sync_completed"
TIMEOUT = (5.0, 15.0)
SIGNATURE_HEADER = "X-AssetLink-Hmac-Sha256"


class DeliveryFailed(Exception):
    """The receiver did not take the event; RQ retries."""


def notify_sync_ended(config: Mapping[str, Any], sync: Sync) -> None:
    """Enqueue the delivery if the sync's settings name a URL (after the
    commit that ended the sync)."""
    if (sync.settings or {}).get("sync_completed_webhook_url"):
        queues.enqueue(config, JOB, sync.id, meta={"shop_id": sync.shop_id})


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def public_address_problem(url: str) -> str | None:
    """Why the URL's host resolves to a non-public address, or None."""
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return f"cannot be resolved ({exc})"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not is_public(address):  # NAT64/6to4/mapped judged by the IPv4 address they reach
            return f"resolves to a non-public address ({address})"
    return None


def event_for(sync: Sync) -> tuple[str, dict[str, Any]]:
    """The event an ended batch sends: an upload its GET /uploads/{id}
    object as `upload.completed`; syncs and unlinks (which are read under
    /syncs/{id}) their GET /syncs/{id} object as `sync.completed`."""
    if sync.kind == "upload":
        return "upload.completed", {"upload": upload_status(sync)}
    return "sync.completed", {"sync": sync_status(sync)}


@with_app_context
def deliver_sync_completed(sync_id: str) -> str:
    sync = db.session.get(Sync, sync_id)
    if sync is None:
        return "sync gone"
    url = (sync.settings or {}).get("sync_completed_webhook_url")
    if not url:
        return "no url"
    credential = db.session.get(BridgeCredential, sync.credential_id) if sync.credential_id else None
    if credential is None or credential.revoked_at is not None or not credential.signing_secret_enc:
        # Without the connection's secret the receiver could not trust the event.
        log.info("sync %s: no live connection secret to sign the webhook; not sent", sync_id)
        return "no signing secret"
    development = bool(current_app.config.get("ASSETLINK_DEVELOPMENT"))
    problem = webhook_url_problem(url, development=development) or (
        None if development else public_address_problem(url))
    if problem:
        log.warning("sync %s: webhook URL refused: %s", sync_id, problem)
        return "refused"
    event, payload = event_for(sync)
    body = json.dumps({"event": event, **payload}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "AssetLink-for-Shopify/1",
               "X-AssetLink-Event": event, "X-AssetLink-Delivery": sync.id,
               SIGNATURE_HEADER: sign(crypto.decrypt(credential.signing_secret_enc), body)}
    # Outside development the connection itself re-checks the address it
    # reached (DNS may answer differently than it did to the check above).
    http = requests.Session() if development else public_session()
    try:
        with http:
            response = http.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"sync {sync_id}: webhook not delivered: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"sync {sync_id}: webhook answered {response.status_code}")
    return "delivered"
