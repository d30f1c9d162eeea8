"""The Shopify fields a Cloudinary value can be matched against.

Standard fields are fixed; product metafield definitions are read from the
store. `resolve_field` (jobs.matching.matcher) turns a `shopify_field`
string into a `FieldSpec` the matcher and the sync share.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from shopify_app.admin_api import AdminApiClient, queries

from .search import page_size

Level = Literal["product", "variant"]


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    level: Level
    # Shopify search filter for this field (`sku`, `metafields.ns.key`, ...).
    search_filter: str
    namespace: Optional[str] = None
    metafield_key: Optional[str] = None
    metafield_type: Optional[str] = None
    searchable: bool = True


STANDARD_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("sku", "Variant SKU", "variant", "sku"),
    FieldSpec("barcode", "Variant barcode", "variant", "barcode"),
    FieldSpec("handle", "Product handle", "product", "handle"),
    FieldSpec("title", "Product title", "product", "title"),
    FieldSpec("vendor", "Product vendor", "product", "vendor"),
    FieldSpec("product_type", "Product type", "product", "product_type"),
    FieldSpec("tag", "Product tag", "product", "tag"),
    FieldSpec("id", "Product ID", "product", "id"),
)
STANDARD_BY_KEY = {f.key: f for f in STANDARD_FIELDS}
METAFIELD_PREFIX = "metafield:"

# Metafield types Shopify can filter products by
# (https://shopify.dev/docs/apps/build/custom-data/metafields/query-by-metafield-value).
FILTERABLE_TYPES = {
    "single_line_text_field", "boolean", "product_reference", "collection_reference", "page_reference",
    "metaobject_reference", "company_reference",
    "list.single_line_text_field", "list.product_reference", "list.collection_reference", "list.page_reference",
    "list.metaobject_reference", "list.company_reference",
}
METAFIELD_SEARCH_NOTE = ("Shopify finds metafield values only by exact, case-sensitive match, so a value in "
                         "another case does not match")


def metafield_definitions(client: AdminApiClient) -> list[FieldSpec]:
    """Every product metafield definition of the store, as field specs."""
    specs: list[FieldSpec] = []
    after = None
    first = page_size(client.capacity(), queries.METAFIELD_DEFINITION_NODE_COST)
    while True:
        cost = queries.CONNECTION_OVERHEAD + first * queries.METAFIELD_DEFINITION_NODE_COST
        data = client.execute(queries.PRODUCT_METAFIELD_DEFINITIONS, {"first": first, "after": after},
                              expected_cost=cost)
        connection = data["metafieldDefinitions"]
        for node in connection["nodes"]:
            type_name = (node.get("type") or {}).get("name") or ""
            filterable = bool((((node.get("capabilities") or {}).get("adminFilterable")) or {}).get("enabled"))
            specs.append(FieldSpec(
                key=f"{METAFIELD_PREFIX}{node['namespace']}.{node['key']}",
                label=node.get("name") or f"{node['namespace']}.{node['key']}", level="product",
                search_filter=f"metafields.{node['namespace']}.{node['key']}",
                namespace=node["namespace"], metafield_key=node["key"], metafield_type=type_name,
                searchable=filterable and type_name in FILTERABLE_TYPES))
        if not connection["pageInfo"]["hasNextPage"]:
            return specs
        after = connection["pageInfo"]["endCursor"]


def unsearchable_reason(spec: FieldSpec) -> str | None:
    if spec.searchable:
        return None
    if spec.metafield_type not in FILTERABLE_TYPES:
        return (f"Shopify can't search products by a metafield of type {spec.metafield_type}; "
                f"use a single_line_text_field metafield")
    return "turn on 'Filter products in admin' for this metafield definition in Shopify (Settings > Custom data)"
