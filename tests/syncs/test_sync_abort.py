"""Abort while running: the sync stops before its next product."""
from __future__ import annotations

from sqlalchemy import update

from jobs.sync_job import SyncRun, run_sync
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncProduct
from tests.bridge.conftest import bearer, connect


def test_abort_stops_before_the_next_product_and_keeps_what_was_done(app, client, sim_shop, monkeypatch):
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(3)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    assets = [{"public_id": f"p/{i}", "format": "jpg", "metadata": {"sku": f"S-{i}"}} for i in range(3)]
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append", "assets": assets}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(token)).get_json()["id"]

    real = SyncRun.finish_product

    def finish_then_abort(self, product, *args, **kwargs):
        real(self, product, *args, **kwargs)
        # The merchant presses Abort (another process) while the first product is finishing.
        with db.engine.begin() as connection:
            connection.execute(update(Sync).where(Sync.id == sync_id).values(abort_requested=True))

    monkeypatch.setattr(SyncRun, "finish_product", finish_then_abort)
    with app.app_context():
        assert run_sync(sync_id) == "aborted"
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    assert status["status"] == "aborted" and status["progress"]["products_done"] == 1
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    assert [(r["public_id"], r["action"]) for r in report] == [("p/0", "created")]
    with app.app_context():
        assert sorted(p.status for p in db.session.query(SyncProduct)) == ["aborted", "aborted", "done"]
    assert client.post(f"/bridge/v1/syncs/{sync_id}/abort", headers=bearer(token)).status_code == 409
