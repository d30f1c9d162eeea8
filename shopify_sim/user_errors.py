"""What makes a userError well formed, read from the schema (one rule for every
mutation): its `code` is a value of the enum the payload's error type declares
for `code` (FilesUserError.code: FilesErrorCode, MediaUserError.code:
MediaUserErrorCode, …), and its `field` is a path into what the mutation was
given: an argument name, then list indexes (as strings, as Shopify sends them)
and input-object field names; or, for a mutation taking one input object (the
`product:`/`input:` style), a path inside that object (Shopify's
`productUpdate` answers `["id"]`, `productCreate` `["title"]`).

`problems(mutation, arguments, payload)` lists what is wrong with a payload's
userErrors; the simulator's tests run it over every mutation the app uses.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from graphql import (GraphQLInputObjectType, get_named_type, is_enum_type, is_input_object_type, is_list_type,
                     is_non_null_type)

from . import schema as schema_mod

ERROR_LISTS = ("userErrors", "mediaUserErrors")


def _unwrap(type_: Any) -> Any:
    return type_.of_type if is_non_null_type(type_) else type_


def path_resolves(type_: Any, value: Any, path: list[str]) -> bool:
    """Whether `path` names a place inside `value` of GraphQL input type `type_`."""
    type_ = _unwrap(type_)
    if not path:
        return True
    step, rest = path[0], path[1:]
    if is_list_type(type_):
        if not step.isdigit():
            return False
        if isinstance(value, list) and int(step) >= len(value):
            return False
        item = value[int(step)] if isinstance(value, list) else None
        return path_resolves(type_.of_type, item, rest)
    if is_input_object_type(type_):
        field = type_.fields.get(step)
        if field is None:
            return False
        return path_resolves(field.type, value.get(step) if isinstance(value, Mapping) else None, rest)
    return False


def field_resolves(mutation: str, arguments: Mapping[str, Any], path: list[str]) -> bool:
    definition = schema_mod.admin_schema().mutation_type.fields[mutation]
    head = path[0] if path else None
    if head in definition.args:
        return path_resolves(definition.args[head].type, arguments.get(head), path[1:])
    objects = [(name, arg) for name, arg in definition.args.items()
               if isinstance(get_named_type(arg.type), GraphQLInputObjectType) and not is_list_type(_unwrap(arg.type))]
    return any(path_resolves(arg.type, arguments.get(name), path) for name, arg in objects if name in arguments)


def code_enum(error_type: Any) -> Optional[Any]:
    code = getattr(error_type, "fields", {}).get("code")
    if code is None:
        return None
    named = get_named_type(code.type)
    return named if is_enum_type(named) else None


def problems(mutation: str, arguments: Mapping[str, Any], payload: Optional[Mapping[str, Any]]) -> list[str]:
    """What is wrong with the userErrors of one mutation's payload (empty: all well formed)."""
    if not payload:
        return []
    definition = schema_mod.admin_schema().mutation_type.fields[mutation]
    payload_type = get_named_type(definition.type)
    out: list[str] = []
    for list_name in ERROR_LISTS:
        if list_name not in payload or list_name not in payload_type.fields:
            continue
        enum = code_enum(get_named_type(payload_type.fields[list_name].type))
        for error in payload[list_name] or ():
            where = f"{mutation}.{list_name}"
            code = error.get("code")
            if enum is not None and code is not None and code not in enum.values:
                out.append(f"{where}: code {code!r} is not a {enum.name} value")
            field = error.get("field")
            if field is not None:
                if not all(isinstance(p, str) for p in field):
                    out.append(f"{where}: field {field!r} has non-string steps")
                elif not field_resolves(mutation, arguments, field):
                    out.append(f"{where}: field {field!r} names nothing in the mutation's input")
            if not error.get("message"):
                out.append(f"{where}: an error without a message")
    return out
