"""GET /links and POST /unlinks against the simulator, after real syncs."""
from __future__ import annotations

import json
import time

import pytest

from shopify_app import crypto
from shopify_app.extensions import db
from shopify_app.models import Shop
from tests.support import Receiver, bearer, connect, purge_all_history

PRODUCT = """query($id: ID!) { product(id: $id) { id media(first: 250) { nodes { id } }
  mf: metafield(namespace: "cloudinary", key: "productmedia_v1") { value } } }"""
PRODUCTS = """query { products(first: 10, sortKey: TITLE) { nodes { id title } } }"""
FILE_UPDATE = """mutation($files: [FileUpdateInput!]!) { fileUpdate(files: $files) { userErrors { message code } } }"""
SET_METAFIELD = """mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { message } } }"""
FILES = """query { files(first: 100) { nodes { id } } }"""


def asset(public_id, sku):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": 1711111111, "metadata": {"sku": sku}}


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[
        {"title": "A shirt", "variants": [{"sku": "A-1"}], "media": [{"src": "https://example.com/merchant-a.jpg"}]},
        {"title": "B shirt", "variants": [{"sku": "B-1"}], "media": [{"src": "https://example.com/merchant-b.jpg"}]},
    ])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    # Both products get the "logo" (a list value puts it in both groups) and one asset of their own.
    logo = {**asset("brand/logo", None), "metadata": {"sku": ["A-1", "B-1"]}}
    body = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [asset("shirts/a_front", "A-1"), logo, asset("shirts/b_front", "B-1")]}
    response = client.post("/bridge/v1/syncs", json=body, headers=bearer(token))
    assert client.get(f"/bridge/v1/syncs/{response.get_json()['id']}", headers=bearer(token)).get_json()[
        "status"] == "succeeded"
    return shop, token


def admin(app, sim, shop, query, variables=None):
    with app.app_context():
        token = crypto.decrypt(db.session.get(Shop, shop.shop_id).access_token_enc)
    return sim.graphql(shop.domain, token, query, variables)


def products(app, sim, shop):
    """{title: (gallery, productmedia_v1 public ids, product id)}"""
    out = {}
    for node in admin(app, sim, shop, PRODUCTS)["products"]["nodes"]:
        data = admin(app, sim, shop, PRODUCT, {"id": node["id"]})["product"]
        doc = json.loads(data["mf"]["value"]) if data["mf"] else []
        out[node["title"]] = ([m["id"] for m in data["media"]["nodes"]], doc, node["id"])
    return out


def unlink(client, token, product_ids, public_ids):
    response = client.post("/bridge/v1/unlinks", json={"product_ids": product_ids, "public_ids": public_ids},
                           headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    unlink_id = response.get_json()["id"]
    status = client.get(f"/bridge/v1/syncs/{unlink_id}", headers=bearer(token)).get_json()
    report = client.get(f"/bridge/v1/syncs/{unlink_id}/report", headers=bearer(token)).get_json()
    return status, report


def test_links_reads_the_gallery_live(app, client, store, sim):
    shop, token = store
    before = products(app, sim, shop)
    gallery, doc, product_id = before["A shirt"]
    response = client.get("/bridge/v1/links", query_string={"product_id": product_id}, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    links = response.get_json()
    assert links["product_title"] == "A shirt" and links["media_count"] == 3
    assert [(a["public_id"], a["media_id"], a["position"], a["on_product"]) for a in links["assets"]] == [
        ("shirts/a_front", gallery[1], 2, True), ("brand/logo", gallery[2], 3, True)]
    assert links["assets"][0]["media_status"] == "READY" and links["assets"][0]["version"] == 1711111111

    # The merchant moves the logo first in Shopify: /links shows it at once.
    admin(app, sim, shop, """mutation($id: ID!, $m: [MoveInput!]!) { productReorderMedia(id: $id, moves: $m) {
        job { id } mediaUserErrors { message } } }""",
          {"id": product_id, "m": [{"id": gallery[2], "newPosition": "0"}]})
    for _ in range(50):  # the reorder is a Shopify job: applied a moment later
        links = client.get("/bridge/v1/links", query_string={"product_id": product_id},
                           headers=bearer(token)).get_json()
        if links["assets"][1]["position"] == 1:
            break
        time.sleep(0.1)
    assert [a["position"] for a in links["assets"]] == [3, 1]


def test_unlink_removes_only_assetlink_media_of_the_named_products(app, client, store, sim):
    shop, token = store
    before = products(app, sim, shop)
    a_gallery, a_doc, a_id = before["A shirt"]
    b_gallery, b_doc, b_id = before["B shirt"]
    logo_media = a_doc[1]["media_id"]
    assert [e["public_id"] for e in b_doc] == ["brand/logo", "shirts/b_front"]

    sim.clear_requests(shop.domain)
    status, report = unlink(client, token, [a_id], ["brand/logo", "not/linked"])
    assert status["status"] == "succeeded" and status["kind"] == "unlink", status
    assert [(r["product_id"], r["public_id"], r["action"], r["media_id"]) for r in report] == [
        (a_id, "brand/logo", "removed", logo_media), (a_id, "not/linked", "skipped", None)]
    after = products(app, sim, shop)
    assert after["A shirt"][0] == a_gallery[:2]                       # merchant media and a_front stay, in order
    assert [e["public_id"] for e in after["A shirt"][1]] == ["shirts/a_front"]
    assert after["A shirt"][1][0] == a_doc[0]                          # the remaining entry is unchanged
    assert after["B shirt"][:2] == (b_gallery, b_doc)                  # the other product is untouched
    assert logo_media in {n["id"] for n in admin(app, sim, shop, FILES)["files"]["nodes"]}  # never deleted
    mutations = [r["rootFields"] for r in sim.requests(shop.domain) if r["mutation"]]
    assert ["fileDelete"] not in mutations
    assert all(set(m) <= {"fileUpdate", "metafieldsSet"} for m in mutations), mutations

    again, report = unlink(client, token, [a_id], ["brand/logo"])     # nothing left to do: no writes
    assert again["status"] == "succeeded" and [r["action"] for r in report] == ["skipped"]


def test_a_file_shared_with_another_product_keeps_that_reference(app, client, store, sim):
    shop, token = store
    before = products(app, sim, shop)
    a_gallery, a_doc, a_id = before["A shirt"]
    b_gallery, _, b_id = before["B shirt"]
    front = a_doc[0]["media_id"]
    # The merchant adds A's AssetLink image to B by hand in Shopify.
    assert not admin(app, sim, shop, FILE_UPDATE, {"files": [{"id": front, "referencesToAdd": [b_id]}]})[
        "fileUpdate"]["userErrors"]
    status, report = unlink(client, token, [a_id], ["shirts/a_front"])
    assert [r["action"] for r in report] == ["removed"]
    after = products(app, sim, shop)
    assert front not in after["A shirt"][0]
    assert after["B shirt"][0] == b_gallery + [front]                  # B keeps its reference


def test_media_assetlink_did_not_create_is_never_touched(app, client, store, sim):
    """An entry pointing at the merchant's own media (the metafield edited by
    hand) is dropped from the metafield, and the media stays."""
    shop, token = store
    a_gallery, a_doc, a_id = products(app, sim, shop)["A shirt"]
    merchant = a_gallery[0]
    forged = [*a_doc, {**a_doc[0], "public_id": "hand/edited", "media_id": merchant}]
    assert not admin(app, sim, shop, SET_METAFIELD, {"m": [{"ownerId": a_id, "namespace": "cloudinary",
                                                             "key": "productmedia_v1", "type": "json",
                                                             "value": json.dumps(forged)}]})[
        "metafieldsSet"]["userErrors"]
    status, report = unlink(client, token, [a_id], ["hand/edited"])
    assert status["status"] == "succeeded"
    assert [(r["action"], r["media_id"]) for r in report] == [("skipped", merchant)]
    assert "left on the product" in report[0]["detail"]
    gallery, doc, _ = products(app, sim, shop)["A shirt"]
    assert gallery == a_gallery and doc == a_doc


def test_a_product_that_no_longer_exists_fails_alone(app, client, store, sim):
    shop, token = store
    before = products(app, sim, shop)
    a_id = before["A shirt"][2]
    status, report = unlink(client, token, ["gid://shopify/Product/999999999", a_id], ["shirts/a_front"])
    assert status["status"] == "partially_succeeded"
    assert [(r["action"], r["error"]) for r in report] == [("failed", "the product no longer exists"),
                                                           ("removed", None)]
    assert status["progress"]["products_done"] == 2 and status["progress"]["failures"] == 1


def test_abort_stops_before_the_next_product(app, client, store, sim, monkeypatch):
    from sqlalchemy import update

    from jobs.unlink_job import UnlinkRun, run_unlink
    from shopify_app.models import Sync
    shop, token = store
    before = products(app, sim, shop)
    a_id, b_id = before["A shirt"][2], before["B shirt"][2]
    app.config["RQ_IS_ASYNC"] = True  # queue only; the job is run here by hand
    app.config["SYNC_PRODUCTS_PER_BATCH"] = 1
    unlink_id = client.post("/bridge/v1/unlinks", json={"product_ids": [a_id, b_id], "public_ids": ["brand/logo"]},
                            headers=bearer(token)).get_json()["id"]
    real = UnlinkRun.finish_products

    def finish_then_abort(self, ended):
        real(self, ended)
        if ended:
            with db.engine.begin() as connection:
                connection.execute(update(Sync).where(Sync.id == unlink_id).values(abort_requested=True))

    monkeypatch.setattr(UnlinkRun, "finish_products", finish_then_abort)
    with app.app_context():
        assert run_unlink(unlink_id) == "aborted"
    status = client.get(f"/bridge/v1/syncs/{unlink_id}", headers=bearer(token)).get_json()
    assert status["status"] == "aborted" and status["progress"]["products_done"] == 1
    after = products(app, sim, shop)
    assert "brand/logo" not in [e["public_id"] for e in after["A shirt"][1]]
    assert after["B shirt"][:2] == before["B shirt"][:2]  # B was never reached


def test_unlinking_a_swatch_removes_the_swatch_metafield_it_set(app, client, sim_shop, sim):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "Sock", "variants": [{"sku": "S-RED"}, {"sku": "S-BLUE"}]}])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    swatch = {**asset("swatches/red", "S-RED"), "metadata": {"sku": "S-RED", "asset_type": "swatch"}}
    body = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "settings": {"asset_type_field": "asset_type"}, "assets": [swatch, asset("socks/red", "S-RED")]}
    sync_id = client.post("/bridge/v1/syncs", json=body, headers=bearer(token)).get_json()["id"]
    assert client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()["status"] == "succeeded"
    swatches = """query($id: ID!) { product(id: $id) { variants(first: 5) { nodes { sku
        swatch: metafield(namespace: "cloudinary", key: "swatch") { value } } } } }"""
    product_id = products(app, sim, shop)["Sock"][2]

    def variant_swatches():
        nodes = admin(app, sim, shop, swatches, {"id": product_id})["product"]["variants"]["nodes"]
        return {n["sku"]: (n["swatch"] or {}).get("value") for n in nodes}

    before = variant_swatches()
    assert before["S-RED"] and before["S-BLUE"] is None
    gallery = products(app, sim, shop)["Sock"][0]
    status, report = unlink(client, token, [product_id], ["swatches/red"])
    assert status["status"] == "succeeded", status
    assert [(r["public_id"], r["action"], r["media_id"]) for r in report] == [
        ("swatches/red", "removed", before["S-RED"])]
    assert "cloudinary.swatch removed" in report[0]["detail"]
    assert variant_swatches() == {"S-RED": None, "S-BLUE": None}
    assert products(app, sim, shop)["Sock"][0] == gallery          # the gallery is untouched
    assert before["S-RED"] in {n["id"] for n in admin(app, sim, shop, FILES)["files"]["nodes"]}


def test_a_finished_unlink_posts_sync_completed(app, client, store, sim):
    shop, token = store
    receiver = Receiver()
    try:
        settings = client.get("/bridge/v1/settings", headers=bearer(token)).get_json()
        assert client.put("/bridge/v1/settings", json={**settings, "sync_completed_webhook_url": receiver.url},
                          headers=bearer(token)).status_code == 200
        a_id = products(app, sim, shop)["A shirt"][2]
        status, _ = unlink(client, token, [a_id], ["brand/logo"])
        assert len(receiver.calls) == 1
        headers, raw = receiver.calls[0]
        assert headers["X-Assetlink-Event"] == "sync.completed"
        assert json.loads(raw) == {"event": "sync.completed", "sync": status}
    finally:
        receiver.stop()


def test_an_unlink_after_the_history_was_purged_still_removes_assetlink_media(app, client, store, sim):
    shop, token = store
    a_gallery, a_doc, a_id = products(app, sim, shop)["A shirt"]
    purged = purge_all_history(app)
    assert purged["batches"] == 1 and purged["report_rows"] > 0

    status, report = unlink(client, token, [a_id], ["brand/logo"])
    assert status["status"] == "succeeded", status
    assert [(r["public_id"], r["action"], r["media_id"]) for r in report] == [
        ("brand/logo", "removed", a_doc[1]["media_id"])]
    assert products(app, sim, shop)["A shirt"][0] == a_gallery[:2]
