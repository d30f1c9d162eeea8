"""POST /syncs and the status, list, abort and report endpoints."""
from __future__ import annotations

import csv
import io

import pytest
from rq import Queue

from jobs import queues
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem
from tests.support import bearer, connect


def body(**overrides):
    data = {"dry_run": False, "match": {"cloudinary_field": "sku", "shopify_field": "sku"},
            "link_mode": "append", "order_by": None,
            "assets": [{"public_id": "shoes/abc-1_front", "resource_type": "image", "type": "upload",
                        "format": "jpg", "version": 1711111111, "metadata": {"sku": "ABC-1"}}]}
    data.update(overrides)
    return data


def post(client, token, data, **headers):
    return client.post("/bridge/v1/syncs", json=data, headers={**bearer(token), **headers})


def media_queue(app):
    return Queue(queues.queue_name(app.config, queues.MEDIA), connection=queues.redis_connection(app.config))


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Other tests of the run (schemathesis) leave jobs in this run's queues."""
    media_queue(app).empty()
    yield


@pytest.fixture
def token(connected):
    return connected[1]["token"]


def test_accepts_and_queues_one_job(client, app, token):
    response = post(client, token, body())
    assert response.status_code == 202, response.get_data(as_text=True)
    data = response.get_json()
    assert data["status"] == "queued" and len(data["id"]) == 32
    assert response.headers["Location"] == f"/bridge/v1/syncs/{data['id']}"
    assert media_queue(app).get_job_ids() == [f"sync-{data['id']}"]
    with app.app_context():
        sync = db.session.get(Sync, data["id"])
        assert sync.cloud_name == "acme-cloud" and sync.settings["alt_text_source"] == "display_name"
        assert sync.dispatched_at is not None
    status = client.get(f"/bridge/v1/syncs/{data['id']}", headers=bearer(token)).get_json()
    assert status["status"] == "queued" and status["progress"]["products_total"] == 0
    assert set(status) >= {"id", "status", "dry_run", "created_at", "started_at", "finished_at", "progress", "errors"}


def test_one_store_has_one_batch_in_the_queue_at_a_time(client, app, token):
    first = post(client, token, body()).get_json()["id"]
    second = post(client, token, body(link_mode="prepend")).get_json()["id"]
    assert media_queue(app).get_job_ids() == [f"sync-{first}"]
    with app.app_context():
        assert db.session.get(Sync, second).dispatched_at is None


def test_settings_null_means_no_overrides(client, app, token):
    response = post(client, token, body(settings=None))
    assert response.status_code == 202, response.get_data(as_text=True)


def test_idempotency_key(client, app, token):
    first = post(client, token, body(), **{"Idempotency-Key": "k-1"})
    again = post(client, token, body(), **{"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = post(client, token, body(link_mode="reset"), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409 and other.mimetype == "application/problem+json"
    with app.app_context():
        assert db.session.query(Sync).count() == 1
    assert len(media_queue(app).get_job_ids()) == 1
    assert post(client, token, body(), **{"Idempotency-Key": "bad key"}).status_code == 400


@pytest.mark.parametrize("data,field", [
    (body(link_mode="sideways"), "link_mode"),
    (body(link_mode="position"), "body"),
    (body(position=0, link_mode="position"), "position"),
    (body(assets=[]), "assets"),
    (body(assets=[{"public_id": ""}]), "assets[0].public_id"),
    (body(match={"cloudinary_field": "sku", "shopify_field": "colour"}), "match.shopify_field"),
    (body(settings={"unknown": 1}), "settings.unknown"),
    (body(settings={"filename_format": "uuid"}), "settings.filename_format"),
    (body(surprise=True), "surprise"),
])
def test_bad_input_is_422_with_field_and_nothing_stored(client, app, token, data, field):
    response = post(client, token, data)
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert field in [e["field"] for e in problem["errors"]], problem
    with app.app_context():
        assert db.session.query(Sync).count() == 0


def test_over_1000_assets_names_the_limit(client, token):
    assets = [{"public_id": f"a{i}", "metadata": {"sku": "X"}} for i in range(1001)]
    response = post(client, token, body(assets=assets))
    assert response.status_code in (413, 422) and "1000" in response.get_json()["detail"]


def test_needs_a_token(client, connected):
    assert client.post("/bridge/v1/syncs", json=body()).status_code == 401


def test_other_stores_syncs_are_404(client, app, make_shop, token):
    sync_id = post(client, token, body()).get_json()["id"]
    make_shop("other.myshopify.com", name="Other")
    other = connect(client, "other.myshopify.com")["token"]
    for path in ("", "/report"):
        response = client.get(f"/bridge/v1/syncs/{sync_id}{path}", headers=bearer(other))
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.post(f"/bridge/v1/syncs/{sync_id}/abort", headers=bearer(other)).status_code == 404
    assert client.get("/bridge/v1/syncs/not-an-id", headers=bearer(token)).status_code == 404
    assert client.get("/bridge/v1/syncs", headers=bearer(other)).get_json() == {"syncs": []}


def test_list_newest_first(client, app, token):
    ids = [post(client, token, body()).get_json()["id"] for _ in range(3)]
    listed = client.get("/bridge/v1/syncs?limit=2", headers=bearer(token)).get_json()["syncs"]
    assert [s["id"] for s in listed] == ids[::-1][:2]
    assert client.get("/bridge/v1/syncs?limit=0", headers=bearer(token)).status_code == 400
    # str.isdigit() accepts "²", which int() refuses: a 400, not a 500.
    for bad in ("²", "٣", "-1", "101", "ten"):
        response = client.get(f"/bridge/v1/syncs?limit={bad}", headers=bearer(token))
        assert response.status_code == 400, bad
        assert response.get_json()["errors"] == [{"field": "limit", "message": "must be an integer from 1 to 100"}]


def test_abort_a_queued_sync_ends_it_and_dispatches_the_next(client, app, token):
    first = post(client, token, body()).get_json()["id"]
    second = post(client, token, body()).get_json()["id"]
    response = client.post(f"/bridge/v1/syncs/{first}/abort", headers=bearer(token))
    assert response.status_code == 202 and response.get_json()["status"] == "aborted"
    assert client.post(f"/bridge/v1/syncs/{first}/abort", headers=bearer(token)).status_code == 409
    with app.app_context():
        assert db.session.get(Sync, second).dispatched_at is not None


def test_report_json_and_csv(client, app, token):
    sync_id = post(client, token, body()).get_json()["id"]
    with app.app_context():
        db.session.add_all([
            SyncItem(sync_id=sync_id, seq=1, product_id="gid://shopify/Product/1", product_title="=HYPERLINK(1)",
                     group_value="ABC-1", public_id="shoes/a", action="created", position=1,
                     media_id="gid://shopify/MediaImage/9"),
            SyncItem(sync_id=sync_id, seq=0, product_id=None, product_title=None, group_value=None,
                     public_id="shoes/b", action="skipped", detail="no value in metadata field 'sku'")])
        db.session.commit()
    rows = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    assert [r["public_id"] for r in rows] == ["shoes/b", "shoes/a"]
    assert rows[1] == {"product_id": "gid://shopify/Product/1", "product_title": "=HYPERLINK(1)",
                       "group_value": "ABC-1", "public_id": "shoes/a", "action": "created", "position": 1,
                       "media_id": "gid://shopify/MediaImage/9", "error": None, "detail": None}
    response = client.get(f"/bridge/v1/syncs/{sync_id}/report?format=csv", headers=bearer(token))
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["action"] for r in table] == ["skipped", "created"]
    assert table[1]["product_title"] == "'=HYPERLINK(1)" and table[1]["position"] == "1"
    assert client.get(f"/bridge/v1/syncs/{sync_id}/report?format=xml", headers=bearer(token)).status_code == 400


def test_openapi_documents_the_sync_routes(client):
    doc = client.get("/bridge/v1/openapi.json").get_json()
    assert {"post"} <= set(doc["paths"]["/bridge/v1/syncs"])
    assert "/bridge/v1/syncs/{sync_id}/report" in doc["paths"]


def test_planner_and_bridge_settings_have_the_same_keys_and_defaults():
    """The bridge validates settings, the planner reads the snapshot: they
    must describe the same object."""
    from cloudinary_bridge.settings import Settings as BridgeSettings
    from jobs.planner import Settings as PlannerSettings
    assert BridgeSettings().model_dump() == PlannerSettings().model_dump()
    every = {"default_transformation": "w_1200,h_1200,c_fill", "alt_text_source": "metadata:alt_en",
             "filename_format": "all_metadata", "video_behavior": "none", "asset_type_field": "asset_type",
             "sync_completed_webhook_url": "https://hooks.example.com/x", "cache_busting": True}
    bridge = BridgeSettings.model_validate(every, context={"development": False}).model_dump()
    assert PlannerSettings.model_validate(bridge).model_dump() == bridge


def test_a_sync_whose_stored_request_no_longer_reads_fails_cleanly(app, client, token):
    """Anything wrong before the first Shopify call ends the sync as failed,
    never leaves it running."""
    from jobs.sync_job import run_sync
    sync_id = post(client, token, body()).get_json()["id"]
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        sync.settings = {"video_behavior": "hologram"}
        db.session.commit()
        assert run_sync(sync_id) == "failed"
        db.session.expire_all()
        assert "internal error" in db.session.get(Sync, sync_id).errors[0]["message"]


def test_same_idempotency_key_at_the_same_instant_makes_one_sync(app, token):
    import threading
    barrier = threading.Barrier(4)
    answers = []

    def send():
        own = app.test_client()
        barrier.wait()
        answers.append(own.post("/bridge/v1/syncs", json=body(), headers={**bearer(token), "Idempotency-Key": "race"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [202] * 4, [a.get_data(as_text=True) for a in answers]
    assert len({a.get_json()["id"] for a in answers}) == 1
    with app.app_context():
        assert db.session.query(Sync).count() == 1
    assert len(media_queue(app).get_job_ids()) == 1
    media_queue(app).empty()


def test_a_sync_lost_again_and_again_is_failed_so_the_store_moves_on(client, app, token):
    from jobs.batch_dispatch import MAX_DISPATCHES
    from jobs.reaper import reap_store
    first = post(client, token, body()).get_json()["id"]
    second = post(client, token, body()).get_json()["id"]
    with app.app_context():
        for _ in range(MAX_DISPATCHES):
            media_queue(app).empty()  # the job vanishes (e.g. Redis lost it)
            sync = db.session.get(Sync, first)
            reap_store(app.config, sync.shop_id)
        db.session.expire_all()
        lost = db.session.get(Sync, first)
        assert lost.status == "failed" and "lost" in lost.errors[0]["message"]
        assert db.session.get(Sync, second).dispatched_at is not None
    assert media_queue(app).get_job_ids() == [f"sync-{second}"]
