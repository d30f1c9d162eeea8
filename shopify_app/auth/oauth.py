"""The authorization code grant: `/auth/install` → Shopify's authorize page →
`/auth/callback`.

Embedded loads use token exchange (auth.app_home); this path remains for
installs from a plain link and for stores where managed installation isn't
used. Shopify's checks for it, all before the code is used:
- `shop` is a myshopify hostname (checked before the shop's URL is built,
  so the client secret never goes to another host);
- the query HMAC is right and recent;
- `state` is the one this browser was given, in a signed, short-lived,
  callback-path-only cookie;
- the granted scopes cover what the app needs.

https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
"""
from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from flask import Response, current_app, redirect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from .. import lifecycle
from ..config import shop_origin
from ..models import Shop
from ..shop_domain import normalize_shop
from . import query_hmac, token_exchange, tokens

log = logging.getLogger(__name__)

CALLBACK_PATH = "/auth/callback"
STATE_COOKIE = "assetlink_oauth_state"
# Long enough to read Shopify's permission page, short enough to be useless
# if it leaks.
STATE_MAX_AGE_SECONDS = 600


class CodeGrantRefused(Exception):
    """The callback can't be trusted or completed; `status` for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CodeGrantResult:
    shop: Shop
    redirect_to: str


def redirect_uri() -> str:
    return current_app.config["APP_URL"] + CALLBACK_PATH


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="assetlink-oauth-state")


def begin(shop: str) -> Response:
    """Redirect to the shop's authorize page, binding a fresh `state` to this
    browser. `shop` must already be validated."""
    state = secrets.token_hex(32)
    session = token_exchange.oauth_session(scope=current_app.config["SHOPIFY_SCOPES"],
                                           redirect_uri=redirect_uri())
    with session:
        url, _ = session.create_authorization_url(
            f"{shop_origin(current_app.config, shop)}/admin/oauth/authorize", state=state)
    response = redirect(url, 302)
    response.set_cookie(STATE_COOKIE, _serializer().dumps({"state": state, "shop": shop}),
                        max_age=STATE_MAX_AGE_SECONDS, path=CALLBACK_PATH, httponly=True,
                        secure=current_app.config["APP_URL"].startswith("https://"), samesite="Lax")
    return response


def complete(args: MultiDict, state_cookie: str | None) -> CodeGrantResult:
    """Check the callback, exchange the code, install; raise CodeGrantRefused."""
    shop = normalize_shop(args.get("shop"))
    if shop is None:
        raise CodeGrantRefused(400, "The store address in this link is not a Shopify store.")
    try:
        query_hmac.verify_query(args, query_hmac.client_secrets(current_app.config))
    except query_hmac.InvalidQueryHmac as exc:
        log.warning("code grant callback for %s refused: %s", shop, exc)
        raise CodeGrantRefused(400, "This link could not be verified as coming from Shopify.") from None
    _check_state(args.get("state", ""), shop, state_cookie)
    code = args.get("code", "")
    if not code:
        raise CodeGrantRefused(400, "Shopify didn't send an authorization code.")

    session = token_exchange.oauth_session(redirect_uri=redirect_uri())
    url = token_exchange.token_url(current_app.config, shop)
    try:
        with session:
            grant = token_exchange.call_token_endpoint(lambda: session.fetch_token(
                url, grant_type="authorization_code", code=code, expiring="1",
                timeout=token_exchange.TIMEOUT_SECONDS), retry=False)
    except token_exchange.TokenEndpointError as exc:
        log.warning("code exchange for %s refused: %s", shop, exc.error)
        raise CodeGrantRefused(400, "Shopify refused the authorization. Start the installation again.") from None
    except token_exchange.TokenEndpointUnavailable:
        raise CodeGrantRefused(503, "Shopify didn't answer. Start the installation again in a moment.") from None

    missing = tokens.missing_scopes(grant.scope, current_app.config["SHOPIFY_SCOPES"])
    if missing:
        # The merchant can edit the scope in the authorize URL; without
        # these the app can't work, so nothing is installed.
        raise CodeGrantRefused(403, "AssetLink needs these permissions to work: " + ", ".join(missing)
                               + ". Install again and approve them.")
    shop_row = lifecycle.install_or_update(shop, grant)
    return CodeGrantResult(shop_row, _after_install_url(args, shop))


def _check_state(given: str, shop: str, state_cookie: str | None) -> None:
    try:
        saved = _serializer().loads(state_cookie or "", max_age=STATE_MAX_AGE_SECONDS)
    except BadSignature:
        raise CodeGrantRefused(403, "This installation link has expired or was opened in another browser. "
                                    "Start the installation again.") from None
    state = saved.get("state", "") if isinstance(saved, dict) else ""
    if not state or not given or not hmac.compare_digest(state.encode(), given.encode()) \
            or saved.get("shop") != shop:
        raise CodeGrantRefused(403, "This installation link doesn't belong to this browser. "
                                    "Start the installation again.")


def _after_install_url(args: MultiDict, shop: str) -> str:
    """Into the app inside the admin (the app is embedded)."""
    from .app_home import admin_app_url, decode_host

    host = decode_host(args.get("host"))
    if host:
        return admin_app_url(host)
    return f"https://{shop}/admin/apps/{current_app.config['SHOPIFY_API_KEY']}"


def clear_state_cookie(response: Response) -> None:
    response.delete_cookie(STATE_COOKIE, path=CALLBACK_PATH)
