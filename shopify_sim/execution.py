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

from graphql import get_named_type, is_abstract_type

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


def _granted(ctx: Ctx) -> frozenset[str]:
    return ctx.notes.setdefault("granted", granted_scopes(ctx.token.scopes))


def _check_access(ctx: Ctx, info: Any) -> None:
    need = _field_access(info.parent_type.name, info.field_name)
    if need is not None and not any(s in _granted(ctx) for s in need[1]):
        raise access_denied(info.field_name, need[0])


def _denied_type(ctx: Ctx, value: Any) -> Optional[str]:
    """The requiredAccess text when `value` is an object of a type this
    token may not read (an object reached through an interface such as
    `node`/`nodes`, whose field declares no access of its own)."""
    typename = value.get("__typename") if isinstance(value, Mapping) else None
    own = _type_access(typename) if typename else None
    if own is not None and not any(s in _granted(ctx) for s in own[1]):
        return own[0]
    return None


def _guard_abstract(ctx: Ctx, info: Any, value: Any) -> Any:
    if not is_abstract_type(get_named_type(info.return_type)):
        return value
    if isinstance(value, list):
        # One error per denied element, which reads as null (as a list of nodes does).
        out = []
        for index, item in enumerate(value):
            text = _denied_type(ctx, item)
            if text is None:
                out.append(item)
                continue
            error = access_denied(info.field_name, text)
            ctx.notes.setdefault("errors", []).append(
                {"message": error.message, "path": info.path.as_list() + [index], "extensions": error.extensions})
            out.append(None)
        return out
    text = _denied_type(ctx, value)
    if text is not None:
        raise access_denied(info.field_name, text)
    return value


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
        return _guard_abstract(ctx, info, fn(ctx, info, **args))
    if isinstance(source, Mapping):
        if name not in source:
            raise not_implemented(parent, name)
        value = source[name]
    else:
        value = getattr(source, name, _MISSING)
        if value is _MISSING:
            raise not_implemented(parent, name)
    if callable(value):
        value = value(info, **args)
    return _guard_abstract(ctx, info, value)


_MISSING = object()


def execute_document(state: Any, shop: Any, token: Any, document: Any, variables: Mapping[str, Any], *,
                     now: float, config: Mapping[str, Any], api_version: str = "") -> dict[str, Any]:
    """Run a parsed, validated document for a shop as `token`'s app, the way
    a request to the Admin API runs it (resolvers, scope checks), outside any
    request: bulk operations read and write the store this way. Answers
    `{"data": …}` plus `"errors"` when there are any (internal failures
    worded as Shopify's INTERNAL_SERVER_ERROR)."""
    from graphql import GraphQLError
    from graphql.execution import execute as graphql_execute

    from .resolvers import load_all
    load_all()
    ctx = Ctx(state=state, shop=shop, token=token, config=config, now=now,
              base_url=str(config.get("SIM_BASE_URL", "")), api_version=api_version)
    ctx.notes["root"] = _Root()
    result = graphql_execute(schema_mod.admin_schema(), document, root_value=ctx.notes["root"], context_value=ctx,
                             variable_values=dict(variables), field_resolver=field_resolver)
    errors: list[dict[str, Any]] = []
    for err in result.errors or ():
        original = err.original_error
        if original is not None and not isinstance(original, GraphQLError):
            errors.append({"message": "Internal error. Looks like something went wrong on our end.",
                           "extensions": {"code": "INTERNAL_SERVER_ERROR",
                                          "simulatorError": f"{type(original).__name__}: {original}"},
                           **({"path": list(err.path)} if err.path else {})})
        else:
            errors.append(err.formatted)
    errors.extend(ctx.notes.get("errors", ()))
    out: dict[str, Any] = {"data": result.data}
    if errors:
        out["errors"] = errors
    return out


class _Root:
    """The root value; root fields are resolved from the registry."""
