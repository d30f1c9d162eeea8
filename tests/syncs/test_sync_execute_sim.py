"""Real syncs against the simulator: galleries, the metafield, re-runs, resume."""
from __future__ import annotations

import json

import pytest

from jobs.sync_job import run_sync
from shopify_app.extensions import db
from shopify_app.models import MediaJournal, Sync
from tests.support import bearer, connect
from tests.syncs.store_reads import APP, GALLERY, admin

FIND = """query { products(first: 5, query: "sku:ABC-1") { nodes { id } } }"""
FILES = """query { files(first: 50) { nodes { id } } }"""


def asset(public_id, sku="ABC-1", **extra):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": extra.pop("version", 1711111111), "metadata": {"sku": sku}, **extra}


@pytest.fixture(autouse=True)
def _remember_app(app):
    APP[:] = [app]


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}],
                               "media": [{"src": "https://example.com/m1.jpg"}, {"src": "https://example.com/m2.jpg"}]}])
    return shop, connect(client, shop.domain, cloud_name="acme")["token"]


def sync(client, token, mode, assets, **body):
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": mode, "assets": assets, **body}
    response = client.post("/bridge/v1/syncs", json=data, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    sync_id = response.get_json()["id"]
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    return status, report


def product(sim, shop):
    pid = admin(sim, shop, FIND)["products"]["nodes"][0]["id"]
    data = admin(sim, shop, GALLERY, {"id": pid})["product"]
    doc = json.loads(data["mf"]["value"]) if data["mf"] else None
    return [m["id"] for m in data["media"]["nodes"]], doc, data


def writes(sim, shop):
    return [r["rootFields"] for r in sim.requests(shop.domain) if r["mutation"]]


def test_append_then_identical_run_makes_no_writes(client, store, sim):
    shop, token = store
    before, _, _ = product(sim, shop)
    status, report = sync(client, token, "append", [asset("shirts/front"), asset("shirts/back")])
    assert status["status"] == "succeeded", status
    gallery, doc, _ = product(sim, shop)
    assert gallery[:2] == before and len(gallery) == 4
    assert [(e["public_id"], e["media_id"]) for e in doc] == [("shirts/front", gallery[2]), ("shirts/back", gallery[3])]
    assert [(r["action"], r["media_id"]) for r in report] == [("created", gallery[2]), ("created", gallery[3])]
    assert status["progress"]["assets_linked"] == 2

    sim.clear_requests(shop.domain)
    status, report = sync(client, token, "append", [asset("shirts/front"), asset("shirts/back")])
    assert status["status"] == "succeeded"
    assert [r["action"] for r in report] == ["unchanged", "unchanged"]
    assert writes(sim, shop) == []
    assert product(sim, shop)[0] == gallery


def test_prepend_moves_reused_media_and_reset_keeps_merchant_files(client, store, sim):
    shop, token = store
    merchant, _, _ = product(sim, shop)
    sync(client, token, "append", [asset("shirts/front"), asset("shirts/back")])
    linked, _, _ = product(sim, shop)
    status, report = sync(client, token, "prepend", [asset("shirts/back"), asset("shirts/front")])
    assert status["status"] == "succeeded"
    gallery, doc, _ = product(sim, shop)
    assert gallery == [linked[3], linked[2], *merchant]
    assert [r["action"] for r in report] == ["moved", "moved"]
    assert [e["public_id"] for e in doc] == ["shirts/back", "shirts/front"]

    status, report = sync(client, token, "reset", [asset("shirts/front"), asset("shirts/side")])
    gallery, doc, _ = product(sim, shop)
    assert [e["public_id"] for e in doc] == ["shirts/front", "shirts/side"] and len(gallery) == 2
    assert gallery[0] == linked[2]
    files = {n["id"] for n in admin(sim, shop, FILES)["files"]["nodes"]}
    assert set(merchant) <= files            # the merchant's images stay in Files
    assert linked[3] not in gallery          # off the product (the executor detaches; files may be shared)
    assert sorted(r["action"] for r in report) == ["created", "moved", "removed", "removed", "removed"]


def test_overwrite_and_new_version(client, store, sim):
    shop, token = store
    merchant, _, _ = product(sim, shop)
    status, report = sync(client, token, "overwrite", [asset("shirts/front")])
    gallery, doc, _ = product(sim, shop)
    assert len(gallery) == 2 and gallery[1] == merchant[1] and gallery[0] not in merchant
    assert [r["action"] for r in report] == ["replaced"]
    status, report = sync(client, token, "overwrite", [asset("shirts/front", version=1800000000)])
    after, doc, _ = product(sim, shop)
    assert len(after) == 2 and after[1] == merchant[1] and after[0] != gallery[0]
    assert doc[0]["version"] == 1800000000 and doc[0]["media_id"] == after[0]


def test_all_metadata_filename_and_alt(client, store, sim):
    shop, token = store
    settings = {"filename_format": "all_metadata", "alt_text_source": "public_id"}
    sync(client, token, "reset", [asset("shirts/red_front")], settings=settings)
    _, doc, data = product(sim, shop)
    node = data["media"]["nodes"][0]
    assert node["alt"] == "shirts/red_front"
    assert "cloudinary__acme__image__upload__shirts-_p-2Fred-_p-5Ffront__cld" in node["image"]["url"]


def test_a_worker_killed_after_create_resumes_without_duplicates(client, app, sim_shop, sim, monkeypatch):
    """Killed right after Shopify made the files but before the answer was
    recorded: the resumed job finds them by the journal's intent instead of
    uploading again."""
    shop = sim_shop(products=[{"title": "Blue Shirt", "variants": [{"sku": "ABC-1"}],
                               "media": [{"src": "https://example.com/m1.jpg"}]}])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "prepend",
            "assets": [asset("shirts/front"), asset("shirts/back")]}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(token)).get_json()["id"]

    from jobs.sync_journal import SyncJournal

    def killed(self, records):
        raise KeyboardInterrupt("worker killed right after fileCreate answered")

    with monkeypatch.context() as patch:
        patch.setattr(SyncJournal, "created", killed)
        with pytest.raises(KeyboardInterrupt):
            with app.app_context():
                run_sync(sync_id)
    with app.app_context():
        assert db.session.get(Sync, sync_id).status == "running"
        assert sum(not r.record["file_id"] for r in db.session.query(MediaJournal)) == 2
        assert run_sync(sync_id) == "succeeded"
        assert db.session.query(MediaJournal).count() == 0  # completed products drop their records
    gallery, doc, _ = product(sim, shop)
    assert len(gallery) == 3
    assert [e["public_id"] for e in doc] == ["shirts/front", "shirts/back"]
    assert [e["media_id"] for e in doc] == gallery[:2]
    files = admin(sim, shop, FILES)["files"]["nodes"]
    assert len(files) == 3  # no stray second upload in Files either
