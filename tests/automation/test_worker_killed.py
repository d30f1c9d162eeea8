"""A worker killed in the middle of an automation sync: the reaper resumes
it on another worker; nothing lost, nothing linked twice."""
from __future__ import annotations

import pytest

from tests.app_processes import AppProcesses
from tests.automation.support import notification, wait_until

pytestmark = pytest.mark.slow

SKUS = [f"K-{i:02d}" for i in range(30)]


def test_a_killed_worker_loses_and_duplicates_nothing(app, automated, app_processes):
    app.config["AUTOMATION_DEBOUNCE_SECONDS"] = 1
    AppProcesses.clear_queues(app.config)
    store = automated([{"title": f"P {sku}", "variants": [{"sku": sku}]} for sku in SKUS])
    seeded = store.cld.seed(*[{"public_id": f"kill/{sku}_{n}", "metadata": {"sku": sku, "sequence_number": n}}
                              for sku in SKUS for n in range(2)])
    first = app_processes.worker(app.config, SYNC_PRODUCTS_PER_BATCH="1")
    for asset in seeded:
        assert store.notify(notification("upload", asset_id=asset["asset_id"], public_id=asset["public_id"],
                                         resource_type="image", type="upload")).status_code == 200

    def midway():
        syncs = store.syncs()
        return syncs and syncs[0]["status"] == "running" and 2 <= syncs[0]["progress"]["products_done"] < 25
    wait_until(midway, timeout=120, interval=0.05, what="the automation sync half done")
    app_processes.kill(first)
    app_processes.worker(app.config, SYNC_PRODUCTS_PER_BATCH="1")
    app_processes.scheduler(app.config)  # its reaper hands the lost sync over again

    wait_until(lambda: store.syncs() and all(s["status"] == "succeeded" for s in store.syncs()), timeout=180,
               interval=0.5, what="the sync resumed and finished")
    products = store.products()
    for sku in SKUS:
        product = products[f"P {sku}"]
        product.check_consistent()
        assert product.linked() == [f"kill/{sku}_0", f"kill/{sku}_1"]
        assert len(product.gallery) == 2, product.data["media"]
    assert len(store.syncs()) == 1
    assert all(not e["pending"] and e["outcome"] == "queued" for e in store.events())
