"""Real rq worker processes: a store's sync, upload and unlink run one at a
time in the order they arrived, whatever worker picks them up."""
from __future__ import annotations

import threading

import pytest

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import bearer, connect


@pytest.mark.slow
def test_sync_upload_and_unlink_of_a_store_run_in_arrival_order(app, client, sim_shop, run_worker):
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    asset = {"public_id": "p/front", "format": "jpg", "version": 1711111111, "metadata": {"sku": "S-1"}}
    sync = client.post("/bridge/v1/syncs", headers=bearer(token), json={
        "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append", "assets": [asset]})
    upload = client.post("/bridge/v1/uploads", headers=bearer(token), json={"assets": [asset]})
    product_id = client.post("/bridge/v1/matches", headers=bearer(token), json={
        "shopify_field": "sku", "values": ["S-1"]}).get_json()["matches"][0]["products"][0]["id"]
    unlink = client.post("/bridge/v1/unlinks", headers=bearer(token),
                         json={"product_ids": [product_id], "public_ids": ["p/front"]})
    ids = [r.get_json()["id"] for r in (sync, upload, unlink)]

    results = []
    workers = [threading.Thread(target=lambda: results.append(run_worker(app.config, "media", timeout=120)))
               for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]

    with app.app_context():
        batches = [db.session.get(Sync, i) for i in ids]
        assert [(b.kind, b.status) for b in batches] == [("sync", "succeeded"), ("upload", "succeeded"),
                                                         ("unlink", "succeeded")], [b.errors for b in batches]
        for earlier, later in zip(batches, batches[1:]):
            assert earlier.finished_at <= later.started_at
    # The unlink ran after the sync: it found the media the sync made and took it off.
    report = client.get(f"/bridge/v1/syncs/{ids[2]}/report", headers=bearer(token)).get_json()
    assert [(r["public_id"], r["action"]) for r in report] == [("p/front", "removed")]
    links = client.get("/bridge/v1/links", query_string={"product_id": product_id}, headers=bearer(token)).get_json()
    assert links["assets"] == [] and links["media_count"] == 0
    status = client.get(f"/bridge/v1/uploads/{ids[1]}", headers=bearer(token)).get_json()
    assert status["assets"][0]["status"] == "uploaded" and status["assets"][0]["url"]
