"""`shop`, `node` and `nodes`."""
from __future__ import annotations

from typing import Any

from ..catalog import gid
from . import query
from ..state import shop_number
from .views import metafield_fields, node_view, shop_view


@query("shop")
def resolve_shop(ctx: Any, info: Any) -> dict[str, Any]:
    return shop_view(ctx)


@query("node")
def resolve_node(ctx: Any, info: Any, id: str) -> Any:
    return node_view(ctx, id)


@query("nodes")
def resolve_nodes(ctx: Any, info: Any, ids: list[str]) -> list[Any]:
    return [node_view(ctx, value) for value in ids]


def _scope_list(raw: list[str]) -> list[str]:
    out: list[str] = []
    for item in raw:
        out.extend(s.strip() for s in str(item).split(",") if s.strip())
    return list(dict.fromkeys(out))


@query("currentAppInstallation")
def resolve_current_app_installation(ctx: Any, info: Any) -> dict[str, Any]:
    """The calling app's installation on this shop: its granted scopes as
    the token carries them (Shopify lists write_X and read_X separately
    only when both were granted, so no implied scopes are added)."""
    client_id = ctx.token.client_id
    app = ctx.state.apps.get(client_id)
    num = shop_number(f"{ctx.shop.domain}/{client_id}")
    app_view = {
        "__typename": "App",
        "id": gid("App", shop_number(client_id)),
        "apiKey": client_id,
        "title": client_id,
        "handle": client_id,
        "embedded": True,
        "webhookApiVersion": getattr(app, "webhook_api_version", "2026-10"),
        "requestedAccessScopes": [{"handle": s, "description": s}
                                  for s in _scope_list(getattr(app, "scopes", []) or [])],
    }
    view = {
        "__typename": "AppInstallation",
        "id": gid("AppInstallation", num),
        "accessScopes": [{"handle": s, "description": s} for s in _scope_list(ctx.token.scopes)],
        "app": app_view,
        "launchUrl": f"https://admin.shopify.com/store/{ctx.shop.domain.split('.')[0]}/apps/{client_id}",
        "uninstallUrl": None,
    }
    view.update(metafield_fields(ctx, view["id"]))
    return view
