"""Verify Shopify session tokens (ID tokens) sent by App Bridge.

See https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import current_app, g, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from ..shop_domain import normalize_shop

# Shopify's own libraries allow 10 s: "AppBridge frequently sends future nbf".
LEEWAY_SECONDS = 10


class InvalidSessionToken(Exception):
    pass


@dataclass(frozen=True)
class SessionToken:
    shop: str
    user_id: str | None
    session_id: str | None
    raw: str
    claims: dict[str, Any]


def _host(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    return urlsplit(url).hostname


def _secrets() -> list[str]:
    cfg = current_app.config
    return [s for s in (cfg["SHOPIFY_API_SECRET"], cfg.get("SHOPIFY_API_SECRET_PREVIOUS")) if s]


def decode_session_token(raw: str) -> SessionToken:
    """Verify signature (HS256, client secret) and claims; return the shop."""
    if not raw or raw.count(".") != 2:
        raise InvalidSessionToken("malformed token")
    token = None
    for secret in _secrets():
        try:
            token = jwt.decode(raw, OctKey.import_key(secret), algorithms=["HS256"])
            break
        except JoseError:
            continue
    if token is None:
        raise InvalidSessionToken("bad signature")
    claims = token.claims
    registry = JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        aud={"essential": True, "value": current_app.config["SHOPIFY_API_KEY"]},
        exp={"essential": True},
        nbf={"essential": True},
        iss={"essential": True},
        dest={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidSessionToken(f"claims rejected: {exc.error}") from exc
    dest_host, iss_host = _host(claims.get("dest")), _host(claims.get("iss"))
    shop = normalize_shop(dest_host)
    if shop is None or iss_host != dest_host:
        raise InvalidSessionToken("iss/dest are not the same valid shop")
    return SessionToken(shop=shop, user_id=claims.get("sub"), session_id=claims.get("sid"),
                        raw=raw, claims=dict(claims))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def session_token_required(view: Callable) -> Callable:
    """For the embedded UI's JSON calls: a valid Bearer session token or 401.

    The 401 carries `X-Shopify-Retry-Invalid-Session-Request: 1` so App Bridge
    fetches a fresh token and retries once. The verified token is `g.session`.
    """
    from ..problems import Problem

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        raw = bearer_token()
        try:
            g.session = decode_session_token(raw or "")
        except InvalidSessionToken as exc:
            raise Problem(401, f"Session token rejected: {exc}",
                          headers={"X-Shopify-Retry-Invalid-Session-Request": "1"}) from None
        return view(*args, **kwargs)

    return wrapped
