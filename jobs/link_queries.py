"""The Admin API documents the sync job reads products with."""
from __future__ import annotations

PRODUCT_STATE = """
query AssetLinkProductState($id: ID!) {
  product(id: $id) {
    id
    title
    media(first: 250) { nodes { id } }
    productmedia: metafield(namespace: "cloudinary", key: "productmedia_v1") { value }
    swatch: metafield(namespace: "cloudinary", key: "swatch") { value }
  }
}
"""
PRODUCT_STATE_COST = 260

VARIANT_STATE = """
query AssetLinkVariantState($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      media(first: 1) { nodes { id } }
      swatch: metafield(namespace: "cloudinary", key: "swatch") { value }
    }
  }
}
"""
VARIANT_STATE_NODE_COST = 5
