"""Auth routes: the code grant (`/auth/install`, `/auth/callback`) and the
bounce page (`/auth/session-token`) where App Bridge renews an ID token."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request

from ..shop_domain import normalize_shop
from . import app_home, oauth, query_hmac

bp = Blueprint("auth", __name__)


@bp.get("/auth/install")
def install() -> Response:
    shop = normalize_shop(request.args.get("shop"))
    if shop is None:
        # App Store rule 2.3.1: never ask a merchant for their shop's address.
        return app_home.error_page(400, "Install AssetLink from the Shopify App Store or your Shopify admin.")
    if "hmac" in request.args:
        try:
            query_hmac.verify_query(request.args, query_hmac.client_secrets(current_app.config))
        except query_hmac.InvalidQueryHmac:
            return app_home.error_page(400, "This link could not be verified as coming from Shopify.")
    if request.args.get("embedded") == "1":
        # Shopify's authorize page can't be framed: leave the admin's iframe
        # first, back to this route at the top level.
        target = f"{current_app.config['APP_URL']}{request.path}?{urlencode({'shop': shop})}"
        return Response(render_template("auth/exit_iframe.html", api_key=current_app.config["SHOPIFY_API_KEY"],
                                         redirect_url=target), mimetype="text/html")
    return oauth.begin(shop)


@bp.get(oauth.CALLBACK_PATH)
def callback() -> Response:
    try:
        result = oauth.complete(request.args, request.cookies.get(oauth.STATE_COOKIE))
    except oauth.CodeGrantRefused as exc:
        response = app_home.error_page(exc.status, exc.message)
    else:
        response = redirect(result.redirect_to, 302)
    oauth.clear_state_cookie(response)
    return response


@bp.get(app_home.BOUNCE_PATH)
def session_token_bounce() -> Response:
    return app_home.bounce_page()
