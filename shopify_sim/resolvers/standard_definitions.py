"""`standardMetafieldDefinitionEnable`: a metafield definition from one of
Shopify's standard templates (shopify_sim/data/standard_metafield_definition_templates.json,
only the templates the captures show).

Behaviour as recorded (standard-metafield-definition-enable-error-branches,
-validation, -reenable-idempotent, metafield-definition-create-with-pin-guards,
metafield-definition-capability-eligibility): checks run template, access,
capabilities, then the pin guard; enabling a template that is already enabled
answers the existing definition (same id), and `pin: true` then pins it at the
next position without the pinned-limit check.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any, Optional

from ..catalog import MetafieldDefinition, parse_gid
from . import mutation
from .common import user_error
from .metafields import PINNED_LIMIT, _capability_eligible, definition_view, find_definition

TEMPLATES_PATH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data",
                              "standard_metafield_definition_templates.json")
NOT_FOUND_MESSAGE = "A standard definition wasn't found for the specified owner type, namespace, and key."
RESERVED_NAMESPACES = ("shopify",)  # Shopify's own definitions keep Shopify's access
CAPABILITY_LABELS = {"smartCollectionCondition": "smart_collection_condition", "uniqueValues": "unique_values",
                     "adminFilterable": "admin_filterable"}


@functools.lru_cache(maxsize=1)
def templates() -> tuple[dict[str, Any], ...]:
    with open(TEMPLATES_PATH, encoding="utf-8") as fh:
        return tuple(json.load(fh)["templates"])


def find_template(owner_type: str, template_id: Optional[str], namespace: Optional[str],
                  key: Optional[str]) -> Optional[dict[str, Any]]:
    if template_id is not None:
        parsed = parse_gid(template_id)
        if parsed is None or parsed[0] != "StandardMetafieldDefinitionTemplate" or not parsed[1].isdigit():
            return None
        found = next((t for t in templates() if t["id"] == int(parsed[1])), None)
    else:
        found = next((t for t in templates() if t["namespace"] == namespace and t["key"] == key), None)
    return found if found is not None and owner_type in found["ownerTypes"] else None


def _refused(field: Optional[list[str]], message: str, code: str) -> dict[str, Any]:
    return {"createdDefinition": None, "userErrors": [user_error(field, message, code)]}


@mutation("standardMetafieldDefinitionEnable")
def standard_metafield_definition_enable(ctx: Any, info: Any, ownerType: str, id: Optional[str] = None,
                                         namespace: Optional[str] = None, key: Optional[str] = None,
                                         pin: Optional[bool] = None, capabilities: Optional[dict] = None,
                                         access: Optional[dict] = None, visibleToStorefrontApi: Optional[bool] = None,
                                         useAsCollectionCondition: Optional[bool] = None,
                                         **_: Any) -> dict[str, Any]:
    template = find_template(ownerType, id, namespace, key)
    if template is None:
        return _refused(None, NOT_FOUND_MESSAGE, "TEMPLATE_NOT_FOUND")
    if access and access.get("admin") is not None:
        return _refused(["access"], 'Setting this access control is not permitted. It must be one of '
                                    '["public_read_write"].', "INVALID")
    if access and any(v is not None for v in access.values()) and template["namespace"] in RESERVED_NAMESPACES:
        # Captured (metafield-definitions-access-validation: shopify.color-pattern).
        return _refused(["access"], "Setting access controls on a definition under this namespace is not permitted.",
                        "INVALID")
    requested = {k: v for k, v in (capabilities or {}).items() if v is not None}
    if useAsCollectionCondition:
        requested["smartCollectionCondition"] = {"enabled": True}
    for capability, value in requested.items():
        if value.get("enabled") and not _capability_eligible(capability, ownerType, template["type"]):
            label = CAPABILITY_LABELS.get(capability, capability)
            return _refused(None, f"The capability {label} is not valid for this definition.", "INVALID_CAPABILITY")
    constraints = template.get("constraints")
    if pin and constraints:
        return _refused(None, "Constrained metafield definitions do not support pinning.", "UNSUPPORTED_PINNING")
    catalog = ctx.catalog
    pinned = [d.pinned_position for d in catalog.metafield_definitions
              if d.owner_type == ownerType and d.pinned_position is not None]
    existing = find_definition(ctx, ownerType, template["namespace"], template["key"])
    if existing is not None:
        if pin and existing.pinned_position is None:
            existing.pinned_position = max(pinned, default=0) + 1
        return {"createdDefinition": definition_view(ctx, existing), "userErrors": []}
    if pin and len(pinned) >= PINNED_LIMIT:
        return _refused(None, f"Limit of {PINNED_LIMIT} pinned definitions.", "PINNED_LIMIT_REACHED")
    storefront_visible = (template["visibleToStorefrontApi"] if visibleToStorefrontApi is None
                          else visibleToStorefrontApi)
    definition_access = {"storefront": "PUBLIC_READ" if storefront_visible else "NONE"}
    definition_access.update({k: v for k, v in (access or {}).items() if v is not None})
    created = MetafieldDefinition(
        id=catalog.next_id(), namespace=template["namespace"], key=template["key"], name=template["name"],
        owner_type=ownerType, type=template["type"], description=template["description"],
        validations=[dict(v) for v in template["validations"]], access=definition_access,
        capabilities={k: {"enabled": bool(v.get("enabled"))} for k, v in requested.items()},
        pinned_position=(max(pinned, default=0) + 1) if pin else None, created_at=ctx.now, updated_at=ctx.now,
        constraint_key=(constraints or {}).get("key"), constraint_values=list((constraints or {}).get("values") or []))
    catalog.metafield_definitions.append(created)
    return {"createdDefinition": definition_view(ctx, created), "userErrors": []}
