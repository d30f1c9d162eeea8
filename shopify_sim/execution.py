"""How a validated document runs: the field resolver the executor uses for
every field, with the access-scope checks Shopify applies per field.

Root fields come from the resolver registry (resolvers/__init__.py); any other
field is looked up on the parent's view (a dict or object) and called with
`(info, **args)` when callable. A field nobody implemented is an error naming
it, never a silent null.
"""
from __future__ import annotations

import functools
from typing import Any, Mapping, Optional

from graphql import get_named_type

from . import schema as schema_mod
from .resolvers import MUTATION, QUERY, Ctx
from .resolvers.common import access_denied, granted_scopes, not_implemented, required_scopes

ROOT_TYPES = ("QueryRoot", "Mutation")


@functools.lru_cache(maxsize=1)
def _access_tables() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    data = schema_mod.introspection()["__schema"]
    fields: dict[tuple[str, str], str] = {}
    types: dict[str, str] = {}
    for t in data["types"]:
        if t.get("requiredAccess"):
            types[t["name"]] = t["requiredAccess"]
        for f in t.get("fields") or []:
            if f.get("requiredAccess"):
                fields[(t["name"], f["name"])] = f["requiredAccess"]
    return fields, types


@functools.lru_cache(maxsize=None)
def _field_access(parent: str, field: str) -> Optional[tuple[str, tuple[str, ...]]]:
    """What a field needs: its own requiredAccess, else that of the object
    type it returns (for a connection: of its nodes)."""
    fields, types = _access_tables()
    text = fields.get((parent, field))
    if text is None:
        parent_type = schema_mod.admin_schema().get_type(parent)
        field_def = getattr(parent_type, "fields", {}).get(field)
        if field_def is not None:
            named = get_named_type(field_def.type)
            text = types.get(named.name)
            if text is None and named.name.endswith("Connection") and "nodes" in getattr(named, "fields", {}):
                text = types.get(get_named_type(named.fields["nodes"].type).name)
    scopes = required_scopes(text)
    return (text, scopes) if scopes else None


@functools.lru_cache(maxsize=None)
def _type_access(type_name: str) -> Optional[tuple[str, tuple[str, ...]]]:
    text = _access_tables()[1].get(type_name)
    scopes = required_scopes(text)
    return (text, scopes) if scopes else None


def _check_access(ctx: Ctx, info: Any) -> None:
    granted = ctx.notes.setdefault("granted", granted_scopes(ctx.token.scopes))
    parent = info.parent_type.name
    need = _field_access(parent, info.field_name)
    if need is not None and not any(s in granted for s in need[1]):
        raise access_denied(info.field_name, need[0])
    # An object reached through an interface (node, nodes) still needs the
    # access its own type requires.
    own = _type_access(parent) if parent not in ROOT_TYPES else None
    if own is not None and not any(s in granted for s in own[1]) and info.field_name in ("id", "__typename"):
        raise access_denied(info.field_name, own[0])


def field_resolver(source: Any, info: Any, **args: Any) -> Any:
    ctx: Ctx = info.context
    _check_access(ctx, info)
    parent = info.parent_type.name
    name = info.field_name
    if parent in ROOT_TYPES:
        registry = QUERY if parent == "QueryRoot" else MUTATION
        fn = registry.get(name)
        if fn is None:
            raise not_implemented(parent, name)
        return fn(ctx, info, **args)
    if isinstance(source, Mapping):
        if name not in source:
            raise not_implemented(parent, name)
        value = source[name]
    else:
        value = getattr(source, name, _MISSING)
        if value is _MISSING:
            raise not_implemented(parent, name)
    if callable(value):
        return value(info, **args)
    return value


_MISSING = object()
