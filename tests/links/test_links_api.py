"""POST /unlinks and GET /links: validation, Idempotency-Key, scoping, abort."""
from __future__ import annotations

import pytest

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import bearer, connect

PRODUCTS = """query { products(first: 10, sortKey: TITLE) { nodes { id title } } }"""

A = "gid://shopify/Product/1"
B = "gid://shopify/Product/2"


def post(client, token, body, key=None):
    headers = bearer(token)
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/bridge/v1/unlinks", json=body, headers=headers)


def count(app):
    with app.app_context():
        return db.session.query(Sync).count()


def test_an_unlink_is_a_batch_read_under_syncs(client, connected):
    _, connection = connected
    token = connection["token"]
    response = post(client, token, {"product_ids": [A, B], "public_ids": ["x/1"]})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["status_url"] == f"/bridge/v1/syncs/{body['id']}"
    status = client.get(body["status_url"], headers=bearer(token)).get_json()
    assert status["kind"] == "unlink" and status["status"] == "queued"
    assert status["progress"]["products_total"] == 2 and status["progress"]["assets_total"] == 2
    assert body["id"] in [s["id"] for s in client.get("/bridge/v1/syncs", headers=bearer(token)).get_json()["syncs"]]
    aborted = client.post(f"/bridge/v1/syncs/{body['id']}/abort", headers=bearer(token))
    assert aborted.status_code == 202 and aborted.get_json()["status"] == "aborted"
    assert client.get(f"/bridge/v1/syncs/{body['id']}/report", headers=bearer(token)).get_json() == []


@pytest.mark.parametrize("body, field", [
    ({"product_ids": [], "public_ids": ["x"]}, "product_ids"),
    ({"product_ids": [A], "public_ids": []}, "public_ids"),
    ({"public_ids": ["x"]}, "product_ids"),
    ({"product_ids": ["gid://shopify/ProductVariant/1"], "public_ids": ["x"]}, "product_ids[0]"),
    ({"product_ids": [A, "1"], "public_ids": ["x"]}, "product_ids[1]"),
    ({"product_ids": [A, A], "public_ids": ["x"]}, "product_ids[1]"),
    ({"product_ids": [A], "public_ids": ["x", "y", "x"]}, "public_ids[2]"),
    ({"product_ids": [A], "public_ids": [""]}, "public_ids[0]"),
    ({"product_ids": [A], "public_ids": ["a\tb"]}, "public_ids[0]"),
    ({"product_ids": [A], "public_ids": [f"p/{i}" for i in range(1001)]}, "public_ids"),
    ({"product_ids": [A], "public_ids": ["x"], "dry_run": True}, "dry_run"),
])
def test_bad_unlinks_are_422_with_field_paths_and_write_nothing(app, client, connected, body, field):
    _, connection = connected
    response = post(client, connection["token"], body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert count(app) == 0


def test_idempotency_key_on_unlinks(app, client, connected):
    _, connection = connected
    token = connection["token"]
    first = post(client, token, {"product_ids": [A], "public_ids": ["x"]}, key="u-1")
    again = post(client, token, {"product_ids": [A], "public_ids": ["x"]}, key="u-1")
    assert again.status_code == 202 and again.get_json()["id"] == first.get_json()["id"]
    assert post(client, token, {"product_ids": [B], "public_ids": ["x"]}, key="u-1").status_code == 409
    assert count(app) == 1


def test_another_stores_unlink_is_404(client, connected, make_shop):
    _, connection = connected
    make_shop("other.myshopify.com", name="Other")
    other = connect(client, "other.myshopify.com")["token"]
    unlink_id = post(client, connection["token"], {"product_ids": [A], "public_ids": ["x"]}).get_json()["id"]
    for path in (f"/bridge/v1/syncs/{unlink_id}", f"/bridge/v1/syncs/{unlink_id}/report"):
        assert client.get(path, headers=bearer(other)).status_code == 404
    assert client.post(f"/bridge/v1/syncs/{unlink_id}/abort", headers=bearer(other)).status_code == 404
    assert client.get(f"/bridge/v1/uploads/{unlink_id}", headers=bearer(connection["token"])).status_code == 404


def test_links_needs_a_product_gid(client, connected):
    _, connection = connected
    token = connection["token"]
    for params in ({}, {"product_id": "123"}, {"product_id": "gid://shopify/Collection/1"}):
        response = client.get("/bridge/v1/links", query_string=params, headers=bearer(token))
        assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "product_id"
    response = client.get("/bridge/v1/links", query_string={"product_id": A, "limit": 5}, headers=bearer(token))
    assert response.status_code == 400


def test_links_of_a_product_another_store_has_is_404(app, client, sim_shop, sim):
    mine = sim_shop(products=[{"title": "Mine"}])
    theirs = sim_shop(products=[{"title": f"Theirs {i}"} for i in range(3)])
    token = connect(client, mine.domain)["token"]

    def product_ids(shop):
        data = sim.graphql(shop.domain, shop.current_token(app), PRODUCTS)
        return [node["id"] for node in data["products"]["nodes"]]

    theirs_id = product_ids(theirs)[2]
    mine_id = product_ids(mine)[0]
    assert theirs_id != mine_id  # (the simulator numbers each store's products from the same start)
    response = client.get("/bridge/v1/links", query_string={"product_id": theirs_id}, headers=bearer(token))
    assert response.status_code == 404 and response.get_json()["detail"] == "No such product in this store."
    response = client.get("/bridge/v1/links", query_string={"product_id": mine_id}, headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["assets"] == []
