"""Every rule of the contract's sync section, end to end: POST /bridge/v1/syncs
→ a real `python -m jobs.worker --burst` process (PostgreSQL, Redis, rq) → the
simulated store, read back through the simulator's control API
(GET /_sim/shops/<domain>), never through the app.

Each test queues all its syncs first and runs one burst worker: a store's
syncs run one at a time in the order received, so later syncs see what the
earlier ones did. Catalogues are a handful of products.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import pytest
from rq import Queue, Worker
from rq.job import Job

from jobs import queues
from tests.support import worker_environment
from tests.syncs.e2e_store import Store, asset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def mutations_between(store: Store, status: dict[str, Any]) -> list[list[str]]:
    """Root fields of the mutations the store received while that sync ran
    (the store's syncs run one at a time, and nothing else writes to it)."""
    start = datetime.fromisoformat(status["started_at"]).timestamp()
    end = datetime.fromisoformat(status["finished_at"]).timestamp()
    log = store.sim.requests(store.domain)
    assert log, "the simulator saw no requests at all"
    return [r["rootFields"] for r in log if r["mutation"] and start <= r["at"] <= end]


# -- 1 and 3: grouping by a list value and by tags; no value is reported ----------------------
def test_list_values_and_tags_group_assets_and_valueless_assets_are_reported(make_store, work):
    store = make_store([{"title": "A", "handle": "a", "variants": [{"sku": "SKU-A"}]},
                        {"title": "B", "handle": "b", "variants": [{"sku": "SKU-B"}]},
                        {"title": "C", "handle": "c", "variants": [{"sku": "SKU-C"}]}])
    by_sku = store.post([asset("both", sku=["SKU-A", "sku-b "]), asset("a-only", sku="SKU-A"),
                         asset("blank", sku=""), asset("missing"), asset("empty-list", sku=[]),
                         asset("nowhere", sku="NOPE")])
    by_tag = store.post([asset("t-bc", tags=["b", "c"]), asset("t-c", tags=["C"]), asset("t-none")],
                        match={"cloudinary_field": "tags", "shopify_field": "handle"})
    work()

    status = store.succeeded(by_sku)
    assert status["progress"]["products_total"] == 2
    products = store.products()
    assert products["A"].linked() == ["both", "a-only"]
    assert products["B"].linked() == ["both", "t-bc"]
    assert products["C"].linked() == ["t-bc", "t-c"]
    for p in products.values():
        p.check_consistent()
        assert len(p.gallery) == len(p.doc)

    skipped = {r["public_id"]: r for r in store.report(by_sku) if r["product_id"] is None}
    assert set(skipped) == {"blank", "missing", "empty-list", "nowhere"}, "an asset was dropped silently"
    assert all(r["action"] == "skipped" and r["media_id"] is None for r in skipped.values())
    assert "no value" in skipped["missing"]["detail"] and "no value" in skipped["empty-list"]["detail"]
    assert "no value" in skipped["blank"]["detail"] and "NOPE" in skipped["nowhere"]["detail"]
    tag_rows = [r for r in store.report(by_tag) if r["product_id"] is None]
    assert [(r["public_id"], r["action"]) for r in tag_rows] == [("t-none", "skipped")]
    assert "tags" in tag_rows[0]["detail"]
    assert store.succeeded(by_tag)["progress"]["products_total"] == 2


# -- 2 and 10: one group → several products; several groups → one product; variant images -----
def test_group_matching_many_products_and_groups_sharing_a_product_with_variant_images(make_store, work):
    store = make_store([{"title": "Shirt", "vendor": "Acme", "variants": [{"sku": "S-1"}, {"sku": "S-2"}]},
                        {"title": "Cap", "vendor": "acme", "variants": [{"sku": "C-1"}]},
                        {"title": "Sock", "vendor": "Other", "variants": [{"sku": "K-1"}]}])
    by_vendor = store.post([asset("brand/logo", brand="ACME")],
                           match={"cloudinary_field": "brand", "shopify_field": "vendor"})
    # S-2's group appears first, so it links first, though S-1 is the first variant.
    by_sku = store.post([asset("s2/front", sku="S-2", seq=2), asset("s1/front", sku="S-1"),
                         asset("s2/side", sku="S-2", seq=1), asset("c1/front", sku="C-1")],
                        link_mode="reset", order_by="seq", variant_images=True)
    work()

    store.succeeded(by_vendor)
    status = store.succeeded(by_sku)
    assert status["progress"]["products_total"] == 2
    vendor_rows = store.report(by_vendor)
    assert sorted(r["product_title"] for r in vendor_rows if r["action"] == "created") == ["Cap", "Shirt"]

    products = store.products()
    shirt, cap, sock = products["Shirt"], products["Cap"], products["Sock"]
    assert sock.gallery == [] and sock.doc == []
    assert shirt.linked() == ["s2/side", "s2/front", "s1/front"]       # reset dropped brand/logo
    assert cap.linked() == ["c1/front"]
    for p in (shirt, cap):
        p.check_consistent()
        assert len(p.gallery) == len(p.doc)
    by_public_id = {e["public_id"]: e["media_id"] for e in shirt.doc}
    assert shirt.variant_media() == {"S-2": by_public_id["s2/side"], "S-1": by_public_id["s1/front"]}
    assert cap.variant_media() == {"C-1": cap.doc[0]["media_id"]}
    assert [r["group_value"] for r in store.report(by_sku) if r["product_title"] == "Shirt"
            and r["action"] == "created"] == ["S-2", "S-2", "S-1"]


# -- 4: order_by numeric (missing last, ties in list order) and manual order -------------------
def test_order_by_numbers_missing_last_ties_in_list_order_and_manual_order(make_store, work):
    store = make_store([{"title": "Numbered", "variants": [{"sku": "N-1"}]},
                        {"title": "Manual", "variants": [{"sku": "M-1"}]}])
    numbered = store.post([asset("n/ten", sku="N-1", seq=10), asset("n/none", sku="N-1"),
                           asset("n/two-a", sku="N-1", seq=2), asset("n/nine", sku="N-1", seq="9"),
                           asset("n/two-b", sku="N-1", seq="2"), asset("n/blank", sku="N-1", seq=""),
                           asset("n/one", sku="N-1", seq=1.0)], order_by="seq")
    manual = store.post([asset("m/c", sku="M-1", seq=1), asset("m/a", sku="M-1", seq=3),
                         asset("m/b", sku="M-1", seq=2)], order_by=None)
    work()

    store.succeeded(numbered)
    store.succeeded(manual)
    products = store.products()
    assert products["Numbered"].linked() == ["n/one", "n/two-a", "n/two-b", "n/nine", "n/ten", "n/none", "n/blank"]
    assert products["Manual"].linked() == ["m/c", "m/a", "m/b"]
    for p in products.values():
        p.check_consistent()
        assert len(p.gallery) == len(p.doc)
    assert [r["position"] for r in store.report(numbered)] == list(range(1, 8))


# -- 5 and 6: cache busting; an identical re-run writes nothing; a new version is refreshed ----
def test_cache_busting_identical_rerun_and_new_version(make_store, work):
    store = make_store([{"title": "Boot", "variants": [{"sku": "B-1"}],
                         "media": [{"src": "https://example.com/merchant.jpg"}]}])
    body = {"link_mode": "append", "settings": {"cache_busting": True}}
    first = store.post([asset("boot/front", sku="B-1"), asset("boot/back", sku="B-1")], **body)
    again = store.post([asset("boot/front", sku="B-1"), asset("boot/back", sku="B-1")], **body)
    newer = store.post([asset("boot/front", sku="B-1", version=1800000000), asset("boot/back", sku="B-1")], **body)
    work()

    s1, s2, s3 = store.succeeded(first), store.succeeded(again), store.succeeded(newer)
    assert s1["finished_at"] <= s2["started_at"] and s2["finished_at"] <= s3["started_at"]
    boot = store.products()["Boot"]
    boot.check_consistent()

    # The first sync's time prefixes both; the second kept it (nothing changed).
    first_time = int(datetime.fromisoformat(s1["started_at"]).timestamp())
    stamps = [e["public_id"].split("/", 1)[0] for e in boot.doc]
    back_stamp = int(stamps[1][1:])
    assert stamps[1].startswith("v") and first_time - 1 <= back_stamp <= first_time + 1
    assert boot.doc[1]["public_id"] == f"v{back_stamp}/boot/back"

    assert [r["action"] for r in store.report(again)] == ["unchanged", "unchanged"]
    assert ["fileCreate"] in mutations_between(store, s1) and ["fileCreate"] in mutations_between(store, s3)
    assert mutations_between(store, s2) == [], "an identical second sync wrote to the store"

    # 6: the new version replaced the old media in place: no second copy of boot/front.
    assert [r["action"] for r in store.report(newer)] == ["replaced", "unchanged"]
    assert len(boot.gallery) == 3 and len(boot.doc) == 2
    assert [e["public_id"].split("/", 1)[1] for e in boot.doc] == ["boot/front", "boot/back"]
    assert boot.doc[0]["version"] == 1800000000 and boot.doc[0]["media_id"] == boot.gallery[1]
    front_stamp = int(stamps[0][1:])
    newer_time = int(datetime.fromisoformat(s3["started_at"]).timestamp())
    assert newer_time - 1 <= front_stamp <= newer_time + 1 and front_stamp >= back_stamp
    assert boot.doc[1]["media_id"] == boot.gallery[2]
    first_rows = store.report(first)
    assert boot.doc[0]["media_id"] != first_rows[0]["media_id"], "the new version was not uploaded"
    assert boot.doc[1]["media_id"] == first_rows[1]["media_id"]


# -- 7: video behaviours placeholder and none ---------------------------------------------------
def test_video_placeholder_is_an_image_and_none_is_only_listed(make_store, work):
    store = make_store([{"title": "Still", "variants": [{"sku": "V-1"}]},
                        {"title": "Listed", "variants": [{"sku": "V-2"}]}])
    still = store.post([asset("clips/run", resource_type="video", fmt="mp4", sku="V-1"), asset("v1/photo", sku="V-1")],
                       settings={"video_behavior": "placeholder"})
    listed = store.post([asset("clips/walk", resource_type="video", fmt="mp4", sku="V-2"),
                         asset("v2/photo", sku="V-2")], settings={"video_behavior": "none"})
    work()

    store.succeeded(still)
    store.succeeded(listed)
    products = store.products()
    p = products["Still"]
    p.check_consistent()
    assert p.linked() == ["clips/run", "v1/photo"] and p.kinds == ["MediaImage", "MediaImage"]
    assert [e["media_id"] for e in p.doc] == p.gallery
    assert p.doc[0]["resource_type"] == "video" and p.doc[0]["delivery"] == "video_placeholder"

    q = products["Listed"]
    q.check_consistent()
    assert q.linked() == ["clips/walk", "v2/photo"] and len(q.gallery) == 1
    assert q.doc[0]["media_id"] is None and q.doc[0]["resource_type"] == "video"
    assert q.doc[1]["media_id"] == q.gallery[0]
    assert {r["public_id"]: r["action"] for r in store.report(listed)} == {"clips/walk": "skipped",
                                                                            "v2/photo": "created"}


# -- 8: faults injected during a sync --------------------------------------------------------------
def test_sync_survives_server_errors_and_throttling(make_store, work, sim):
    store = make_store([{"title": "F1", "variants": [{"sku": "F-1"}]},
                        {"title": "F2", "variants": [{"sku": "F-2"}]}])
    sync_id = store.post([asset("f1/a", sku="F-1"), asset("f1/b", sku="F-1"), asset("f2/a", sku="F-2")])
    # The first two requests (planning reads) fail; the first upload is
    # throttled, then fails; the first metafield write is throttled. (A
    # THROTTLED planning read would only add a long bucket wait to the test.)
    sim.control("POST", f"/_sim/shops/{store.domain}/faults", json=[
        {"kind": "500", "count": 2},
        {"kind": "throttle", "count": 1, "operation": "FileCreate"},
        {"kind": "500", "count": 1, "operation": "FileCreate"},
        {"kind": "throttle", "count": 1, "operation": "MetafieldsSet"}])
    work()

    status = store.succeeded(sync_id)
    assert status["errors"] == [] and "THROTTLED" not in json.dumps(status)
    assert sim.control("GET", f"/_sim/shops/{store.domain}/faults") == {"requests": [], "files": []}, \
        "the sync did not meet every injected fault"
    log = sim.requests(store.domain)
    assert sum(r["status"] == 500 for r in log) == 3 and sum(bool(r.get("throttled")) for r in log) == 2
    assert all(r["action"] == "created" and r["error"] is None for r in store.report(sync_id))
    products = store.products()
    assert products["F1"].linked() == ["f1/a", "f1/b"] and products["F2"].linked() == ["f2/a"]
    for p in products.values():
        p.check_consistent()
        assert len(p.gallery) == len(p.doc), "a retried write made a duplicate"
    assert len(store.state()["files"]) == 3


# -- link modes, swatches and dry runs through a real worker -------------------------------------
def test_link_modes_swatches_and_dry_run(make_store, work):
    def merchant(n):
        return [{"src": f"https://example.com/merchant-{i}.jpg"} for i in range(n)]
    store = make_store([{"title": "Over", "variants": [{"sku": "O-1"}], "media": merchant(3)},
                        {"title": "Pos", "variants": [{"sku": "P-1"}], "media": merchant(3)},
                        {"title": "Past", "variants": [{"sku": "P-2"}], "media": merchant(1)},
                        {"title": "Pre", "variants": [{"sku": "R-1"}], "media": merchant(1)},
                        {"title": "Reset", "variants": [{"sku": "Z-1"}], "media": merchant(2)},
                        {"title": "Swatchy", "handle": "swatchy", "variants": [{"sku": "W-1"}, {"sku": "W-2"}]},
                        {"title": "Dry", "variants": [{"sku": "D-1"}], "media": merchant(1)}])
    before = {title: p.gallery for title, p in store.products().items()}
    swatch = {"asset_type_field": "kind"}
    ids = {
        "overwrite": store.post([asset("o/a", sku="O-1"), asset("o/b", sku="O-1")], link_mode="overwrite"),
        "position": store.post([asset("p/a", sku="P-1"), asset("p/b", sku="P-1")], link_mode="position", position=2),
        "past": store.post([asset("q/a", sku="P-2")], link_mode="position", position=5),
        "prepend": store.post([asset("r/a", sku="R-1")], link_mode="prepend"),
        "reset": store.post([asset("z/a", sku="Z-1")], link_mode="reset"),
        "variant swatch": store.post([asset("w/chip", sku="W-1", kind="swatch"), asset("w/photo", sku="W-1")],
                                     settings=swatch),
        "product swatch": store.post([asset("w/fabric", handle="swatchy", kind="Swatch")], settings=swatch,
                                     match={"cloudinary_field": "handle", "shopify_field": "handle"}),
        "dry": store.post([asset("d/a", sku="D-1")], link_mode="reset", dry_run=True),
    }
    work()

    for sync_id in ids.values():
        store.succeeded(sync_id)
    products = store.products()
    media = {title: p.doc and {e["public_id"]: e["media_id"] for e in p.doc} for title, p in products.items()}
    for title in ("Over", "Pos", "Past", "Pre", "Reset", "Swatchy"):
        products[title].check_consistent()
    assert products["Over"].gallery == [media["Over"]["o/a"], media["Over"]["o/b"], before["Over"][2]]
    assert products["Pos"].gallery == [before["Pos"][0], media["Pos"]["p/a"], media["Pos"]["p/b"], *before["Pos"][1:]]
    assert products["Past"].gallery == [*before["Past"], media["Past"]["q/a"]]
    assert products["Pre"].gallery == [media["Pre"]["r/a"], *before["Pre"]]
    assert products["Reset"].gallery == [media["Reset"]["z/a"]]
    files = {f["id"] for f in store.state()["files"]}
    assert set(before["Over"][:2]) | set(before["Reset"]) <= files, "the merchant's own files were deleted"

    # Swatches stay out of the gallery and are referenced by cloudinary.swatch.
    swatchy = products["Swatchy"]
    assert swatchy.linked() == ["w/photo"] and swatchy.gallery == [media["Swatchy"]["w/photo"]]
    state = store.state()
    swatches = {m["ownerId"]: m for m in state["metafields"] if (m["namespace"], m["key"]) == ("cloudinary", "swatch")}
    variant_ids = {v["sku"]: v["id"] for v in swatchy.data["variants"]}
    assert set(swatches) == {variant_ids["W-1"], swatchy.data["id"]}
    by_id = {f["id"]: f for f in state["files"]}
    for m in swatches.values():
        assert m["type"] == "file_reference" and m["value"] in by_id and m["value"] not in swatchy.gallery
    assert "chip" in by_id[swatches[variant_ids["W-1"]]["value"]]["filename"]
    assert "fabric" in by_id[swatches[swatchy.data["id"]]["value"]]["filename"]

    # The dry run planned a reset and wrote nothing.
    assert products["Dry"].gallery == before["Dry"] and products["Dry"].doc == []
    assert sorted(r["action"] for r in store.report(ids["dry"])) == ["created", "removed"]
    assert store.status(ids["dry"])["dry_run"] is True


# -- 9: two stores at once on two worker processes ------------------------------------------------
@pytest.fixture
def two_workers(app):
    """Two real rq worker processes idling on the media queue (so two syncs
    queued one after the other go to different workers and run at once);
    stopped at the end of the test."""
    env = worker_environment(app.config)
    procs = [subprocess.Popen([sys.executable, "-m", "jobs.worker", "media"], cwd=ROOT, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    queue = Queue(queues.queue_name(app.config, queues.MEDIA), connection=queues.redis_connection(app.config))
    try:
        deadline = time.monotonic() + 30
        pids = {p.pid for p in procs}
        # Only ours count: a worker another test killed may still be registered.
        while len([w for w in Worker.all(queue=queue) if w.pid in pids]) < 2:
            assert all(p.poll() is None for p in procs), [p.stderr.read()[-2000:] for p in procs if p.poll()]
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.1)
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # warm shutdown: finish the current job, then exit
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
            p.stderr.close()


@pytest.mark.slow
def test_two_stores_sync_at_once_on_two_workers(make_store, app, two_workers):
    stores = {letter: make_store([{"title": f"{letter}-shirt", "variants": [{"sku": "SHARED-1"}]},
                                  {"title": f"{letter}-cap", "variants": [{"sku": f"{letter}-2"}]}],
                                 cloud_name=f"cloud-{letter}")
              for letter in "xy"}
    other = {"x": "y", "y": "x"}
    ids = {letter: store.post([asset(f"{letter}/shirt-1", sku="SHARED-1"), asset(f"{letter}/shirt-2", sku="SHARED-1"),
                               asset(f"{letter}/cap", sku=f"{letter}-2"),
                               asset(f"{other[letter]}/cap", sku=f"{other[letter]}-2")])
           for letter, store in stores.items()}

    deadline = time.monotonic() + 60
    statuses: dict[str, dict[str, Any]] = {}
    while len(statuses) < 2:
        assert time.monotonic() < deadline, "the syncs did not finish"
        assert all(p.poll() is None for p in two_workers), "a worker died"
        for letter, store in stores.items():
            status = store.status(ids[letter])
            if status["finished_at"]:
                statuses[letter] = status
        time.sleep(0.2)

    connection = queues.redis_connection(app.config)
    ran_on = {Job.fetch(f"sync-{i}", connection=connection).worker_name for i in ids.values()}
    assert len(ran_on) == 2, "both syncs ran on one worker"
    x, y = statuses["x"], statuses["y"]
    assert x["started_at"] < y["finished_at"] and y["started_at"] < x["finished_at"], "the syncs did not overlap"

    for letter, store in stores.items():
        assert statuses[letter]["status"] == "succeeded", statuses[letter]
        products = store.products()
        assert set(products) == {f"{letter}-shirt", f"{letter}-cap"}
        shirt, cap = products[f"{letter}-shirt"], products[f"{letter}-cap"]
        assert shirt.linked() == [f"{letter}/shirt-1", f"{letter}/shirt-2"]
        assert cap.linked() == [f"{letter}/cap"]
        for p in (shirt, cap):
            p.check_consistent()
            assert len(p.gallery) == len(p.doc)
            assert all(e["cloud_name"] == f"cloud-{letter}" for e in p.doc)
        files = store.state()["files"]
        assert len(files) == 3 and all(f"/cloud-{letter}/" in f["originalSource"] for f in files), files
        # The other store's SKU matches nothing here.
        assert [r["public_id"] for r in store.report(ids[letter]) if r["action"] == "skipped"] == [
            f"{other[letter]}/cap"]
