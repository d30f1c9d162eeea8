"""Who the admin says is looking at an app: ID tokens and the `host` parameter.

ID tokens (formerly "session tokens") are what App Bridge hands an embedded
app: a JWT signed HS256 with the app's client secret, living one minute
(https://shopify.dev/docs/apps/build/authentication-authorization/session-tokens).
The simulator mints them for the embedded first load and checks them as the
`subject_token` of a token exchange.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
import warnings
from typing import Any
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

ID_TOKEN_TTL = 60
MYSHOPIFY_SUFFIX = ".myshopify.com"


def _key(secret: str) -> OctKey:
    return OctKey.import_key(secret)


def _quietly(fn: Any, *args: Any, **kwargs: Any) -> Any:
    # joserfc warns about HMAC keys under 112 bits; the key is whatever
    # secret the app was registered with (Shopify's documented test secret is
    # "hush"), and Shopify signs with it regardless.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return fn(*args, **kwargs)


class InvalidIdToken(Exception):
    """The token isn't one Shopify issued for this app and shop (or it expired)."""


def shop_handle(shop: str) -> str:
    return shop[: -len(MYSHOPIFY_SUFFIX)] if shop.endswith(MYSHOPIFY_SUFFIX) else shop


def admin_host(shop: str) -> str:
    """The `host` parameter: base64 of the admin's host and path, with the `=`
    padding stripped, as Shopify sends it."""
    raw = f"admin.shopify.com/store/{shop_handle(shop)}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


def session_id(shop: str, user_id: str, client_id: str) -> str:
    """`sid`: stable per user and app, like an admin login session."""
    return hashlib.sha256(f"sid:{shop}:{user_id}:{client_id}".encode()).hexdigest()[:32]


def admin_session(shop: str, user_id: str) -> str:
    """The `session` query parameter of an admin app load (an opaque hex digest)."""
    return hashlib.sha256(f"session:{shop}:{user_id}".encode()).hexdigest()


def mint_id_token(*, shop: str, client_id: str, client_secret: str, user_id: str, now: float,
                  ttl: int = ID_TOKEN_TTL) -> str:
    issued = int(now)
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": client_id,
        "sub": str(user_id),
        "exp": issued + ttl,
        "nbf": issued,
        "iat": issued,
        "jti": str(uuid.uuid4()),
        "sid": session_id(shop, str(user_id), client_id),
        # Listed in Shopify's sample payload; opaque to apps.
        "sig": secrets.token_hex(32),
    }
    return _quietly(jwt.encode, {"alg": "HS256", "typ": "JWT"}, claims, _key(client_secret))


def verify_id_token(raw: str, *, shop: str, client_id: str, client_secret: str, now: float) -> dict[str, Any]:
    """Claims of an ID token Shopify would accept for `shop`, else InvalidIdToken.

    No clock leeway: the issuer judges its own tokens by its own clock.
    """
    if not isinstance(raw, str) or raw.count(".") != 2:
        raise InvalidIdToken("The subject token is malformed")
    try:
        token = _quietly(jwt.decode, raw, _key(client_secret), algorithms=["HS256"])
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken("The subject token signature is invalid") from exc
    claims = token.claims
    registry = JWTClaimsRegistry(
        now=lambda: int(now),
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        nbf={"essential": True},
        iss={"essential": True},
        dest={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidIdToken(f"The subject token was rejected ({exc.error})") from exc
    if urlsplit(str(claims["dest"])).hostname != shop or urlsplit(str(claims["iss"])).hostname != shop:
        raise InvalidIdToken("The subject token was issued for another shop")
    return dict(claims)
