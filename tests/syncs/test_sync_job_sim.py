"""The sync job against the Shopify simulator (real Admin API exchange)."""
from __future__ import annotations

import pytest

from shopify_app.extensions import db
from shopify_app.models import SyncProduct
from tests.support import bearer, connect


def products():
    return [
        {"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}, {"sku": "ABC-2"}],
         "media": [{"src": "https://example.com/a.jpg"}, {"src": "https://example.com/b.jpg"}]},
        {"title": "Red Shirt", "handle": "red-shirt", "variants": [{"sku": "RED-1"}]},
    ]


def asset(public_id, sku, **metadata):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": 1711111111, "metadata": {"sku": sku, **metadata}}


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False  # the job runs inside the request
    shop = sim_shop(products=products())
    return shop, connect(client, shop.domain)["token"]


def run(client, token, **body):
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append", **body}
    response = client.post("/bridge/v1/syncs", json=data, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    sync_id = response.get_json()["id"]
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    return status, report


def mutations(sim, domain):
    log = sim.requests(domain)
    assert log, "the simulator saw no requests at all"
    return [r["rootFields"] for r in log if r["mutation"]]


def test_dry_run_reports_the_plan_and_writes_nothing(client, store, sim):
    shop, token = store
    assets = [asset("shirts/abc-1_back", "ABC-1", seq=2), asset("shirts/abc-1_front", "abc-1", seq=1),
              asset("shirts/abc-2", "ABC-2"), asset("shirts/red", "RED-1"), asset("x/none", "NOPE"),
              asset("x/novalue", None)]
    sim.clear_requests(shop.domain)
    status, report = run(client, token, dry_run=True, link_mode="reset", order_by="seq", assets=assets)
    assert status["status"] == "succeeded", status
    assert status["progress"]["products_total"] == 2 and status["progress"]["products_done"] == 2
    assert status["progress"]["assets_total"] == 4
    rows = [(r["product_title"], r["public_id"], r["action"], r["position"]) for r in report]
    assert rows[:4] == [("Blue Shirt", "shirts/abc-1_front", "created", 1),
                        ("Blue Shirt", "shirts/abc-1_back", "created", 2),
                        ("Blue Shirt", "shirts/abc-2", "created", 3),
                        ("Blue Shirt", None, "removed", None)]
    assert rows[4] == ("Blue Shirt", None, "removed", None)
    assert rows[5] == ("Red Shirt", "shirts/red", "created", 1)
    assert [(r["public_id"], r["action"], r["detail"]) for r in report[6:]] == [
        ("x/novalue", "skipped", "no value in metadata field 'sku'"),
        ("x/none", "skipped", "no product matches 'NOPE'")]
    assert mutations(sim, shop.domain) == []


def test_unknown_metafield_fails_the_sync_with_a_clear_error(client, store):
    _, token = store
    status, report = run(client, token, dry_run=True, match={"cloudinary_field": "sku",
                                                             "shopify_field": "metafield:custom.nope"},
                         assets=[asset("a", "ABC-1")])
    assert status["status"] == "failed" and "metafield:custom.nope" in status["errors"][0]["message"]
    assert report == []


def test_a_product_over_250_media_fails_alone(client, store, app):
    _, token = store
    assets = [asset(f"many/{i}", "ABC-1") for i in range(249)] + [asset("red/1", "RED-1")]
    status, report = run(client, token, dry_run=True, assets=assets)
    assert status["status"] == "partially_succeeded", status
    failed = [r for r in report if r["action"] == "failed"]
    assert len(failed) == 249 and "251" in failed[0]["error"]
    assert [r["public_id"] for r in report if r["action"] == "created"] == ["red/1"]
    with app.app_context():
        states = sorted(p.status for p in db.session.query(SyncProduct).all())
    assert states == ["done", "failed"]


def test_chunks_overlap_and_the_job_reads_only_what_the_sync_needs(app, client, store, sim):
    """Chunks of one product: the second chunk's files are made before the
    first chunk's media are attached (Shopify processes them meanwhile), and
    a sync without variant images or swatches reads no variants."""
    shop, token = store
    app.config["SYNC_PRODUCTS_PER_BATCH"] = 1
    sim.clear_requests(shop.domain)
    status, report = run(client, token, assets=[asset("shirts/abc", "ABC-1"), asset("shirts/red", "RED-1")])
    assert status["status"] == "succeeded", status
    assert [(r["product_title"], r["action"]) for r in report] == [("Blue Shirt", "created"), ("Red Shirt", "created")]
    log = sim.requests(shop.domain)
    names = [r["operationName"] for r in log]
    creates = [i for i, n in enumerate(names) if n == "FileCreate"]
    updates = [i for i, n in enumerate(names) if n == "FileUpdate"]
    assert len(creates) == 2 and creates[1] < updates[0], names
    # Each chunk's state read went through the products search, without variants.
    reads = [r for r in log if r["operationName"] == "ProductStates"]
    assert len(reads) == 2 and all(r["requestedCost"] == 2 + 11 * (1 + 2 + 5 + 1) for r in reads)
