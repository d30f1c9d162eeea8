"""Real rq worker processes: one batch per store at a time, in arrival order."""
from __future__ import annotations

import threading

import pytest

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import bearer, connect


def body(sku, mode="append"):
    return {"dry_run": True, "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": mode,
            "assets": [{"public_id": f"p/{sku}", "format": "jpg", "metadata": {"sku": sku}}]}


@pytest.mark.slow
def test_store_batches_run_in_arrival_order_on_two_workers(app, client, sim_shop, run_worker):
    stores = []
    for letter in "ab":
        shop = sim_shop(products=[{"title": f"P{letter}", "variants": [{"sku": f"S-{letter}"}]}])
        stores.append((shop, connect(client, shop.domain, cloud_name=f"cloud-{letter}")["token"]))
    ids = {shop.domain: [] for shop, _ in stores}
    for mode in ("append", "prepend", "reset"):
        for shop, token in stores:
            response = client.post("/bridge/v1/syncs", json=body(f"S-{shop.domain[:1]}", mode), headers=bearer(token))
            assert response.status_code == 202
            ids[shop.domain].append(response.get_json()["id"])

    results = []
    workers = [threading.Thread(target=lambda: results.append(run_worker(app.config, "media", timeout=120)))
               for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert all(r.returncode == 0 for r in results), [r.stderr[-2000:] for r in results]

    with app.app_context():
        for sync_ids in ids.values():
            syncs = [db.session.get(Sync, i) for i in sync_ids]
            assert [s.status for s in syncs] == ["succeeded"] * 3, [(s.status, s.errors) for s in syncs]
            for earlier, later in zip(syncs, syncs[1:]):
                assert earlier.finished_at <= later.started_at
