"""POST /uploads and GET /uploads/{id}: validation, Idempotency-Key, scoping,
abort of a queued upload, and the completion webhook."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import bearer, connect


def image(public_id, **extra):
    return {"public_id": public_id, "resource_type": "image", "format": "jpg", "version": 1711111111, **extra}


def post(client, token, body, key=None):
    headers = bearer(token)
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/bridge/v1/uploads", json=body, headers=headers)


def count(app):
    with app.app_context():
        return db.session.query(Sync).count()


def test_accepted_upload_lists_its_assets_as_pending(client, connected):
    _, connection = connected
    response = post(client, connection["token"], {"assets": [image("a/1"), image("a/2", resource_type="video")]})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and response.headers["Location"] == f"/bridge/v1/uploads/{body['id']}"
    status = client.get(body["status_url"], headers=bearer(connection["token"])).get_json()
    assert status["kind"] == "upload" and status["status"] == "queued"
    assert [(a["public_id"], a["resource_type"], a["status"], a["file_id"]) for a in status["assets"]] == [
        ("a/1", "image", "pending", None), ("a/2", "video", "pending", None)]
    assert status["progress"] == {"assets_total": 2, "assets_done": 0, "assets_uploaded": 0, "assets_reused": 0,
                                  "assets_skipped": 0, "failures": 0}


@pytest.mark.parametrize("body, field, detail", [
    ({"assets": []}, "assets", None),
    ({}, "assets", None),
    ({"assets": [image(f"a/{i}") for i in range(1001)]}, "assets", "At most 1000"),
    ({"assets": [image("a/0"), image("a/1"), image("a/2"), {"public_id": ""}]}, "assets[3].public_id", None),
    ({"assets": [image("a/0", format="j/pg")]}, "assets[0].format", None),
    ({"assets": [image("a/0")], "link_mode": "append"}, "link_mode", None),
    ({"assets": [image("a/0")], "settings": {"nope": 1}}, "settings.nope", None),
    ({"assets": [image("a/0")], "settings": {"video_behavior": "loud"}}, "settings.video_behavior", None),
])
def test_bad_requests_are_422_with_field_paths_and_write_nothing(app, client, connected, body, field, detail):
    _, connection = connected
    response = post(client, connection["token"], body)
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in problem["errors"]], problem
    if detail:
        assert detail in problem["detail"]
    assert count(app) == 0


def test_a_body_that_is_not_json_or_too_large(app, client, connected):
    _, connection = connected
    response = client.post("/bridge/v1/uploads", data="{", content_type="application/json",
                           headers=bearer(connection["token"]))
    assert response.status_code == 400
    big = {"assets": [image("a/1", display_name="x" * 1000, context={"k": "y" * 6_000_000})]}
    response = post(client, connection["token"], big)
    assert response.status_code == 413 and "5 MB" in response.get_json()["detail"]
    assert count(app) == 0


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(app, client, connected):
    _, connection = connected
    token = connection["token"]
    first = post(client, token, {"assets": [image("a/1")]}, key="k-1")
    again = post(client, token, {"assets": [image("a/1")]}, key="k-1")
    assert again.status_code == 202 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert post(client, token, {"assets": [image("a/2")]}, key="k-1").status_code == 409
    assert count(app) == 1
    # A key a sync used is not an upload's.
    sync = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [image("a/1", metadata={"sku": "X"})]}
    assert client.post("/bridge/v1/syncs", json=sync, headers={**bearer(token), "Idempotency-Key": "k-2"}
                       ).status_code == 202
    assert post(client, token, {"assets": [image("a/1")]}, key="k-2").status_code == 409
    assert post(client, token, {"assets": [image("a/1")]}, key="k" * 256).status_code == 400


def test_another_stores_upload_and_a_sync_id_are_404(client, connected, make_shop):
    _, connection = connected
    make_shop("other.myshopify.com", name="Other")
    other = connect(client, "other.myshopify.com")["token"]
    upload_id = post(client, connection["token"], {"assets": [image("a/1")]}).get_json()["id"]
    for path in (f"/bridge/v1/uploads/{upload_id}", f"/bridge/v1/uploads/{upload_id}/report"):
        response = client.get(path, headers=bearer(other))
        assert response.status_code == 404 and upload_id not in response.get_data(as_text=True)
    assert client.post(f"/bridge/v1/uploads/{upload_id}/abort", headers=bearer(other)).status_code == 404
    assert client.get(f"/bridge/v1/syncs/{upload_id}", headers=bearer(connection["token"])).status_code == 404
    assert client.get("/bridge/v1/uploads/not-an-id", headers=bearer(connection["token"])).status_code == 404
    assert client.get(f"/bridge/v1/uploads/{upload_id}").status_code == 401


def test_a_queued_upload_aborts_at_once(client, connected):
    _, connection = connected
    token = connection["token"]
    upload_id = post(client, token, {"assets": [image("a/1")]}).get_json()["id"]
    response = client.post(f"/bridge/v1/uploads/{upload_id}/abort", headers=bearer(token))
    assert response.status_code == 202 and response.get_json()["status"] == "aborted"
    assert client.post(f"/bridge/v1/uploads/{upload_id}/abort", headers=bearer(token)).status_code == 409


def test_a_finished_upload_posts_a_signed_upload_completed_event(app, client, sim_shop, receiver):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop()
    connection = connect(client, shop.domain, cloud_name="acme")
    response = post(client, connection["token"], {"assets": [image("a/1")],
                                                  "settings": {"sync_completed_webhook_url": receiver.url}})
    upload_id = response.get_json()["id"]
    assert len(receiver.calls) == 1
    headers, raw = receiver.calls[0]
    expected = base64.b64encode(hmac.new(connection["signing_secret"].encode(), raw, hashlib.sha256).digest())
    assert hmac.compare_digest(headers["X-Assetlink-Hmac-Sha256"].encode(), expected)
    assert headers["X-Assetlink-Event"] == "upload.completed"
    event = json.loads(raw)
    status = client.get(f"/bridge/v1/uploads/{upload_id}", headers=bearer(connection["token"])).get_json()
    assert event == {"event": "upload.completed", "upload": status} and status["status"] == "succeeded"
