"""Shopify's search rules applied to every field whose `query:` argument
documents its filters (the table in the 2026-10 schema's argument
description, shopify_sim/search_filters.py), the documented filters the
simulator models, and the two cursor forms (database and search index) the
captures show (resolvers/common.cursor_value)."""
from __future__ import annotations

import base64
import json

from .graphql_support import make_sim, product_gid, shirt

PRODUCTS = """query P($q: String, $sort: ProductSortKeys, $rev: Boolean) {
  products(first: 10, query: $q, sortKey: $sort, reverse: $rev) { edges { cursor node { title } } } }"""
COLLECTION_CREATE = """mutation C($input: CollectionInput!) { collectionCreate(input: $input) {
  collection { id } userErrors { field message } } }"""


def _sim():
    sim = make_sim()
    sim.create_shop(products=[shirt("Blue Shirt", skus=("B-1", "B-2"), tags=["blue"]),
                              shirt("Red Shirt", skus=("R-1",), tags=["red"], vendor="Other")])
    return sim


def _titles(sim, query, **variables) -> list[str]:
    body = sim.gql(PRODUCTS, {"q": query, **variables})
    assert "errors" not in body, body["errors"]
    return [e["node"]["title"] for e in body["data"]["products"]["edges"]]


def _cursor(text: str) -> dict:
    return json.loads(base64.b64decode(text + "=" * (-len(text) % 4)))


def test_documented_product_filters():
    sim = _sim()
    red = product_gid(sim, "red-shirt")
    sim.data("""mutation V($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p,
      variants: $v) { userErrors { message } } }""", {"p": red, "v": [{"id": sim.data(
        'query($id: ID!) { product(id: $id) { variants(first: 1) { nodes { id } } } }', {"id": red}
    )["product"]["variants"]["nodes"][0]["id"], "price": "25.00", "compareAtPrice": "30.00"}]})
    # price is a bigdecimal filter with comparators; is_price_reduced: compare-at above the price.
    assert _titles(sim, "price:>20") == ["Red Shirt"]
    assert _titles(sim, "price:25") == ["Red Shirt"]
    assert _titles(sim, "is_price_reduced:true") == ["Red Shirt"]
    # Times: created_at/updated_at with comparators and years, as the table's examples show.
    assert _titles(sim, "created_at:>2000") == ["Blue Shirt", "Red Shirt"]
    assert _titles(sim, "updated_at:<2000") == []
    # Inventory: nothing is tracked or stocked on a new store.
    assert _titles(sim, "inventory_total:0") == ["Blue Shirt", "Red Shirt"]
    assert _titles(sim, "tracks_inventory:true") == []
    # collection_id: the products a collection includes.
    collection = sim.data(COLLECTION_CREATE, {"input": {"title": "Summer", "products": [red]}})
    number = collection["collectionCreate"]["collection"]["id"].rsplit("/", 1)[1]
    assert _titles(sim, f"collection_id:{number}") == ["Red Shirt"]
    assert _titles(sim, f"-collection_id:{number}") == ["Blue Shirt"]


def test_unknown_filters_are_ignored_and_warned_about_on_every_searchable_field():
    # Captured (metafield-definition-catalog-connection, bulk-operations-read-arg-validation): an unknown
    # filter is ignored with an `invalid_field` warning; a value the table does not accept matches
    # nothing with an `invalid_value` warning.
    sim = _sim()
    body = sim.gql(PRODUCTS, {"q": "colour:blue"})
    assert [e["node"]["title"] for e in body["data"]["products"]["edges"]] == ["Blue Shirt", "Red Shirt"]
    assert body["extensions"]["search"] == [{"path": ["products"], "query": "colour:blue",
                                             "parsed": {"field": "colour", "match_all": "blue"},
                                             "warnings": [{"field": "colour", "code": "invalid_field",
                                                           "message": "Invalid search field for this query."}]}]
    refused = sim.gql(PRODUCTS, {"q": "status:sleeping"})
    assert refused["data"]["products"]["edges"] == []
    assert refused["extensions"]["search"][0]["warnings"] == [{
        "field": "status", "message": "Input `sleeping` is not an accepted value.", "code": "invalid_value"}]
    # Known filters, templated ones included, say nothing.
    assert "search" not in sim.gql(PRODUCTS, {"q": "metafields.custom.fit:slim tag:blue"}).get("extensions", {})
    # Files: `alt` is no filter of the table (ignored, warned), though a bare term searches alt text.
    files = sim.gql('{ files(first: 5, query: "alt:nothing") { nodes { id } } }')
    assert files["extensions"]["search"][0]["warnings"][0]["code"] == "invalid_field"
    # Every time filter refuses what is not a time (captured on bulkOperations).
    bad = sim.gql(PRODUCTS, {"q": "updated_at:>yesterdayish"})
    assert bad["data"] is None
    assert bad["errors"][0]["message"] == "Invalid timestamp for query filter `updated_at`."
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_collections_search_and_sort():
    sim = _sim()
    sim.data(COLLECTION_CREATE, {"input": {"title": "Summer", "products": [product_gid(sim, "red-shirt")]}})
    sim.data(COLLECTION_CREATE, {"input": {"title": "Autumn", "ruleSet": {"appliedDisjunctively": False, "rules": [
        {"column": "TAG", "relation": "EQUALS", "condition": "blue"}]}}})
    read = sim.data('{ all: collections(first: 5, sortKey: TITLE) { nodes { title } } '
                    'smart: collections(first: 5, query: "collection_type:smart") { nodes { title } } '
                    'titled: collections(first: 5, query: "title:summer") { nodes { title } } }')
    assert [n["title"] for n in read["all"]["nodes"]] == ["Autumn", "Summer"]
    assert [n["title"] for n in read["smart"]["nodes"]] == ["Autumn"]
    assert [n["title"] for n in read["titled"]["nodes"]] == ["Summer"]


def test_cursors_as_the_database_or_the_search_index_writes_them():
    # Captured: the database writes `last_value` as a string (the id, a position, a time to the
    # microsecond), the search index the raw value (the id as a number, epoch milliseconds).
    sim = _sim()
    red = product_gid(sim, "red-shirt")
    number = int(red.rsplit("/", 1)[1])

    def first_cursor(query, **variables):
        return _cursor(sim.gql(PRODUCTS, {"q": query, **variables})["data"]["products"]["edges"][0]["cursor"])

    assert first_cursor("handle:red-shirt") == {"last_id": number, "last_value": str(number)}
    assert first_cursor("sku:R-1") == {"last_id": number, "last_value": number}
    assert first_cursor("tag:red") == {"last_id": number, "last_value": number}
    by_time = first_cursor("handle:red-shirt", sort="UPDATED_AT")["last_value"]
    assert isinstance(by_time, str) and len(by_time) == len("2026-07-04 04:15:10.000000")
    assert isinstance(first_cursor("tag:red", sort="UPDATED_AT")["last_value"], int)
    blue = product_gid(sim, "blue-shirt").rsplit("/", 1)[1]
    assert _cursor(sim.gql(PRODUCTS, {"q": None})["data"]["products"]["edges"][0]["cursor"])["last_value"] == blue
    # A product's variants in position order carry the position.
    variants = sim.data('query($id: ID!) { product(id: $id) { variants(first: 5) { edges { cursor } } } }',
                        {"id": product_gid(sim, "blue-shirt")})["product"]["variants"]["edges"]
    assert [_cursor(e["cursor"])["last_value"] for e in variants] == ["1", "2"]
