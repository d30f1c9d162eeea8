"""The metafield definitions that make AssetLink's metafields visible and
usable: in the admin (typed, with a name and description) and in themes
(storefront read access), so `product.metafields.cloudinary.productmedia_v1`
and `...cloudinary.swatch` work in Liquid and the Storefront API.

`cloudinary` is a merchant-owned namespace (not `$app`): Cloudinary's theme
snippets and the merchant's own theme code read it without knowing our app id.
"""
from __future__ import annotations

from dataclasses import dataclass

from jobs.planner.productmedia import KEY, NAMESPACE, SWATCH_KEY
from shopify_app.admin_api import UserErrors, queries
from shopify_app.admin_api.client import AdminApiClient

from . import aliases


@dataclass(frozen=True)
class Definition:
    owner_type: str
    key: str
    type: str
    name: str
    description: str


DEFINITIONS: tuple[Definition, ...] = (
    Definition("PRODUCT", KEY, "json", "Cloudinary product media",
               "AssetLink: the product's Cloudinary assets in gallery order (public_id, resource_type, alt, "
               "media_id, ...). Schema: productmedia_v1.schema.json."),
    Definition("PRODUCT", SWATCH_KEY, "file_reference", "Cloudinary swatch",
               "AssetLink: the swatch image linked from Cloudinary."),
    Definition("PRODUCTVARIANT", SWATCH_KEY, "file_reference", "Cloudinary swatch",
               "AssetLink: the variant's swatch image linked from Cloudinary."),
)


def ensure_metafield_definitions(client: AdminApiClient) -> dict[str, str]:
    """Create whichever definitions are missing; returns
    "OWNER.namespace.key" -> "exists" | "created". Reads first (all in one
    request, under aliases), so a store that has them all costs no write;
    TAKEN (created concurrently) is fine."""
    document = aliases.aliased_document(queries.METAFIELD_DEFINITION_EXISTS, len(DEFINITIONS))
    found = aliases.aliased_results(client.execute(document, aliases.aliased_variables([
        {"ownerType": d.owner_type, "namespace": NAMESPACE, "key": d.key} for d in DEFINITIONS])), len(DEFINITIONS))
    outcome: dict[str, str] = {}
    for definition, existing in zip(DEFINITIONS, found):
        label = f"{definition.owner_type}.{NAMESPACE}.{definition.key}"
        if (existing or {}).get("nodes"):
            outcome[label] = "exists"
            continue
        try:
            client.execute(queries.METAFIELD_DEFINITION_CREATE, {"definition": {
                "namespace": NAMESPACE, "key": definition.key, "name": definition.name,
                "description": definition.description, "ownerType": definition.owner_type,
                "type": definition.type, "access": {"storefront": "PUBLIC_READ"}}})
            outcome[label] = "created"
        except UserErrors as exc:
            if all(e.code == "TAKEN" for e in exc.user_errors):
                outcome[label] = "exists"
            else:
                raise
    return outcome
