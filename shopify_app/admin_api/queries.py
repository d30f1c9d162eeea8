"""Every GraphQL document the app sends to Shopify, by name.

Keeping them in one module lets one test validate all of them against
Shopify's published 2026-10 schema (tests/test_admin_api_queries.py): a typo
or a field Shopify removed fails the build, not a merchant's sync.

Cost notes use Shopify's model (object 1, scalar 0, connection 2 + first x
node cost); `cost_per_node` constants below are what callers size pages with.
"""
from __future__ import annotations

SHOP_INFO = """
query ShopInfo {
  shop { id name myshopifyDomain currencyCode plan { displayName partnerDevelopment shopifyPlus } }
  currentAppInstallation { accessScopes { handle } }
}
"""

PRODUCT_METAFIELD_DEFINITIONS = """
query ProductMetafieldDefinitions($first: Int!, $after: String) {
  metafieldDefinitions(ownerType: PRODUCT, first: $first, after: $after) {
    nodes {
      id namespace key name
      type { name }
      capabilities { adminFilterable { enabled eligible } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# definition 1 + type 1 + capabilities 1 + adminFilterable 1
METAFIELD_DEFINITION_NODE_COST = 4

MATCH_VARIANTS = """
query MatchVariants($query: String!, $first: Int!, $after: String) {
  productVariants(query: $query, first: $first, after: $after) {
    nodes {
      id sku barcode
      product { id title handle mediaCount { count } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# variant 1 + product 1 + mediaCount 1
MATCH_VARIANTS_NODE_COST = 3

MATCH_PRODUCTS = """
query MatchProducts($query: String!, $first: Int!, $after: String) {
  products(query: $query, first: $first, after: $after) {
    nodes {
      id legacyResourceId title handle vendor productType tags
      mediaCount { count }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# product 1 + mediaCount 1
MATCH_PRODUCTS_NODE_COST = 2

MATCH_PRODUCTS_BY_METAFIELD = """
query MatchProductsByMetafield($query: String!, $first: Int!, $after: String, $namespace: String!, $key: String!) {
  products(query: $query, first: $first, after: $after) {
    nodes {
      id title handle
      mediaCount { count }
      metafield(namespace: $namespace, key: $key) { value }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
# product 1 + mediaCount 1 + metafield 1
MATCH_PRODUCTS_BY_METAFIELD_NODE_COST = 3

# A connection costs 2 on top of its nodes.
CONNECTION_OVERHEAD = 2


def all_documents() -> dict[str, str]:
    """Name -> document for every GraphQL document in this module."""
    return {name: value for name, value in globals().items()
            if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))}
