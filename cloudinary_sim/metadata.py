"""Structured metadata: field definitions and the values assets carry.

Field definitions follow the Admin API's metadata_fields
(https://cloudinary.com/documentation/admin_api#metadata_fields and
"Generic structure of a metadata field"; api-schemas structured-metadata/
schema.yml `metadata_field`): `type` is one of string, integer, date, enum,
set; `label` is required; `external_id` is generated when omitted; enum and
set fields take their options from `datasource.values` (each with
`external_id`, `value`, `state`); a mandatory field needs a `default_value`;
`validation` rules are strlen, greater_than, less_than (with `equals`) and
`and` (https://cloudinary.com/documentation/admin_api#validating_data, the
pycloudinary metadata tests). Values are stored and returned keyed by the
field's external_id; enum values are an option's external_id, set values a
list of them ("metadata" in the asset-management schema's resource example);
dates are `YYYY-MM-DD`.

Setting a field to an empty value clears it
(https://cloudinary.com/documentation/image_upload_api_reference#metadata:
"To remove a value, set it to an empty string"). Unknown fields are refused
with Cloudinary's documented message
`The following metadata fields do not exist: ["colour_id"]`.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Optional

from .errors import CloudinaryError, bad_request
from .state import MetadataField, new_id

TYPES = ("string", "integer", "date", "enum", "set")
MAX_SET_VALUES = 3000
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- definitions ---------------------------------------------------------------------------------

def field_from_request(body: dict[str, Any], existing: dict[str, MetadataField]) -> MetadataField:
    """A new field from a POST /metadata_fields body, validated as Cloudinary does."""
    kind = body.get("type")
    if kind not in TYPES:
        raise bad_request(f"Invalid value {kind} for parameter type" if kind else "Missing required parameter - type")
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise bad_request("Missing required parameter - label")
    if len(label) > 255:
        raise bad_request("label is too long, maximum is 255")
    external_id = body.get("external_id") or new_id()
    if not isinstance(external_id, str) or len(external_id) > 255:
        raise bad_request("Invalid value for parameter external_id")
    if external_id in existing:
        # Status and wording UNCONFIRMED: the SDK maps 409 to AlreadyExists, the
        # same status the triggers API documents for a duplicate.
        raise CloudinaryError(409, f"external id {external_id} already exists")
    field = MetadataField(external_id=external_id, type=kind, label=label)
    _apply_definition(field, body)
    return field


def update_field(field: MetadataField, body: dict[str, Any]) -> None:
    """PUT /metadata_fields/<id>: the given attributes replace the stored ones;
    the type can't change."""
    if "type" in body and body["type"] != field.type:
        raise bad_request("Cannot change the type of a metadata field")
    if "label" in body:
        if not isinstance(body["label"], str) or not body["label"].strip():
            raise bad_request("Invalid value for parameter label")
        field.label = body["label"]
    _apply_definition(field, body)


def _apply_definition(field: MetadataField, body: dict[str, Any]) -> None:
    if "datasource" in body:
        field.datasource = _datasource(field.type, body.get("datasource"))
    elif field.type in ("enum", "set") and field.datasource is None:
        raise bad_request("Missing required parameter - datasource")
    if "restrictions" in body:
        restrictions = body.get("restrictions") or {}
        if not isinstance(restrictions, dict):
            raise bad_request("Invalid value for parameter restrictions")
        field.restrictions = {k: bool(restrictions.get(k, False))
                              for k in ("readonly_ui", "hidden_ui", "excluded_from_search")}
    if "validation" in body:
        field.validation = _validation(body.get("validation"))
    for flag in ("mandatory", "default_disabled", "allow_dynamic_list_values"):
        if flag in body and body[flag] is not None:
            setattr(field, flag, bool(body[flag]))
    if "default_value" in body:
        default = body.get("default_value")
        field.default_value = None if default is None else coerce_value(field, default)
    if field.mandatory and field.default_value is None:
        raise bad_request("A mandatory field must have a default value")


def _datasource(kind: str, datasource: Any) -> dict[str, Any]:
    if kind not in ("enum", "set"):
        raise bad_request(f"datasource is not allowed for a {kind} field")
    values = datasource.get("values") if isinstance(datasource, dict) else None
    if not isinstance(values, list) or not values:
        raise bad_request("datasource must have values")
    options = []
    seen: set[str] = set()
    for position, entry in enumerate(values):
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str) or not entry["value"]:
            raise bad_request("Each datasource value must have a value")
        option_id = entry.get("external_id") or new_id()
        if option_id in seen:
            raise bad_request(f"Duplicate datasource external_id {option_id}")
        seen.add(option_id)
        options.append({"external_id": option_id, "value": entry["value"], "position": position,
                        "state": entry.get("state", "active")})
    return {"values": options}


def _validation(rule: Any) -> Optional[dict[str, Any]]:
    if rule is None:
        return None
    if not isinstance(rule, dict) or rule.get("type") not in ("strlen", "greater_than", "less_than", "and"):
        raise bad_request("Invalid validation")
    if rule["type"] == "and":
        if not isinstance(rule.get("rules"), list):
            raise bad_request("Invalid validation")
        for inner in rule["rules"]:
            _validation(inner)
    return rule


# -- values --------------------------------------------------------------------------------------

def coerce_value(field: MetadataField, raw: Any) -> Any:
    """A value for `field` from how a request wrote it; 400 when it doesn't fit."""
    value = _typed(field, raw)
    if field.validation and not _valid(field.validation, value):
        raise bad_request(f"Value {raw} is invalid for field {field.external_id}")
    return value


def _typed(field: MetadataField, raw: Any) -> Any:
    kind = field.type
    if kind == "string":
        return raw if isinstance(raw, str) else json.dumps(raw) if isinstance(raw, (list, dict)) else str(raw)
    if kind == "integer":
        try:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip()) if not isinstance(raw, (int, float)) else int(raw)
        except ValueError:
            raise bad_request(f"Invalid integer value {raw} for field {field.external_id}") from None
    if kind == "date":
        text = str(raw).strip()
        try:
            if not DATE.match(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise bad_request(f"Invalid date value {raw} for field {field.external_id}") from None
        return text
    options = field.option_ids()
    if kind == "enum":
        text = str(raw)
        if text not in options:
            raise bad_request(f"Invalid value {raw} for field {field.external_id}")
        return text
    items = raw if isinstance(raw, list) else _json_list(raw)
    if len(items) > MAX_SET_VALUES:
        raise bad_request(f"Too many values for field {field.external_id} (maximum {MAX_SET_VALUES})")
    for item in items:
        if str(item) not in options:
            raise bad_request(f"Invalid value {item} for field {field.external_id}")
    return [str(item) for item in items]


def _json_list(raw: Any) -> list[Any]:
    text = str(raw).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return [text]


def _valid(rule: dict[str, Any], value: Any) -> bool:
    kind = rule.get("type")
    if kind == "and":
        return all(_valid(inner, value) for inner in rule.get("rules", []))
    if kind == "strlen":
        length = len(str(value))
        return length >= int(rule.get("min", 0)) and ("max" not in rule or length <= int(rule["max"]))
    limit = rule.get("value")
    equals = bool(rule.get("equals"))
    if kind == "greater_than":
        return value > limit or (equals and value == limit)
    if kind == "less_than":
        return value < limit or (equals and value == limit)
    return True


def is_empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == [] or raw == "[]"


def resolve_values(fields: dict[str, MetadataField], values: dict[str, Any]) -> dict[str, Any]:
    """Typed values for the given `external_id -> raw` map; None means clear the field."""
    unknown = [name for name in values if name not in fields]
    if unknown:
        raise bad_request("The following metadata fields do not exist: " + json.dumps(unknown))
    return {name: (None if is_empty(raw) else coerce_value(fields[name], raw)) for name, raw in values.items()}


def defaults_for_new_asset(fields: dict[str, MetadataField]) -> dict[str, Any]:
    """Fields with a default value that isn't disabled apply to new assets."""
    return {f.external_id: f.default_value for f in fields.values()
            if f.default_value is not None and not f.default_disabled}
