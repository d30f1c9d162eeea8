"""Metafields and metafield definitions.

`metafieldsSet`, `metafieldsDelete`, `metafieldDefinitions`,
`metafieldDefinitionCreate`, and the `metafield`/`metafields` fields every
owner (product, variant, file, shop) exposes through `owner_metafield` and
`owner_metafields`. Behaviour follows the schema descriptions and the
recorded Shopify responses (messages and codes verbatim).
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Optional

from graphql import GraphQLError

from .. import limits

from ..catalog import Metafield, MetafieldDefinition, iso, parse_gid
from . import mutation, query
from .. import search, search_filters
from .common import access_denied, bad_request, check_page_args, cursor_value, user_error

MAX_LIST_ITEMS = 128
# Value size limits (https://shopify.dev/docs/apps/build/metafields/metafield-limits):
# json 128 KB from API 2026-04 (2 MB before: versions.json_metafield_bytes),
# `id`/`url` 2 KB, others 64 KB.
MAX_SMALL_BYTES = 2 * 1024
MAX_VALUE_BYTES = 64 * 1024
# Namespaces Shopify keeps for itself (captured: "Namespace protected is a
# reserved namespace").
RESERVED_NAMESPACES = ("protected", "shopify_standard", "shopify-l10n-fields")
DEFINITIONS_PER_OWNER_TYPE = 256
URL_SCHEMES = ("http", "https", "mailto", "sms", "tel")

# gid type → MetafieldOwnerType.
OWNER_TYPES = {
    "Product": "PRODUCT", "ProductVariant": "PRODUCTVARIANT", "Shop": "SHOP", "Collection": "COLLECTION",
    "Customer": "CUSTOMER", "Order": "ORDER", "DraftOrder": "DRAFTORDER", "Location": "LOCATION",
    "Market": "MARKET", "Page": "PAGE", "Article": "ARTICLE", "Blog": "BLOG", "Company": "COMPANY",
    "CompanyLocation": "COMPANY_LOCATION", "MediaImage": "MEDIA_IMAGE",
}
OWNER_TYPE_LABELS = {"PRODUCT": "Product", "PRODUCTVARIANT": "ProductVariant", "SHOP": "Shop",
                     "MEDIA_IMAGE": "MediaImage", "COLLECTION": "Collection", "CUSTOMER": "Customer",
                     "ORDER": "Order"}

REFERENCE_KINDS = {
    "file_reference": ("MediaImage", "Video", "GenericFile", "Model3d", "ExternalVideo"),
    "metaobject_reference": ("Metaobject",),
    "product_reference": ("Product",),
    "variant_reference": ("ProductVariant",),
}

# Types Shopify accepts (its own list in the INCLUSION message of a
# metafieldDefinitionCreate with an unknown type).
_SCALAR_TYPES = (
    "antenna_gain", "area", "battery_charge_capacity", "battery_energy_capacity", "boolean", "capacitance",
    "color", "concentration", "data_storage_capacity", "data_transfer_rate", "date_time", "date", "dimension",
    "display_density", "distance", "duration", "electric_current", "electrical_resistance", "energy",
    "frequency", "id", "illuminance", "inductance", "json", "jurisdiction", "language", "link")
_LISTABLE = (
    "antenna_gain", "area", "battery_charge_capacity", "battery_energy_capacity", "capacitance", "color",
    "concentration", "data_storage_capacity", "data_transfer_rate", "date_time", "date", "dimension",
    "display_density", "distance", "duration", "electric_current", "electrical_resistance", "energy",
    "frequency", "illuminance", "inductance", "jurisdiction", "link", "luminous_flux", "mass_flow_rate",
    "number_decimal", "number_integer", "power", "pressure", "rating", "resolution", "rotational_speed",
    "single_line_text_field", "sound_level", "speed", "temperature", "thermal_power", "url", "voltage",
    "volume", "volumetric_flow_rate", "weight")
_TAIL_TYPES = (
    "luminous_flux", "mass_flow_rate", "money", "multi_line_text_field", "number_decimal", "number_integer",
    "power", "pressure", "rating", "resolution", "rich_text_field", "rotational_speed",
    "single_line_text_field", "sound_level", "speed", "temperature", "thermal_power", "url", "voltage",
    "volume", "volumetric_flow_rate", "weight")
_REFERENCE_TYPES = (
    "company_reference", "list.company_reference", "customer_reference", "list.customer_reference",
    "product_reference", "list.product_reference", "collection_reference", "list.collection_reference",
    "variant_reference", "list.variant_reference", "file_reference", "list.file_reference",
    "product_taxonomy_value_reference", "list.product_taxonomy_value_reference",
    "product_taxonomy_disclosure_reference", "metaobject_reference", "list.metaobject_reference",
    "mixed_reference", "list.mixed_reference", "disclosure_reference", "list.disclosure_reference",
    "page_reference", "list.page_reference", "article_reference", "list.article_reference",
    "order_reference", "list.order_reference")
VALID_TYPES: tuple[str, ...] = (_SCALAR_TYPES + tuple(f"list.{t}" for t in _LISTABLE) + _TAIL_TYPES
                                + _REFERENCE_TYPES)
# metafieldsSet also takes these list types without a definition (captured
# on 2025-01), though definitions cannot declare them.
SET_TYPES: frozenset[str] = frozenset(VALID_TYPES + ("list.boolean", "list.multi_line_text_field"))
MEASUREMENT_TYPES = frozenset((
    "antenna_gain", "area", "battery_charge_capacity", "battery_energy_capacity", "capacitance", "concentration",
    "data_storage_capacity", "data_transfer_rate", "dimension", "display_density", "distance", "duration",
    "electric_current", "electrical_resistance", "energy", "frequency", "illuminance", "inductance",
    "luminous_flux", "mass_flow_rate", "power", "pressure", "resolution", "rotational_speed", "sound_level",
    "speed", "temperature", "thermal_power", "voltage", "volume", "volumetric_flow_rate", "weight"))
# Units Shopify names for the measurements products use most, with the short
# forms it also accepts.
_UNITS = {
    "dimension": {"MILLIMETERS": ("mm",), "CENTIMETERS": ("cm",), "METERS": ("m",), "KILOMETERS": ("km",),
                  "INCHES": ("in",), "FEET": ("ft",), "YARDS": ("yd",)},
    "weight": {"GRAMS": ("g",), "KILOGRAMS": ("kg",), "OUNCES": ("oz",), "POUNDS": ("lb",)},
    "volume": {"MILLILITERS": ("ml",), "CENTILITERS": ("cl",), "LITERS": ("l",), "CUBIC_METERS": ("m3",),
               "FLUID_OUNCES": ("us_fl_oz",), "PINTS": ("us_pt",), "QUARTS": ("us_qt",), "GALLONS": ("us_gal",),
               "IMPERIAL_FLUID_OUNCES": ("imp_fl_oz",), "IMPERIAL_PINTS": ("imp_pt",),
               "IMPERIAL_QUARTS": ("imp_qt",), "IMPERIAL_GALLONS": ("imp_gal",)},
}

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_INT_RE = re.compile(r"^-?\d+$")
# Shopify stores "5.0" as the integer 5 but rejects "+5" (captured).
_INTEGRAL_RE = re.compile(r"^-?\d+(\.0+)?$")
_TRUE = ("true", "t", "1")
_FALSE = ("false", "f", "0")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


# -- identity --------------------------------------------------------------
def api_client_id(ctx: Any) -> str:
    """The app's numeric API client id, as in `app--<id>` namespaces. An
    `api_client_id` on the simulator's App wins (the conformance runner sets
    the captured store's); otherwise a stable number derived from the client id."""
    app = ctx.state.apps.get(ctx.token.client_id) if ctx.token is not None else None
    explicit = getattr(app, "api_client_id", None)
    if explicit:
        return str(explicit)
    client_id = ctx.token.client_id if ctx.token is not None else "anonymous"
    return str(int(hashlib.sha256(client_id.encode()).hexdigest()[:10], 16) % 10**12)


def resolve_namespace(ctx: Any, namespace: Optional[str]) -> str:
    """Omitted → the app-reserved namespace; `$app` / `$app:x` → `app--<id>` /
    `app--<id>--x` (https://shopify.dev/docs/apps/build/custom-data/ownership)."""
    app_ns = f"app--{api_client_id(ctx)}"
    if namespace is None:
        return app_ns
    if namespace == "$app":
        return app_ns
    if namespace.startswith("$app:"):
        return f"{app_ns}--{namespace[len('$app:'):]}"
    return namespace


DEFINITION_ACCESS = ("API client to have access to the namespace and the resource type associated with the "
                     "metafield definition.\n")
APP_NOT_AUTHORIZED_MESSAGE = "Access to this namespace and key on Metafields for this resource type is not allowed."


def foreign_app_namespace(ctx: Any, namespace: str) -> bool:
    """Another app's reserved namespace (`app--<other id>`…): private to it
    (https://shopify.dev/docs/apps/build/custom-data/ownership)."""
    match = re.match(r"^app--(\d+)(?:--|$)", namespace)
    return match is not None and match.group(1) != api_client_id(ctx)


def owner_type_of(owner_gid: str) -> Optional[str]:
    parsed = parse_gid(owner_gid)
    return OWNER_TYPES.get(parsed[0]) if parsed else None


def compare_digest(mf: Metafield) -> str:
    """An opaque 64-hex compare-and-set token that changes with every write.
    A metafield seeded from a Shopify capture keeps Shopify's token."""
    seeded = getattr(mf, "compare_digest", None)
    if seeded:
        return seeded
    material = f"{mf.gid}\x00{mf.type}\x00{mf.value}\x00{mf.updated_at!r}"
    return hashlib.sha256(material.encode()).hexdigest()


def _owner_exists(ctx: Any, owner_gid: str) -> bool:
    from .views import node_view
    try:
        return node_view(ctx, owner_gid) is not None
    except GraphQLError:
        return False


def _node(ctx: Any, value: str) -> Any:
    from .views import node_view
    try:
        return node_view(ctx, value)
    except GraphQLError:
        return None


def find_definition(ctx: Any, owner_type: Optional[str], namespace: str, key: str) -> Optional[MetafieldDefinition]:
    for d in ctx.catalog.metafield_definitions:
        if d.owner_type == owner_type and d.namespace == namespace and d.key == key:
            return d
    return None


# -- views -------------------------------------------------------------------
def json_value(type_: str, value: str) -> Any:
    """`Metafield.jsonValue`: the value as JSON of its type."""
    try:
        if type_ == "number_integer":
            return int(value)
        if type_ == "number_decimal":
            return value
        if type_ == "boolean":
            # Shopify answers true, but the string "false" (captured).
            return True if value == "true" else "false"
        if type_.startswith("list.") and type_[5:] in MEASUREMENT_TYPES:
            # Lists of measurements answer their units in lower case (captured).
            return [{**item, "unit": _list_unit(type_[5:], item.get("unit"))} if isinstance(item, dict) else item
                    for item in json.loads(value)]
        if type_ == "json" or type_.startswith("list.") or type_ in MEASUREMENT_TYPES or type_ in (
                "money", "rating", "link", "rich_text_field"):
            return json.loads(value)
    except (ValueError, TypeError):
        return value
    return value


def metafield_view(ctx: Any, mf: Metafield) -> dict[str, Any]:
    owner_type = owner_type_of(mf.owner_id)

    def definition(info: Any) -> Any:
        d = find_definition(ctx, owner_type, mf.namespace, mf.key)
        return definition_view(ctx, d) if d else None

    def reference(info: Any) -> Any:
        if mf.type in REFERENCE_KINDS:
            return _node(ctx, mf.value)
        return None

    def references(info: Any, **args: Any) -> Any:
        if not (mf.type.startswith("list.") and mf.type[5:] in REFERENCE_KINDS):
            return None
        try:
            items = [v for v in json.loads(mf.value) if isinstance(v, str)]
        except ValueError:
            items = []
        nodes = [n for n in (_node(ctx, v) for v in items) if n is not None]
        return paginate(list(enumerate(nodes)), args, key=lambda pair: pair[0], node=lambda pair: pair[1])

    return {
        "__typename": "Metafield",
        "id": mf.gid,
        "legacyResourceId": str(mf.id),
        "namespace": mf.namespace,
        "key": mf.key,
        "type": mf.type,
        "value": mf.value,
        "jsonValue": json_value(mf.type, mf.value),
        "compareDigest": compare_digest(mf),
        "createdAt": iso(mf.created_at),
        "updatedAt": iso(mf.updated_at),
        "ownerType": owner_type,
        "owner": lambda info: _node(ctx, mf.owner_id),
        "description": None,
        "sizeInBytes": len(mf.value.encode()),
        "definition": definition,
        "reference": reference,
        "references": references,
        "translations": lambda info, **a: [],
    }


def definition_view(ctx: Any, d: MetafieldDefinition) -> dict[str, Any]:
    type_name = d.type
    category = _type_category(type_name)

    def metafields(info: Any, **args: Any) -> Any:
        rows = sorted((mf for owner, by_key in ctx.catalog.metafields.items()
                       if owner_type_of(owner) == d.owner_type
                       for (ns, key), mf in by_key.items() if ns == d.namespace and key == d.key),
                      key=lambda mf: mf.id)
        return paginate(rows, args, key=lambda mf: mf.id, node=lambda mf: metafield_view(ctx, mf))

    access = {"admin": "PUBLIC_READ_WRITE", "storefront": "NONE", "customerAccount": "NONE"}
    access.update({k: v for k, v in (d.access or {}).items() if v is not None})
    caps = d.capabilities or {}

    def capability(name: str) -> dict[str, Any]:
        enabled = bool((caps.get(name) or {}).get("enabled"))
        out = {"enabled": enabled, "eligible": _capability_eligible(name, d.owner_type, d.type)}
        if name == "adminFilterable":
            out["status"] = "FILTERABLE" if enabled else "NOT_FILTERABLE"
        return out

    return {
        "__typename": "MetafieldDefinition",
        "id": d.gid,
        "name": d.name,
        "namespace": d.namespace,
        "key": d.key,
        "description": d.description or None,
        "ownerType": d.owner_type,
        "type": {"__typename": "MetafieldDefinitionType", "name": type_name, "category": category,
                 "supportsDefinitionMigrations": True, "supportedValidations": []},
        "validations": [{"__typename": "MetafieldDefinitionValidation", "name": v.get("name"),
                         "value": v.get("value"), "type": "single_line_text_field"}
                        for v in d.validations],
        "access": {"__typename": "MetafieldAccess", **access},
        "capabilities": {"__typename": "MetafieldCapabilities",
                         "adminFilterable": capability("adminFilterable"),
                         "smartCollectionCondition": capability("smartCollectionCondition"),
                         "uniqueValues": capability("uniqueValues")},
        "constraints": {"__typename": "MetafieldDefinitionConstraints", "key": d.constraint_key,
                        "values": lambda info, **args: paginate(
                            list(enumerate(d.constraint_values, 1)), args, key=lambda v: v[0],
                            node=lambda v: {"__typename": "MetafieldDefinitionConstraintValue", "value": v[1]})},
        "pinnedPosition": d.pinned_position,
        "standardTemplate": None,
        "useAsCollectionCondition": bool((caps.get("smartCollectionCondition") or {}).get("enabled")),
        "validationStatus": "ALL_VALID",
        "metafieldsCount": sum(1 for owner, by_key in ctx.catalog.metafields.items()
                               if owner_type_of(owner) == d.owner_type and (d.namespace, d.key) in by_key),
        "metafields": metafields,
    }


def _type_category(type_name: str) -> str:
    base = type_name[5:] if type_name.startswith("list.") else type_name
    if base.endswith("_reference"):
        return "REFERENCE"
    if base in ("single_line_text_field", "multi_line_text_field"):
        return "TEXT"
    if base in ("number_integer", "number_decimal"):
        return "NUMBER"
    if base in ("date", "date_time"):
        return "DATE_TIME"
    if base in ("boolean",):
        return "TRUE_FALSE"
    if base in ("json", "rich_text_field"):
        return "JSON"
    if base == "id":
        return "ID"
    if base in ("url", "link"):
        return "URL"
    if base in ("color",):
        return "COLOR"
    if base in ("money",):
        return "MONEY"
    if base in ("rating",):
        return "RATING"
    return "MEASUREMENT"


def node(ctx: Any, value: str) -> Any:
    """`node(id:)` for Metafield and MetafieldDefinition gids."""
    parsed = parse_gid(value)
    if parsed is None or not parsed[1].isdigit():
        return None
    kind, num = parsed[0], int(parsed[1])
    if kind == "Metafield":
        for by_key in ctx.catalog.metafields.values():
            for mf in by_key.values():
                if mf.id == num:
                    return metafield_view(ctx, mf)
    if kind == "MetafieldDefinition":
        for d in ctx.catalog.metafield_definitions:
            if d.id == num:
                return definition_view(ctx, d)
    return None


# -- pagination (Shopify's cursor format) ---------------------------------------
def encode_cursor(key: int, value: Any = None) -> str:
    raw = json.dumps({"last_id": key, "last_value": str(key) if value is None else value}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(json.loads(base64.b64decode(padded.encode(), validate=True))["last_id"])
    except Exception:
        raise bad_request("Malformed cursor") from None


def paginate(items: list[Any], args: dict[str, Any], *, key: Callable[[Any], int],
             node: Callable[[Any], Any], value: Optional[Callable[[Any], Any]] = None) -> dict[str, Any]:
    """A Relay page over `items` (filtered and ordered), cursors keyed by
    `key` and carrying `value` (default: the key as a string, the database's
    form: common.cursor_value)."""
    args = check_page_args(args)
    if args.get("reverse"):
        items = list(reversed(items))
    keys = [key(i) for i in items]
    start, end = 0, len(items)
    if args.get("after"):
        k = decode_cursor(args["after"])
        start = keys.index(k) + 1 if k in keys else _position(keys, k, after=True, reverse=bool(args.get("reverse")))
    if args.get("before"):
        k = decode_cursor(args["before"])
        end = keys.index(k) if k in keys else _position(keys, k, after=False, reverse=bool(args.get("reverse")))
    start = min(start, end)
    if args.get("first") is not None:
        lo, hi = start, min(end, start + args["first"])
    else:
        lo, hi = max(start, end - args["last"]), end
    page = items[lo:hi]
    nodes = [node(i) for i in page]
    edges = [{"cursor": encode_cursor(key(i), value(i) if value else None), "node": n} for i, n in zip(page, nodes)]
    return {"edges": edges, "nodes": nodes,
            "pageInfo": {"hasNextPage": hi < len(items), "hasPreviousPage": lo > 0,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None}}


def _position(keys: list[int], k: int, *, after: bool, reverse: bool) -> int:
    """Where a cursor whose item has gone would sit (keys are id-ordered)."""
    for n, existing in enumerate(keys):
        if (existing > k) if not reverse else (existing < k):
            return n
    return len(keys)


# -- owner fields --------------------------------------------------------------
def owner_metafield(ctx: Any, owner_gid: str, namespace: Optional[str], key: str) -> Optional[dict[str, Any]]:
    """`owner.metafield(namespace:, key:)`; namespace omitted → the app's."""
    mf = ctx.catalog.metafields.get(owner_gid, {}).get((resolve_namespace(ctx, namespace), key))
    return metafield_view(ctx, mf) if mf else None


def owner_metafields(ctx: Any, owner_gid: str, **args: Any) -> dict[str, Any]:
    """`owner.metafields(namespace:, keys:, first/last/after/before, reverse)`.
    `keys` entries are `namespace.key`, or bare keys when `namespace` is given."""
    namespace = args.get("namespace")
    keys = args.get("keys")
    if namespace is not None:
        namespace = resolve_namespace(ctx, namespace)
    rows = sorted(ctx.catalog.metafields.get(owner_gid, {}).values(), key=lambda mf: mf.id)
    if namespace is not None:
        rows = [mf for mf in rows if mf.namespace == namespace]
    if keys is not None:
        # `keys` are `namespace.key`: matches come in the order asked, and
        # Shopify answers their `key` in that qualified form (captured); a
        # bare key matches nothing.
        by_key = {(mf.namespace, mf.key): mf for mf in rows}
        picked = []
        for entry in keys:
            ns, _, k = entry.rpartition(".")
            mf = by_key.get((resolve_namespace(ctx, ns), k)) if ns else None
            if mf is not None and mf not in picked:
                picked.append(mf)

        def qualified(mf: Metafield) -> dict[str, Any]:
            view = metafield_view(ctx, mf)
            view["key"] = f"{mf.namespace}.{mf.key}"
            return view
        return paginate(picked, args, key=lambda mf: mf.id, node=qualified)
    return paginate(rows, args, key=lambda mf: mf.id, node=lambda mf: metafield_view(ctx, mf))


# -- value validation --------------------------------------------------------------
class _Invalid(Exception):
    def __init__(self, message: str, element_index: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_index = element_index


def validate_value(ctx: Any, type_: str, value: str) -> None:
    """Raise `_Invalid` with Shopify's message when `value` is not a `type_`."""
    from ..versions import json_metafield_bytes
    limit = json_metafield_bytes(getattr(ctx, "api_version", None)) if type_ == "json" \
        else MAX_SMALL_BYTES if type_ in ("id", "url") else MAX_VALUE_BYTES
    if len(value.encode()) > limit:
        raise _Invalid(f"Value is too long (maximum is {limit // 1024} KB).")
    if type_.startswith("list."):
        base = type_[5:]
        try:
            items = json.loads(value)
        except ValueError:
            raise _Invalid("Value must be an array.") from None
        if not isinstance(items, list):
            raise _Invalid("Value must be an array.")
        if len(items) > MAX_LIST_ITEMS:
            raise _Invalid(f"Value has more than {MAX_LIST_ITEMS} elements.")
        for n, item in enumerate(items):
            text = item if isinstance(item, str) else json.dumps(item)
            if base in ("number_integer", "number_decimal") and not isinstance(item, (int, float, str)) \
                    or base == "number_integer" and isinstance(item, str) and not _INT_RE.match(item):
                raise _Invalid("Value must be an integer." if base == "number_integer"
                               else "Value must be a decimal.", n)
            try:
                _validate_scalar(ctx, base, text)
            except _Invalid as exc:
                # Reference errors name the missing resource, not an index (captured).
                index = None if base in REFERENCE_KINDS else n
                raise _Invalid(exc.message, index if exc.element_index is None else exc.element_index) from None
        return
    _validate_scalar(ctx, type_, value)


def _validate_scalar(ctx: Any, type_: str, value: str) -> None:
    if type_ == "single_line_text_field":
        if not value.strip():
            raise _Invalid("Value can't be blank.")
        if "\n" in value or "\r" in value:
            raise _Invalid("Value must be a single line text string.")
    elif type_ in ("multi_line_text_field", "rich_text_field"):
        if not value.strip():
            raise _Invalid("Value can't be blank.")
    elif type_ == "number_integer":
        if not _INTEGRAL_RE.match(value.strip()):
            raise _Invalid("Value must be an integer.")
        if abs(Decimal(value)) > 10**18:
            raise _Invalid("Value must be within +/-1000000000000000000.")
    elif type_ == "number_decimal":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _Invalid("Value must be a decimal.") from None
        if not number.is_finite():
            raise _Invalid("Value must be a decimal.")
        if abs(number) > Decimal("9999999999999"):
            raise _Invalid("Value can't exceed 9999999999999.")
    elif type_ == "boolean":
        if value.strip().lower() not in _TRUE + _FALSE:
            raise _Invalid("Value must be true or false.")
    elif type_ == "json":
        if not value.strip():
            raise _Invalid("Value can't be blank.")
        try:
            json.loads(value)
        except ValueError as exc:
            raise _Invalid(f"Value is invalid JSON: {_json_error(value, exc)}.") from None
    elif type_ == "color":
        if not _COLOR_RE.match(value):
            raise _Invalid("Value must be a hex color code.")
    elif type_ == "date":
        if not _DATE_RE.match(value) or not _parses(lambda: dt.date.fromisoformat(value)):
            raise _Invalid("Value must be in YYYY-MM-DD format.")
    elif type_ == "date_time":
        if not _DATE_TIME_RE.match(value) or not _parses(
                lambda: dt.datetime.fromisoformat(value.replace("Z", "+00:00"))):
            raise _Invalid("Value must be in “YYYY-MM-DDTHH:MM:SS” format. For example: 2022-06-01T15:30:00")
    elif type_ == "url":
        match = _SCHEME_RE.match(value)
        if match is None:
            schemes = ", ".join(f'"{s}"' for s in URL_SCHEMES)
            raise _Invalid("Value cannot have an empty scheme (protocol), must include one of the "
                           f"following URL schemes: [{schemes}].'")
        if match.group(1).lower() not in URL_SCHEMES:
            raise _Invalid(f"Value must be one of the following URL schemes: {', '.join(URL_SCHEMES)}.")
    elif type_ == "link":
        try:
            link = json.loads(value)
            url = link.get("url") if isinstance(link, dict) else None
        except ValueError:
            url = None
        match = _SCHEME_RE.match(url or "")
        if not url or match is None or match.group(1).lower() not in URL_SCHEMES:
            raise _Invalid("Value must be a valid link.")
    elif type_ in REFERENCE_KINDS:
        parsed = parse_gid(value)
        if parsed is None or parsed[0] not in REFERENCE_KINDS[type_] or _node(ctx, value) is None:
            raise _Invalid(f"Value references non-existent resource {value}.")
    elif type_ in MEASUREMENT_TYPES:
        _measurement(type_, value)
    elif type_ == "money":
        _money(ctx, value)
    elif type_ == "rating":
        try:
            rating = json.loads(value)
            score, low, high = (Decimal(str(rating[k])) for k in ("value", "scale_min", "scale_max"))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise _Invalid("Value must be a stringified JSON object with value, scale_min and scale_max "
                           "fields.") from None
        if score > high:
            raise _Invalid(f"Value has a maximum of {rating['scale_max']}.")
        if score < low:
            raise _Invalid(f"Value has a minimum of {rating['scale_min']}.")


def _measurement(type_: str, value: str) -> None:
    try:
        measure = json.loads(value)
    except ValueError:
        measure = None
    if not isinstance(measure, dict):
        raise _Invalid("Value must be a stringified JSON object with value and unit fields.")
    number = measure.get("value")
    try:
        amount = Decimal(str(number)) if not isinstance(number, bool) and number is not None else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or (type_ in _UNITS and amount < 0):
        raise _Invalid("Value must be a non-negative number." if type_ in _UNITS else "Value must be a number.")
    if _unit(type_, measure.get("unit")) is None:
        raise _Invalid("Value must be a supported unit.")


def _unit(type_: str, unit: Any) -> Optional[str]:
    if not isinstance(unit, str) or not re.fullmatch(r"[A-Za-z0-9_]+", unit):
        return None
    table = _UNITS.get(type_)
    if table is None:
        return unit.upper()
    for name, aliases in table.items():
        if unit.upper() == name or unit in aliases:
            return name
    return None


# Currencies (ISO 4217) the simulator recognises in money values.
CURRENCIES = frozenset("""AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLL SOS SRD SSP STN SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW""".split())


def _money(ctx: Any, value: str) -> None:
    try:
        money = json.loads(value)
    except ValueError:
        money = None
    if not isinstance(money, dict) or "amount" not in money or "currency_code" not in money:
        raise _Invalid("Value must be a stringified JSON object with amount (numeric) and currency_code "
                       "(string matching the shop's currency) fields.")
    currency = money.get("currency_code")
    if not isinstance(currency, str) or not currency.strip():
        raise _Invalid("Value must have a currency code.")
    try:
        amount = Decimal(str(money.get("amount")))
    except InvalidOperation:
        raise _Invalid("Value must have a numeric amount.") from None
    if not amount.is_finite():
        raise _Invalid("Value must have a numeric amount.")
    if abs(amount) > 10**18:
        raise _Invalid("Value must be within +/-1000000000000000000.")
    if currency not in CURRENCIES:
        raise _Invalid(f"Value contains an invalid currency, {currency}.")


def normalize_value(type_: str, value: str) -> str:
    """The value as Shopify stores it once valid (captured: booleans
    "t"/"1"/" TRUE " → "true", "5.0" → "5" for integers, decimals cut to 9
    places, measurement values as floats with upper-case units, date-times
    with an explicit offset, rating keys reordered)."""
    if type_.startswith("list."):
        base = type_[5:]
        items = json.loads(value)
        out = []
        for item in items:
            text = item if isinstance(item, str) else json.dumps(item)
            if base in MEASUREMENT_TYPES or base == "rating":
                out.append(json.loads(normalize_value(base, text)))
            elif base in ("number_decimal",):
                out.append(normalize_value(base, str(item)))
            elif base == "boolean":
                out.append(normalize_value(base, text) == "true")
            elif base == "number_integer":
                out.append(int(normalize_value(base, text)))
            elif base == "date_time":
                out.append(normalize_value(base, text))
            else:
                out.append(item)
        return json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    if type_ == "boolean":
        return "true" if value.strip().lower() in _TRUE else "false"
    if type_ == "number_integer":
        return str(int(Decimal(value.strip())))
    if type_ == "number_decimal":
        number = Decimal(value.strip())
        if number.as_tuple().exponent < -9:
            number = number.quantize(Decimal("1e-9"), rounding="ROUND_DOWN")
        return str(number)
    if type_ == "date_time":
        # To the second, with its offset (captured: "2024-01-01T12:30:00" →
        # "…+00:00", "2026-06-25T10:11:12.123+05:30" → "2026-06-25T10:11:12+05:30").
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return parsed.replace(microsecond=0).isoformat()
    if type_ in MEASUREMENT_TYPES:
        measure = json.loads(value)
        return json.dumps({"value": float(Decimal(str(measure["value"]))), "unit": _unit(type_, measure["unit"])},
                          separators=(",", ":"))
    if type_ == "rating":
        rating = json.loads(value)
        return json.dumps({"scale_min": rating["scale_min"], "scale_max": rating["scale_max"],
                           "value": rating["value"]}, separators=(",", ":"))
    return value


def _parses(fn: Callable[[], Any]) -> bool:
    try:
        fn()
        return True
    except ValueError:
        return False


def _json_error(value: str, exc: ValueError) -> str:
    """Shopify's JSON parser wording where it is known (captured:
    "expected object key, got 'nope' at line 1 column 2")."""
    pos = getattr(exc, "pos", 0) or 0
    lineno, colno = getattr(exc, "lineno", 1), getattr(exc, "colno", pos + 1)
    rest = value[pos:]
    token = re.match(r"[^\s,:{}\[\]\"]+", rest)
    got = f"'{token.group(0)}'" if token else ("end of input" if not rest else repr(rest[0]))
    if getattr(exc, "msg", "").startswith("Expecting property name"):
        return f"expected object key, got {got} at line {lineno} column {colno}"
    return f"unexpected token {got} at line {lineno} column {colno}"


# -- metafieldsSet -------------------------------------------------------------------
def _set_error(field: list[Any], message: str, code: Optional[str], element_index: Optional[int] = None) -> dict:
    # `code` is null, not absent, for errors Shopify gives no code (reserved namespaces).
    return {**user_error(field, message, code, elementIndex=element_index), "code": code}


@mutation("metafieldsSet")
def metafields_set(ctx: Any, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
    if len(metafields) > limits.metafields_set_inputs():
        return {"metafields": None, "userErrors": [_set_error(
            ["metafields"], f"Exceeded the maximum metafields input limit of {limits.metafields_set_inputs()}.",
            "LESS_THAN_OR_EQUAL_TO")]}
    if ctx.request_bytes > limits.metafields_set_payload_bytes():
        # The schema's metafieldsSet description: "a maximum total request payload
        # size of 10MB"; atomic, so nothing is written. Shopify's wording for it was
        # not captured: the code and field are those of the 25-input limit above.
        return {"metafields": None, "userErrors": [_set_error(
            ["metafields"], f"Exceeded the maximum total request payload size of "
                            f"{limits.metafields_set_payload_bytes() // (1024 * 1024)}MB.", "LESS_THAN_OR_EQUAL_TO")]}
    written, errors = set_metafields(ctx, metafields)
    if errors:
        return {"metafields": [], "userErrors": errors}
    return {"metafields": [metafield_view(ctx, mf) for mf in written], "userErrors": []}


def set_metafields(ctx: Any, metafields: list[dict[str, Any]]) -> tuple[list[Metafield], list[dict[str, Any]]]:
    """metafieldsSet's rules for `MetafieldsSetInput`-shaped items (`ownerId`,
    `namespace`, `key`, `type`, `value`, `compareDigest`): every input is
    checked, then all are written or, when any fails, none. Answers the
    metafields as each input left them, or the userErrors (paths under
    `["metafields", n, …]`). Also what other mutations taking `metafields`
    (productCreate, productUpdate, productVariantsBulkUpdate) apply."""
    catalog = ctx.catalog
    errors: list[dict[str, Any]] = []
    # Working copy of what each (owner, namespace, key) holds as inputs are
    # applied in order: duplicates in one call see the earlier input's write.
    pending: dict[tuple[str, str, str], tuple[str, str]] = {}
    plan: list[tuple[int, dict[str, Any], str]] = []
    for n, item in enumerate(metafields):
        owner_id = item["ownerId"]
        namespace = resolve_namespace(ctx, item.get("namespace"))
        key = item["key"]
        value = item["value"]
        row_errors = _check_identity(n, namespace, key)
        if row_errors:
            errors.extend(row_errors)
            continue
        if foreign_app_namespace(ctx, namespace):
            errors.append(_set_error(["metafields", n], APP_NOT_AUTHORIZED_MESSAGE, "APP_NOT_AUTHORIZED"))
            continue
        if not _owner_exists(ctx, owner_id):
            errors.append(_set_error(["metafields", n, "ownerId"], "Owner does not exist.", "INVALID_VALUE"))
            continue
        owner_type = owner_type_of(owner_id)
        definition = find_definition(ctx, owner_type, namespace, key)
        existing = catalog.metafields.get(owner_id, {}).get((namespace, key))
        current = pending.get((owner_id, namespace, key))
        if current is None and existing is not None:
            current = (existing.type, existing.value)
        type_ = item.get("type") or (definition.type if definition else None) or None
        if type_ is None:
            errors.append(_set_error(["metafields", n, "type"], "Type can't be blank", "BLANK"))
            continue
        if type_ not in SET_TYPES:
            errors.append(_set_error(["metafields", n, "type"],
                                     f"Type name {type_} is not a valid type.", "INVALID_TYPE"))
            continue
        if definition is not None and type_ != definition.type:
            errors.append(_set_error(["metafields", n, "type"],
                                     f"Type must be {definition.type} to match the definition.", "INVALID_TYPE"))
            continue
        try:
            validate_value(ctx, type_, value)
            value = normalize_value(type_, value)
            if definition is not None:
                _validate_against_definition(ctx, definition, value)
        except _Invalid as exc:
            errors.append(_set_error(["metafields", n, "value"], exc.message, "INVALID_VALUE", exc.element_index))
            continue
        if "compareDigest" in item:
            digest = item["compareDigest"]
            identical = current is not None and current == (type_, value)
            if digest is None:
                if current is not None and not identical:
                    errors.append(_stale(n))
                    continue
            elif existing is None and current is None:
                errors.append(_set_error(["metafields", n], "Invalid `compareDigest` value.", "INVALID_COMPARE_DIGEST"))
                continue
            elif not identical and (existing is None or digest != compare_digest(existing)
                                    or (owner_id, namespace, key) in pending):
                # Identical type and value is an accepted no-op whatever the
                # digest (captured: malformed digest accepted, then STALE_OBJECT
                # once the value changes).
                errors.append(_stale(n))
                continue
        pending[(owner_id, namespace, key)] = (type_, value)
        plan.append((n, {"owner_id": owner_id, "namespace": namespace, "key": key, "type": type_,
                         "value": value}, owner_id))
    if errors:
        # Atomic: nothing is written when any input fails.
        return [], errors
    # Each input answers with the metafield as that input left it (two
    # inputs for one key answer their own values; captured).
    snapshots: list[Metafield] = []
    for _, row, _owner_id in plan:
        mf = _write(ctx, row)
        snapshot = dataclasses.replace(mf)
        if getattr(mf, "compare_digest", None):
            snapshot.compare_digest = mf.compare_digest
        snapshots.append(snapshot)
    return snapshots, []


def _stale(n: int) -> dict[str, Any]:
    return _set_error(["metafields", n], "The resource has been updated since it was loaded. Try again with an "
                      "updated `compareDigest` value.", "STALE_OBJECT")


def _check_identity(n: int, namespace: str, key: str) -> list[dict[str, Any]]:
    errors = []
    if len(namespace) < 3:
        errors.append(_set_error(["metafields", n, "namespace"], "Namespace is too short (minimum is 3 characters)",
                                 "TOO_SHORT"))
    elif len(namespace) > 255:
        errors.append(_set_error(["metafields", n, "namespace"], "Namespace is too long (maximum is 255 characters)",
                                 "TOO_LONG"))
    elif namespace in RESERVED_NAMESPACES:
        errors.append(_set_error(["metafields", n, "namespace"], f"Namespace {namespace} is a reserved namespace",
                                 None))
    if len(key) < 2:
        errors.append(_set_error(["metafields", n, "key"], "Key is too short (minimum is 2 characters)", "TOO_SHORT"))
    elif len(key) > 64:
        errors.append(_set_error(["metafields", n, "key"], "Key is too long (maximum is 64 characters)", "TOO_LONG"))
    return errors


def _validate_against_definition(ctx: Any, d: MetafieldDefinition, value: str) -> None:
    """The definition's validations (the options of
    https://shopify.dev/docs/apps/build/custom-data/metafields/list-of-validation-options)
    the simulator applies, worded as captured."""
    rules = {rule.get("name"): rule.get("value") for rule in d.validations if rule.get("value") is not None}
    base = d.type[5:] if d.type.startswith("list.") else d.type
    # A list's items are checked one by one; `list.min`/`list.max` bound its length.
    items = [v if isinstance(v, str) else json.dumps(v) for v in json.loads(value)] \
        if d.type.startswith("list.") else [value]
    for name, limit in rules.items():
        check = _VALIDATION_CHECKS.get((name, _validation_kind(base)))
        for item in items if check is not None else ():
            check(ctx, item, str(limit))
    if d.type.startswith("list.") and rules.get("list.max") is not None and len(items) > int(rules["list.max"]):
        raise _Invalid(f"Value has a maximum of {rules['list.max']} items.")
    if d.type.startswith("list.") and rules.get("list.min") is not None and len(items) < int(rules["list.min"]):
        raise _Invalid(f"Value has a minimum of {rules['list.min']} items.")
    if base == "rating":
        for item in items:
            _rating_scale(item, rules)


def _validation_kind(type_: str) -> str:
    if type_ in ("number_integer", "number_decimal"):
        return "number"
    if type_ in ("single_line_text_field", "multi_line_text_field"):
        return "text"
    if type_ in ("date", "date_time"):
        return type_
    if type_ == "metaobject_reference":
        return "metaobject"
    return "other"


def _number_bound(maximum: bool) -> Callable[[Any, str, str], None]:
    def check(ctx: Any, value: str, limit: str) -> None:
        if (Decimal(value) > Decimal(limit)) if maximum else (Decimal(value) < Decimal(limit)):
            raise _Invalid(f"Value has a {'maximum' if maximum else 'minimum'} of {limit}.")
    return check


def _length_bound(maximum: bool) -> Callable[[Any, str, str], None]:
    def check(ctx: Any, value: str, limit: str) -> None:
        if (len(value) > int(limit)) if maximum else (len(value) < int(limit)):
            raise _Invalid(f"Value has a {'maximum' if maximum else 'minimum'} length of {limit}.")
    return check


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _time_bound(maximum: bool, dates: bool) -> Callable[[Any, str, str], None]:
    """Dates and date-times against the definition's bound; the bound is
    shown as Shopify shows it (captured: "Value has a maximum of 2026-12-31."
    and, for a date-time, "… of 2026-12-31 23:59:59 +0000.")."""
    def check(ctx: Any, value: str, limit: str) -> None:
        try:
            have, bound = (dt.date.fromisoformat(value), dt.date.fromisoformat(limit)) if dates else \
                (_moment(value), _moment(limit))
        except ValueError:
            return
        if (have > bound) if maximum else (have < bound):
            shown = limit if dates else bound.strftime("%Y-%m-%d %H:%M:%S %z")  # type: ignore[union-attr]
            raise _Invalid(f"Value has a {'maximum' if maximum else 'minimum'} of {shown}.")
    return check


def _regex(ctx: Any, value: str, limit: str) -> None:
    if re.fullmatch(limit, value) is None:
        raise _Invalid("Value is not the correct format.")


def _choices(ctx: Any, value: str, limit: str) -> None:
    try:
        choices = json.loads(limit)
    except ValueError:
        return
    if value not in choices:
        listed = json.dumps(choices, separators=(", ", ": "))
        raise _Invalid(f"Value does not exist in provided choices: {listed}.")


def _metaobject_definition(ctx: Any, value: str, limit: str) -> None:
    """A metaobject reference must name an entry of the definition the
    validation names (captured wording)."""
    from .metaobjects import find, find_definition
    entry, definition = find(ctx, value), find_definition(ctx, limit)
    if entry is not None and definition is not None and entry.definition_id != definition.id:
        raise _Invalid(f"Value must belong to the specified metaobject definition {limit}.")


_VALIDATION_CHECKS: dict[tuple[str, str], Callable[[Any, str, str], None]] = {
    ("max", "number"): _number_bound(True), ("min", "number"): _number_bound(False),
    ("max", "text"): _length_bound(True), ("min", "text"): _length_bound(False),
    ("max", "date"): _time_bound(True, True), ("min", "date"): _time_bound(False, True),
    ("max", "date_time"): _time_bound(True, False), ("min", "date_time"): _time_bound(False, False),
    ("regex", "text"): _regex, ("choices", "text"): _choices, ("choices", "number"): _choices,
    ("metaobject_definition_id", "metaobject"): _metaobject_definition,
}


def _rating_scale(value: str, rules: dict[str, Any]) -> None:
    """A rating's scale must be its definition's (captured: "Value min and max
    on the rating value must be the same as the min and max on the definition.")."""
    if rules.get("scale_min") is None or rules.get("scale_max") is None:
        return
    rating = json.loads(value)
    same = Decimal(str(rating["scale_min"])) == Decimal(str(rules["scale_min"])) and \
        Decimal(str(rating["scale_max"])) == Decimal(str(rules["scale_max"]))
    if not same:
        raise _Invalid("Value min and max on the rating value must be the same as the min and max on the "
                       "definition.")


def _write(ctx: Any, row: dict[str, Any]) -> Metafield:
    catalog = ctx.catalog
    by_key = catalog.owner_metafields(row["owner_id"])
    mf = by_key.get((row["namespace"], row["key"]))
    if mf is None:
        mf = Metafield(id=catalog.next_id(), owner_id=row["owner_id"], namespace=row["namespace"],
                       key=row["key"], type=row["type"], value=row["value"], created_at=ctx.now,
                       updated_at=ctx.now)
        by_key[(mf.namespace, mf.key)] = mf
        return mf
    if (mf.type, mf.value) != (row["type"], row["value"]):
        mf.type, mf.value, mf.updated_at = row["type"], row["value"], ctx.now
        # A write replaces Shopify's seeded token with ours.
        if getattr(mf, "compare_digest", None):
            mf.compare_digest = None
    return mf


# -- metafieldsDelete ------------------------------------------------------------
@mutation("metafieldsDelete")
def metafields_delete(ctx: Any, info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
    """One entry per identifier, in order: what was deleted, or null when the
    owner has no such metafield (an unknown owner included); an empty list
    deletes nothing and is no error (captured: metafields-delete-parity's
    edge cases `emptyInput` → `deletedMetafields: []`, `nonexistentOwner` → `[null]`)."""
    if any(foreign_app_namespace(ctx, resolve_namespace(ctx, item["namespace"])) for item in metafields):
        return {"deletedMetafields": [], "userErrors": [user_error(["metafields"], APP_NOT_AUTHORIZED_MESSAGE)]}
    deleted: list[Optional[dict[str, Any]]] = []
    for item in metafields:
        owner_id, namespace, key = item["ownerId"], resolve_namespace(ctx, item["namespace"]), item["key"]
        by_key = ctx.catalog.metafields.get(owner_id, {})
        mf = by_key.pop((namespace, key), None)
        deleted.append({"__typename": "MetafieldIdentifier", "ownerId": owner_id, "namespace": namespace,
                        "key": key} if mf is not None else None)
    return {"deletedMetafields": deleted, "userErrors": []}


# -- definitions -----------------------------------------------------------------
@query("metafieldDefinitions")
def resolve_metafield_definitions(ctx: Any, info: Any, ownerType: str, **args: Any) -> dict[str, Any]:
    rows = [d for d in ctx.catalog.metafield_definitions if d.owner_type == ownerType]
    if args.get("namespace") is not None:
        namespace = resolve_namespace(ctx, args["namespace"])
        rows = [d for d in rows if d.namespace == namespace]
    if args.get("key") is not None:
        rows = [d for d in rows if d.key == args["key"]]
    pinned = args.get("pinnedStatus")
    if pinned == "PINNED":
        rows = [d for d in rows if d.pinned_position is not None]
    elif pinned == "UNPINNED":
        rows = [d for d in rows if d.pinned_position is None]
    expr = search_filters.prepare(ctx, info, "QueryRoot", "metafieldDefinitions", args.get("query"))
    if expr is not None:
        rows = [d for d in rows if DEFINITION_MATCHER.matches(expr, d)]
    sort_key = args.get("sortKey") or "ID"
    if sort_key == "NAME":
        rows.sort(key=lambda d: (d.name.lower(), d.id))
    elif sort_key == "PINNED_POSITION":
        # Captured (pinning-parity, pin-limit readback): pinned first, highest
        # position first; then unpinned ones, newest (highest id) first.
        rows.sort(key=lambda d: (-(d.pinned_position or 0), -d.id))
    else:
        rows.sort(key=lambda d: d.id)
    sort_value = {"NAME": lambda d: d.name, "PINNED_POSITION": lambda d: d.pinned_position or 0}.get(
        sort_key, lambda d: d.id)
    indexed = search.needs_index(search.parse(args.get("query")), DEFINITION_COLUMNS)
    return paginate(rows, args, key=lambda d: d.id, node=lambda d: definition_view(ctx, d),
                    value=lambda d: cursor_value(sort_value(d), indexed=indexed))


@query("metafieldDefinition")
def resolve_metafield_definition(ctx: Any, info: Any, id: Optional[str] = None,
                                 identifier: Optional[dict[str, Any]] = None) -> Optional[dict[str, Any]]:
    """One definition by id, or by owner type, namespace and key."""
    if id is not None:
        parsed = parse_gid(id)
        if parsed is None or parsed[0] != "MetafieldDefinition" or not parsed[1].isdigit():
            return None
        found = next((d for d in ctx.catalog.metafield_definitions if d.id == int(parsed[1])), None)
    elif identifier is not None:
        found = find_definition(ctx, identifier["ownerType"], resolve_namespace(ctx, identifier.get("namespace")),
                                identifier["key"])
    else:
        raise bad_request("Either id or identifier must be provided")
    return definition_view(ctx, found) if found else None


# The filters of the schema's `metafieldDefinitions(query:)` table; a bare
# term searches the name, namespace and key.
DEFINITION_MATCHER = search.Matcher({
    "namespace": search.Field(search.KEYWORD, lambda d: [d.namespace]),
    "key": search.Field(search.KEYWORD, lambda d: [d.key]),
    "owner_type": search.Field(search.KEYWORD, lambda d: [d.owner_type]),
    "type": search.Field(search.KEYWORD, lambda d: [d.type]),
    "id": search.Field(search.NUMBER, lambda d: [d.id]),
    "created_at": search.Field(search.TIME, lambda d: [d.created_at]),
    "updated_at": search.Field(search.TIME, lambda d: [d.updated_at]),
}, ("namespace", "key", "name"), searched_only={"name": search.Field(search.TEXT, lambda d: [d.name])})


# Columns of the definitions table (search.needs_index).
DEFINITION_COLUMNS = ("id", "namespace", "key", "owner_type", "type")
PINNED_LIMIT = 50
ADMIN_FILTERABLE_LIMIT = 50
# Validation options each type accepts
# (https://shopify.dev/docs/apps/build/custom-data/metafields/list-of-validation-options).
_TEXT_OPTIONS = ("min", "max", "regex", "choices")
VALIDATION_OPTIONS: dict[str, tuple[str, ...]] = {
    "single_line_text_field": _TEXT_OPTIONS,
    "multi_line_text_field": ("min", "max", "regex"),
    "rich_text_field": ("max",),
    "number_integer": ("min", "max", "choices"),
    "number_decimal": ("min", "max", "max_precision", "choices"),
    "date": ("min", "max"), "date_time": ("min", "max"),
    "rating": ("scale_min", "scale_max"),
    "json": ("schema",),
    "url": ("allowed_domains",),
    "file_reference": ("file_type_options",),
    "metaobject_reference": ("metaobject_definition_id",),
    "mixed_reference": ("metaobject_definition_ids",),
    "boolean": (), "color": (), "product_reference": (), "variant_reference": (), "collection_reference": (),
    "page_reference": (), "customer_reference": (), "company_reference": (),
}
_MEASUREMENT_OPTIONS = ("min", "max")


def _validation_option_error(type_: str, validations: list[dict[str, Any]]) -> Any:
    """The userError (or, for ratings, the list of them) a definition's
    validations earn; None when they are acceptable."""
    base = type_[5:] if type_.startswith("list.") else type_
    allowed = VALIDATION_OPTIONS.get(base, _MEASUREMENT_OPTIONS if base in MEASUREMENT_TYPES else None)
    if allowed is None:
        return None
    if type_.startswith("list."):
        allowed = allowed + ("list.min", "list.max")
    names = [rule.get("name") for rule in validations]
    if len(set(names)) != len(names):
        return _definition_error(["definition", "validations"], 'Validations cannot contain duplicate "name" options.',
                                 "DUPLICATE_OPTION")
    for rule in validations:
        name = rule.get("name")
        if name in ("min", "max") and base in ("number_integer", "number_decimal") and rule.get("value") is not None:
            pattern = _INT_RE if base == "number_integer" else re.compile(r"^-?\d+(\.\d+)?$")
            if not pattern.match(str(rule["value"]).strip()):
                kind = "an integer" if base == "number_integer" else "a decimal"
                return _definition_error(["definition", "validations"],
                                         f"Validations value for option {name} must be {kind}.", "INVALID_OPTION")
        if name not in allowed:
            return _definition_error(
                ["definition", "validations"],
                f"Validations value for option {name} contains an invalid value: '{name}' isn't supported for "
                f"{type_}.", "INVALID_OPTION")
    values = {rule.get("name"): rule.get("value") for rule in validations}
    if values.get("min") is not None and values.get("max") is not None:
        try:
            reversed_bounds = Decimal(str(values["min"])) > Decimal(str(values["max"]))
        except InvalidOperation:
            reversed_bounds = str(values["min"]) > str(values["max"])
        if reversed_bounds:
            return _definition_error(["definition", "validations"],
                                     "Validations contains an invalid value: 'min' must be less than 'max'.",
                                     "INVALID_OPTION")
    if base == "rating":
        missing = [_definition_error(["definition", "validations"], f"Validations requires '{bound}' to be provided.",
                                     "INVALID_OPTION")
                   for bound in ("scale_max", "scale_min") if values.get(bound) is None]
        if missing:
            return missing
    if base == "metaobject_reference" and not values.get("metaobject_definition_id"):
        return _definition_error(["definition", "validations"], "Validations require that you select a metaobject.",
                                 "INVALID_OPTION")
    return None


def _initial_capabilities(type_: str, requested: dict[str, Any]) -> dict[str, Any]:
    """`id` definitions always have unique values (captured: enabled without asking)."""
    out = {k: v for k, v in requested.items() if v is not None}
    if type_ == "id":
        out["uniqueValues"] = {"enabled": True}
    return out


def _list_unit(type_: str, unit: Any) -> str:
    """Units as list jsonValues spell them: the short form where Shopify has
    one (CENTIMETERS → cm), else lower case."""
    name = str(unit or "")
    aliases = _UNITS.get(type_, {}).get(name)
    return aliases[0] if aliases else name.lower()


def _capability_eligible(capability: str, owner_type: str, type_: str) -> bool:
    """Which definitions a capability may be enabled on (captured:
    unique_values is refused for json and references, smart collection
    conditions for non-product owners)."""
    if capability == "uniqueValues":
        return type_ in ("single_line_text_field", "url", "number_integer", "id")
    if capability == "adminFilterable":
        return type_ not in ("json", "rich_text_field", "multi_line_text_field", "money", "link")
    if capability == "smartCollectionCondition":
        return owner_type == "PRODUCT" and not type_.startswith("list.") and type_ not in (
            "json", "rich_text_field", "multi_line_text_field", "file_reference", "money", "link", "id")
    return True


# Captured (metafield-definitions-access-validation): definitions in the
# reserved `shopify` namespace are Shopify's (ACCESS_DENIED when an app creates
# one, or sets access on one), and outside app namespaces admin access stays
# PUBLIC_READ_WRITE (create answers INVALID, update INVALID_INPUT).
SHOPIFY_NAMESPACE = "shopify"
ADMIN_ACCESS_MESSAGE = 'Setting this access control is not permitted. It must be one of ["public_read_write"].'


def _admin_access_refused(namespace: str, access: Optional[dict[str, Any]]) -> bool:
    admin = (access or {}).get("admin")
    return admin is not None and admin != "PUBLIC_READ_WRITE" and not namespace.startswith("app--")


def _definition_error(field: list[str], message: str, code: str) -> dict[str, Any]:
    return user_error(field, message, code)


@mutation("metafieldDefinitionCreate")
def metafield_definition_create(ctx: Any, info: Any, definition: dict[str, Any]) -> dict[str, Any]:
    namespace = resolve_namespace(ctx, definition.get("namespace"))
    if foreign_app_namespace(ctx, namespace) or namespace == SHOPIFY_NAMESPACE:
        raise access_denied("metafieldDefinitionCreate", DEFINITION_ACCESS)
    if _admin_access_refused(namespace, definition.get("access")):
        return {"createdDefinition": None, "userErrors": [_definition_error(
            ["definition"], ADMIN_ACCESS_MESSAGE, "INVALID")]}
    key = definition["key"]
    name = definition["name"]
    owner_type = definition["ownerType"]
    type_ = definition["type"]
    errors: list[dict[str, Any]] = []
    namespace_at, key_at, name_at = ["definition", "namespace"], ["definition", "key"], ["definition", "name"]
    if len(namespace) < 3:
        errors.append(_definition_error(namespace_at, "Namespace is too short (minimum is 3 characters)", "TOO_SHORT"))
    elif len(namespace) > 255:
        errors.append(_definition_error(namespace_at, "Namespace is too long (maximum is 255 characters)", "TOO_LONG"))
    elif not _NAME_RE.match(namespace):
        errors.append(_definition_error(namespace_at, "Namespace contains one or more invalid characters.",
                                        "INVALID_CHARACTER"))
    if len(key) < 2:
        errors.append(_definition_error(key_at, "Key is too short (minimum is 2 characters)", "TOO_SHORT"))
    elif len(key) > 64:
        errors.append(_definition_error(key_at, "Key is too long (maximum is 64 characters)", "TOO_LONG"))
    elif not _NAME_RE.match(key):
        errors.append(_definition_error(key_at, "Key contains one or more invalid characters.", "INVALID_CHARACTER"))
    if not name.strip():
        errors.append(_definition_error(name_at, "Name can't be blank", "BLANK"))
    elif len(name) > 255:
        errors.append(_definition_error(name_at, "Name is too long (maximum is 255 characters)", "TOO_LONG"))
    if type_ not in VALID_TYPES:
        errors.append(_definition_error(
            ["definition", "type"],
            f"Type name {type_} is not a valid type. Valid types are: {', '.join(VALID_TYPES)}.", "INCLUSION"))
    if errors:
        return {"createdDefinition": None, "userErrors": errors}
    option_error = _validation_option_error(type_, definition.get("validations") or [])
    if option_error:
        return {"createdDefinition": None,
                "userErrors": option_error if isinstance(option_error, list) else [option_error]}
    capabilities = definition.get("capabilities") or {}
    for capability, label in (("uniqueValues", "unique_values"),
                              ("smartCollectionCondition", "smart_collection_condition")):
        wanted = (capabilities.get(capability) or {}).get("enabled")
        if wanted and not _capability_eligible(capability, owner_type, type_):
            return {"createdDefinition": None, "userErrors": [_definition_error(
                ["definition"], f"The capability {label} is not valid for this definition.", "INVALID_CAPABILITY")]}
    if find_definition(ctx, owner_type, namespace, key) is not None:
        label = OWNER_TYPE_LABELS.get(owner_type, owner_type.title())
        return {"createdDefinition": None, "userErrors": [_definition_error(
            ["definition", "key"], f"Key is in use for {label} metafields on the '{namespace}' namespace.", "TAKEN")]}
    same_owner = [d for d in ctx.catalog.metafield_definitions if d.owner_type == owner_type]
    if len(same_owner) >= DEFINITIONS_PER_OWNER_TYPE:
        return {"createdDefinition": None, "userErrors": [_definition_error(
            ["definition"], f"Stores can only have {DEFINITIONS_PER_OWNER_TYPE} definitions for each store resource.",
            "RESOURCE_TYPE_LIMIT_EXCEEDED")]}
    if (capabilities.get("adminFilterable") or {}).get("enabled"):
        filtering = [d for d in same_owner if ((d.capabilities or {}).get("adminFilterable") or {}).get("enabled")]
        if len(filtering) >= ADMIN_FILTERABLE_LIMIT:
            label = OWNER_TYPE_LABELS.get(owner_type, owner_type.title()).lower()
            return {"createdDefinition": None, "userErrors": [_definition_error(
                ["definition"], f"You can only use {ADMIN_FILTERABLE_LIMIT} {label} metafield definitions to filter "
                f"the {label} list. To add a new filter, disable filtering on an existing one.",
                "OWNER_TYPE_LIMIT_EXCEEDED_FOR_USE_AS_ADMIN_FILTERS")]}
    validations = [{"name": v["name"], "value": v.get("value")} for v in definition.get("validations") or []]
    pinned_position = None
    if definition.get("pin") and definition.get("constraints"):
        return {"createdDefinition": None, "userErrors": [_definition_error(
            ["definition"], "Constrained metafield definitions do not support pinning.", "UNSUPPORTED_PINNING")]}
    if definition.get("pin"):
        positions = [d.pinned_position for d in same_owner if d.pinned_position is not None]
        if len(positions) >= PINNED_LIMIT:
            return {"createdDefinition": None, "userErrors": [_definition_error(
                ["definition"], f"Limit of {PINNED_LIMIT} pinned definitions.", "PINNED_LIMIT_REACHED")]}
        pinned_position = max(positions, default=0) + 1
    created = MetafieldDefinition(
        id=ctx.catalog.next_id(), namespace=namespace, key=key, name=name, owner_type=owner_type, type=type_,
        description=definition.get("description") or "", validations=validations,
        access=dict(definition.get("access") or {}),
        capabilities=_initial_capabilities(type_, definition.get("capabilities") or {}),
        pinned_position=pinned_position, created_at=ctx.now, updated_at=ctx.now,
        constraint_key=(definition.get("constraints") or {}).get("key"),
        constraint_values=[_constraint_value(v) for v in (definition.get("constraints") or {}).get("values") or []],
        app_client_id=ctx.token.client_id if namespace.startswith("app--") and ctx.token else None)
    ctx.catalog.metafield_definitions.append(created)
    # Existing unstructured metafields of that owner type, namespace and key
    # take the definition's type when their value is valid for it.
    for owner, by_key in ctx.catalog.metafields.items():
        mf = by_key.get((namespace, key))
        if mf is None or owner_type_of(owner) != owner_type or mf.type == type_:
            continue
        try:
            validate_value(ctx, type_, mf.value)
        except _Invalid:
            continue
        mf.type = type_
    return {"createdDefinition": definition_view(ctx, created), "userErrors": []}


def _definition_by(ctx: Any, definition_id: Optional[str], identifier: Optional[dict[str, Any]]
                   ) -> Optional[MetafieldDefinition]:
    if definition_id is not None:
        parsed = parse_gid(definition_id)
        if parsed is None or parsed[0] != "MetafieldDefinition" or not parsed[1].isdigit():
            return None
        return next((d for d in ctx.catalog.metafield_definitions if d.id == int(parsed[1])), None)
    if identifier is not None:
        return find_definition(ctx, identifier["ownerType"], resolve_namespace(ctx, identifier.get("namespace")),
                               identifier["key"])
    return None


def _constrained(d: MetafieldDefinition) -> bool:
    return d.constraint_key is not None or bool(d.constraint_values)


def _constraint_value(value: str) -> str:
    """A constraint value as Shopify stores it: a taxonomy category gid's
    last part (captured: gid://shopify/TaxonomyCategory/ap-2 reads "ap-2")."""
    return value.rsplit("/", 1)[-1] if value.startswith("gid://") else value


def _pin(ctx: Any, d: MetafieldDefinition) -> Optional[tuple[str, str]]:
    """Pin at the end of the owner type's pinned list; (code, message) when refused."""
    if d.pinned_position is not None:
        return "ALREADY_PINNED", "Definition already pinned."
    # Captured (metafield-definition-pin-limit-and-constraint-guard): checked
    # before the pinned limit.
    if _constrained(d):
        return "UNSUPPORTED_PINNING", "Constrained metafield definitions do not support pinning."
    pinned = [x.pinned_position for x in ctx.catalog.metafield_definitions
              if x.owner_type == d.owner_type and x.pinned_position is not None]
    if len(pinned) >= PINNED_LIMIT:
        return "PINNED_LIMIT_REACHED", f"Limit of {PINNED_LIMIT} pinned definitions."
    d.pinned_position = max(pinned, default=0) + 1
    return None


def _unpin(ctx: Any, d: MetafieldDefinition) -> None:
    """Unpin; the definitions pinned after it move up one place."""
    position, d.pinned_position = d.pinned_position, None
    if position is None:
        return
    for other in ctx.catalog.metafield_definitions:
        if other.owner_type == d.owner_type and other.pinned_position is not None and other.pinned_position > position:
            other.pinned_position -= 1


@mutation("metafieldDefinitionUpdate")
def metafield_definition_update(ctx: Any, info: Any, definition: dict[str, Any]) -> dict[str, Any]:
    """Name, description, validations, capabilities, access and pinning of an
    existing definition, found by owner type, namespace and key."""
    def refused(field: Optional[list[str]], message: str, code: str) -> dict[str, Any]:
        return {"updatedDefinition": None, "validationJob": None, "userErrors": [user_error(field, message, code)]}

    namespace = resolve_namespace(ctx, definition.get("namespace"))
    if foreign_app_namespace(ctx, namespace) or (namespace == SHOPIFY_NAMESPACE and definition.get("access")):
        raise access_denied("metafieldDefinitionUpdate", DEFINITION_ACCESS)
    if _admin_access_refused(namespace, definition.get("access")):
        return refused(["definition"], ADMIN_ACCESS_MESSAGE, "INVALID_INPUT")
    d = find_definition(ctx, definition["ownerType"], namespace, definition["key"])
    if d is None:
        return refused(["definition"], "Definition not found.", "NOT_FOUND")
    name, description = definition.get("name"), definition.get("description")
    if name is not None and len(name) > 255:
        return refused(["definition", "name"], "Name is too long (maximum is 255 characters)", "TOO_LONG")
    if description is not None and len(description) > 255:
        return refused(["definition", "description"], "Description is too long (maximum is 255 characters)", "TOO_LONG")
    validations = definition.get("validations")
    if validations is not None and d.type.endswith("metaobject_reference"):
        old_target = next((v.get("value") for v in d.validations if v.get("name") == "metaobject_definition_id"), None)
        new_target = next((v.get("value") for v in validations if v.get("name") == "metaobject_definition_id"), None)
        if old_target is not None and new_target != old_target:
            return refused(["definition", "validations"],
                           "Validations must not change the existing metaobject definition value",
                           "METAOBJECT_DEFINITION_CHANGED")
    if validations is not None:
        option_error = _validation_option_error(d.type, validations)
        if option_error:
            return {"updatedDefinition": None, "validationJob": None,
                    "userErrors": option_error if isinstance(option_error, list) else [option_error]}
    capabilities = definition.get("capabilities") or {}
    for capability, label in (("uniqueValues", "unique_values"),
                              ("smartCollectionCondition", "smart_collection_condition")):
        enabled = (capabilities.get(capability) or {}).get("enabled")
        if enabled and not _capability_eligible(capability, d.owner_type, d.type):
            return refused(["definition"], f"The capability {label} is not valid for this definition.",
                           "INVALID_CAPABILITY")
    updates = definition.get("constraintsUpdates")
    if updates is not None and updates.get("key") is not None and not updates.get("values"):
        return refused(["definition"], "Cannot change the constraint key without providing values.",
                       "INVALID_INPUT")
    if updates is not None:
        _update_constraints(d, updates)
    if definition.get("pin") is True and d.pinned_position is None:
        refusal = _pin(ctx, d)
        if refusal:
            return refused(["definition"], refusal[1], refusal[0])
    elif definition.get("pin") is False:
        _unpin(ctx, d)
    if name is not None:
        d.name = name
    if description is not None:
        d.description = description
    job_view = None
    if validations is not None:
        new_validations = [{"name": v["name"], "value": v.get("value")} for v in validations]
        if new_validations != d.validations:
            # Shopify revalidates existing values in a background job.
            job_view = _validation_job(ctx)
        d.validations = new_validations
    for capability, value in capabilities.items():
        if value is not None:
            d.capabilities = {**(d.capabilities or {}), capability: {"enabled": bool(value.get("enabled"))}}
    if definition.get("access"):
        d.access = {**(d.access or {}), **{k: v for k, v in definition["access"].items() if v is not None}}
    d.updated_at = ctx.now
    return {"updatedDefinition": definition_view(ctx, d), "validationJob": job_view, "userErrors": []}


def _update_constraints(d: MetafieldDefinition, updates: dict[str, Any]) -> None:
    """`constraintsUpdates`: `key: null, values: []` removes the constraints;
    otherwise values are created and deleted. Captured
    (metafield-definition-update-constraints, 2026-04): the values change
    while `constraints.key` keeps reading what it was (null there)."""
    if updates.get("key") is None and not updates.get("values"):
        d.constraint_key, d.constraint_values = None, []
        return
    for change in updates.get("values") or []:
        if change.get("delete") is not None:
            value = _constraint_value(change["delete"])
            d.constraint_values = [v for v in d.constraint_values if v != value]
        if change.get("create") is not None and _constraint_value(change["create"]) not in d.constraint_values:
            d.constraint_values.append(_constraint_value(change["create"]))


def _validation_job(ctx: Any) -> dict[str, Any]:
    import uuid
    from ..catalog import Job
    from .views import job_view
    job = Job(id=str(uuid.uuid4()), created_at=ctx.now,
              done_at=ctx.now + float(ctx.config.get("SIM_JOB_DELAY", 0.3)))
    ctx.catalog.jobs[job.id] = job
    return job_view(ctx, job)


@mutation("metafieldDefinitionDelete")
def metafield_definition_delete(ctx: Any, info: Any, id: Optional[str] = None,
                                identifier: Optional[dict[str, Any]] = None,
                                deleteAllAssociatedMetafields: Optional[bool] = None) -> dict[str, Any]:
    """Delete a definition; its metafields go too when asked (and must, for
    id and reference types, as Shopify requires)."""
    d = _definition_by(ctx, id, identifier)
    if d is None:
        return {"deletedDefinitionId": None, "deletedDefinition": None,
                "userErrors": [user_error(["id"] if id is not None else ["identifier"], "Definition not found.",
                                          "NOT_FOUND")]}
    from .owners import definition_in_use
    if definition_in_use(ctx, d.id):
        # Whatever deleteAllAssociatedMetafields says (captured for both).
        return {"deletedDefinitionId": None, "deletedDefinition": None, "userErrors": [user_error(
            None, "Cannot proceed with this action. This definition is used in one or more automated collections.",
            "METAFIELD_DEFINITION_IN_USE")]}
    if not deleteAllAssociatedMetafields:
        base = d.type[5:] if d.type.startswith("list.") else d.type
        if base == "id":
            return {"deletedDefinitionId": None, "deletedDefinition": None, "userErrors": [user_error(
                None, "Deleting an id type metafield definition requires deletion of its associated metafields.",
                "ID_TYPE_DELETION_ERROR")]}
        if base.endswith("_reference"):
            return {"deletedDefinitionId": None, "deletedDefinition": None, "userErrors": [user_error(
                None, "Deleting a reference type metafield definition requires deletion of its associated "
                      "metafields.", "REFERENCE_TYPE_DELETION_ERROR")]}
    _unpin(ctx, d)
    ctx.catalog.metafield_definitions.remove(d)
    if deleteAllAssociatedMetafields:
        for owner, by_key in ctx.catalog.metafields.items():
            if owner_type_of(owner) == d.owner_type:
                by_key.pop((d.namespace, d.key), None)
    return {"deletedDefinitionId": d.gid,
            "deletedDefinition": {"__typename": "MetafieldDefinitionIdentifier", "ownerType": d.owner_type,
                                  "namespace": d.namespace, "key": d.key},
            "userErrors": []}


@mutation("metafieldDefinitionPin")
def metafield_definition_pin(ctx: Any, info: Any, definitionId: Optional[str] = None,
                             identifier: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    d = _definition_by(ctx, definitionId, identifier)
    if d is None:
        return {"pinnedDefinition": None, "userErrors": [user_error(None, "Definition not found.", "NOT_FOUND")]}
    refusal = _pin(ctx, d)
    if refusal:
        return {"pinnedDefinition": None, "userErrors": [user_error(None, refusal[1], refusal[0])]}
    return {"pinnedDefinition": definition_view(ctx, d), "userErrors": []}


@mutation("metafieldDefinitionUnpin")
def metafield_definition_unpin(ctx: Any, info: Any, definitionId: Optional[str] = None,
                               identifier: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    d = _definition_by(ctx, definitionId, identifier)
    if d is None:
        return {"unpinnedDefinition": None, "userErrors": [user_error(None, "Definition not found.", "NOT_FOUND")]}
    if d.pinned_position is None:
        return {"unpinnedDefinition": None,
                "userErrors": [user_error(None, f"Definition {d.id} isn't pinned.", "NOT_PINNED")]}
    _unpin(ctx, d)
    return {"unpinnedDefinition": definition_view(ctx, d), "userErrors": []}


def iter_metafields(ctx: Any) -> Iterable[Metafield]:
    for by_key in ctx.catalog.metafields.values():
        yield from by_key.values()


__all__ = ["owner_metafield", "owner_metafields", "node", "metafield_view", "definition_view",
           "resolve_namespace", "compare_digest", "validate_value", "VALID_TYPES"]
