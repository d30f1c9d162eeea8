"""The embedded admin's HTML pages.

A page is a shell: it carries no codes, keys or store data, only what the
browser needs to ask /app/api for them (the App Bridge API key and the
session token the admin loaded the page with).
"""
from __future__ import annotations

import re

from flask import current_app, g, render_template, request
from flask.typing import ResponseReturnValue

from . import bp

# A BCP 47 tag as the admin sends it (`locale=en`, `fr-CA`); anything else is ignored.
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


def _render_page(template: str, page: str) -> ResponseReturnValue:
    # Imported here: the auth package loads after the UI in the factory, and
    # tests swap this function for the document-load check they need.
    from ..auth.app_home import authenticate_document_load

    shop, response = authenticate_document_load()
    if response is not None:
        return response
    domain = getattr(shop, "domain", shop)
    # csp.py frames the page for the shop the request proved, not a raw
    # query parameter.
    g.shop_domain = domain
    return render_template(
        template,
        page=page,
        shop_domain=domain,
        api_key=current_app.config["SHOPIFY_API_KEY"],
        # Valid about a minute: app.js uses it only when App Bridge (which
        # mints fresh tokens) couldn't load.
        id_token=request.args.get("id_token", ""),
        # Dates and times follow the merchant's admin language.
        locale=locale if _LOCALE.fullmatch(locale := request.args.get("locale", "")) else "",
    )


@bp.get("/")
def home() -> ResponseReturnValue:
    return _render_page("app/home.html", "home")


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return _render_page("app/settings.html", "settings")


@bp.get("/history")
def history() -> ResponseReturnValue:
    return _render_page("app/history.html", "history")


@bp.get("/history/<sync_id>")
def history_detail(sync_id: str) -> ResponseReturnValue:
    # app.js reads the run's id from the path and asks /app/api/syncs/<id>,
    # which answers 404 for another store's run; the run's title becomes the
    # page's heading.
    return _render_page("app/history_run.html", "history")


@bp.get("/app/session-relay")
def session_relay() -> ResponseReturnValue:
    """Where the bounce reloads a hidden frame with a fresh ID token (app.js
    refreshTokenThroughBounce, when the page has no App Bridge): the page
    hands the token to the app page that framed it, on the same origin only.
    It shows and stores nothing; the API verifies the token when it is used."""
    g.frame_self = True
    return render_template("auth/session_relay.html")
