"""Uploads against the simulator: files, dedupe by version, filenames, alt
text, videos in each behaviour, processing errors, deleted files, abort."""
from __future__ import annotations

import io

import pytest

from jobs.executor.video import Download
from jobs.upload_job import UploadRun
from shopify_app import crypto
from shopify_app.extensions import db
from shopify_app.models import Shop, StoreFile
from tests.support import bearer, connect
from tests.uploads.support import upload

FILES = """query { files(first: 100) { nodes { id alt fileStatus
  ... on MediaImage { image { url } originalSource { url } }
  ... on Video { filename sources { url } } } } }"""
DELETE = """mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { deletedFileIds userErrors { message } } }"""


def image(public_id, version=1711111111, **extra):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": version, **extra}


def video(public_id, version=1711111111):
    return {"public_id": public_id, "resource_type": "video", "type": "upload", "format": "mov", "version": version}


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False  # the job runs inside the request
    shop = sim_shop()
    return shop, connect(client, shop.domain, cloud_name="acme")["token"]


def admin(app, sim, shop, query, variables=None):
    with app.app_context():
        token = crypto.decrypt(db.session.get(Shop, shop.shop_id).access_token_enc)
    return sim.graphql(shop.domain, token, query, variables)


def files(app, sim, shop):
    return {n["id"]: n for n in admin(app, sim, shop, FILES)["files"]["nodes"]}


def writes(sim, shop):
    return [r["rootFields"] for r in sim.requests(shop.domain) if r["mutation"]]


def test_upload_reports_file_ids_and_urls_and_reuses_the_same_version(app, client, store, sim):
    shop, token = store
    first = upload(client, token, [image("banners/summer_sale", display_name="Summer sale"), image("logos/acme")])
    assert first["status"] == "succeeded", first
    assert first["progress"] == {"assets_total": 2, "assets_done": 2, "assets_uploaded": 2, "assets_reused": 0,
                                 "assets_skipped": 0, "failures": 0}
    stored = files(app, sim, shop)
    assert len(stored) == 2
    for asset in first["assets"]:
        assert asset["status"] == "uploaded" and asset["error"] is None
        node = stored[asset["file_id"]]
        assert node["fileStatus"] == "READY" and asset["url"] == node["image"]["url"]
        assert asset["url"].startswith("https://cdn.shopify.com/")
    summer = stored[first["assets"][0]["file_id"]]
    assert summer["alt"] == "Summer sale"
    assert "/summer_sale.jpg" in summer["image"]["url"]  # public_id filename: last segment + extension
    assert summer["originalSource"]["url"] == \
        "https://res.cloudinary.com/acme/image/upload/v1711111111/banners/summer_sale.jpg"

    sim.clear_requests(shop.domain)
    again = upload(client, token, [image("banners/summer_sale", display_name="Summer sale"), image("logos/acme")])
    assert again["status"] == "succeeded"
    assert [(a["status"], a["file_id"], a["url"]) for a in again["assets"]] == \
        [("reused", a["file_id"], a["url"]) for a in first["assets"]]
    assert writes(sim, shop) == []                        # no fileCreate: the files were reused
    assert len(files(app, sim, shop)) == 2

    newer = upload(client, token, [image("banners/summer_sale", version=1800000000, display_name="Summer sale")])
    assert newer["assets"][0]["status"] == "uploaded"
    assert newer["assets"][0]["file_id"] not in stored    # a new version is a new file
    assert len(files(app, sim, shop)) == 3

    transformed = upload(client, token, [image("logos/acme")], settings={"default_transformation": "w_200"})
    assert transformed["assets"][0]["status"] == "uploaded"  # another transformation is another file
    assert "/w_200/" in files(app, sim, shop)[transformed["assets"][0]["file_id"]]["originalSource"]["url"]


def test_a_file_deleted_in_shopify_is_uploaded_again(app, client, store, sim):
    shop, token = store
    first = upload(client, token, [image("banners/a")])
    old_id = first["assets"][0]["file_id"]
    admin(app, sim, shop, DELETE, {"ids": [old_id]})
    again = upload(client, token, [image("banners/a")])
    assert again["assets"][0]["status"] == "uploaded"
    assert again["assets"][0]["file_id"] != old_id
    with app.app_context():
        assert [r.file_id for r in db.session.query(StoreFile)] == [again["assets"][0]["file_id"]]


def test_an_asset_without_a_version_is_not_reused_across_uploads(client, store):
    _, token = store
    first = upload(client, token, [image("banners/b", version=None)])
    again = upload(client, token, [image("banners/b", version=None)])
    assert again["assets"][0]["status"] == "uploaded"
    assert again["assets"][0]["file_id"] != first["assets"][0]["file_id"]


def test_all_metadata_filenames_and_alt_sources(app, client, store, sim):
    shop, token = store
    status = upload(client, token, [image("shirts/red_front", metadata={"caption": "Red shirt"})],
                    settings={"filename_format": "all_metadata", "alt_text_source": "metadata:caption"})
    node = files(app, sim, shop)[status["assets"][0]["file_id"]]
    assert "/cloudinary__acme__image__upload__shirts-_p-2Fred-_p-5Ffront__cld.jpg" in node["image"]["url"]
    assert node["alt"] == "Red shirt"


def test_videos_in_each_behaviour(app, client, store, sim, monkeypatch):
    shop, token = store
    placeholder = upload(client, token, [video("clips/spin")])
    asset = placeholder["assets"][0]
    node = files(app, sim, shop)[asset["file_id"]]
    assert asset["status"] == "uploaded" and "/spin.jpg" in node["image"]["url"]
    assert "/video/upload/" in node["originalSource"]["url"]  # a still frame from Cloudinary, as an image

    none = upload(client, token, [video("clips/spin")], settings={"video_behavior": "none"})
    assert none["status"] == "succeeded"
    assert [(a["status"], a["file_id"]) for a in none["assets"]] == [("skipped", None)]
    assert "video_behavior is none" in none["assets"][0]["detail"]

    fetched = []

    def downloader(url, *, max_bytes):
        fetched.append(url)
        return Download(io.BytesIO(b"\x00" * 4096), 4096, "video/mp4")

    monkeypatch.setattr(UploadRun, "downloader", staticmethod(downloader))
    full = upload(client, token, [video("clips/spin")], settings={"video_behavior": "full_video"})
    asset = full["assets"][0]
    assert full["status"] == "succeeded", full
    assert fetched == ["https://res.cloudinary.com/acme/video/upload/v1711111111/clips/spin.mp4"]
    node = files(app, sim, shop)[asset["file_id"]]
    assert node["filename"] == "spin.mp4" and asset["url"] == node["sources"][0]["url"]
    again = upload(client, token, [video("clips/spin")], settings={"video_behavior": "full_video"})
    assert again["assets"][0]["status"] == "reused" and len(fetched) == 1  # not even downloaded again


def test_processing_errors_are_reported_per_asset(app, client, store, sim):
    shop, token = store
    sim.control("POST", f"/_sim/shops/{shop.domain}/faults",
                json={"kind": "file_failure", "match": "broken", "code": "IMAGE_DOWNLOAD_FAILURE", "count": 1})
    status = upload(client, token, [image("banners/fine"), image("banners/broken")])
    assert status["status"] == "partially_succeeded"
    fine, broken = status["assets"]
    assert fine["status"] == "uploaded" and broken["status"] == "failed"
    assert "IMAGE_DOWNLOAD_FAILURE" in broken["error"] and broken["url"] is None
    assert status["progress"]["failures"] == 1

    retry = upload(client, token, [image("banners/broken")])  # a failed file is never reused
    assert retry["assets"][0]["status"] == "uploaded" and retry["assets"][0]["file_id"] != broken["file_id"]


def test_a_killed_worker_resumes_without_a_second_file(app, client, store, sim, monkeypatch):
    """Killed after fileCreate answered but before the answer was stored: the
    retry finds the file by its filename and source instead of making it again."""
    import jobs.upload_job as module
    shop, token = store
    app.config["RQ_IS_ASYNC"] = True  # queue only; the job is run here by hand
    response = client.post("/bridge/v1/uploads", json={"assets": [image("banners/c")]}, headers=bearer(token))
    upload_id = response.get_json()["id"]
    real_create = module.create_files

    def create_then_die(client_, new_files):
        real_create(client_, new_files)
        raise KeyboardInterrupt("worker killed before the answer was recorded")

    with monkeypatch.context() as patch:
        patch.setattr(module, "create_files", create_then_die)
        with pytest.raises(KeyboardInterrupt):
            with app.app_context():
                module.run_upload(upload_id)
    with app.app_context():
        row = db.session.query(StoreFile).one()
        assert row.file_id is None and row.intended_at  # the intent was durable before the call
        assert module.run_upload(upload_id) == "succeeded"
    status = client.get(f"/bridge/v1/uploads/{upload_id}", headers=bearer(token)).get_json()
    stored = files(app, sim, shop)
    assert len(stored) == 1 and status["assets"][0]["file_id"] in stored
    assert status["assets"][0]["status"] == "uploaded"


def test_abort_stops_before_the_next_batch_of_files(app, client, store, monkeypatch):
    from sqlalchemy import update

    from jobs.upload_job import run_upload
    from shopify_app.models import Sync
    shop, token = store
    app.config["RQ_IS_ASYNC"] = True
    app.config["UPLOAD_FILES_PER_BATCH"] = 1
    response = client.post("/bridge/v1/uploads", json={"assets": [image(f"b/{i}") for i in range(3)]},
                           headers=bearer(token))
    upload_id = response.get_json()["id"]
    real = UploadRun.upload_chunk

    def batch_then_abort(self, plans):
        real(self, plans)
        with db.engine.begin() as connection:
            connection.execute(update(Sync).where(Sync.id == upload_id).values(abort_requested=True))

    monkeypatch.setattr(UploadRun, "upload_chunk", batch_then_abort)
    with app.app_context():
        assert run_upload(upload_id) == "aborted"
    status = client.get(f"/bridge/v1/uploads/{upload_id}", headers=bearer(token)).get_json()
    assert [a["status"] for a in status["assets"]] == ["uploaded", "skipped", "skipped"]
    assert status["assets"][1]["detail"] == "the upload was aborted before this asset"
    assert client.post(f"/bridge/v1/uploads/{upload_id}/abort", headers=bearer(token)).status_code == 409


def test_batches_of_250_files_and_paced_status_reads(client, store, sim):
    """260 assets: two fileCreate calls (Shopify's limit is 250 per call) and a
    handful of status reads per batch, not one per file per second."""
    shop, token = store
    sim.clear_requests(shop.domain)
    status = upload(client, token, [image(f"bulk/{i}") for i in range(260)])
    assert status["status"] == "succeeded", status["errors"]
    assert len({a["file_id"] for a in status["assets"]}) == 260 and all(a["url"] for a in status["assets"])
    calls = [r["operationName"] for r in sim.requests(shop.domain)]
    assert calls.count("FileCreate") == 2
    assert calls.count("FileStatuses") <= 6 and calls.count("FileDetails") == 2, calls


def test_a_reused_file_takes_the_new_alt_text_in_place(app, client, store, sim):
    shop, token = store
    first = upload(client, token, [image("banners/d", display_name="Old words")])
    sim.clear_requests(shop.domain)
    again = upload(client, token, [image("banners/d", alt="New words")])
    asset = again["assets"][0]
    assert asset["status"] == "reused" and asset["file_id"] == first["assets"][0]["file_id"]
    assert asset["detail"].endswith("alt text updated")
    assert files(app, sim, shop)[asset["file_id"]]["alt"] == "New words"
    assert [r["operationName"] for r in sim.requests(shop.domain) if r["mutation"]] == ["FileUpdate"]
