"""Metaobjects as far as metafields need them: definitions and entries a
`metaobject_reference` metafield (and a definition's `metaobject_definition_id`
validation) can name.

Rules, from the 2026-10 schema's descriptions (`MetaobjectDefinitionCreateInput`,
`MetaobjectFieldDefinitionCreateInput`, `MetaobjectCreateInput`,
`MetaobjectUserErrorCode`) and the metaobject guide
(https://shopify.dev/docs/apps/build/custom-data/metaobjects):

- a definition's `type` "Must be 3-255 characters long and only contain
  alphanumeric, hyphen, and underscore characters" and is unique per shop
  (`$app:` prefixes become the app's reserved `app--<id>--` type, as for
  metafield namespaces); a field key "Must be 2-64 characters long and only
  contain alphanumeric, hyphen, and underscore characters"; a field's type is
  a metafield type; keys are unique within a definition;
- a metaobject's `type` "Must match an existing metaobject definition type"
  (UNDEFINED_OBJECT_TYPE), its fields are "mapped by key to fields of the
  metaobject definition" (UNDEFINED_OBJECT_FIELD), each value is validated as
  a metafield of the field's type, required fields must have a value
  (OBJECT_FIELD_REQUIRED), the handle "is auto-generated when omitted" (from
  the display name field, else the type) and unique per type (TAKEN);
- field values read back as stored strings; `fields` are in definition order.

The wording of errors Shopify was not captured giving follows the
metafield rules' wording. Updates and deletes are not modelled (clear error).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..catalog import gid, iso, parse_gid, slugify
from . import mutation, query
from .common import connection, user_error

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class MetaobjectDefinition:
    id: int
    type: str
    name: str
    description: str = ""
    display_name_key: Optional[str] = None
    # Each: {"key", "name", "type", "required", "description", "validations"}.
    fields: list[dict[str, Any]] = field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return gid("MetaobjectDefinition", self.id)


@dataclass
class Metaobject:
    id: int
    definition_id: int
    type: str
    handle: str
    values: dict[str, str] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return gid("Metaobject", self.id)


def _store(ctx: Any) -> tuple[dict[int, MetaobjectDefinition], dict[int, Metaobject]]:
    catalog = ctx.catalog
    return catalog.metaobject_definitions, catalog.metaobjects


def definition_by_type(ctx: Any, type_: str) -> Optional[MetaobjectDefinition]:
    return next((d for d in _store(ctx)[0].values() if d.type == type_), None)


def find(ctx: Any, value: Any) -> Optional[Metaobject]:
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != "Metaobject" or not parsed[1].isdigit():
        return None
    return _store(ctx)[1].get(int(parsed[1]))


def find_definition(ctx: Any, value: Any) -> Optional[MetaobjectDefinition]:
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != "MetaobjectDefinition" or not parsed[1].isdigit():
        return None
    return _store(ctx)[0].get(int(parsed[1]))


# -- views -------------------------------------------------------------------------
def _type_view(type_name: str) -> dict[str, Any]:
    from .metafields import _type_category
    return {"__typename": "MetafieldDefinitionType", "name": type_name, "category": _type_category(type_name),
            "supportsDefinitionMigrations": True, "supportedValidations": []}


def _field_definition_view(f: dict[str, Any]) -> dict[str, Any]:
    return {"__typename": "MetaobjectFieldDefinition", "key": f["key"], "name": f["name"],
            "description": f.get("description"), "required": bool(f.get("required")), "type": _type_view(f["type"]),
            "validations": [{"__typename": "MetafieldDefinitionValidation", "name": v.get("name"),
                             "value": v.get("value"), "type": "single_line_text_field"}
                            for v in f.get("validations") or ()]}


def definition_view(ctx: Any, d: MetaobjectDefinition) -> dict[str, Any]:
    entries = [m for m in _store(ctx)[1].values() if m.definition_id == d.id]
    return {
        "__typename": "MetaobjectDefinition", "id": d.gid, "type": d.type, "name": d.name,
        "description": d.description or None, "displayNameKey": d.display_name_key,
        "fieldDefinitions": [_field_definition_view(f) for f in d.fields],
        "createdAt": iso(d.created_at), "updatedAt": iso(d.updated_at), "hasThumbnailField": False,
        "standardTemplate": None, "metaobjectsCount": len(entries),
        "metaobjects": lambda info, **args: connection(sorted(entries, key=lambda m: m.id), args,
                                                       key=lambda m: m.id, node=lambda m: view(ctx, m)),
    }


def _field_view(ctx: Any, d: MetaobjectDefinition, f: dict[str, Any], value: Optional[str]) -> dict[str, Any]:
    from .metafields import json_value, _node
    return {"__typename": "MetaobjectField", "key": f["key"], "type": f["type"], "value": value,
            "jsonValue": json_value(f["type"], value) if value is not None else None,
            "definition": _field_definition_view(f),
            "reference": lambda info: _node(ctx, value) if value and not f["type"].startswith("list.") else None}


def view(ctx: Any, m: Metaobject) -> dict[str, Any]:
    d = _store(ctx)[0][m.definition_id]
    fields = [_field_view(ctx, d, f, m.values.get(f["key"])) for f in d.fields]
    display = m.values.get(d.display_name_key or "") if d.display_name_key else None
    return {
        "__typename": "Metaobject", "id": m.gid, "type": m.type, "handle": m.handle,
        "displayName": display or f"{d.name} #{m.id}",
        "createdAt": iso(m.created_at), "updatedAt": iso(m.updated_at),
        # "All ordered fields": those with a value, in definition order.
        "fields": [f for f in fields if f["value"] is not None],
        "field": lambda info, key: next((f for f in fields if f["key"] == key), None),
        "definition": lambda info: definition_view(ctx, d),
    }


def node(ctx: Any, value: str) -> Optional[dict[str, Any]]:
    m = find(ctx, value)
    if m is not None:
        return view(ctx, m)
    d = find_definition(ctx, value)
    return definition_view(ctx, d) if d is not None else None


# -- reads -------------------------------------------------------------------------
@query("metaobject")
def resolve_metaobject(ctx: Any, info: Any, id: str) -> Optional[dict[str, Any]]:
    m = find(ctx, id)
    return view(ctx, m) if m else None


@query("metaobjectByHandle")
def resolve_metaobject_by_handle(ctx: Any, info: Any, handle: dict[str, Any]) -> Optional[dict[str, Any]]:
    m = next((m for m in _store(ctx)[1].values() if (m.type, m.handle) == (handle["type"], handle["handle"])), None)
    return view(ctx, m) if m else None


@query("metaobjects")
def resolve_metaobjects(ctx: Any, info: Any, type: str, **args: Any) -> dict[str, Any]:
    items = sorted((m for m in _store(ctx)[1].values() if m.type == _qualified_type(ctx, type)),
                   key=lambda m: m.id, reverse=bool(args.get("reverse")))
    return connection(items, args, key=lambda m: m.id, node=lambda m: view(ctx, m),
                      keys_sorted=not args.get("reverse"))


@query("metaobjectDefinition")
def resolve_metaobject_definition(ctx: Any, info: Any, id: str) -> Optional[dict[str, Any]]:
    d = find_definition(ctx, id)
    return definition_view(ctx, d) if d else None


@query("metaobjectDefinitionByType")
def resolve_metaobject_definition_by_type(ctx: Any, info: Any, type: str) -> Optional[dict[str, Any]]:
    d = definition_by_type(ctx, _qualified_type(ctx, type))
    return definition_view(ctx, d) if d else None


@query("metaobjectDefinitions")
def resolve_metaobject_definitions(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    items = sorted(_store(ctx)[0].values(), key=lambda d: d.id, reverse=bool(args.get("reverse")))
    return connection(items, args, key=lambda d: d.id, node=lambda d: definition_view(ctx, d),
                      keys_sorted=not args.get("reverse"))


# -- metaobjectDefinitionCreate ------------------------------------------------------
def _qualified_type(ctx: Any, type_: str) -> str:
    """`$app:x` → `app--<api client id>--x`, as for metafield namespaces."""
    from .metafields import api_client_id
    if type_.startswith("$app:"):
        return f"app--{api_client_id(ctx)}--{type_[len('$app:'):]}"
    return type_


def _length_error(where: list[Any], label: str, value: str, low: int, high: int) -> Optional[dict[str, Any]]:
    if len(value) < low:
        return user_error(where, f"{label} is too short (minimum is {low} characters)", "TOO_SHORT")
    if len(value) > high:
        return user_error(where, f"{label} is too long (maximum is {high} characters)", "TOO_LONG")
    if not _NAME.match(value):
        return user_error(where, f"{label} contains one or more invalid characters.", "INVALID")
    return None


def _definition_errors(ctx: Any, type_: str, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from .metafields import VALID_TYPES
    errors = []
    problem = _length_error(["definition", "type"], "Type", type_.split("--")[-1] if type_.startswith("app--")
                            else type_, 3, 255)
    if problem is not None:
        errors.append(problem)
    elif definition_by_type(ctx, type_) is not None:
        errors.append(user_error(["definition", "type"], "Type has already been taken", "TAKEN"))
    seen: set[str] = set()
    for n, f in enumerate(fields):
        where = ["definition", "fieldDefinitions", n]
        problem = _length_error(where + ["key"], "Key", f["key"], 2, 64)
        if problem is not None:
            errors.append({**problem, "elementKey": f["key"], "elementIndex": n})
        elif f["key"] in seen:
            errors.append({**user_error(where + ["key"], "Field key is duplicated.", "DUPLICATE_FIELD_INPUT"),
                           "elementKey": f["key"], "elementIndex": n})
        seen.add(f["key"])
        if f["type"] not in VALID_TYPES:
            errors.append({**user_error(where + ["type"], f"Type name {f['type']} is not a valid type.",
                                        "INVALID_TYPE"), "elementKey": f["key"], "elementIndex": n})
    return errors


@mutation("metaobjectDefinitionCreate")
def metaobject_definition_create(ctx: Any, info: Any, definition: dict[str, Any]) -> dict[str, Any]:
    type_ = _qualified_type(ctx, definition["type"])
    fields = [{"key": f["key"], "name": f.get("name") or f["key"], "type": f["type"],
               "required": bool(f.get("required")), "description": f.get("description"),
               "validations": [{"name": v["name"], "value": v.get("value")} for v in f.get("validations") or ()]}
              for f in definition.get("fieldDefinitions") or ()]
    errors = _definition_errors(ctx, type_, fields)
    key = definition.get("displayNameKey")
    if key is not None and key not in {f["key"] for f in fields}:
        errors.append(user_error(["definition", "displayNameKey"], "Display name key must be a field key.",
                                 "UNDEFINED_OBJECT_FIELD"))
    if errors:
        return {"metaobjectDefinition": None, "userErrors": [_with_element(e) for e in errors]}
    d = MetaobjectDefinition(id=ctx.catalog.next_id(), type=type_, name=definition.get("name") or type_,
                             description=definition.get("description") or "", display_name_key=key, fields=fields,
                             created_at=ctx.now, updated_at=ctx.now)
    ctx.catalog.metaobject_definitions[d.id] = d
    return {"metaobjectDefinition": definition_view(ctx, d), "userErrors": []}


def _with_element(error: dict[str, Any]) -> dict[str, Any]:
    return {"elementKey": None, "elementIndex": None, **error}


# -- metaobjectCreate ------------------------------------------------------------------
def _value_errors(ctx: Any, d: MetaobjectDefinition, values: dict[str, str]) -> list[dict[str, Any]]:
    from .metafields import _Invalid, _validate_against_definition, normalize_value, validate_value
    from ..catalog import MetafieldDefinition
    errors = []
    for n, f in enumerate(d.fields):
        value = values.get(f["key"])
        if value is None:
            if f.get("required"):
                errors.append(_with_element({**user_error(["metaobject", "fields"], f"{f['name']} can't be blank.",
                                                          "OBJECT_FIELD_REQUIRED"), "elementKey": f["key"]}))
            continue
        try:
            validate_value(ctx, f["type"], value)
            values[f["key"]] = normalize_value(f["type"], value)
            rules = MetafieldDefinition(id=0, namespace="", key=f["key"], name=f["name"], owner_type="",
                                        type=f["type"], validations=f.get("validations") or [])
            _validate_against_definition(ctx, rules, values[f["key"]])
        except _Invalid as exc:
            errors.append(_with_element({**user_error(["metaobject", "fields", n], exc.message, "INVALID_VALUE"),
                                         "elementKey": f["key"], "elementIndex": n}))
    return errors


@mutation("metaobjectCreate")
def metaobject_create(ctx: Any, info: Any, metaobject: dict[str, Any]) -> dict[str, Any]:
    d = definition_by_type(ctx, _qualified_type(ctx, metaobject["type"]))
    if d is None:
        return {"metaobject": None, "userErrors": [_with_element(user_error(
            ["metaobject", "type"], f"No metaobject definition exists for type \"{metaobject['type']}\"",
            "UNDEFINED_OBJECT_TYPE"))]}
    keys = {f["key"] for f in d.fields}
    values: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    for n, item in enumerate(metaobject.get("fields") or ()):
        if item["key"] not in keys:
            errors.append(_with_element({**user_error(["metaobject", "fields", n], f"No field definition found "
                                                      f"for \"{item['key']}\"", "UNDEFINED_OBJECT_FIELD"),
                                         "elementKey": item["key"], "elementIndex": n}))
        elif item["key"] in values:
            errors.append(_with_element({**user_error(["metaobject", "fields", n], "Field key is duplicated.",
                                                      "DUPLICATE_FIELD_INPUT"),
                                         "elementKey": item["key"], "elementIndex": n}))
        else:
            values[item["key"]] = item["value"]
    errors.extend(_value_errors(ctx, d, values))
    handle = metaobject.get("handle") or slugify(values.get(d.display_name_key or "", "") or d.type)
    taken = any(m.type == d.type and m.handle == handle for m in _store(ctx)[1].values())
    if taken and metaobject.get("handle"):
        errors.append(_with_element(user_error(["metaobject", "handle"], "Handle has already been taken", "TAKEN")))
    elif taken:
        handle = f"{handle}-{sum(1 for m in _store(ctx)[1].values() if m.type == d.type) + 1}"
    if errors:
        return {"metaobject": None, "userErrors": errors}
    m = Metaobject(id=ctx.catalog.next_id(), definition_id=d.id, type=d.type, handle=handle, values=values,
                   created_at=ctx.now, updated_at=ctx.now)
    ctx.catalog.metaobjects[m.id] = m
    return {"metaobject": view(ctx, m), "userErrors": []}

