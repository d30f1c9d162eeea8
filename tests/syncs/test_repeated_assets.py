"""An asset listed twice (same resource type, type and public ID) is handled
once and its repeat reported, never a 422: JSON Schema can't state uniqueness
by a key, and the OpenAPI document must not accept what the server refuses
(schemathesis' "schema-valid request rejected")."""
from __future__ import annotations

import pytest

from tests.support import bearer, connect
from tests.uploads.support import upload


def asset(public_id, sku=None, **extra):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": 1711111111, "metadata": {"sku": sku} if sku else {}, **extra}


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False  # the job runs inside the request
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    return shop, connect(client, shop.domain)["token"]


def test_a_sync_links_a_repeated_asset_once_and_reports_the_repeat(client, store):
    _, token = store
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [asset("shirts/front", "ABC-1"), asset("shirts/back", "ABC-1"),
                       asset("shirts/front", "ABC-1", alt="again")]}
    response = client.post("/bridge/v1/syncs", json=data, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    sync_id = response.get_json()["id"]
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    rows = [(r["public_id"], r["action"], r["position"]) for r in report if r["action"] != "skipped"]
    assert rows == [("shirts/front", "created", 1), ("shirts/back", "created", 2)]
    [repeat] = [r for r in report if r["action"] == "skipped"]
    assert repeat["public_id"] == "shirts/front" and repeat["error"] is None
    assert repeat["detail"].startswith("repeats assets[0]")


def test_an_upload_uploads_a_repeated_asset_once(client, store):
    _, token = store
    status = upload(client, token, [asset("files/one"), asset("files/one", alt="again"), asset("files/two")])
    assert [a["status"] for a in status["assets"]] == ["uploaded", "skipped", "uploaded"]
    assert "repeats assets[0]" in status["assets"][1]["detail"]
