"""Accepting a batch other than a sync (an upload, an unlink) exactly as
`POST /syncs` accepts one (cloudinary_bridge.syncs): Idempotency-Key replay
or 409, one `Sync` row committed, then the store's next batch dispatched.

Keys share one namespace per store with syncs (a unique index): a key first
used for another kind of batch is a 409, never someone else's answer.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Response, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow
from shopify_app.problems import Problem

from .settings import effective_settings
from .syncs import IDEMPOTENCY_KEY, _body_hash, _conflict, _dispatch

Respond = Callable[[Sync, bool], Response]  # (the batch, replayed?) -> the 202


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Idempotency-Key must be 1-255 visible ASCII characters.", title="Bad Request")
    return key


def body_hash(data: Any) -> str:
    return _body_hash(data)


def replay(kind: str, key: str | None, digest: str, respond: Respond) -> Response | None:
    """The first answer for this key, if there was one; 409 for another body or kind."""
    if key is None:
        return None
    earlier = db.session.scalars(select(Sync).where(Sync.shop_id == g.shop.id, Sync.idempotency_key == key)).first()
    if earlier is None:
        return None
    if earlier.request_hash != digest or earlier.kind != kind:
        raise _conflict()
    return respond(earlier, True)


def accept(kind: str, data: Any, key: str | None, digest: str, respond: Respond, *,
           settings_overrides: Any = None, **counters: int) -> Response:
    """Store the batch (with the settings in force and the cloud name
    snapshotted, as a sync, and any known totals such as `assets_total`),
    answer 202 and hand the store's head over."""
    settings = effective_settings(g.credential, settings_overrides)
    sync = Sync(shop_id=g.shop.id, credential_id=g.credential.id, kind=kind, status="queued", dry_run=False,
                request=data, idempotency_key=key, request_hash=digest, settings=settings.model_dump(),
                cloud_name=g.credential.cloud_name, created_at=utcnow(), **counters)
    db.session.add(sync)
    try:
        db.session.commit()
    except IntegrityError:
        # The same key arrived twice at once: the other request won.
        db.session.rollback()
        if (earlier := replay(kind, key, digest, respond)) is not None:
            return earlier
        raise
    response = respond(sync, False)
    _dispatch(g.shop.id)
    return response
