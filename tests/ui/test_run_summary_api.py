"""What the admin's API says about a run beyond the bridge's status object:
a title that tells runs apart, where it came from, honest outcomes, the
files an upload made, why a run waits, and the Home page's checklist."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import BatchRetry, Shop, Sync, utcnow
from tests.support import auth_header

from .history_data import add_sync, catalogue_run, identical_rerun, sync_request, unlink_run, upload_run

SHOP = "acme.myshopify.com"


def seed(app, shop_id, fn=add_sync, **kwargs) -> str:
    with app.app_context():
        return fn(shop_id, **kwargs)


def runs(client):
    return {s["id"]: s for s in client.get("/app/api/syncs", headers=auth_header(SHOP)).get_json()["syncs"]}


def test_a_run_says_what_it_was_and_where_it_came_from(app, client, make_shop):
    shop_id = make_shop(SHOP)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        key = credentials.create_api_key(shop, "PIM nightly").credential
        key.cloud_name = "acme-production"
        db.session.commit()
        key_id = key.id
    by_key = seed(app, shop_id, request=sync_request(link_mode="reset"), credential_id=key_id)
    dry = seed(app, shop_id, dry_run=True, request=sync_request(6, 2, field="barcode"))
    insert = seed(app, shop_id, request=sync_request(3, 3, link_mode="position", position=2))
    unlink = seed(app, shop_id, fn=unlink_run)
    upload = seed(app, shop_id, fn=upload_run)

    listed = runs(client)
    assert listed[by_key]["title"] == "Link 12 assets in 4 groups by SKU (Reset)"
    assert listed[by_key]["source_label"] == "API key “PIM nightly” (acme-production)"
    assert listed[dry]["title"] == "Dry run: Link 6 assets in 2 groups by barcode (Overwrite)"
    assert listed[dry]["source_label"] == "Cloudinary: acme-production"
    assert listed[insert]["title"] == "Link 3 assets in 3 groups by SKU (Insert at position 2)"
    assert listed[unlink]["title"] == "Unlink 1 asset from 2 products"
    assert listed[upload]["title"] == "Upload 3 assets to Shopify Files"
    facts = {f["label"]: f["value"] for f in listed[by_key]["facts"]}
    assert facts["Link mode"] == "Reset: the gallery becomes exactly the synced assets"
    assert facts["Matched"] == "Cloudinary SKU to Shopify SKU"


def test_an_identical_rerun_says_nothing_to_change(app, client, make_shop):
    shop_id = make_shop(SHOP)
    rerun = seed(app, shop_id, fn=identical_rerun)
    mixed = seed(app, shop_id, fn=catalogue_run)
    listed = runs(client)
    assert listed[rerun]["outcome"] == {"tone": "success",
                                        "text": "Nothing to change: the products already had these assets in place."}
    assert listed[rerun]["counts"] == {"unchanged": 12}
    assert listed[mixed]["outcome"]["text"] == ("1 added, 1 refreshed, 1 moved, 1 already in place, 1 skipped, "
                                                "2 failed.")
    assert listed[mixed]["outcome"]["tone"] == "warning"


def test_unlinks_and_uploads_have_their_own_counts_and_tables(app, client, make_shop):
    shop_id = make_shop(SHOP)
    unlink = seed(app, shop_id, fn=unlink_run)
    upload = seed(app, shop_id, fn=upload_run)
    listed = runs(client)
    assert listed[unlink]["outcome"]["text"] == "Removed 2 assets from 2 products."
    assert listed[upload]["outcome"]["text"] == "2 files created in Shopify Files, 1 reused."

    body = client.get(f"/app/api/syncs/{upload}", headers=auth_header(SHOP)).get_json()
    assert body["unmatched"] == [] and body["products"] == []
    assert [f["public_id"] for f in body["files"]] == [f"lookbook/spring_{n}" for n in range(3)]
    first = body["files"][0]
    assert first["file_url"] == "https://cdn.shopify.com/s/files/1/0001/files/spring_0.jpg"
    assert first["admin_url"] == "https://admin.shopify.com/store/acme/content/files/500"
    assert body["files"][2]["detail"] == "already in Files from an earlier upload, reused"

    rows = client.get(f"/app/api/syncs/{unlink}", headers=auth_header(SHOP)).get_json()["products"][0]["rows"]
    assert rows[0]["detail"] == "taken off the product as asked"


def test_thumbnails_of_videos_are_still_frames(app, client, make_shop):
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, request=sync_request(2, 1), products=[{
        "id": "gid://shopify/Product/1", "title": "Boot", "rows": [
            {"public_id": "shoes/g0_0", "action": "created", "position": 1},
            {"public_id": "shoes/g0_1", "action": "created", "position": 2}]}])
    rows = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()["products"][0]["rows"]
    assert rows[0]["thumbnail_url"] == ("https://res.cloudinary.com/acme-production/image/upload/"
                                        "c_fill,w_64,h_64,f_auto,q_auto/v1711111111/shoes/g0_0")
    assert rows[1]["thumbnail_url"] == ("https://res.cloudinary.com/acme-production/video/upload/"
                                        "so_auto,c_fill,w_64,h_64,f_auto,q_auto/v1711111111/shoes/g0_1.jpg")


def test_a_run_waiting_to_retry_says_when_and_why_and_a_queued_one_behind_which(app, client, make_shop):
    shop_id = make_shop(SHOP)
    running = seed(app, shop_id, status="running", request=sync_request(), created_at=utcnow() - timedelta(minutes=9))
    queued = seed(app, shop_id, status="queued", kind="unlink", request={"product_ids": ["x"], "public_ids": ["y"]})
    retry_at = utcnow() + timedelta(minutes=2)
    with app.app_context():
        db.session.add(BatchRetry(sync_id=running, attempt=2, attempts_max=3, reason="Shopify didn't answer",
                                  failed_at=utcnow(), retry_at=retry_at))
        db.session.commit()
    listed = runs(client)
    retry = listed[running]["retry"]
    assert retry["reason"] == "Shopify didn't answer"
    assert (retry["attempt"], retry["attempts_max"]) == (2, 3)
    assert retry["retry_at"] == retry_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert listed[queued]["waiting_behind"] == {"id": running, "status": "running",
                                                "title": "Link 12 assets in 4 groups by SKU (Overwrite)"}
    assert listed[running]["waiting_behind"] is None and listed[queued]["retry"] is None


def test_the_retry_note_is_written_when_a_job_is_handed_back_to_rq(app, make_shop):
    from rq import Retry

    from jobs import retry_note
    from shopify_app.admin_api import ThrottledError

    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, status="running")
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        retry_note.record(sync, ThrottledError("slow down"), Retry(max=3, interval=[30, 120, 600]), 1)
        note = db.session.get(BatchRetry, sync_id)
        assert (note.attempt, note.attempts_max) == (2, 3)
        assert note.reason.startswith("Shopify asked AssetLink to slow down")
        assert 119 <= (note.retry_at - note.failed_at).total_seconds() <= 121


def test_home_has_the_last_run_and_a_checklist(app, client, make_shop):
    shop_id = make_shop(SHOP)
    body = client.get("/app/api/home", headers=auth_header(SHOP)).get_json()
    assert body["last_run"] is None
    states = {step["id"]: step["state"] for step in body["checklist"]}
    assert states["installed"] == "done" and states["connected"] == "todo" and states["first_sync"] == "todo"
    assert states["storefront_block"] == "check"
    # It names the block as the theme editor lists it: the name in the block's schema.
    block = (Path(__file__).resolve().parents[2] / "extensions/assetlink-theme/blocks/product-gallery.liquid")
    schema = json.loads(re.search(r"{%-? schema -?%}(.*){%-? endschema -?%}", block.read_text(), re.S).group(1))
    step = next(step for step in body["checklist"] if step["id"] == "storefront_block")
    assert f"“{schema['name']}”" in step["text"]

    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        credentials.redeem_code(credentials.current_code(shop), "acme-production", None)
    seed(app, shop_id, dry_run=True, request=sync_request())
    body = client.get("/app/api/home", headers=auth_header(SHOP)).get_json()
    states = {step["id"]: step["state"] for step in body["checklist"]}
    assert states["connected"] == "done" and states["first_sync"] == "todo"  # a dry run links nothing
    assert body["last_run"]["title"].startswith("Dry run: Link 12 assets")
    seed(app, shop_id, fn=identical_rerun)
    body = client.get("/app/api/home", headers=auth_header(SHOP)).get_json()
    assert {step["id"]: step["state"] for step in body["checklist"]}["first_sync"] == "done"
    assert body["last_run"]["outcome"]["text"].startswith("Nothing to change")


def test_an_undo_is_titled_by_the_run_it_undoes(app, client, make_shop):
    shop_id = make_shop(SHOP)
    undone = seed(app, shop_id, fn=unlink_run)
    undo = seed(app, shop_id, kind="undo", request={"undo_of": undone})
    entry = runs(client)[undo]
    assert entry["title"] == "Undo: Unlink 1 asset from 2 products"
    assert entry["undo_of"] == {"id": undone, "title": "Unlink 1 asset from 2 products"}


def test_removed_merchant_media_is_named_by_its_alt_text_or_file_name(app, client, make_shop):
    """The executor names merchant media it takes off by the alt text the
    product had (there is no public ID); the admin shows that name and the
    reason in a merchant's words."""
    from jobs.executor.results import _naming_merchant_media
    from jobs.executor.state import MediaInfo, ReadState
    from jobs.planner.plan import Action

    state = ReadState("gid://shopify/Product/1", gallery=("gid://shopify/MediaImage/5",),
                      media=(MediaInfo("gid://shopify/MediaImage/5", "Red tote, front", "READY", "IMAGE"),))
    names = {"gid://shopify/MediaImage/6": "tote-back.jpg"}
    reason = _naming_merchant_media(state, Action("removed", None, media_id="gid://shopify/MediaImage/5",
                                                  reason="reset: not in the synced group"), names)
    assert reason == "reset: not in the synced group; media alt text: “Red tote, front”"
    # Without alt text, by the file name the executor read.
    by_file = _naming_merchant_media(state, Action("removed", None, media_id="gid://shopify/MediaImage/6",
                                                   reason="reset: not in the synced group"), names)
    assert by_file == "reset: not in the synced group; media file: “tote-back.jpg”"
    # AssetLink's own media keep the engine's reason as it was.
    assert _naming_merchant_media(state, Action("removed", "bags/x", media_id="gid://shopify/MediaImage/5",
                                                reason="unlinked"), names) == "unlinked"

    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, request=sync_request(1, 1, link_mode="reset"), products=[{
        "id": "gid://shopify/Product/1", "title": "Tote", "rows": [
            {"public_id": "shoes/g0_0", "action": "created", "position": 1},
            {"public_id": None, "action": "removed", "media_id": "gid://shopify/MediaImage/5", "detail": reason},
            {"public_id": None, "action": "removed", "media_id": "gid://shopify/MediaImage/6", "detail": by_file}]}])
    rows = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()["products"][0]["rows"]
    assert rows[1]["media_alt"] == "Red tote, front" and rows[1]["media_file"] is None
    assert rows[1]["detail"] == "taken off: Reset keeps only the synced assets"
    assert rows[1]["thumbnail_url"] is None
    assert rows[2]["media_file"] == "tote-back.jpg" and rows[2]["media_alt"] is None
    assert rows[2]["detail"] == "taken off: Reset keeps only the synced assets"


def test_an_automation_run_says_what_triggered_it():
    from shopify_app.ui import run_summary

    assert run_summary.source_text({"source": "automation", "trigger": "new_product"}, None, "acme") == \
        "Automation: a new or changed product in Shopify"
    assert run_summary.source_text({"source": "bridge", "trigger": None}, None, "acme") == "Cloudinary: acme"


def test_undo_and_clean_up_outcomes_in_words():
    from shopify_app.ui import run_summary

    undo = run_summary.outcome("undo", "partially_succeeded", False, {"removed": 3, "moved": 2, "skipped": 1},
                               {"products_done": 3, "products_total": 3})
    assert undo["text"] == "Put 2 products back as they were; left 1 product alone: changed since that run."
    assert run_summary.outcome("undo", "succeeded", False, {"unchanged": 2}, {"products_done": 2})["text"] == \
        "Nothing to undo: the products were already as before that run."
    assert run_summary.outcome("cleanup", "succeeded", True, {"removed": 4, "skipped": 2}, {})["text"] == \
        "Would remove 4 unused AssetLink files; 2 kept because something still uses them."


def test_home_knows_when_automation_is_on(app, client, make_shop):
    from shopify_app.models import Automation

    shop_id = make_shop(SHOP)
    step = lambda: {s["id"]: s for s in client.get("/app/api/home", headers=auth_header(SHOP)).get_json()[  # noqa: E731
        "checklist"]}["automation"]
    assert step()["state"] == "todo"
    assert step()["action"] == {"label": "Open Settings", "app_href": "/settings#automation"}
    with app.app_context():
        db.session.add(Automation(shop_id=shop_id, cloud_name="acme-production", api_key="1234",
                                  notification_token="t" * 40, enabled=True, paused=False))
        db.session.commit()
    assert step()["state"] == "done"
    with app.app_context():
        db.session.execute(db.update(Automation).values(paused=True))
        db.session.commit()
    assert step()["state"] == "todo"


def test_a_batch_handed_back_to_rq_leaves_a_retry_note(app, make_shop, monkeypatch):
    """jobs.batch_run: a transient error with a retry left keeps the batch
    running and notes why and when it runs again (what the admin shows)."""
    from rq import Retry

    from jobs import batch_run
    from shopify_app.admin_api import TransientError

    class Interrupted(batch_run.BatchRun):
        def steps(self) -> None:
            raise TransientError("Shopify answered 503")

    monkeypatch.setattr(batch_run, "retry_for_current_job", lambda: Retry(max=3, interval=[30, 120, 600]))
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, status="queued")
    with app.app_context():
        outcome = Interrupted(db.session.get(Sync, sync_id), app.config).run()
        assert isinstance(outcome, Retry)
        note = db.session.get(BatchRetry, sync_id)
        assert (note.attempt, note.attempts_max, note.reason) == (1, 3, "Shopify didn't answer")
        assert 29 <= (note.retry_at - note.failed_at).total_seconds() <= 31
        assert db.session.get(Sync, sync_id).status == "running"


def test_undo_and_swatch_rows_read_in_a_merchants_words():
    """Every reason an undo or an unlinked swatch writes has words in the
    admin; none shows a GID or a metafield name alone."""
    from jobs.undo_plan import owner_name
    from shopify_app.ui.run_summary import detail_words

    variant, product = "gid://shopify/ProductVariant/7", "gid://shopify/Product/3"
    engine = [
        "undo: the run added this media; taken off the product (it stays in Files)",
        "undo: put back on the product", "undo: could not be put back on the product",
        "undo: the gallery order as it was before the run",
        "undo: cloudinary.productmedia_v1 as it was before the run (the storefront list of its assets)",
        f"undo: the image of {owner_name(variant)} as it was before the run",
        f"undo: cloudinary.swatch of {owner_name(product)} as it was before the run",
        f"swatch: cloudinary.swatch removed from {owner_name(variant)}",
    ]
    words = [detail_words(reason) for reason in engine]
    assert words == [
        "added by that run: taken off the product (it stays in Files)", "put back on the product",
        "couldn't be put back on the product", "the gallery's order, put back as it was",
        "the storefront list, put back as it was", "the image of variant 7, put back as it was",
        "the swatch of the product, put back as it was", "a swatch: taken off variant 7"]
    assert not any("gid://" in w or "cloudinary." in w for w in words)


def test_an_unlinks_rows_have_thumbnails_of_the_right_kind(app, client, make_shop):
    """An unlink's request names public IDs only: the row's media says a video
    is a video (a still frame, not an image URL that answers 404)."""
    shop_id = make_shop(SHOP)
    rows = [{"public_id": "runway/look1", "action": "removed", "media_id": "gid://shopify/Video/41",
             "detail": "unlinked"},
            {"public_id": "bags/tote", "action": "removed", "media_id": "gid://shopify/MediaImage/42",
             "detail": "unlinked"},
            {"public_id": "chairs/eames", "action": "removed", "media_id": "gid://shopify/Model3d/43",
             "detail": "unlinked"}]
    sync_id = seed(app, shop_id, kind="unlink", cloud_name="acme",
                   request={"product_ids": ["gid://shopify/Product/1"], "public_ids": [r["public_id"] for r in rows]},
                   products=[{"id": "gid://shopify/Product/1", "title": "Look", "rows": rows}])
    shown = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()["products"][0]["rows"]
    video, image, model = (r["thumbnail_url"] for r in shown)
    assert "/video/upload/so_auto," in video and video.endswith("runway/look1.jpg")
    assert "/image/upload/" in image
    assert model is None
