"""The simulator's shop control API: creating shops and catalogues, reading
state, fault injection."""
from __future__ import annotations

import time

from .graphql_support import DOMAIN, FILE_CREATE, make_sim, shirt

SHOP_QUERY = "query ShopName { shop { name } }"


def test_create_shop_and_read_its_whole_state(sim_api):
    created = sim_api.create_shop(products=[
        {"title": "Red Shirt", "handle": "red-shirt", "vendor": "Acme", "product_type": "Tops", "tags": ["a", "b"],
         "variants": [{"sku": "RS-1", "barcode": "111"}, {"sku": "RS-2", "barcode": "222"}],
         "media": [{"src": "https://img.example.com/front.jpg", "alt": "Front"},
                   {"src": "https://img.example.com/back.jpg", "alt": "Back"}]}], plan="plus")
    assert created["products"] == 1 and created["variants"] == 2 and created["files"] == 2
    state = sim_api.shop_state()
    assert state["domain"] == DOMAIN and state["plan"] == "plus"
    product = state["products"][0]
    assert product["handle"] == "red-shirt" and product["tags"] == ["a", "b"]
    assert [(v["sku"], v["barcode"]) for v in product["variants"]] == [("RS-1", "111"), ("RS-2", "222")]
    assert [(m["position"], m["alt"], m["status"]) for m in product["media"]] == [(0, "Front", "READY"),
                                                                                 (1, "Back", "READY")]
    assert [f["filename"] for f in state["files"]] == ["front.jpg", "back.jpg"]
    assert state["files"][0]["products"] == [product["id"]]
    for key in ("metafields", "metafieldDefinitions", "jobs", "stagedUploads", "faults", "requests", "throttle"):
        assert key in state


def test_bad_shop_specs_are_refused_with_problem_documents(sim_api):
    sim_api.create_shop()
    cases = [
        ({"domain": "not a domain"}, 422),
        ({"domain": "x.myshopify.com", "plan": "gold"}, 422),
        ({"domain": "x.myshopify.com", "products": [{"handle": "no-title"}]}, 422),
        ({"domain": "x.myshopify.com", "products": [{"title": "T", "media": [{"alt": "no src"}]}]}, 422),
        ({"domain": "x.myshopify.com", "generate": {"products": -1}}, 422),
        ({"domain": DOMAIN}, 409),
    ]
    for body, status in cases:
        response = sim_api.client.post("/_sim/shops", json=body)
        assert response.status_code == status, body
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == status
    assert sim_api.client.post("/_sim/shops", data="nope").status_code == 400
    assert sim_api.client.get("/_sim/shops/missing.myshopify.com").status_code == 404
    assert "x.myshopify.com" not in sim_api.state.shops
    replaced = sim_api.client.post("/_sim/shops", json={"domain": DOMAIN, "replace": True,
                                                        "products": [shirt()]})
    assert replaced.status_code == 201 and len(sim_api.shop_state()["products"]) == 1


def test_a_generated_catalogue_of_10000_products_loads_in_seconds_and_searches_fast(sim_api):
    started = time.perf_counter()
    created = sim_api.create_shop(generate={"products": 10_000, "variants_per_product": 3, "seed": 7,
                                            "media_per_product": 1})
    load = time.perf_counter() - started
    print(f"\n10,000 products x 3 variants + 1 image each loaded in {load:.2f}s "
          f"(simulator reports {created['seconds']}s)")
    assert created["products"] == 10_000 and created["variants"] == 30_000 and created["files"] == 10_000
    assert load < 30
    skus = [f"SKU-7-{n:05d}-2" for n in range(1, 10_000, 200)]  # 50 SKUs
    query = " OR ".join(f"sku:{s}" for s in skus)
    started = time.perf_counter()
    data = sim_api.data("query($q: String) { productVariants(first: 100, query: $q) { nodes { sku } } }",
                        {"q": query})
    search = time.perf_counter() - started
    print(f"50 OR-ed SKU terms over 30,000 variants answered in {search * 1000:.0f} ms")
    assert sorted(v["sku"] for v in data["productVariants"]["nodes"]) == sorted(skus)
    assert search < 5
    again = make_sim()
    again.create_shop(generate={"products": 5, "variants_per_product": 2, "seed": 7})
    first = again.shop_state()["products"][0]
    assert first["variants"][0]["sku"] == "SKU-7-00001-1"


def test_add_products_to_an_existing_shop(sim_api):
    sim_api.create_shop()
    response = sim_api.client.post(f"/_sim/shops/{DOMAIN}/products", json={"products": [shirt()],
                                                                            "generate": {"products": 2}})
    assert response.status_code == 201 and response.get_json() == {"added": 3, "products": 3}


def test_injected_500s_answer_the_next_requests_then_stop(sim_api):
    sim_api.create_shop()
    response = sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json={"kind": "500", "count": 2})
    assert response.status_code == 201
    assert [sim_api.post(SHOP_QUERY).status_code for _ in range(3)] == [500, 500, 200]
    log = sim_api.client.get(f"/_sim/shops/{DOMAIN}/requests").get_json()
    assert [(e["status"], e["fault"]) for e in log] == [(500, "500"), (500, "500"), (200, None)]


def test_injected_throttle_internal_error_and_429(sim_api):
    sim_api.create_shop()
    sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json=[
        {"kind": "throttle"}, {"kind": "internal_error"}, {"kind": "429"}])
    throttled = sim_api.gql(SHOP_QUERY)
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED" and "data" not in throttled
    internal = sim_api.gql(SHOP_QUERY)
    assert internal["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    limited = sim_api.post(SHOP_QUERY)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert "errors" not in sim_api.gql(SHOP_QUERY)
    assert sim_api.client.get(f"/_sim/shops/{DOMAIN}/requests").get_json()[0]["throttled"] is True


def test_faults_can_target_one_operation_and_time_out(sim_api):
    sim_api.create_shop()
    sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json={"kind": "timeout", "seconds": 0.2,
                                                              "operation": "FileCreate"})
    assert sim_api.post(SHOP_QUERY).status_code == 200
    started = time.perf_counter()
    response = sim_api.post(FILE_CREATE, {"files": [{"originalSource": "https://x.test/a.png"}]})
    assert response.status_code == 504 and time.perf_counter() - started >= 0.2
    assert sim_api.state.shops[DOMAIN].catalog.files == {}


def test_bad_faults_are_refused_and_faults_can_be_cleared(sim_api):
    sim_api.create_shop()
    for body in ({"kind": "explode"}, {"kind": "500", "count": 0}, {"kind": "file_failure"}, "x"):
        response = sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json=body)
        assert response.status_code == 422, body
    sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults", json={"kind": "500", "count": 5})
    assert sim_api.client.get(f"/_sim/shops/{DOMAIN}/faults").get_json()["requests"][0]["remaining"] == 5
    assert sim_api.client.post(f"/_sim/shops/{DOMAIN}/faults/clear").status_code == 204
    assert sim_api.post(SHOP_QUERY).status_code == 200


def test_upload_targets_reject_unknown_ids_and_empty_bodies(sim_api):
    sim_api.create_shop()
    assert sim_api.client.put("/_sim/uploads/nope", data=b"x").status_code == 404
    staged = sim_api.data("""mutation { stagedUploadsCreate(input: [{resource: FILE, filename: "a.pdf",
        mimeType: "application/pdf", fileSize: "3"}]) { stagedTargets { url } } }""")
    path = staged["stagedUploadsCreate"]["stagedTargets"][0]["url"].replace("http://sim.test", "")
    assert sim_api.client.put(path, data=b"").status_code == 400
    assert sim_api.client.put(path, data=b"toolong").status_code == 400
    assert sim_api.client.put(path, data=b"pdf").status_code == 200
    assert sim_api.shop_state()["stagedUploads"][0]["uploadedBytes"] == 3
