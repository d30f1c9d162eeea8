"""Products and variants through the simulated Admin API: search syntax,
pagination, lookups and productUpdate(media:)."""
from __future__ import annotations

import base64
import json

from .graphql_support import GALLERY, gallery_ids, product_gid, shirt

PRODUCTS = """
query Products($q: String, $first: Int, $after: String, $last: Int, $before: String, $sort: ProductSortKeys,
               $reverse: Boolean) {
  products(query: $q, first: $first, after: $after, last: $last, before: $before, sortKey: $sort,
           reverse: $reverse) {
    nodes { id title handle }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

VARIANTS = """
query Variants($q: String) {
  productVariants(first: 50, query: $q) { nodes { sku barcode product { handle } } }
}"""

CATALOGUE = [
    shirt("Red Shirt", skus=("RS-1", "RS-2"), tags=["summer", "sale"]),
    shirt("Blue Shirt", skus=("BS-1",), vendor="Northwind", tags=["winter"]),
    shirt("Coffee Mug", skus=("MUG:1",), product_type="Kitchen", tags=["home"]),
    shirt("Big Blue Lamp", skus=("LAMP 1",), vendor="Globex", product_type="Home"),
]


def handles(sim, query, **args):
    data = sim.data(PRODUCTS, {"q": query, "first": 50, **args})
    return [n["handle"] for n in data["products"]["nodes"]]


def test_search_by_each_supported_filter(sim_api):
    sim_api.create_shop(products=CATALOGUE)
    assert handles(sim_api, "sku:rs-2") == ["red-shirt"]  # any variant's SKU, case-insensitive
    assert handles(sim_api, "sku:RS*") == ["red-shirt"]
    assert handles(sim_api, "barcode:bc-bs-1") == ["blue-shirt"]
    assert handles(sim_api, "handle:coffee-mug") == ["coffee-mug"]
    assert handles(sim_api, "title:shirt") == ["red-shirt", "blue-shirt"]
    assert handles(sim_api, "title:'blue shirt'") == ["blue-shirt"]
    assert handles(sim_api, "vendor:northwind") == ["blue-shirt"]
    assert handles(sim_api, "product_type:kitchen") == ["coffee-mug"]
    assert handles(sim_api, "tag:sale") == ["red-shirt"]
    assert handles(sim_api, "tag_not:sale title:shirt") == ["blue-shirt"]
    assert handles(sim_api, "-tag:summer") == ["blue-shirt", "coffee-mug"]
    pid = product_gid(sim_api, "big-blue-lamp")
    assert handles(sim_api, f"id:{pid.rsplit('/', 1)[1]}") == ["big-blue-lamp"]


def test_search_with_quoted_and_escaped_values(sim_api):
    sim_api.create_shop(products=CATALOGUE)
    assert handles(sim_api, 'sku:"LAMP 1"') == ["big-blue-lamp"]
    assert handles(sim_api, 'sku:"MUG:1"') == ["coffee-mug"]
    assert handles(sim_api, r"sku:MUG\:1") == ["coffee-mug"]
    assert handles(sim_api, "sku:nothing") == []


def test_or_batches_of_fifty_skus_find_every_product(sim_api):
    products = [shirt(f"Item {n}", skus=(f"SKU-{n:03d}",)) for n in range(60)]
    sim_api.create_shop(products=products)
    wanted = [f"SKU-{n:03d}" for n in range(0, 100, 2)]  # 50 terms, half unknown
    query = " OR ".join(f'sku:"{s}"' for s in wanted)
    data = sim_api.data(VARIANTS.replace("first: 50", "first: 100"), {"q": query})
    assert sorted(v["sku"] for v in data["productVariants"]["nodes"]) == [s for s in wanted if int(s[4:]) < 60]
    assert len(handles(sim_api, query)) == 30


def test_product_variants_search(sim_api):
    sim_api.create_shop(products=CATALOGUE)
    data = sim_api.data(VARIANTS, {"q": "sku:RS-1 OR sku:BS-1"})
    assert [(v["sku"], v["product"]["handle"]) for v in data["productVariants"]["nodes"]] == [
        ("RS-1", "red-shirt"), ("BS-1", "blue-shirt")]
    data = sim_api.data(VARIANTS, {"q": "vendor:globex"})
    assert [v["sku"] for v in data["productVariants"]["nodes"]] == ["LAMP 1"]


def test_cursor_pagination_forwards_and_backwards(sim_api):
    sim_api.create_shop(products=[shirt(f"P {n}", skus=(f"P-{n}",)) for n in range(7)])
    page1 = sim_api.data(PRODUCTS, {"first": 3})["products"]
    assert [n["title"] for n in page1["nodes"]] == ["P 0", "P 1", "P 2"]
    assert page1["pageInfo"]["hasNextPage"] and not page1["pageInfo"]["hasPreviousPage"]
    cursor = page1["pageInfo"]["endCursor"]
    assert json.loads(base64.b64decode(cursor))["last_id"]  # opaque base64, Shopify-like
    page2 = sim_api.data(PRODUCTS, {"first": 3, "after": cursor})["products"]
    assert [n["title"] for n in page2["nodes"]] == ["P 3", "P 4", "P 5"]
    assert page2["pageInfo"]["hasPreviousPage"]
    page3 = sim_api.data(PRODUCTS, {"first": 3, "after": page2["pageInfo"]["endCursor"]})["products"]
    assert [n["title"] for n in page3["nodes"]] == ["P 6"]
    assert not page3["pageInfo"]["hasNextPage"]
    back = sim_api.data(PRODUCTS, {"last": 2, "before": page2["pageInfo"]["startCursor"]})["products"]
    assert [n["title"] for n in back["nodes"]] == ["P 1", "P 2"]
    titles = sim_api.data(PRODUCTS, {"first": 2, "sort": "TITLE", "reverse": True})["products"]["nodes"]
    assert [n["title"] for n in titles] == ["P 6", "P 5"]


def test_pagination_argument_errors(sim_api):
    sim_api.create_shop(products=CATALOGUE)
    body = sim_api.gql(PRODUCTS, {})
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    body = sim_api.gql(PRODUCTS, {"first": 1, "after": "garbage!"})
    assert body["errors"][0]["message"] == "Malformed cursor"
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_product_lookup_and_counts(sim_api):
    sim_api.create_shop(products=CATALOGUE)
    pid = product_gid(sim_api, "red-shirt")
    data = sim_api.data("""query($id: ID!) { product(id: $id) { title vendor productType tags
        variantsCount { count } variants(first: 5) { nodes { sku barcode } } }
        productsCount(query: "title:shirt") { count precision }
        missing: product(id: "gid://shopify/Product/1") { id } }""", {"id": pid})
    assert data["product"]["title"] == "Red Shirt"
    assert data["product"]["variantsCount"] == {"count": 2}
    assert [v["sku"] for v in data["product"]["variants"]["nodes"]] == ["RS-1", "RS-2"]
    assert data["productsCount"] == {"count": 2, "precision": "EXACT"}
    assert data["missing"] is None
    data = sim_api.data('{ productByIdentifier(identifier: {handle: "coffee-mug"}) { title } }')
    assert data["productByIdentifier"] == {"title": "Coffee Mug"}


PRODUCT_UPDATE_MEDIA = """
mutation AddMedia($product: ProductUpdateInput!, $media: [CreateMediaInput!]) {
  productUpdate(product: $product, media: $media) {
    product { id media(first: 250) { nodes { id alt status } } }
    userErrors { field message }
  }
}"""


def test_product_update_appends_media_and_rejects_the_whole_call_on_one_bad_item(sim_api):
    sim_api.create_shop(products=[shirt(media=1)])
    pid = product_gid(sim_api, "red-shirt")
    before = gallery_ids(sim_api, pid)
    bad = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid, "title": "Renamed"}, "media": [
        {"originalSource": "https://img.example.com/ok.jpg", "mediaContentType": "IMAGE"},
        {"originalSource": "not a url", "mediaContentType": "IMAGE"}]})
    assert bad["productUpdate"]["userErrors"] == [{"field": ["media", "1", "originalSource"],
                                                   "message": "Image URL is invalid"}]
    assert gallery_ids(sim_api, pid) == before
    assert sim_api.shop_state()["products"][0]["title"] == "Red Shirt"
    ok = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid}, "media": [
        {"originalSource": "https://img.example.com/new.jpg", "mediaContentType": "IMAGE", "alt": "New"}]})
    nodes = ok["productUpdate"]["product"]["media"]["nodes"]
    assert [n["id"] for n in nodes[:1]] == before
    assert nodes[1]["alt"] == "New" and nodes[1]["status"] in ("UPLOADED", "PROCESSING")


def test_product_update_enforces_the_250_media_limit(sim_api):
    sim_api.create_shop(products=[shirt(media=249)])
    pid = product_gid(sim_api, "red-shirt")
    two = [{"originalSource": f"https://img.example.com/{i}.jpg", "mediaContentType": "IMAGE"} for i in range(2)]
    body = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid}, "media": two})
    assert body["productUpdate"]["userErrors"][0]["field"] == ["media"]
    assert "250" in body["productUpdate"]["userErrors"][0]["message"]
    assert len(gallery_ids(sim_api, pid)) == 249
    body = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid}, "media": two[:1]})
    assert body["productUpdate"]["userErrors"] == []
    assert len(gallery_ids(sim_api, pid)) == 250


def test_external_video_urls_are_refused_for_product_videos(sim_api):
    sim_api.create_shop(products=[shirt()])
    pid = product_gid(sim_api, "red-shirt")
    body = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid}, "media": [
        {"originalSource": "https://videos.example.com/clip.mp4", "mediaContentType": "VIDEO"}]})
    assert body["productUpdate"]["userErrors"] == [{"field": ["media", "0", "originalSource"],
                                                    "message": "Video URL is invalid"}]
    body = sim_api.data(PRODUCT_UPDATE_MEDIA, {"product": {"id": pid}, "media": [
        {"originalSource": "https://www.youtube.com/watch?v=abc123", "mediaContentType": "EXTERNAL_VIDEO"}]})
    assert body["productUpdate"]["userErrors"] == []
    data = sim_api.data("""query($id: ID!) { product(id: $id) { media(first: 5) { nodes {
        ... on ExternalVideo { embedUrl originUrl } } } } }""", {"id": pid})
    assert data["product"]["media"]["nodes"][0]["embedUrl"] == "https://www.youtube.com/embed/abc123"


def test_gallery_query_reads_media_and_variant_media(sim_api):
    sim_api.create_shop(products=[shirt(media=2)])
    pid = product_gid(sim_api, "red-shirt")
    data = sim_api.data(GALLERY, {"id": pid})
    assert [n["alt"] for n in data["product"]["media"]["nodes"]] == ["Red Shirt 0", "Red Shirt 1"]
    assert all(n["status"] == "READY" for n in data["product"]["media"]["nodes"])
    assert data["product"]["variants"]["nodes"][0]["media"]["nodes"] == []


PRODUCT_CREATE = """mutation($product: ProductCreateInput!, $media: [CreateMediaInput!]) {
  productCreate(product: $product, media: $media) {
    product { id title handle tags variants(first: 5) { nodes { title } } media(first: 5) { nodes { alt } } }
    userErrors { field message } } }"""


def test_product_create_with_media_and_its_failures(sim_api):
    sim_api.create_shop()
    body = sim_api.data(PRODUCT_CREATE, {"product": {"title": "New Lamp", "tags": ["a", "b"]}, "media": [
        {"originalSource": "https://img.example.com/lamp.jpg", "mediaContentType": "IMAGE", "alt": "Lamp"}]})
    created = body["productCreate"]["product"]
    assert created["handle"] == "new-lamp" and created["tags"] == ["a", "b"]
    assert created["variants"]["nodes"] == [{"title": "Default Title"}]
    assert created["media"]["nodes"] == [{"alt": "Lamp"}]
    body = sim_api.data(PRODUCT_CREATE, {"product": {"title": "Broken"}, "media": [
        {"originalSource": "nope", "mediaContentType": "IMAGE"}]})
    assert body["productCreate"] == {"product": None, "userErrors": [
        {"field": ["media", "0", "originalSource"], "message": "Image URL is invalid"}]}
    body = sim_api.data(PRODUCT_CREATE, {"product": {"title": " "}})
    assert body["productCreate"]["userErrors"] == [{"field": ["title"], "message": "Title can't be blank"}]
    assert [p["title"] for p in sim_api.shop_state()["products"]] == ["New Lamp"]


def test_optional_search_lag_hides_fresh_writes_from_search_but_not_lookups():
    from .graphql_support import make_sim
    sim = make_sim(SIM_SEARCH_LAG=12)
    sim.create_shop(products=[shirt()])
    assert handles(sim, "sku:RS-1") == []
    pid = sim.data('{ productByIdentifier(identifier: {handle: "red-shirt"}) { id } }')["productByIdentifier"]["id"]
    assert sim.data("query($id: ID!) { product(id: $id) { handle } }", {"id": pid})["product"]["handle"] == "red-shirt"
    sim.clock.advance(13)
    assert handles(sim, "sku:RS-1") == ["red-shirt"]
    assert len(sim.data(PRODUCTS, {"first": 5})["products"]["nodes"]) == 1  # no query: not a search


def test_metafield_filters_need_a_filterable_definition_and_match_exactly(sim_api):
    sim_api.create_shop(products=[shirt("Red Shirt", skus=("RS-1",)), shirt("Blue Shirt", skus=("BS-1",))])
    red, blue = product_gid(sim_api, "red-shirt"), product_gid(sim_api, "blue-shirt")
    set_values = """mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { message } } }"""
    body = sim_api.data(set_values, {"m": [
        {"ownerId": red, "namespace": "custom", "key": "style", "type": "single_line_text_field", "value": "ABC-1"},
        {"ownerId": blue, "namespace": "custom", "key": "style", "type": "single_line_text_field", "value": "XYZ-9"}]})
    assert body["metafieldsSet"]["userErrors"] == []
    # Without a filterable definition Shopify ignores the filter: everything matches.
    assert handles(sim_api, "metafields.custom.style:ABC-1") == ["red-shirt", "blue-shirt"]
    created = sim_api.data("""mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
        createdDefinition { id } userErrors { field message code } } }""", {"d": {
        "name": "Style", "namespace": "custom", "key": "style", "type": "single_line_text_field",
        "ownerType": "PRODUCT", "capabilities": {"adminFilterable": {"enabled": True}}}})
    assert created["metafieldDefinitionCreate"]["userErrors"] == []
    assert handles(sim_api, "metafields.custom.style:ABC-1") == ["red-shirt"]
    assert handles(sim_api, "metafields.custom.style:abc-1") == []  # case-sensitive
    assert handles(sim_api, 'metafields.custom.style:"ABC-1" OR metafields.custom.style:"XYZ-9"') == [
        "red-shirt", "blue-shirt"]


def test_sku_and_barcode_search_folds_case_beyond_ascii(sim_api):
    # The index and the lookup fold the same way (casefold): a non-ASCII SKU is
    # found as written, in other case, and with ß spelled ss, by products and
    # productVariants, exactly and by prefix.
    sim_api.create_shop(products=[shirt("Umlaut Shirt", skus=("ÄÖÜ-ß 1",)), *CATALOGUE])
    for query in ('sku:"ÄÖÜ-ß 1"', 'sku:"äöü-ß 1"', 'sku:"ÄÖÜ-SS 1"', "sku:äöü*"):
        assert handles(sim_api, query) == ["umlaut-shirt"], query
        assert [v["sku"] for v in sim_api.data(VARIANTS, {"q": query})["productVariants"]["nodes"]] == ["ÄÖÜ-ß 1"]
    assert handles(sim_api, 'sku:"ÄÖÜ-ß 2"') == []


def test_variants_have_the_default_title_option(sim_api):
    # Captured (product-variant-media-validation, products-partial-overlay-read): a product
    # created without options has one variant with selectedOptions [{Title: Default Title}].
    sim_api.create_shop()
    body = sim_api.data("""mutation { productCreate(product: {title: "Plain"}) { product {
        variants(first: 5) { nodes { title selectedOptions { name value } } } } } }""")
    assert body["productCreate"]["product"]["variants"]["nodes"] == [
        {"title": "Default Title", "selectedOptions": [{"name": "Title", "value": "Default Title"}]}]
