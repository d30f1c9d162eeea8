"""/fields and /matches against the simulator (real Admin API exchange)."""
from __future__ import annotations

import pytest

from tests.support import bearer, connect


def _products():
    return [
        {"title": "Blue Shirt", "handle": "blue-shirt", "vendor": "Acme", "product_type": "Shirts",
         "tags": ["summer", "Sale"], "variants": [{"sku": "ABC-1"}, {"sku": "ABC-2"}],
         "media": [{"src": "https://example.com/a.jpg"}, {"src": "https://example.com/b.jpg"}]},
        {"title": "Grüne Jacke", "handle": "grune-jacke", "vendor": "Müller & Söhne", "product_type": "Jackets",
         "tags": ["winter"], "variants": [{"sku": "ÄÖÜ-É 1", "barcode": "4006381333931"}]},
        {"title": '12" Pipe: Steel', "handle": "pipe", "vendor": "Acme", "product_type": "Tools",
         "variants": [{"sku": 'P"12:STEEL'}]},
        {"title": "Blue Shirt Deluxe", "handle": "blue-shirt-deluxe", "vendor": "Acme",
         "variants": [{"sku": "ABC-10"}]},
        {"title": "Shared", "handle": "shared-1", "variants": [{"sku": "DUP"}]},
        {"title": "Odd", "handle": "odd", "variants": [{"sku": "X(1) \\ y OR z*"}]},
        {"title": "Shared", "handle": "shared-2", "variants": [{"sku": "dup"}]},
    ]


@pytest.fixture
def store(client, sim_shop):
    shop = sim_shop(products=_products())
    token = connect(client, shop.domain)["token"]
    return shop, token


def _matches(client, token, field, values):
    response = client.post("/bridge/v1/matches", headers=bearer(token), json={"shopify_field": field, "values": values})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_search_syntax_in_values_is_literal(client, store):
    _, token = store
    body = _matches(client, token, "sku", ["x(1) \\ Y or Z*", "X(1)", "*"])
    assert [m["products"][0]["handle"] for m in body["matches"]] == ["odd"]
    assert body["unmatched"] == ["X(1)", "*"]


def test_sku_matches_are_exact_trimmed_and_case_insensitive(client, store):
    _, token = store
    body = _matches(client, token, "sku",
                    ["abc-1", " ABC-2 ", "ABC", "äöü-e 1", "äöü-é 1", 'p"12:steel', "nope", "DUP"])
    by_value = {m["value"]: m["products"] for m in body["matches"]}
    assert set(by_value) == {"abc-1", " ABC-2 ", "äöü-é 1", 'p"12:steel', "DUP"}
    assert by_value["abc-1"][0]["handle"] == "blue-shirt" and by_value["abc-1"][0]["media_count"] == 2
    assert by_value["abc-1"][0]["variant_id"].startswith("gid://shopify/ProductVariant/")
    assert by_value["abc-1"][0]["variant_id"] != by_value[" ABC-2 "][0]["variant_id"]
    # Shopify's search also finds ABC-10 for "ABC-1"; equality drops it, and "ABC" matches nothing.
    assert [p["handle"] for p in by_value["abc-1"]] == ["blue-shirt"]
    assert sorted(p["handle"] for p in by_value["DUP"]) == ["shared-1", "shared-2"]
    assert body["unmatched"] == ["ABC", "äöü-e 1", "nope"]
    assert body["matched_products"] == 5


def test_product_level_fields(client, store):
    _, token = store
    title = _matches(client, token, "title", ["blue shirt", '12" pipe: steel', "GRÜNE JACKE", "Shirt"])
    assert {m["value"]: [p["handle"] for p in m["products"]] for m in title["matches"]} == {
        "blue shirt": ["blue-shirt"], '12" pipe: steel': ["pipe"], "GRÜNE JACKE": ["grune-jacke"]}
    assert title["unmatched"] == ["Shirt"]
    assert all(p["variant_id"] is None for m in title["matches"] for p in m["products"])

    vendor = _matches(client, token, "vendor", ["müller & söhne", "ACME"])
    assert len(vendor["matches"][1]["products"]) == 3 and vendor["matched_products"] == 4
    tag = _matches(client, token, "tag", ["sale", "WINTER", "autumn"])
    assert [m["value"] for m in tag["matches"]] == ["sale", "WINTER"] and tag["unmatched"] == ["autumn"]
    handle = _matches(client, token, "handle", ["BLUE-SHIRT", "pipe"])
    assert [m["products"][0]["handle"] for m in handle["matches"]] == ["blue-shirt", "pipe"]
    barcode = _matches(client, token, "barcode", [4006381333931])
    assert barcode["matches"][0]["value"] == 4006381333931


def test_id_matches_exactly(client, store):
    _, token = store
    some = _matches(client, token, "handle", ["pipe"])["matches"][0]["products"][0]["id"]
    number = some.rsplit("/", 1)[1]
    body = _matches(client, token, "id", [some, number, " " + number, some.upper(), "gid://shopify/Product/999999"])
    assert [m["value"] for m in body["matches"]] == [some, number]
    assert body["unmatched"] == [" " + number, some.upper(), "gid://shopify/Product/999999"]


def test_fields_list_standard_fields_and_metafield_definitions(client, store, sim):
    shop, token = store
    for key, filterable in (("material", True), ("notes", False)):
        sim.graphql(shop.domain, shop.access_token, """
            mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
              createdDefinition { id } userErrors { field message } } }""",
                    {"d": {"namespace": "custom", "key": key, "name": key.title(), "ownerType": "PRODUCT",
                           "type": "single_line_text_field",
                           "capabilities": {"adminFilterable": {"enabled": filterable}}}})
    response = client.get("/bridge/v1/fields", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    fields = {f["key"]: f for f in response.get_json()["fields"]}
    assert {"sku", "barcode", "handle", "title", "vendor", "product_type", "tag", "id"} <= set(fields)
    assert fields["sku"]["level"] == "variant" and fields["handle"]["level"] == "product"
    assert fields["metafield:custom.material"]["matchable"] is True
    assert fields["metafield:custom.notes"]["matchable"] is False and fields["metafield:custom.notes"]["note"]

    refused = client.post("/bridge/v1/matches", headers=bearer(token),
                          json={"shopify_field": "metafield:custom.notes", "values": ["x"]})
    # The store's state, not the request's shape: 409 and 404 (a 422 is for
    # what the schema's pattern refuses).
    assert refused.status_code == 409 and "Filter products" in refused.get_json()["errors"][0]["message"]
    missing = client.post("/bridge/v1/matches", headers=bearer(token),
                          json={"shopify_field": "metafield:custom.nothing", "values": ["x"]})
    assert missing.status_code == 404
    malformed = client.post("/bridge/v1/matches", headers=bearer(token),
                            json={"shopify_field": "metafield:nothing", "values": ["x"]})
    assert malformed.status_code == 422


def test_metafield_matches(client, store, sim):
    shop, token = store
    sim.graphql(shop.domain, shop.access_token, """
        mutation($d: MetafieldDefinitionInput!) { metafieldDefinitionCreate(definition: $d) {
          createdDefinition { id } userErrors { field message } } }""",
                {"d": {"namespace": "custom", "key": "style", "name": "Style", "ownerType": "PRODUCT",
                       "type": "single_line_text_field", "capabilities": {"adminFilterable": {"enabled": True}}}})
    pipe = _matches(client, token, "handle", ["pipe"])["matches"][0]["products"][0]["id"]
    sim.graphql(shop.domain, shop.access_token, """
        mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { field message } } }""",
                {"m": [{"ownerId": pipe, "namespace": "custom", "key": "style", "value": "ST 12: steel",
                        "type": "single_line_text_field"}]})
    body = _matches(client, token, "metafield:custom.style", ["ST 12: steel", "other"])
    assert [m["products"][0]["id"] for m in body["matches"]] == [pipe]
    assert body["unmatched"] == ["other"]


def test_cross_store_tokens_see_only_their_store(client, sim_shop):
    a = sim_shop(products=[{"title": "Only in A", "handle": "only-a", "variants": [{"sku": "A-1"}]}])
    b = sim_shop(products=[{"title": "Only in B", "handle": "only-b", "variants": [{"sku": "B-1"}]}])
    token_a = connect(client, a.domain)["token"]
    token_b = connect(client, b.domain)["token"]
    # B's token can't reach A's products, settings or store.
    assert _matches(client, token_b, "sku", ["A-1"])["unmatched"] == ["A-1"]
    assert _matches(client, token_a, "sku", ["A-1"])["matched_products"] == 1
    client.put("/bridge/v1/settings", headers=bearer(token_a), json={"cache_busting": True})
    assert client.get("/bridge/v1/settings", headers=bearer(token_b)).get_json()["cache_busting"] is False
    assert client.get("/bridge/v1/store", headers=bearer(token_b)).get_json()["domain"] == b.domain
    # Revoking with B's token leaves A's connection alone.
    assert client.delete("/bridge/v1/connection", headers=bearer(token_b)).status_code == 204
    assert client.get("/bridge/v1/store", headers=bearer(token_a)).status_code == 200


def test_too_broad_values_are_refused_not_paged_forever(client, sim_shop, monkeypatch):
    from jobs.matching import matcher
    monkeypatch.setattr(matcher, "MAX_CANDIDATE_PAGES", 2)
    shop = sim_shop(generate={"products": 1200, "seed": 3})
    token = connect(client, shop.domain)["token"]
    # Every generated product carries the tag seed-3: 1,200 candidates, 5 pages.
    response = client.post("/bridge/v1/matches", headers=bearer(token),
                           json={"shopify_field": "tag", "values": ["seed-3"]})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "values"
