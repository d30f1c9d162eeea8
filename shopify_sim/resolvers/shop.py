"""`shop`, `node` and `nodes`."""
from __future__ import annotations

from typing import Any

from . import query
from .views import node_view, shop_view


@query("shop")
def resolve_shop(ctx: Any, info: Any) -> dict[str, Any]:
    return shop_view(ctx)


@query("node")
def resolve_node(ctx: Any, info: Any, id: str) -> Any:
    return node_view(ctx, id)


@query("nodes")
def resolve_nodes(ctx: Any, info: Any, ids: list[str]) -> list[Any]:
    return [node_view(ctx, value) for value in ids]
