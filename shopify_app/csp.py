"""Content-Security-Policy frame-ancestors for every HTML response.

Shopify requires that the embedded app can be framed only by the shop's own
admin. The shop is whatever the request proved (a verified session token or
a validated `shop` parameter); with none, framing is refused.
"""
from __future__ import annotations

from flask import Flask, Response, g, request

from .shop_domain import normalize_shop


def frame_ancestors(shop: str | None, allow_self: bool = False) -> str:
    # `allow_self`: the bounce and session relay, which the app's own page
    # frames to refresh its session token (set as g.frame_self by the view).
    own = " 'self'" if allow_self else ""
    if shop:
        return f"frame-ancestors https://{shop} https://admin.shopify.com{own};"
    return f"frame-ancestors{own};" if allow_self else "frame-ancestors 'none';"


def _request_shop() -> str | None:
    session = getattr(g, "session", None)
    if session is not None:
        return session.shop
    return getattr(g, "shop_domain", None) or normalize_shop(request.args.get("shop"))


def init_app(app: Flask) -> None:
    @app.after_request
    def add_frame_ancestors(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = frame_ancestors(_request_shop(),
                                                                          getattr(g, "frame_self", False))
        return response
