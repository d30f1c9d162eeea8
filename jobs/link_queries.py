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

PRODUCT_GALLERY = """
query AssetLinkGallery($id: ID!) {
  product(id: $id) {
    id
    media(first: 250) { nodes { id } }
    productmedia: metafield(namespace: "cloudinary", key: "productmedia_v1") { value }
  }
}
"""
PRODUCT_GALLERY_COST = 256

CREATE_MEDIA = """
mutation AssetLinkCreateMedia($product: ProductUpdateInput!, $media: [CreateMediaInput!]!) {
  productUpdate(product: $product, media: $media) { product { id } userErrors { field message } }
}
"""

UPDATE_FILES = """
mutation AssetLinkUpdateFiles($files: [FileUpdateInput!]!) {
  fileUpdate(files: $files) { files { id } userErrors { field message code } }
}
"""

DELETE_FILES = """
mutation AssetLinkDeleteFiles($ids: [ID!]!) {
  fileDelete(fileIds: $ids) { deletedFileIds userErrors { field message code } }
}
"""

CREATE_FILES = """
mutation AssetLinkCreateFiles($files: [FileCreateInput!]!) {
  fileCreate(files: $files) { files { id fileStatus } userErrors { field message code } }
}
"""

MEDIA_STATUS = """
query AssetLinkMediaStatus($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Media { id status mediaErrors { code message } } }
}
"""

REORDER_MEDIA = """
mutation AssetLinkReorder($id: ID!, $moves: [MoveInput!]!) {
  productReorderMedia(id: $id, moves: $moves) { job { id done } mediaUserErrors { field message code } }
}
"""

JOB_DONE = """
query AssetLinkJob($id: ID!) { job(id: $id) { id done } }
"""

SET_METAFIELDS = """
mutation AssetLinkSetMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) { metafields { id } userErrors { field message code } }
}
"""

VARIANT_MEDIA = """
query AssetLinkVariantMedia($ids: [ID!]!) {
  nodes(ids: $ids) { ... on ProductVariant { id media(first: 1) { nodes { id } } } }
}
"""

DETACH_VARIANT_MEDIA = """
mutation AssetLinkDetachVariantMedia($productId: ID!, $variantMedia: [ProductVariantDetachMediaInput!]!) {
  productVariantDetachMedia(productId: $productId, variantMedia: $variantMedia) { userErrors { field message code } }
}
"""

APPEND_VARIANT_MEDIA = """
mutation AssetLinkAppendVariantMedia($productId: ID!, $variantMedia: [ProductVariantAppendMediaInput!]!) {
  productVariantAppendMedia(productId: $productId, variantMedia: $variantMedia) { userErrors { field message code } }
}
"""
