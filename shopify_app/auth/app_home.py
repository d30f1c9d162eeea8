"""Authenticate a page load of the app inside the Shopify admin ("app home").

The admin loads the app's URL in an iframe with `embedded=1`, `shop`, `host`,
`id_token`, `hmac`, `timestamp` and more. The ID token is the proof of who is
looking: it is verified, and the shop is taken from it, never from `shop`.
The first load for a shop (or the first after its tokens died) also gets
an expiring offline token by token exchange: that is the install.

Without a valid ID token the answer is the bounce page, where App Bridge
fetches a fresh one and reloads (the pattern of Shopify's own libraries).
A load outside the admin is sent into the admin.

https://shopify.dev/docs/apps/build/authentication-authorization/set-embedded-app-authorization
"""
from __future__ import annotations

import base64
import binascii
import logging
import re
from urllib.parse import urlencode

from flask import Response, current_app, g, redirect, render_template, request
from sqlalchemy import select

from .. import lifecycle
from ..extensions import db
from ..models import Shop
from ..shop_domain import normalize_shop
from . import query_hmac, token_exchange, tokens
from .session_token import InvalidSessionToken, decode_session_token

log = logging.getLogger(__name__)

BOUNCE_PATH = "/auth/session-token"
RELOAD_PARAM = "shopify-reload"
# Dropped from the reload target: App Bridge adds a fresh id_token, and the
# old hmac wouldn't match the new query.
UNSIGNED_RELOAD_DROP = ("id_token", "hmac", "timestamp", "session")

_HOST_CHARS = re.compile(r"^[0-9A-Za-z+/]+={0,2}$")
_ADMIN_HOSTS = (
    re.compile(r"^admin\.shopify\.com/store/[a-z0-9][a-z0-9-]*$"),
    # The older form, `{shop}.myshopify.com/admin`.
    re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com/admin$"),
)


def decode_host(value: str | None) -> str | None:
    """The admin host and path in a `host` parameter, if it is a Shopify admin.

    `host` is base64 with its `=` padding stripped. Anything that doesn't
    decode to the Shopify admin is refused, so redirects built from it can't
    point elsewhere.
    """
    if not value or len(value) > 200 or not _HOST_CHARS.fullmatch(value):
        return None
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if any(p.fullmatch(decoded) for p in _ADMIN_HOSTS) else None


def admin_app_url(host: str) -> str:
    """Where the app lives inside the admin whose decoded `host` is given."""
    return f"https://{host}/apps/{current_app.config['SHOPIFY_API_KEY']}"


def authenticate_document_load() -> tuple[Shop | None, Response | None]:
    """For GET page loads of the embedded app.

    Returns (shop, None) when the load is authenticated and the shop is
    installed, with `g.shop_domain` and `g.session` set; otherwise
    (None, response) where the response is the bounce, a redirect into the
    admin, or an error page.
    """
    args = request.args
    if args.get("embedded") != "1":
        return None, _into_admin()

    raw_token = args.get("id_token", "")
    if not raw_token:
        return None, bounce()
    # The admin signs its loads; App Bridge's reload after a bounce carries a
    # fresh id_token and no hmac. The ID token is the proof either way, so a
    # missing hmac is fine, but a wrong one means the query was altered.
    if "hmac" in args and not query_hmac.hmac_is_valid(args, query_hmac.client_secrets(current_app.config)):
        log.warning("app load with a wrong hmac; bouncing for a fresh ID token")
        return None, bounce()
    try:
        session = decode_session_token(raw_token)
    except InvalidSessionToken as exc:
        log.info("app load with a rejected ID token (%s); bouncing", exc)
        return None, bounce()
    claimed = args.get("shop")
    if claimed is not None and normalize_shop(claimed) != session.shop:
        return None, error_page(400, "This link is for a different store than the one you are signed in to.")

    g.session = session
    g.shop_domain = session.shop
    shop = db.session.scalar(select(Shop).where(Shop.domain == session.shop))
    if shop is not None and shop.is_installed and tokens.has_live_tokens(shop):
        return shop, None
    return _install(session.shop, raw_token)


def _install(shop_domain: str, id_token: str) -> tuple[Shop | None, Response | None]:
    """First load: exchange the ID token for an expiring offline token."""
    with tokens.install_lock(shop_domain):
        # Another request may have installed the shop while this one waited.
        shop = db.session.scalar(select(Shop).where(Shop.domain == shop_domain)
                                 .execution_options(populate_existing=True))
        if shop is not None and shop.is_installed and tokens.has_live_tokens(shop):
            return shop, None
        return _exchange_and_install(shop_domain, id_token)


def _exchange_and_install(shop_domain: str, id_token: str) -> tuple[Shop | None, Response | None]:
    try:
        grant = token_exchange.exchange_id_token(shop_domain, id_token)
    except token_exchange.InvalidSubjectToken:
        return None, bounce()
    except token_exchange.InvalidClient:
        log.error("token exchange for %s refused our client credentials (or the app isn't installed)",
                  shop_domain)
        return None, error_page(503, "AssetLink couldn't finish connecting to your store. "
                                     "Reinstall the app from the Shopify App Store.")
    except (token_exchange.TokenEndpointError, token_exchange.TokenEndpointUnavailable) as exc:
        log.warning("token exchange for %s failed: %s", shop_domain, type(exc).__name__)
        return None, error_page(503, "Shopify didn't answer while AssetLink was connecting to your store. "
                                     "Reload the page in a moment.")
    missing = tokens.missing_scopes(grant.scope, current_app.config["SHOPIFY_SCOPES"])
    if missing:
        # Managed install grants the TOML's scopes; the admin asks the
        # merchant about new ones. Work on with what was granted.
        log.warning("%s granted without %s", shop_domain, ",".join(missing))
    return lifecycle.install_or_update(shop_domain, grant), None


def bounce() -> Response:
    """Send the page load to the bounce page; App Bridge reloads it with a
    fresh ID token. Only the path and query are kept (no open redirect)."""
    keep = [(k, v) for k, v in request.args.items(multi=True) if k not in UNSIGNED_RELOAD_DROP]
    reload_target = request.path + ("?" + urlencode(keep) if keep else "")
    params = {k: request.args[k] for k in ("shop", "host", "embedded") if k in request.args}
    params[RELOAD_PARAM] = reload_target
    return redirect(f"{BOUNCE_PATH}?{urlencode(params)}", 302)


def bounce_page() -> Response:
    """Just App Bridge: it takes `shopify-reload` and reloads with a token."""
    shop = normalize_shop(request.args.get("shop"))
    if shop:
        g.shop_domain = shop
    # The app's own page frames the bounce to refresh a token in place
    # (static/app.js); and when App Bridge can't load, the page says so and
    # offers to open the app again through the admin, never a blank page.
    g.frame_self = True
    host = decode_host(request.args.get("host"))
    reload_path = request.args.get(RELOAD_PARAM, "/").split("?")[0]
    reload_path = reload_path if reload_path.startswith("/") and not reload_path.startswith("//") else "/"
    reopen_url = admin_app_url(host) + (reload_path if reload_path != "/" else "") if host else None
    return Response(render_template("auth/bounce.html", api_key=current_app.config["SHOPIFY_API_KEY"],
                                    reopen_url=reopen_url), mimetype="text/html")


def _into_admin() -> Response:
    host = decode_host(request.args.get("host"))
    if host:
        return redirect(admin_app_url(host), 302)
    shop = normalize_shop(request.args.get("shop"))
    if shop:
        return redirect(f"https://{shop}/admin/apps/{current_app.config['SHOPIFY_API_KEY']}", 302)
    return error_page(400, "Open AssetLink from the Apps section of your Shopify admin.")


def error_page(status: int, message: str) -> Response:
    body = render_template("auth/error.html", status=status, message=message)
    return Response(body, status=status, mimetype="text/html")
