"""A shop's OAuth endpoints: `/{shop}/admin/oauth/authorize` and
`/{shop}/admin/oauth/access_token`.

authorize approves at once (the merchant always clicks "Install") and
redirects back with `code`, `hmac`, `host`, `shop`, `state`, `timestamp`.
access_token serves the three grants Shopify serves there: the authorization
code, token exchange (ID token → access token, and the one-way migration of a
non-expiring offline token to an expiring one) and `refresh_token`.
Sources: the notes in shopify_sim/AUTH.md.
"""
from __future__ import annotations

import hmac
import html
import secrets
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, redirect, request

from . import get_state
from .identity import InvalidIdToken, admin_host, verify_id_token
from .signing import sign_query
from .state import ACCESS_TOKEN_TTL, AccessToken, App, SimState

bp = Blueprint("oauth", __name__)

GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TOKEN_TYPE_OFFLINE = "urn:shopify:params:oauth:token-type:offline-access-token"
TOKEN_TYPE_ONLINE = "urn:shopify:params:oauth:token-type:online-access-token"
# RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is
# RECOMMENDED"; Shopify publishes no figure.
AUTH_CODE_TTL = 600
ONLINE_TOKEN_TTL = 86399
DEFAULT_USER_ID = "1"


@dataclass
class AuthCode:
    code: str
    shop: str
    client_id: str
    scopes: list[str]
    online: bool
    user_id: str
    expires_at: float


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@bp.errorhandler(OAuthError)
def _oauth_error(exc: OAuthError) -> tuple[Response, int]:
    return jsonify({"error": exc.error, "error_description": exc.description}), exc.status


def split_scopes(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value or "").split(",")
    return [s.strip() for s in items if s.strip()]


def associated_user(state: SimState, shop: str, user_id: str) -> dict[str, Any]:
    owner = state.shops[shop]
    return {"id": int(user_id) if user_id.isdigit() else user_id, "first_name": "Store", "last_name": "Owner",
            "email": owner.email, "email_verified": True, "account_owner": True, "locale": "en",
            "collaborator": False}


# -- authorize ------------------------------------------------------------

def _error_page(status: int, message: str) -> tuple[str, int]:
    # What Shopify shows a merchant when an app's install link is broken.
    body = ("<!DOCTYPE html><html><head><title>Oops, something went wrong.</title></head><body>"
            "<h1>Oops, something went wrong.</h1><h3>What happened?</h3>"
            f"<p class=\"oauth-error\">Oauth error invalid_request: {html.escape(message)}</p></body></html>")
    return body, status


def _with_query(url: str, params: Mapping[str, Any]) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@bp.get("/<shop>/admin/oauth/authorize")
def authorize(shop: str) -> Any:
    state = get_state()
    args = request.args
    with state.lock:
        if shop not in state.shops:
            return _error_page(404, "There's no shop at this address")
        app = state.apps.get(args.get("client_id", ""))
        if app is None:
            return _error_page(400, f"Could not find Shopify API application with api_key {args.get('client_id', '')}")
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app.redirect_urls:
            return _error_page(400, "The redirect_uri is not whitelisted")
        scopes = split_scopes(args["scope"]) if "scope" in args else list(app.scopes)
        online = "per-user" in args.getlist("grant_options[]")
        now = state.now()
        code = AuthCode(code=secrets.token_hex(16), shop=shop, client_id=app.client_id, scopes=scopes,
                        online=online, user_id=DEFAULT_USER_ID, expires_at=now + AUTH_CODE_TTL)
        state.auth_codes[code.code] = code
        # Approving the grant is the install.
        state.shops[shop].installed_apps.add(app.client_id)
        params: dict[str, Any] = {"code": code.code, "host": admin_host(shop), "shop": shop,
                                  "timestamp": str(int(now))}
        if "state" in args:
            params["state"] = args["state"]
        signed = sign_query(params, app.client_secret)
    ordered = {k: signed[k] for k in sorted(signed)}
    return redirect(_with_query(redirect_uri, ordered), 302)


# -- access_token ---------------------------------------------------------

def _request_params() -> dict[str, Any]:
    """Shopify takes the form-encoded body its docs show, the JSON its
    libraries send, and (legacy) query parameters."""
    params: dict[str, Any] = dict(request.args.items())
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The request body is not a JSON object")
        params.update(body)
    else:
        params.update(request.form.to_dict())
    return params


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true"}


def _authenticate_client(state: SimState, params: Mapping[str, Any]) -> App:
    app = state.apps.get(str(params.get("client_id") or ""))
    secret = str(params.get("client_secret") or "")
    if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
        raise OAuthError(401, "invalid_client", "Client credentials are invalid")
    return app


def token_response(state: SimState, token: AccessToken) -> dict[str, Any]:
    now = state.now()
    body: dict[str, Any] = {"access_token": token.token, "scope": ",".join(token.scopes)}
    if token.associated_user is not None:
        body.update({"expires_in": round(token.expires_at - now) if token.expires_at else ONLINE_TOKEN_TTL,
                     "associated_user_scope": ",".join(token.scopes),
                     "associated_user": token.associated_user})
    elif token.refresh_token is not None:
        body.update({"expires_in": max(round(token.expires_at - now), 0) if token.expires_at else ACCESS_TOKEN_TTL,
                     "refresh_token": token.refresh_token,
                     "refresh_token_expires_in": max(round((token.refresh_expires_at or now) - now), 0)})
    return body


def _issue(state: SimState, shop: str, app: App, scopes: list[str], *, online: bool, expiring: bool,
           user_id: str | None, keep_refresh_token: str | None = None) -> AccessToken:
    if online:
        token = state.issue_token(shop, app.client_id, scopes, expiring=False)
        token.expires_at = state.now() + ONLINE_TOKEN_TTL
        token.associated_user = associated_user(state, shop, user_id or DEFAULT_USER_ID)
        return token
    return state.issue_token(shop, app.client_id, scopes, expiring=expiring, keep_refresh_token=keep_refresh_token)


def _authorization_code(state: SimState, shop: str, app: App, params: Mapping[str, Any]) -> AccessToken:
    code = state.auth_codes.get(str(params.get("code") or ""))
    if code is None or code.shop != shop or code.client_id != app.client_id or code.expires_at <= state.now():
        # Shopify's wording for unknown, expired and reused codes alike.
        raise OAuthError(400, "invalid_request", "The authorization code was not found or was already used")
    del state.auth_codes[code.code]
    if app.client_id not in state.shops[shop].installed_apps:
        raise OAuthError(401, "invalid_client", "The app is not installed on this shop")
    return _issue(state, shop, app, code.scopes, online=code.online,
                  expiring=not code.online and _truthy(params.get("expiring", 0)), user_id=code.user_id)


def _token_exchange(state: SimState, shop: str, app: App, params: Mapping[str, Any]) -> AccessToken:
    subject_type = params.get("subject_token_type")
    requested = params.get("requested_token_type") or TOKEN_TYPE_OFFLINE
    if requested not in (TOKEN_TYPE_OFFLINE, TOKEN_TYPE_ONLINE):
        raise OAuthError(400, "invalid_request", f"Unsupported requested_token_type: {requested}")
    if subject_type == TOKEN_TYPE_OFFLINE:
        return _migrate_offline_token(state, shop, app, params, requested)
    if subject_type != TOKEN_TYPE_ID_TOKEN:
        raise OAuthError(400, "invalid_request", f"Unsupported subject_token_type: {subject_type}")
    try:
        claims = verify_id_token(str(params.get("subject_token") or ""), shop=shop, client_id=app.client_id,
                                 client_secret=app.client_secret, now=state.now())
    except InvalidIdToken as exc:
        raise OAuthError(400, "invalid_subject_token", str(exc)) from None
    if app.client_id not in state.shops[shop].installed_apps:
        raise OAuthError(401, "invalid_client", "The app is not installed on this shop")
    online = requested == TOKEN_TYPE_ONLINE
    return _issue(state, shop, app, list(app.scopes), online=online,
                  expiring=not online and _truthy(params.get("expiring", 0)), user_id=str(claims.get("sub")))


def _migrate_offline_token(state: SimState, shop: str, app: App, params: Mapping[str, Any],
                           requested: str) -> AccessToken:
    """Non-expiring offline token → expiring one. Irreversible: the old token
    is revoked; retrying with it returns the same pair (a lost response)."""
    if requested != TOKEN_TYPE_OFFLINE or not _truthy(params.get("expiring", 0)):
        raise OAuthError(400, "invalid_request", "Migrating an offline token requires an expiring offline token")
    old = state.tokens.get(str(params.get("subject_token") or ""))
    if old is None or old.shop != shop or old.client_id != app.client_id or old.refresh_token is not None \
            or old.associated_user is not None:
        raise OAuthError(400, "invalid_subject_token", "The subject token is not an offline access token of this app")
    if old.revoked:
        replacement = state.tokens.get(old.replaced_by or "")
        if replacement is None or replacement.refresh_token not in state.refresh_tokens:
            raise OAuthError(400, "invalid_subject_token", "The subject token has been revoked")
        return replacement
    old.revoked = True
    new = state.issue_token(shop, app.client_id, old.scopes, expiring=True)
    old.replaced_by = new.token
    return new


def _refresh(state: SimState, shop: str, app: App, params: Mapping[str, Any]) -> AccessToken:
    raw = str(params.get("refresh_token") or "")
    old = state.refresh_tokens.get(raw)
    now = state.now()
    if old is None or old.shop != shop or old.client_id != app.client_id \
            or (old.refresh_expires_at is not None and old.refresh_expires_at <= now):
        raise OAuthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked")
    # "The previous refresh token is retained until the replacement is used"
    # (changelog 2026-08-28): a client that lost the response may retry.
    replacement = state.tokens.get(old.replaced_by or "")
    if replacement is not None and replacement.used:
        del state.refresh_tokens[raw]
        raise OAuthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked")
    new = state.issue_token(shop, app.client_id, old.scopes, expiring=True, keep_refresh_token=raw)
    old.replaced_by = new.token
    return new


@bp.post("/<shop>/admin/oauth/access_token")
def access_token(shop: str) -> Any:
    state = get_state()
    params = _request_params()
    with state.lock:
        if shop not in state.shops:
            return jsonify({"errors": "Not Found"}), 404
        app = _authenticate_client(state, params)
        grant = params.get("grant_type") or ("authorization_code" if "code" in params else None)
        if grant == "authorization_code":
            token = _authorization_code(state, shop, app, params)
        elif grant == GRANT_TOKEN_EXCHANGE:
            token = _token_exchange(state, shop, app, params)
        elif grant == "refresh_token":
            token = _refresh(state, shop, app, params)
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type: {grant}")
        return jsonify(token_response(state, token))
