"""End to end against both simulators with real worker processes: an
asset uploaded to the local Cloudinary reaches its product by itself, a
metadata change moves it, out-of-order notifications end right, a deletion
takes it off (merchant media untouched)."""
from __future__ import annotations

import cloudinary.api
import cloudinary.uploader
import pytest

from tests.app_processes import AppProcesses
from tests.automation.support import wait_until

pytestmark = pytest.mark.slow

PRODUCTS = [{"title": "Shoe", "variants": [{"sku": "ABC-1"}],
             "media": [{"src": "https://img.example.com/shoe.jpg", "alt": "merchant photo"}]},
            {"title": "Hat", "variants": [{"sku": "XYZ-9"}]}]


@pytest.fixture
def running(app, server, automated, app_processes):
    """A store with automation on, notifications over real HTTP to the app, a real worker (with its scheduler)."""
    app.config["APP_URL"] = server
    app.config["AUTOMATION_DEBOUNCE_SECONDS"] = 1
    AppProcesses.clear_queues(app.config)
    store = automated(PRODUCTS, register_triggers=True)  # AssetLink registers Cloudinary's triggers itself
    app_processes.worker(app.config)
    return store


def linked(store, title, *, consistent=False):
    """The product's AssetLink assets (checked against its gallery once a
    test has waited for the end: mid-run, a batch may be between its gallery
    and its metafield write)."""
    product = store.products()[title]
    if consistent:
        product.check_consistent()
    return product.linked()


def test_uploads_metadata_changes_and_deletes_reach_the_store(running, app_processes):
    store = running
    store.upload("shoes/abc-1_side", "ABC-1", seq=2)
    store.upload("shoes/abc-1_front", "ABC-1", seq=1)
    wait_until(lambda: linked(store, "Shoe") == ["shoes/abc-1_front", "shoes/abc-1_side"], what="uploads linked",
               timeout=90)
    shoe = store.products()["Shoe"]
    merchant_media = shoe.gallery[0]
    syncs = store.syncs()
    assert syncs and {s["source"] for s in syncs} == {"automation"}, syncs
    assert {s["trigger"] for s in syncs} == {"upload"}

    # re-tagged in Cloudinary: leaves the shoe, joins the hat
    cloudinary.uploader.update_metadata({"sku": "XYZ-9"}, ["shoes/abc-1_side"], **store.cld.opts)
    wait_until(lambda: linked(store, "Hat") == ["shoes/abc-1_side"], what="moved to the hat", timeout=90)
    wait_until(lambda: linked(store, "Shoe") == ["shoes/abc-1_front"], what="left the shoe", timeout=90)

    # deleted in Cloudinary: leaves every product; the merchant's photo stays
    cloudinary.uploader.destroy("shoes/abc-1_front", **store.cld.opts)
    wait_until(lambda: linked(store, "Shoe") == [], what="deleted asset unlinked", timeout=90)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs done")
    assert linked(store, "Shoe", consistent=True) == [] and linked(store, "Hat", consistent=True) == [
        "shoes/abc-1_side"]
    shoe = store.products()["Shoe"]
    assert shoe.gallery == [merchant_media]
    assert "delete" in {s["trigger"] for s in store.syncs()}
    outcomes = {e["outcome"] for e in store.events()}
    assert outcomes == {"queued"}, store.events()
    assert "Traceback" not in app_processes.output()


def test_a_product_created_later_receives_its_images(running):
    store = running
    store.upload("later/nw-1_b", "NW-1", seq=2)
    store.upload("later/nw-1_a", "NW-1", seq=1)
    wait_until(lambda: store.events() and all(not e["pending"] for e in store.events()), what="uploads taken up")
    wait_until(lambda: store.syncs() and all(s["status"] == "succeeded" for s in store.syncs()), what="synced")
    gid = store.add_product("New Boot", "NW-1")
    response = store.product_webhook("products/create", gid, "New Boot", ["NW-1"])
    assert response.status_code == 200, response.get_data(as_text=True)
    wait_until(lambda: linked(store, "New Boot") == ["later/nw-1_a", "later/nw-1_b"], what="new product linked",
               timeout=90)
    assert "new_product" in {s["trigger"] for s in store.syncs()}
    # our own writes trigger products/update: the match values didn't change, so nothing starts
    before = len(store.syncs())
    assert store.product_webhook("products/update", gid, "New Boot", ["NW-1"]).status_code == 200
    assert store.product_webhook("products/update", gid, "New Boot", ["NW-1"]).status_code == 200
    import time
    time.sleep(3)
    assert len(store.syncs()) == before


def test_a_burst_of_product_webhooks_is_one_run(running):
    """An import (or the products/update Shopify sends for every product a sync
    has just written to) is a burst of webhooks: coalesced with the store's
    other automation events into one run and a sync, not a Cloudinary search
    and a sync per product. They are not Cloudinary notifications, so the
    contract's event list leaves them out."""
    store = running
    for i in range(1, 7):  # six of the twenty products have an image waiting in Cloudinary
        store.upload(f"burst/b-{i}_a", f"B-{i}", seq=1)
    wait_until(lambda: len(store.events()) == 6 and all(not e["pending"] for e in store.events()),
               what="uploads taken up")
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="synced")
    syncs, events = len(store.syncs()), len(store.events())
    products = [(store.add_product(f"Burst {i}", f"B-{i}"), i) for i in range(1, 21)]
    for gid, i in products:
        assert store.product_webhook("products/update", gid, f"Burst {i}", [f"B-{i}"]).status_code == 200
    for i in range(1, 7):
        wait_until(lambda i=i: linked(store, f"Burst {i}") == [f"burst/b-{i}_a"], what="the burst's products linked",
                   timeout=90)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs finished")
    started = store.syncs()[:len(store.syncs()) - syncs]
    assert 1 <= len(started) <= 2, started
    assert {s["trigger"] for s in started} == {"new_product"}
    assert len(store.events()) == events


def test_out_of_order_delivery_ends_right(running):
    """The metadata change's notification arrives before the upload's: the
    group is read whole from Cloudinary either way, so the end state is right."""
    store = running
    cloud = f"/_sim/environments/{store.cld.cloud_name}/notifications"
    store.cld.sim.control("POST", cloud + "/faults", json={"action": "hold", "count": 2})
    store.upload("ooo/abc-1_a", "ABC-1", seq=1)
    cloudinary.uploader.update_metadata({"sku": "XYZ-9"}, ["ooo/abc-1_a"], **store.cld.opts)
    store.cld.sim.control("POST", cloud + "/release", json={"order": "reverse"})
    wait_until(lambda: linked(store, "Hat") == ["ooo/abc-1_a"], what="linked to the hat", timeout=90)
    wait_until(lambda: all(not e["pending"] for e in store.events()), what="all taken up")
    assert linked(store, "Shoe") == []
    types = [e["type"] for e in reversed(store.events())]
    assert types.index("resource_metadata_changed") < types.index("upload"), types


def test_reconciliation_finds_an_asset_whose_notification_was_dropped(running, app):
    from jobs import queues
    from jobs.scheduler import schedule
    assert "jobs.automation.daily.reconcile_all" in {p.job for p in schedule(app.config)}
    store = running
    store.cld.sim.control("POST", f"/_sim/environments/{store.cld.cloud_name}/notifications/faults",
                          json={"action": "drop", "count": 1})
    store.upload("dropped/abc-1_z", "ABC-1", seq=9)
    import time
    time.sleep(3)
    assert linked(store, "Shoe") == [] and store.events() == []
    queues.enqueue(app.config, "jobs.automation.daily.reconcile_all")  # what the scheduler's cron queues
    wait_until(lambda: linked(store, "Shoe") == ["dropped/abc-1_z"], what="reconciled", timeout=90)
    assert {s["trigger"] for s in store.syncs()} == {"daily"}


def test_duplicated_notifications_do_the_work_once(running):
    store = running
    store.cld.sim.control("POST", f"/_sim/environments/{store.cld.cloud_name}/notifications/faults",
                          json={"action": "duplicate", "count": 1})
    store.upload("dup/xyz-9_a", "XYZ-9", seq=1)
    wait_until(lambda: linked(store, "Hat") == ["dup/xyz-9_a"], what="linked", timeout=90)
    deliveries = [n for n in store.cld.notifications() if n["notification_type"] == "upload"]
    assert len(deliveries) == 2, deliveries
    assert len(store.events()) == 1 and len(store.syncs()) == 1


def test_a_rename_relinks_under_the_new_public_id(running):
    store = running
    store.upload("ren/old-name", "XYZ-9", seq=1)
    wait_until(lambda: linked(store, "Hat") == ["ren/old-name"], what="linked", timeout=90)
    cloudinary.uploader.rename("ren/old-name", "ren/new-name", **store.cld.opts)
    wait_until(lambda: linked(store, "Hat") == ["ren/new-name"], what="renamed", timeout=90)
    wait_until(lambda: store.syncs() and all(s["status"] == "succeeded" for s in store.syncs()), what="done")
    assert linked(store, "Hat", consistent=True) == ["ren/new-name"]
    assert len(store.products()["Hat"].gallery) == 1


def test_reconciliation_unlinks_an_asset_whose_deletion_was_not_notified(running, app):
    from jobs import queues
    store = running
    store.upload("gone/xyz-9_a", "XYZ-9", seq=1)
    store.upload("gone/xyz-9_b", "XYZ-9", seq=2)
    wait_until(lambda: linked(store, "Hat") == ["gone/xyz-9_a", "gone/xyz-9_b"], what="linked", timeout=90)
    store.cld.sim.control("POST", f"/_sim/environments/{store.cld.cloud_name}/notifications/faults",
                          json={"action": "drop", "count": 1, "notification_type": "delete"})
    cloudinary.uploader.destroy("gone/xyz-9_a", **store.cld.opts)
    queues.enqueue(app.config, "jobs.automation.daily.reconcile_all")
    wait_until(lambda: linked(store, "Hat") == ["gone/xyz-9_b"], what="reconciled the deletion", timeout=90)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs done")
    assert linked(store, "Hat", consistent=True) == ["gone/xyz-9_b"]
    assert len(store.products()["Hat"].gallery) == 1


def test_refused_credentials_hold_notifications_until_new_ones(running, client, app):
    """Cloudinary starts refusing the stored secret (rotated): the run stops
    calling it, the automation shows credentials_invalid, and the waiting
    notifications run once new credentials are saved."""
    from tests.automation.support import automation_body
    from tests.support import bearer
    store = running
    old_secret = store.cld.api_secret
    store.cld.sim.control("POST", "/_sim/environments", json={
        "cloud_name": store.cld.cloud_name, "api_key": store.cld.api_key, "api_secret": "rotated-secret",
        "replace": True})  # the environment afresh, under a new secret
    store.cld.api_secret = "rotated-secret"
    store.cld.add_field("sku")
    store.cld.add_field("sequence_number", "integer")
    store.cld.seed({"public_id": "cred/xyz-9_a", "metadata": {"sku": "XYZ-9", "sequence_number": 1}})
    [asset] = [a for a in store.cld.sim.control("GET", f"/_sim/environments/{store.cld.cloud_name}")["assets"]
               if a["public_id"] == "cred/xyz-9_a"]
    from tests.automation.support import notification
    assert store.notify(notification("upload", asset_id=asset["asset_id"], public_id="cred/xyz-9_a"),
                        secret=old_secret).status_code == 200
    wait_until(lambda: client.get("/bridge/v1/automation", headers=bearer(store.token)).get_json()["status"]
               == "credentials_invalid", what="credentials marked invalid", timeout=60)
    assert store.events()[0]["pending"]
    response = client.put("/bridge/v1/automation", json=automation_body(store.cld), headers=bearer(store.token))
    assert response.status_code == 200 and response.get_json()["status"] == "active"
    wait_until(lambda: linked(store, "Hat") == ["cred/xyz-9_a"], what="linked after new credentials", timeout=90)


def test_an_environment_signing_with_sha256(running):
    """Cloudinary environments limited to SHA-256 sign notifications with it."""
    store = running
    store.cld.sim.control("PATCH", f"/_sim/environments/{store.cld.cloud_name}", json={"signature_algorithm": "sha256"})
    store.upload("sha/xyz-9_a", "XYZ-9", seq=1, signature_algorithm="sha256")
    wait_until(lambda: linked(store, "Hat") == ["sha/xyz-9_a"], what="linked", timeout=90)
    [delivery] = [n for n in store.cld.notifications() if n["notification_type"] == "upload"]
    assert len(delivery["headers"]["X-Cld-Signature"]) == 64


def test_on_delete_keep_leaves_a_deleted_asset_on_its_products(app, server, automated, app_processes):
    from tests.automation.support import SKU_RULE
    app.config["APP_URL"] = server
    app.config["AUTOMATION_DEBOUNCE_SECONDS"] = 1
    AppProcesses.clear_queues(app.config)
    store = automated(PRODUCTS, rules=[{**SKU_RULE, "on_delete": "keep"}], register_triggers=True)
    app_processes.worker(app.config)
    store.upload("keep/xyz-9_a", "XYZ-9", seq=1)
    wait_until(lambda: linked(store, "Hat") == ["keep/xyz-9_a"], what="linked", timeout=90)
    cloudinary.uploader.destroy("keep/xyz-9_a", **store.cld.opts)
    wait_until(lambda: len(store.events()) == 2 and not any(e["pending"] for e in store.events()),
               what="the deletion taken up", timeout=60)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs done")
    assert linked(store, "Hat", consistent=True) == ["keep/xyz-9_a"]
    assert "unlink" not in {s["kind"] for s in store.syncs()}
    assert "on_delete keep" in store.events()[0]["reason"]


def test_a_deletion_long_after_the_link_still_unlinks_it(running, app):
    """What AssetLink linked is kept apart from the history, so a deletion
    still finds the asset's products after the history was purged."""
    from tests.support import purge_all_history
    store = running
    store.upload("old/abc-1_a", "ABC-1", seq=1)
    wait_until(lambda: linked(store, "Shoe") == ["old/abc-1_a"], what="linked", timeout=90)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs done")
    assert purge_all_history(app)["report_rows"] > 0 and store.syncs() == []

    cloudinary.uploader.destroy("old/abc-1_a", **store.cld.opts)
    wait_until(lambda: linked(store, "Shoe") == [], what="deleted asset unlinked", timeout=90)
    wait_until(lambda: all(s["status"] == "succeeded" for s in store.syncs()), what="runs done")
    assert linked(store, "Shoe", consistent=True) == []
    assert len(store.products()["Shoe"].gallery) == 1  # the merchant's photo stays


def test_shopify_downloads_the_asset_from_cloudinary_and_fails_what_cloudinary_refuses(running):
    """Shopify fetches each source from (here) the local Cloudinary, so what
    it can't deliver fails that file in Shopify, with the rest linked."""
    store = running
    cloud = store.cld.cloud_name
    store.cld.sim.control("POST", f"/_sim/environments/{cloud}/delivery_faults",
                          json={"match": "dl/abc-1_gone", "status": 404})
    store.upload("dl/abc-1_ok", "ABC-1", seq=1)
    store.upload("dl/abc-1_gone", "ABC-1", seq=2)
    # The two uploads may join one run or two: wait for the one that met the missing file.
    wait_until(lambda: any(s["status"] == "partially_succeeded" for s in store.syncs())
               and all(s["status"] not in ("queued", "running") for s in store.syncs()), what="synced", timeout=90)
    assert linked(store, "Shoe", consistent=True) == ["dl/abc-1_ok"]
    [partial] = [s for s in store.syncs() if s["status"] == "partially_succeeded"]
    rows = store.client.get(f"/bridge/v1/syncs/{partial['id']}/report?format=json",
                            headers={"Authorization": f"Bearer {store.token}"}).get_json()
    gone = [r for r in rows if r["public_id"] == "dl/abc-1_gone"]
    assert gone and gone[0]["action"] == "failed" and gone[0]["error"], rows
