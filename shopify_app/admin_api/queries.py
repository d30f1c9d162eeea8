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
# Reads by id come in pairs with one selection (a fragment): through the
# objects' search connection (`query: "id:1 OR id:2"`, `first: 250`), the
# shape Shopify prices lowest, and through `nodes(ids:)` for the few the
# search does not return (shopify_app/admin_api/by_ids.py says why).

# Read before planning: gallery in order, the AssetLink metafields with their
# compare digests (for metafieldsSet's compare-and-set) and, only when the
# sync sets variant images or links swatches, the variants' media and the
# swatches. A gallery longer than $mediaFirst is read on with PRODUCT_MEDIA_PAGE.
_PRODUCT_STATE = """
fragment ProductState on Product {
  id title
  media(first: $mediaFirst) { nodes { id alt status mediaContentType } pageInfo { hasNextPage endCursor } }
  productmedia: metafield(namespace: "cloudinary", key: "productmedia_v1") { value compareDigest }
  swatch: metafield(namespace: "cloudinary", key: "swatch") @include(if: $withSwatches) {
    compareDigest
    reference { ... on MediaImage { id originalSource { url } } }
  }
  variants(first: 100) @include(if: $withVariants) {
    nodes {
      id
      media(first: 1) { nodes { id } }
      swatch: metafield(namespace: "cloudinary", key: "swatch") @include(if: $withSwatches) {
        compareDigest
        reference { ... on MediaImage { id originalSource { url } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
_STATE_VARIABLES = "$mediaFirst: Int!, $withVariants: Boolean!, $withSwatches: Boolean!"

PRODUCT_STATES = f"""
query ProductStates($query: String!, $first: Int!, $after: String, {_STATE_VARIABLES}) {{
  products(first: $first, after: $after, query: $query) {{
    nodes {{ ...ProductState }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_PRODUCT_STATE}"""

PRODUCT_STATES_BY_IDS = f"""
query ProductStatesByIds($ids: [ID!]!, {_STATE_VARIABLES}) {{
  nodes(ids: $ids) {{ ...ProductState }}
}}
{_PRODUCT_STATE}"""

# The rest of a gallery longer than the first page read.
PRODUCT_MEDIA_PAGE = """
query ProductMediaPage($id: ID!, $after: String) {
  product(id: $id) {
    media(first: 250, after: $after) { nodes { id alt status mediaContentType } pageInfo { hasNextPage endCursor } }
  }
}
"""

# The gallery order alone, read back after attaching (Shopify does not promise
# where `referencesToAdd` puts new media, so reorders are computed from this).
_GALLERY = """
fragment Gallery on Product {
  id
  media(first: $mediaFirst) { nodes { id } pageInfo { hasNextPage endCursor } }
}
"""

GALLERY_ORDER = f"""
query GalleryOrder($query: String!, $first: Int!, $after: String, $mediaFirst: Int!) {{
  products(first: $first, after: $after, query: $query) {{
    nodes {{ ...Gallery }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{_GALLERY}"""

GALLERY_ORDER_BY_IDS = f"""
query GalleryOrderByIds($ids: [ID!]!, $mediaFirst: Int!) {{
  nodes(ids: $ids) {{ ...Gallery }}
}}
{_GALLERY}"""

# Processing polls: one file, the newest still processing (1 point) ...
FILE_STATUS = """
query FileStatus($id: ID!) {
  node(id: $id) { id ... on File { fileStatus } }
}
"""

# ... and, once it is done, every file's status.
FILE_STATUSES = """
query FileStatuses($query: String!, $first: Int!, $after: String) {
  files(first: $first, after: $after, query: $query) {
    nodes { id fileStatus }
    pageInfo { hasNextPage endCursor }
  }
}
"""

FILE_STATUSES_BY_IDS = """
query FileStatusesByIds($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on File { fileStatus } }
}
"""

FILE_ERRORS = """
query FileErrors($query: String!, $first: Int!, $after: String) {
  files(first: $first, after: $after, query: $query) {
    nodes { id fileStatus fileErrors { code message details } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

FILE_ERRORS_BY_IDS = """
query FileErrorsByIds($ids: [ID!]!) {
  nodes(ids: $ids) { id ... on File { fileStatus fileErrors { code message details } } }
}
"""

def _files_by_query_and_by_ids(operation: str, name: str, fragment: str) -> tuple[str, str]:
    """The two documents by_ids.read_by_ids reads files with: a `files`
    search page (`operation`) and `nodes(ids:)` (`operation`ByIds), both
    selecting the fragment `name`."""
    by_query = f"""
query {operation}($query: String!, $first: Int!, $after: String) {{
  files(first: $first, after: $after, query: $query) {{
    nodes {{ ...{name} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
{fragment}"""
    by_ids = f"""
query {operation}ByIds($ids: [ID!]!) {{
  nodes(ids: $ids) {{ ...{name} }}
}}
{fragment}"""
    return by_query, by_ids


# Upload to Store Files: each processed file's CDN URL and alt text (images: the image;
# videos: the first rendition, else the original; generic files: the file).
FILE_DETAILS, FILE_DETAILS_BY_IDS = _files_by_query_and_by_ids("FileDetails", "FileDetails", """
fragment FileDetails on File {
  id fileStatus alt
  ... on MediaImage { image { url } }
  ... on Video { originalSource { url } sources { url } }
  ... on GenericFile { url }
}
""")

# Report rows: the file name of merchant media a sync takes off that has no alt
# text (images only show it in their CDN URL; an external video is named by its URL).
FILE_NAMES, FILE_NAMES_BY_IDS = _files_by_query_and_by_ids("FileNames", "FileName", """
fragment FileName on File {
  id
  ... on MediaImage { image { url } }
  ... on Video { filename }
  ... on Model3d { filename }
  ... on ExternalVideo { originUrl }
}
""")

# Unlinks: which file each product's or variant's cloudinary.swatch references.
_SWATCH = 'swatch: metafield(namespace: "cloudinary", key: "swatch") { reference { ... on MediaImage { id } } }'

SWATCH_REFERENCES_OF_PRODUCTS = f"""
query SwatchReferencesOfProducts($query: String!, $first: Int!, $after: String) {{
  products(first: $first, after: $after, query: $query) {{
    nodes {{ id {_SWATCH} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

SWATCH_REFERENCES_OF_VARIANTS = f"""
query SwatchReferencesOfVariants($query: String!, $first: Int!, $after: String) {{
  productVariants(first: $first, after: $after, query: $query) {{
    nodes {{ id {_SWATCH} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

SWATCH_REFERENCES_BY_IDS = f"""
query SwatchReferencesByIds($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    id
    ... on Product {{ {_SWATCH} }}
    ... on ProductVariant {{ {_SWATCH} }}
  }}
}}
"""

METAFIELDS_DELETE = """
mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields { ownerId namespace key }
    userErrors { field message }
  }
}
"""

# Files clean-up (jobs.files_cleanup): AssetLink's files nothing uses any more.
FILE_DELETE = """
mutation FileDelete($fileIds: [ID!]!) {
  fileDelete(fileIds: $fileIds) {
    deletedFileIds
    userErrors { field message code }
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
