"""Abort while running: the sync stops before its next product's first write."""
from __future__ import annotations

from sqlalchemy import update

import jobs.executor.uploads
from jobs.sync_job import SyncRun, run_sync
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncProduct
from tests.support import bearer, connect

BODY = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
        "assets": [{"public_id": f"p/{i}", "format": "jpg", "metadata": {"sku": f"S-{i}"}} for i in range(3)]}


def start(client, sim_shop):
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(3)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    sync_id = client.post("/bridge/v1/syncs", json=BODY, headers=bearer(token)).get_json()["id"]
    return shop, token, sync_id


def press_abort(sync_id: str) -> None:
    """The merchant presses Abort (another process)."""
    with db.engine.begin() as connection:
        connection.execute(update(Sync).where(Sync.id == sync_id).values(abort_requested=True))


def galleries(sim, domain):
    return {p["title"]: [m["id"] for m in p["media"]] for p in sim.shop(domain)["products"]}


def test_abort_between_chunks_keeps_what_was_done(app, client, sim, sim_shop, monkeypatch):
    app.config["SYNC_PRODUCTS_PER_BATCH"] = 1
    app.config["RQ_IS_ASYNC"] = True  # queue only; the job is run here by hand
    shop, token, sync_id = start(client, sim_shop)
    real = SyncRun.finish_products

    def finish_then_abort(self, ended):
        real(self, ended)
        if ended:
            press_abort(sync_id)  # while the first product is finishing

    monkeypatch.setattr(SyncRun, "finish_products", finish_then_abort)
    with app.app_context():
        assert run_sync(sync_id) == "aborted"
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    assert status["status"] == "aborted" and status["progress"]["products_done"] == 1
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    assert [(r["public_id"], r["action"]) for r in report] == [("p/0", "created")]
    with app.app_context():
        assert sorted(p.status for p in db.session.query(SyncProduct)) == ["aborted", "aborted", "done"]
    # The second product's file was already being made (chunks overlap) but
    # nothing was written to it or to the third.
    assert galleries(sim, shop.domain) == {"P0": galleries(sim, shop.domain)["P0"], "P1": [], "P2": []}
    assert len(galleries(sim, shop.domain)["P0"]) == 1
    assert client.post(f"/bridge/v1/syncs/{sync_id}/abort", headers=bearer(token)).status_code == 409


def test_abort_inside_a_chunk_stops_before_the_first_product_write(app, client, sim, sim_shop, monkeypatch):
    app.config["RQ_IS_ASYNC"] = True
    shop, token, sync_id = start(client, sim_shop)
    real = jobs.executor.uploads.create_files

    def create_then_abort(*args, **kwargs):
        real(*args, **kwargs)
        press_abort(sync_id)  # while Shopify makes the files, before any product is touched

    monkeypatch.setattr(jobs.executor.uploads, "create_files", create_then_abort)
    with app.app_context():
        assert run_sync(sync_id) == "aborted"
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    assert status["status"] == "aborted" and status["progress"]["products_done"] == 0
    assert client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json() == []
    with app.app_context():
        assert sorted(p.status for p in db.session.query(SyncProduct)) == ["aborted"] * 3
    assert galleries(sim, shop.domain) == {"P0": [], "P1": [], "P2": []}
    assert not [m for m in sim.shop(shop.domain)["metafields"] if m["namespace"] == "cloudinary"]

    # The same sync again uses the files the aborted one made.
    monkeypatch.undo()
    sim.clear_requests(shop.domain)
    again = client.post("/bridge/v1/syncs", json=BODY, headers=bearer(token)).get_json()["id"]
    with app.app_context():
        assert run_sync(again) == "succeeded"
    assert "FileCreate" not in [e["operationName"] for e in sim.requests(shop.domain) if e["mutation"]]
    assert all(len(ids) == 1 for ids in galleries(sim, shop.domain).values())
