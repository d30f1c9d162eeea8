"""Bearer-token authentication for every bridge route but the public ones.

The token (a connection token or an API key) decides the shop: handlers read
`g.shop` / `g.credential` and scope every query by them, never by anything
the request says.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import utcnow
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem

from .openapi import operation_of

# "Last used" is shown to the merchant to the minute; writing it on every
# call would turn each read into a write.
LAST_USED_GRANULARITY = timedelta(seconds=30)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = 'Bearer realm="assetlink"' + (f', error="{error}"' if error else "")
    return Problem(401, detail, title="Unauthorized", type_=PROBLEM_TYPE_BASE + "unauthorized",
                   headers={"WWW-Authenticate": challenge})


def authenticate() -> None:
    """`before_request` of the blueprint."""
    view = current_app.view_functions.get(request.endpoint or "")
    op = operation_of(view)
    if view is None or (op is not None and op.public):
        return None
    token = bearer_token()
    if token is None:
        raise _unauthorized("Send the connection token as 'Authorization: Bearer <token>'.")
    credential = credentials.authenticate(token)
    if credential is None:
        db.session.rollback()
        raise _unauthorized("The token is not valid or has been revoked.", "invalid_token")
    now = utcnow()
    if credential.last_used_at is None or now - credential.last_used_at >= LAST_USED_GRANULARITY:
        credentials.touch(credential)
        db.session.commit()
    g.credential = credential
    g.shop = credential.shop
    return None
