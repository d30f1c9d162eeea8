"""Shopify's calculated query cost (shopify_sim.cost).

Expected numbers are Shopify's: the documented examples, and the
`extensions.cost` recorded from live stores in the conformance captures
(file named next to each case)."""
from __future__ import annotations

import pytest
from graphql import parse

from shopify_sim.cost import (MAX_SINGLE_QUERY_COST, actual_cost, exceeds_single_query_limit, page_factor,
                              requested_cost)
from shopify_sim.schema import admin_schema


def cost(document: str, variables: dict | None = None, operation_name: str | None = None) -> int:
    return requested_cost(admin_schema(), parse(document), variables or {}, operation_name)


def paid(document: str, data: dict, variables: dict | None = None) -> int:
    return actual_cost(admin_schema(), parse(document), variables or {}, None, data)


# -- documented examples ------------------------------------------------------

def test_shop_scalars_cost_one_object():
    # Shopify's engineering post: `shop` is an object (1), its scalar and
    # enum fields are free, so the query costs 1.
    assert cost("{ shop { id name timezoneOffsetMinutes customerAccounts } }") == 1


def test_scalars_and_enums_are_free_objects_cost_one():
    # metafieldDefinition (1) + type (1) + validations (1); captured 3
    # (2025-01/metafields/metafield-definition-non-product-owner-types.json).
    assert cost("""query($id: ID!) { metafieldDefinition(id: $id) {
        id name namespace key ownerType type { name category } description
        validations { name value } pinnedPosition validationStatus } }""",
                {"id": "gid://shopify/MetafieldDefinition/1"}) == 3


# -- connections --------------------------------------------------------------

@pytest.mark.parametrize("first,expected", [(1, 3), (3, 4), (5, 5), (10, 6), (50, 9), (250, 13)])
def test_connection_cost_grows_with_the_page_size(first, expected):
    # bulkOperations/products captures (2026-04/bulk-operations/*): 2 for the
    # connection plus the page factor times a bare node.
    assert cost("query($n: Int!) { products(first: $n) { nodes { id title } pageInfo { hasNextPage } } }",
                {"n": first}) == expected


def test_page_factor_is_sublinear():
    assert [page_factor(n) for n in (0, 1, 2, 3, 5, 10, 50, 100, 250)] == [0, 1, 1, 2, 3, 4, 7, 9, 11]


def test_nodes_and_edges_both_count():
    # captured 4 (2025-01/metafields/metafield-definition-catalog-connection.json)
    assert cost("""{ metafieldDefinitions(ownerType: PRODUCT, first: 1) {
        nodes { id key name } edges { cursor node { id key name } }
        pageInfo { hasNextPage } } }""") == 4


def test_nested_connections_multiply():
    # captured 82 (2025-01/media/media-file-cascade-variant-media-clear.json)
    assert cost("""query($id: ID!) { product(id: $id) { id title handle status
        media(first: 50) { nodes { id alt mediaContentType status preview { image { url width height } }
            ... on MediaImage { image { url width height } } } }
        variants(first: 50) { nodes { id title media(first: 10) { nodes { id } } } } } }""",
                {"id": "gid://shopify/Product/1"}) == 82


def test_connection_node_cost_multiplies_by_the_page_factor():
    # Shopify community thread: product.variants(first: 250){nodes{inventoryItem{…}}}
    # requested 25 (product 1 + 2 + 11 × 2).
    assert cost("""query($id: ID!) { product(id: $id) { variants(first: 250) { nodes {
        inventoryItem { id tracked } } } } }""", {"id": "gid://shopify/Product/1"}) == 25


def test_connection_without_page_size_costs_its_base():
    # captured 2 (2026-04/bulk-operations/bulk-operation-status-catalog-cancel.json)
    assert cost("{ bulkOperations { nodes { id } } }") == 2


def test_count_fields_cost_ten():
    # captured 15: productsCount 10 + products(first: 5) 5
    # (2025-01/products/product-invalid-search-query-syntax.json)
    assert cost("""query($q: String!) { products(first: 5, query: $q) { nodes { id title tags } }
        productsCount(query: $q) { count precision } }""", {"q": "tag:x"}) == 15


# -- interfaces, unions, fragments ---------------------------------------------

def test_interface_costs_the_dearest_possible_type():
    # node(id) is 1; MediaImage's branch adds image (1) + preview (1) +
    # preview.image (1); captured 4 (2025-01/media/media-file-cascade-variant-media-clear.json)
    assert cost("""query($ids: [ID!]!) { nodes(ids: $ids) { id __typename
        ... on File { alt createdAt fileStatus }
        ... on MediaImage { image { url width height } preview { image { url width height } } }
        ... on GenericFile { url } } }""", {"ids": ["gid://shopify/MediaImage/1"]}) == 4


def test_named_fragments_cost_like_inline_selections():
    inline = """query($id: ID!) { metafieldDefinition(id: $id) { id type { name } validations { name } } }"""
    with_fragment = """query($id: ID!) { metafieldDefinition(id: $id) { ...F } }
        fragment F on MetafieldDefinition { id type { name } validations { name } }"""
    variables = {"id": "gid://shopify/MetafieldDefinition/1"}
    assert cost(inline, variables) == cost(with_fragment, variables) == 3


def test_skipped_selections_are_free():
    doc = "query($s: Boolean!) { shop { id } product(id: \"gid://shopify/Product/1\") @skip(if: $s) { id } }"
    assert cost(doc, {"s": True}) == 1
    assert cost(doc, {"s": False}) == 2


# -- mutations ---------------------------------------------------------------

def test_mutation_costs_ten_with_its_payload_objects():
    # captured 10 (2025-01/products/metafields-set-parity.json)
    assert cost("""mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
        metafields { id namespace key type value compareDigest } userErrors { field message code } } }""",
                {"m": []}) == 10


def test_mutation_charges_what_its_payload_objects_select():
    # owner (1) under the payload's metafields: captured 11
    # (2025-01/metafields/shop-owner-metafields-read-after-write.json)
    assert cost("""mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
        metafields { namespace key owner { __typename ... on Shop { id } } } userErrors { field } } }""",
                {"m": []}) == 11
    # variants(first: 1) under productCreate's product: captured 13
    # (2025-01/metafields/custom-data-field-type-matrix.json)
    assert cost("""mutation($p: ProductCreateInput!) { productCreate(product: $p) {
        product { id title variants(first: 1) { nodes { id title } } } userErrors { field message } } }""",
                {"p": {"title": "x"}}) == 13


def test_two_mutations_in_one_document_add_up():
    assert cost("""mutation { a: fileDelete(fileIds: []) { deletedFileIds }
        b: fileDelete(fileIds: []) { deletedFileIds } }""") == 20


def test_declared_input_complexity_is_charged_per_item():
    # ProductSetInput.files: "Complexity cost: 1.9 per file.", metafields
    # "0.4 per metafield." (schema descriptions); the total is rounded up.
    doc = """mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } userErrors { field } } }"""
    files = [{"originalSource": f"https://example.com/{i}.jpg", "contentType": "IMAGE"} for i in range(3)]
    assert cost(doc, {"input": {"title": "x"}}) == 10
    assert cost(doc, {"input": {"title": "x", "files": files}}) == 10 + 6  # 5.7 → 6
    metafields = [{"namespace": "a", "key": f"k{i}", "type": "json", "value": "1"} for i in range(5)]
    assert cost(doc, {"input": {"title": "x", "files": files, "metafields": metafields}}) == 10 + 8  # 7.7


# -- the single-query limit ------------------------------------------------------

def test_query_over_one_thousand_is_rejected():
    doc = """{ products(first: 250) { nodes { variants(first: 250) { nodes {
        metafields(first: 250) { nodes { id } } } } } } }"""
    requested = cost(doc)
    assert requested == 2 + 11 * (1 + 2 + 11 * (1 + 2 + 11 * 1))
    assert requested > MAX_SINGLE_QUERY_COST
    assert exceeds_single_query_limit(requested)
    assert not exceeds_single_query_limit(cost("{ shop { id } }"))


# -- actual cost ---------------------------------------------------------------

def test_null_object_costs_itself_only():
    # Shopify community thread: product(id) null → actual 1.
    doc = """query($id: ID!) { product(id: $id) { variants(first: 250) { nodes { inventoryItem { id } } } } }"""
    assert paid(doc, {"product": None}, {"id": "gid://shopify/Product/1"}) == 1


def test_short_page_costs_less_than_requested():
    doc = "{ products(first: 250) { nodes { id } pageInfo { hasNextPage } } }"
    full = {"products": {"nodes": [{"id": f"gid://shopify/Product/{i}"} for i in range(250)],
                         "pageInfo": {"hasNextPage": True}}}
    short = {"products": {"nodes": [{"id": "gid://shopify/Product/1"}] * 3, "pageInfo": {"hasNextPage": False}}}
    assert paid(doc, full) == cost(doc) == 13
    # 3 of 250 asked: ceil(11 × 3/250) = 1 bare node's worth.
    assert paid(doc, short) == 2 + 1
    half = {"products": {"nodes": [{"id": "gid://shopify/Product/1"}] * 125, "pageInfo": {"hasNextPage": False}}}
    assert paid(doc, half) == 2 + 6  # ceil(11 × 125/250)


def test_empty_page_costs_a_page_of_bare_nodes():
    # captured actual 8 for requested 8 with metafield null and no metafields
    # (2025-01/products/metafields-set-owner-existence-atomicity.json)
    doc = """query($id: ID!) { product(id: $id) { id metafield(namespace: "a", key: "b") { id }
        metafields(first: 10, namespace: "a") { nodes { id } } } }"""
    data = {"product": {"id": "gid://shopify/Product/1", "metafield": None, "metafields": {"nodes": []}}}
    assert paid(doc, data, {"id": "gid://shopify/Product/1"}) == cost(doc, {"id": "gid://shopify/Product/1"}) == 8


def test_mutation_with_null_payload_objects_pays_the_base():
    # captured requested 11, actual 10 when createdDefinition is null
    # (2026-04/metafields/metafield-definition-access-validation.json)
    doc = """mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
        createdDefinition { id access { admin } } userErrors { field message code } } }"""
    variables = {"d": {"name": "n", "namespace": "ns", "key": "k", "ownerType": "PRODUCT", "type": "json"}}
    assert cost(doc, variables) == 11
    data = {"metafieldDefinitionCreate": {"createdDefinition": None, "userErrors": [{"field": ["definition"]}]}}
    assert paid(doc, data, variables) == 10


def test_media_created_through_product_create_or_update_cost_like_product_set_files():
    # Captured 30 for each (2026-04/products/product-top-level-media-parity.json): the selection is
    # 10 + media(first: 10) 2 + 4 × 4 = 28, plus one CreateMediaInput at 1.9, rounded up.
    document = """mutation($p: ProductCreateInput!, $media: [CreateMediaInput!]) {
      productCreate(product: $p, media: $media) { product { id media(first: 10) { nodes { __typename id
        preview { image { url } } ... on MediaImage { image { url } } ... on ExternalVideo { embedUrl } } } }
        userErrors { field } } }"""
    image = {"mediaContentType": "IMAGE", "originalSource": "https://img.example.com/a.png"}
    assert cost(document, {"p": {"title": "x"}, "media": [image]}) == 30
    assert cost(document, {"p": {"title": "x"}, "media": None}) == 28
    assert cost(document, {"p": {"title": "x"}, "media": [image, image]}) == 32  # 2 × 1.9 = 3.8 → 4
    update = document.replace("ProductCreateInput", "ProductUpdateInput").replace("productCreate", "productUpdate")
    assert cost(update, {"p": {"id": "gid://shopify/Product/1"}, "media": [image]}) == 30


# -- lists that are not connections (COST.md, "Lists") ---------------------------

NODES_SCALARS = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
NODES_METAFIELD = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
    ... on HasMetafields { m: metafield(namespace: "a", key: "b") { id value } } } }"""


def ids(n: int) -> dict:
    return {"ids": [f"gid://shopify/Product/{i}" for i in range(1, n + 1)]}


def test_nodes_of_up_to_four_ids_cost_as_one_read():
    # Captured: OwnerMetafieldsExistenceHydrate (`nodes { __typename id }`)
    # with 1 and with 4 ids, both 1, and OwnerMetafieldsHydrateNodes the same
    # (28, 20, 8) with 1 id and with 4 (metafields/owner-metafield-mixed-
    # owner-hydration.json, metafields/metafields-set-validation-gaps.json).
    assert cost(NODES_SCALARS, ids(1)) == cost(NODES_SCALARS, ids(2)) == cost(NODES_SCALARS, ids(4)) == 1
    assert cost(NODES_METAFIELD, ids(1)) == cost(NODES_METAFIELD, ids(4)) == 2


def test_nodes_beyond_four_ids_charge_each_further_id_a_read():
    # No capture or document prices more than 4 ids: the pessimistic reading.
    assert cost(NODES_SCALARS, ids(5)) == 2
    assert cost(NODES_SCALARS, ids(250)) == 247
    assert cost(NODES_METAFIELD, ids(50)) == 2 * 47
    # So a 250-id read of a product's state goes over the single-query limit.
    state = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { id
        media(first: 20) { nodes { id } } mf: metafield(namespace: "a", key: "b") { value } } } }"""
    assert exceeds_single_query_limit(cost(state, ids(250)))


def test_nodes_actual_cost_beyond_four_counts_each_object_returned():
    data = {"nodes": [{"__typename": "Product", "id": f"gid://shopify/Product/{i}"} for i in range(10)]}
    # 1 for the four captured as one read, then 1 per further object.
    assert paid(NODES_SCALARS, data, ids(10)) == 1 + 6
    nulls = {"nodes": data["nodes"][:4] + [None] * 6}
    assert paid(NODES_SCALARS, nulls, ids(10)) == 1 + 6  # a null object costs itself


def test_actual_cost_never_exceeds_requested():
    # None of the 1,709 recorded (requested, actual) pairs has actual above
    # requested; Shopify refunds requested − actual. Captured (4, 4)
    # (2025-01/media/media-file-cascade-variant-media-clear.json), where the
    # per-object charge of a found node would make the actual 5.
    doc = """query MediaFileTargetHydrate($fileIds: [ID!]!) { nodes(ids: $fileIds) { id __typename
        ... on File { alt createdAt fileStatus }
        ... on MediaImage { image { url width height } preview { image { url width height } } }
        ... on GenericFile { url } } }"""
    image = {"url": "https://cdn.shopify.com/s/files/1/x/files/png.png", "width": 640, "height": 480}
    data = {"nodes": [{"id": "gid://shopify/MediaImage/44072110948658", "__typename": "MediaImage",
                       "alt": "Media cascade delete", "createdAt": "2026-07-20T03:22:28Z", "fileStatus": "READY",
                       "image": image, "preview": {"image": image}}]}
    variables = {"fileIds": ["gid://shopify/MediaImage/44072110948658"]}
    assert cost(doc, variables) == paid(doc, data, variables) == 4


def test_mutation_input_lists_do_not_change_the_cost():
    # Captured: fileCreate of 60 files 20/20 and of 251 files 20 requested
    # (2026-04/media/media-file-create-large-batch-timestamps.json,
    # media-file-create-batch-size-limit.json); metafieldsSet of 26 inputs 10;
    # productVariantAppendMedia of 101 pairs 16. No input of these declares a
    # complexity cost.
    create = """mutation($files: [FileCreateInput!]!) { fileCreate(files: $files) {
        files { id fileStatus } userErrors { field message code } } }"""
    files = [{"originalSource": f"https://img.example.com/{i}.jpg", "contentType": "IMAGE"} for i in range(250)]
    assert cost(create, {"files": files[:1]}) == cost(create, {"files": files}) == 20
    update = """mutation($files: [FileUpdateInput!]!) { fileUpdate(files: $files) { files { id }
        userErrors { field message code } } }"""
    rows = [{"id": f"gid://shopify/MediaImage/{i}", "referencesToAdd": ["gid://shopify/Product/1"]} for i in range(250)]
    assert cost(update, {"files": rows[:1]}) == cost(update, {"files": rows}) == 10
    returned = {"fileCreate": {"files": [{"id": f"gid://shopify/MediaImage/{i}", "fileStatus": "UPLOADED"}
                                         for i in range(250)], "userErrors": []}}
    assert paid(create, returned, {"files": files}) == 20
