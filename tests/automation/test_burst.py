"""A burst of 1,000 upload notifications for 250 SKUs becomes a few syncs,
and costs Shopify about what one dialog sync of those assets costs."""
from __future__ import annotations

import json
import time

import pytest

from shopify_app.extensions import db
from shopify_app.models import AutomationEvent
from tests.app_processes import AppProcesses
from tests.automation.support import notification, wait_until
from tests.support import bearer, connect

pytestmark = pytest.mark.slow

SKUS = [f"B-{i:03d}" for i in range(250)]
PRODUCTS = [{"title": f"Product {sku}", "variants": [{"sku": sku}]} for sku in SKUS]


def _finished(store) -> list[dict]:
    syncs = store.syncs()
    return syncs if syncs and all(s["status"] not in ("queued", "running") for s in syncs) else []


def test_a_thousand_uploads_are_a_few_syncs_costing_one_dialog_sync(app, client, automated, sim_shop,
                                                                    app_processes, capsys):
    app.config["AUTOMATION_DEBOUNCE_SECONDS"] = 2
    AppProcesses.clear_queues(app.config)
    store = automated(PRODUCTS, plan="enterprise")
    seeded = store.cld.seed(*[{"public_id": f"burst/{sku}_{n}", "metadata": {"sku": sku, "sequence_number": n}}
                              for sku in SKUS for n in range(4)])
    app_processes.worker(app.config)

    started = time.monotonic()
    slow = 0
    for asset in seeded:
        sent = time.monotonic()
        response = store.notify(notification("upload", asset_id=asset["asset_id"], public_id=asset["public_id"],
                                             resource_type="image", type="upload", request_id=asset["asset_id"]))
        assert response.status_code == 200
        slow += time.monotonic() - sent > 1.0
    posting = time.monotonic() - started
    assert slow == 0
    wait_until(lambda: _pending(app) == 0, timeout=120, what="every notification taken up")
    syncs = wait_until(lambda: _finished(store), timeout=600, interval=1, what="automation syncs finished")
    assert {s["status"] for s in syncs} == {"succeeded"}, syncs
    automation_cost = store.shopify_cost()
    products = store.products()
    assert all(len(products[f"Product {sku}"].linked()) == 4 for sku in SKUS)
    assert products["Product B-007"].linked() == [f"burst/B-007_{n}" for n in range(4)]

    # the same assets in one dialog sync, on an identical store
    dialog_shop = sim_shop(products=PRODUCTS, plan="enterprise")
    token = connect(client, dialog_shop.domain, cloud_name=store.cld.cloud_name)["token"]
    assets = [{"public_id": a["public_id"], "format": "png", "version": a.get("version"),
               "metadata": {"sku": a["public_id"].split("/")[1].split("_")[0],
                            "sequence_number": int(a["public_id"].rsplit("_", 1)[1])}} for a in seeded]
    assets = [{k: v for k, v in a.items() if v is not None} for a in assets]
    response = client.post("/bridge/v1/syncs", headers=bearer(token), json={
        "match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
        "order_by": "sequence_number", "assets": assets})
    assert response.status_code == 202, response.get_data(as_text=True)
    dialog_id = response.get_json()["id"]
    wait_until(lambda: client.get(f"/bridge/v1/syncs/{dialog_id}", headers=bearer(token)).get_json()["status"]
               == "succeeded", timeout=600, interval=1, what="dialog sync")
    dialog_cost = sum(e.get("actualCost") or 0
                      for e in store.sim.control("GET", f"/_sim/shops/{dialog_shop.domain}/requests"))
    from collections import Counter

    def by_op(domain):
        counts = Counter()
        for e in store.sim.control("GET", f"/_sim/shops/{domain}/requests"):
            counts[(e.get("operationName") or "?").rstrip("0123456789")] += e.get("actualCost") or 0
        return dict(counts)
    with capsys.disabled():
        print("\nautomation", by_op(store.domain), [(s["kind"], s["progress"]) for s in syncs])
        print("dialog", by_op(dialog_shop.domain))
    figures = {"notifications": len(seeded), "posting_s": round(posting, 1), "automation_syncs": len(syncs),
               "automation_cost": automation_cost, "dialog_cost": dialog_cost}
    with capsys.disabled():
        print("\nburst figures:", json.dumps(figures))
    assert len(syncs) <= 6, figures
    assert automation_cost <= 1.5 * dialog_cost, figures


def _pending(app) -> int:
    with app.app_context():
        count = db.session.query(AutomationEvent).filter_by(state="pending").count()
        db.session.rollback()
        return count
