"""Shopify downloads what a sync sends it. End to end (bridge → real worker →
simulator), with the simulator's strict downloads: sources served by the local
delivery server (tests/delivery_server.py, standing in for res.cloudinary.com)
end READY and linked; sources that answer 404 end FAILED in Shopify, the sync
says so, and the merchant's own media are untouched."""
from __future__ import annotations

import uuid

from tests.delivery_server import shared_delivery
from tests.support import connect, make_session_token
from tests.syncs.e2e_store import Store, asset


def test_sources_served_by_the_delivery_server_are_downloaded_ready_and_linked(make_store, work):
    cloud = f"ok-{uuid.uuid4().hex[:8]}"
    store = make_store([{"title": "Boot", "variants": [{"sku": "B-1"}],
                         "media": [{"src": "https://example.com/merchant.jpg", "alt": "merchant"}]}], cloud_name=cloud)
    sync_id = store.post([asset("boots/front", sku="B-1"), asset("boots/back", sku="B-1", fmt="png")])
    work()

    store.succeeded(sync_id)
    boot = store.products()["Boot"]
    boot.check_consistent()
    assert boot.linked() == ["boots/front", "boots/back"] and len(boot.gallery) == 3
    files = {f["id"]: f for f in store.state()["files"]}
    linked = [files[e["media_id"]] for e in boot.doc]
    assert [(f["status"], f["errors"]) for f in linked] == [("READY", []), ("READY", [])]
    # Shopify read the bytes: the type is what the delivery server sent, the size is theirs.
    assert [f["mimeType"] for f in linked] == ["image/jpeg", "image/png"] and all(f["size"] > 0 for f in linked)
    fetched = [p for p in shared_delivery().paths if p.startswith(f"/{cloud}/")]
    assert sorted(fetched) == sorted({f"/{cloud}/image/upload/v1711111111/boots/front.jpg",
                                      f"/{cloud}/image/upload/v1711111111/boots/back.png"}), fetched
    assert [e["source_url"] for e in boot.doc] == [f["originalSource"] for f in linked]


def test_sources_that_404_fail_in_shopify_and_the_sync_reports_them(make_store, work):
    cloud = f"gone-{uuid.uuid4().hex[:8]}"
    shared_delivery().remove(f"/{cloud}/image/upload/v1711111111/gone/")  # these assets are not in the cloud
    store = make_store([{"title": "Hat", "variants": [{"sku": "H-1"}],
                         "media": [{"src": "https://example.com/merchant-hat.jpg", "alt": "merchant hat"}]},
                        {"title": "Cap", "variants": [{"sku": "C-1"}]}], cloud_name=cloud)
    before = {p["title"]: p["media"] for p in store.state()["products"]}
    sync_id = store.post([asset("gone/hat-front", sku="H-1"), asset("here/cap-front", sku="C-1")])
    work()

    status = store.status(sync_id)
    # One product failed, one succeeded: the contract's partially_succeeded, the failure named.
    assert status["status"] == "partially_succeeded", status
    hat_id = store.products()["Hat"].data["id"]
    assert [e["product_id"] for e in status["errors"]] == [hat_id]
    assert "could not be downloaded" in status["errors"][0]["message"]
    rows = {r["public_id"]: r for r in store.report(sync_id)}
    assert rows["gone/hat-front"]["action"] == "failed"
    assert "IMAGE_DOWNLOAD_FAILURE" in rows["gone/hat-front"]["error"]
    assert rows["here/cap-front"]["action"] == "created" and rows["here/cap-front"]["error"] is None

    products = store.products()
    hat, cap = products["Hat"], products["Cap"]
    # The merchant's own media are exactly as before; nothing failed was left in the gallery or the document.
    assert hat.data["media"] == before["Hat"] and hat.doc == []
    cap.check_consistent()
    assert cap.linked() == ["here/cap-front"]
    failed = [f for f in store.state()["files"] if f["originalSource"].endswith("/gone/hat-front.jpg")]
    assert [(f["status"], [e["code"] for e in f["errors"]]) for f in failed] == \
        [("FAILED", ["IMAGE_DOWNLOAD_FAILURE"])]


SYNC_BODY = {"dry_run": False, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
             "assets": [asset("x/y", sku="L-1")]}


def api_key(client, domain: str) -> str:
    """An API key made on the Settings page (Settings → API Keys)."""
    response = client.post("/app/api/api-keys", json={"label": "PIM import"},
                           headers={"Authorization": "Bearer " + make_session_token(domain)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["key"]


def test_a_sync_made_with_an_api_key_delivers_from_the_stores_cloudinary_environment(make_store, work, client):
    # The bug: an API key has no cloud name of its own, and its syncs sent
    # https://res.cloudinary.com//image/upload/... (empty cloud name), which Shopify cannot download.
    cloud = f"key-{uuid.uuid4().hex[:8]}"
    store = make_store([{"title": "Belt", "variants": [{"sku": "BL-1"}]}], cloud_name=cloud)
    keyed = Store(client, store.sim, store.shop, api_key(client, store.domain))
    sync_id = keyed.post([asset("belts/hero", sku="BL-1")])
    work()

    keyed.succeeded(sync_id)
    belt = keyed.products()["Belt"]
    assert belt.linked() == ["belts/hero"]
    assert belt.doc[0]["cloud_name"] == cloud
    assert belt.doc[0]["source_url"].startswith(f"https://res.cloudinary.com/{cloud}/image/upload/")
    assert [f["status"] for f in keyed.state()["files"]] == ["READY"]


def test_an_api_key_sync_is_refused_when_the_store_names_no_single_cloudinary_environment(make_store, client, sim_shop):
    shop = sim_shop(products=[{"title": "Lonely", "variants": [{"sku": "L-1"}]}])
    key = api_key(client, shop.domain)  # no Cloudinary environment connected to this store
    response = client.post("/bridge/v1/syncs", json=SYNC_BODY,
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert response.mimetype == "application/problem+json" and "Cloudinary environment" in problem["detail"]

    connect(client, shop.domain, cloud_name="first-cloud")
    connect(client, shop.domain, cloud_name="second-cloud")
    response = client.post("/bridge/v1/syncs", json=SYNC_BODY,
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 422
    assert "first-cloud" in response.get_json()["detail"] and "second-cloud" in response.get_json()["detail"]
