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


# -- the Link to Products executor (jobs/executor) ------------------------------------------------
# Read before planning: gallery in order, the AssetLink metafields with their
# compare digests (for metafieldsSet's compare-and-set), variant media and
# swatches. `nodes(ids:)` reads many products in one request.
PRODUCT_STATES = """
query ProductStates($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Product {
      id title
      media(first: 250) { nodes { id alt status mediaContentType } pageInfo { hasNextPage } }
      productmedia: metafield(namespace: "cloudinary", key: "productmedia_v1") { value compareDigest }
      swatch: metafield(namespace: "cloudinary", key: "swatch") {
        compareDigest
        reference { ... on MediaImage { id originalSource { url } } }
      }
      variants(first: 100) {
        nodes {
          id
          media(first: 1) { nodes { id } }
          swatch: metafield(namespace: "cloudinary", key: "swatch") {
            compareDigest
            reference { ... on MediaImage { id originalSource { url } } }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""

# Only scalars: `nodes` charges 1 per object that selects an object, so the
# status poll stays at ~1 point however many files it watches.
FILE_STATUSES = """
query FileStatuses($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on File { fileStatus } }
}
"""

FILE_ERRORS = """
query FileErrors($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on File { fileStatus fileErrors { code message details } } }
}
"""

# Upload to Store Files: each processed file's CDN URL and alt text (images: the image;
# videos: the first rendition, else the original; generic files: the file).
FILE_DETAILS = """
query FileDetails($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on File { fileStatus alt }
    ... on MediaImage { image { url } }
    ... on Video { originalSource { url } sources { url } }
    ... on GenericFile { url }
  }
}
"""

# Unlinks: which file each product's or variant's cloudinary.swatch references.
SWATCH_REFERENCES = """
query SwatchReferences($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on Product { swatch: metafield(namespace: "cloudinary", key: "swatch") { reference { ... on MediaImage { id } } } }
    ... on ProductVariant {
      swatch: metafield(namespace: "cloudinary", key: "swatch") { reference { ... on MediaImage { id } } }
    }
  }
}
"""

METAFIELDS_DELETE = """
mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { ownerId namespace key }
    userErrors { field message }
  }
}
"""

# A resumed run finds the files an interrupted fileCreate made, by filename.
FILES_BY_QUERY = """
query FilesByQuery($query: String!, $first: Int!) {
  files(query: $query, first: $first) {
    nodes { id fileStatus ... on MediaImage { originalSource { url } } ... on Video { filename } }
  }
}
"""

FILE_CREATE = """
mutation FileCreate($files: [FileCreateInput!]!) {
  fileCreate(files: $files) {
    files { id fileStatus }
    userErrors { field message code }
  }
}
"""

FILE_UPDATE = """
mutation FileUpdate($files: [FileUpdateInput!]!) {
  fileUpdate(files: $files) {
    files { id }
    userErrors { field message code }
  }
}
"""

STAGED_UPLOADS_CREATE = """
mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id }
    userErrors { field message code elementIndex }
  }
}
"""

METAFIELD_DEFINITION_CREATE = """
mutation MetafieldDefinitionCreate($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { id }
    userErrors { field message code }
  }
}
"""

# One product per mutation field; the executor sends several under aliases in
# one request (jobs/executor/aliases.py builds them from these and the test
# validates the built documents too).
PRODUCT_REORDER_MEDIA = """
mutation ProductReorderMedia($id: ID!, $moves: [MoveInput!]!) {
  productReorderMedia(id: $id, moves: $moves) {
    job { id done }
    mediaUserErrors { field message code }
  }
}
"""

JOB_STATUS = """
query JobStatus($id: ID!) {
  job(id: $id) { id done }
}
"""

PRODUCT_VARIANT_APPEND_MEDIA = """
mutation ProductVariantAppendMedia($productId: ID!, $variantMedia: [ProductVariantAppendMediaInput!]!) {
  productVariantAppendMedia(productId: $productId, variantMedia: $variantMedia) {
    userErrors { field message code }
  }
}
"""

PRODUCT_VARIANT_DETACH_MEDIA = """
mutation ProductVariantDetachMedia($productId: ID!, $variantMedia: [ProductVariantDetachMediaInput!]!) {
  productVariantDetachMedia(productId: $productId, variantMedia: $variantMedia) {
    userErrors { field message code }
  }
}
"""

# The gallery order alone, read back after attaching (Shopify does not promise
# where `referencesToAdd` puts new media, so reorders are computed from this).
GALLERY_ORDER = """
query GalleryOrder($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id media(first: 250) { nodes { id } } } }
}
"""

METAFIELD_DEFINITION_EXISTS = """
query MetafieldDefinitionExists($ownerType: MetafieldOwnerType!, $namespace: String!, $key: String!) {
  metafieldDefinitions(ownerType: $ownerType, namespace: $namespace, key: $key, first: 1) {
    nodes { id type { name } access { storefront } }
  }
}
"""

# Products with more than 100 variants: the rest of their variants.
PRODUCT_VARIANTS_PAGE = """
query ProductVariantsPage($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: 250, after: $after) {
      nodes {
        id
        media(first: 1) { nodes { id } }
        swatch: metafield(namespace: "cloudinary", key: "swatch") {
          compareDigest
          reference { ... on MediaImage { id originalSource { url } } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
