"""Root resolvers of the simulated Admin GraphQL API.

Each module in this package registers its root fields with `@query("name")`
or `@mutation("name")`. A root resolver is `fn(ctx, info, **args)`: `ctx` is
the request's `Ctx` (also `info.context`), `args` are the GraphQL arguments
under their schema names (camelCase), already coerced by graphql-core.

Resolvers return plain dicts or view objects; a value that is callable is
called as `value(info, **args)` by the executor's field resolver, and an
abstract type (interface/union) is picked from a `"__typename"` key or a
`__typename` attribute of the returned value.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

QUERY: dict[str, Callable[..., Any]] = {}
MUTATION: dict[str, Callable[..., Any]] = {}

# Modules with root resolvers. `metafields` is written separately and may be
# missing in a partial checkout: the rest of the API keeps working.
MODULES = ("shop", "products", "media", "files", "jobs", "staged_uploads", "metafields", "standard_definitions",
           "bulk_operations", "variants", "owners", "metaobjects")


@dataclass
class Ctx:
    state: Any  # shopify_sim.state.SimState
    shop: Any  # shopify_sim.state.Shop
    token: Any  # shopify_sim.state.AccessToken
    config: Mapping[str, Any]
    now: float
    base_url: str
    # The API version answering the request (shopify_sim.versions).
    api_version: str = ""
    # Bytes of the HTTP request's body (0 outside a request: bulk import
    # lines): limits on "the total request payload" read it.
    request_bytes: int = 0
    # Cost/timing notes resolvers may leave for the endpoint (e.g. extra
    # log detail); free-form.
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def catalog(self) -> Any:
        return self.shop.catalog


def query(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        QUERY[name] = fn
        return fn
    return register


def mutation(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        MUTATION[name] = fn
        return fn
    return register


_loaded = False


def load_all() -> None:
    """Import every resolver module once so their decorators register."""
    global _loaded
    if _loaded:
        return
    for name in MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    _loaded = True
