"""Remove AssetLink files no product uses (POST /app/api/files/cleanup), with
a real burst worker: only files AssetLink made, only those no product,
variant or metafield uses (checked live), a dry run first, opt-in, and
still after the history that showed them made was purged."""
from __future__ import annotations

from typing import Any

from tests.support import auth_header, bearer, purge_all_history
from tests.syncs.e2e_store import Store, asset
from tests.undo.store_edits import file_ids, looks, take_off


def cleanup(store: Store, dry_run: bool) -> Any:
    return store.client.post("/app/api/files/cleanup", json={"dry_run": dry_run}, headers=auth_header(store.domain))


def report(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    response = store.client.get(f"/app/api/syncs/{run_id}/report", query_string={"format": "json"},
                                headers=auth_header(store.domain))
    assert response.status_code == 200
    return {r["media_id"]: r for r in response.get_json()}


def test_cleanup_deletes_only_assetlink_files_nothing_uses(app, make_store, work):
    store = make_store([{"title": "A", "variants": [{"sku": "A-1"}], "media": [{"src": "https://example.com/a.jpg"}]},
                        {"title": "B", "variants": [{"sku": "B-1"}], "media": [{"src": "https://example.com/b.jpg"}]},
                        {"title": "W", "variants": [{"sku": "W-1"}, {"sku": "W-2"}]}])
    merchant_files = file_ids(store)
    first = store.post([asset("a/1", sku="A-1")])
    second = store.post([asset("b/1", sku="B-1"), asset("w/chip", sku="W-1", kind="swatch"),
                         asset("w/photo", sku="W-1")], settings={"asset_type_field": "kind"})
    work()
    store.succeeded(first)
    store.succeeded(second)
    linked = looks(store)
    a_media = linked["A"]["gallery"][1]
    b_media = linked["B"]["gallery"][1]
    [chip] = linked["W"]["swatches"].values()
    [photo] = linked["W"]["gallery"]
    # Undo the first sync: a/1's media leaves A but stays in Files, unused.
    response = store.client.post(f"/app/api/syncs/{first}/undo", headers=auth_header(store.domain))
    assert response.status_code == 202
    # The merchant takes b/1 off B by hand: productmedia_v1 still lists it.
    take_off(app, store, linked["B"]["id"], b_media)
    # And uploads a banner to Files through AssetLink, used by nothing.
    response = store.client.post("/bridge/v1/uploads", json={"assets": [asset("banners/u")]},
                                 headers=bearer(store.token))
    assert response.status_code == 202, response.get_data(as_text=True)
    upload_id = response.get_json()["id"]
    work()
    [banner] = [a["file_id"] for a in store.client.get(f"/bridge/v1/uploads/{upload_id}",
                                                       headers=bearer(store.token)).get_json()["assets"]]
    assert a_media in file_ids(store) and a_media not in looks(store)["A"]["gallery"]

    # Opt-in: without it only a preview may run.
    assert cleanup(store, False).status_code == 409
    response = cleanup(store, True)
    assert response.status_code == 202
    preview = response.get_json()["id"]
    work()
    rows = report(store, preview)
    assert set(rows) == {a_media, b_media, chip, photo, banner}, "a file AssetLink did not make was considered"
    assert rows[banner]["action"] == "removed" and "Upload to Store Files" in rows[banner]["detail"]
    assert rows[a_media]["action"] == "removed" and "dry run" in rows[a_media]["detail"]
    assert rows[b_media]["action"] == "skipped" and "metafield" in rows[b_media]["detail"]
    assert rows[chip]["action"] == "skipped" and "metafield" in rows[chip]["detail"]
    assert rows[photo]["action"] == "skipped" and "product" in rows[photo]["detail"]
    assert a_media in file_ids(store), "a dry run deleted a file"
    entry = store.client.get(f"/app/api/syncs/{preview}", headers=auth_header(store.domain)).get_json()["sync"]
    assert entry["kind"] == "cleanup" and entry["dry_run"] is True and entry["status"] == "succeeded"

    # The operator purges the history: the reports that showed these files
    # made are gone, and the clean-up must still find and judge them.
    assert purge_all_history(app)["report_rows"] > 0
    settings = store.client.put("/app/api/files/cleanup/settings", json={"enabled": True},
                                headers=auth_header(store.domain))
    assert settings.status_code == 200 and settings.get_json() == {"enabled": True}
    response = cleanup(store, False)
    assert response.status_code == 202
    run_id = response.get_json()["id"]
    work()
    files = file_ids(store)
    assert a_media not in files and banner not in files, "an unused AssetLink file was kept"
    assert {b_media, chip, photo} <= files, "a file a product or metafield uses was deleted"
    assert merchant_files <= files, "a merchant's file was deleted"
    assert report(store, run_id)[a_media]["action"] == "removed"
    assert set(report(store, run_id)) == {a_media, b_media, chip, photo, banner}
    with app.app_context():
        from jobs import made_files
        assert {f for f, _ in made_files.recorded(store.shop.shop_id)} == {b_media, chip, photo}, \
            "a deleted file is still recorded as made (or a kept one was forgotten)"
    assert store.client.get(f"/app/api/syncs/{run_id}", headers=auth_header(store.domain)).get_json()[
        "sync"]["status"] == "succeeded"
