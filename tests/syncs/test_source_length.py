"""Issue 15.7: an asset whose Cloudinary URL is longer than Shopify's
2,048-character originalSource limit is refused alone and up front; the
other assets of its product and batch are linked (Shopify refuses the whole
fileCreate call for one such source, as captured:
tests/conformance_data/.../media/media-file-create-input-validation.json)."""
from __future__ import annotations

import pytest

from jobs.planner.delivery import MAX_SOURCE_LENGTH, Delivery, within_source_limit
from tests.support import bearer, connect
from tests.uploads.support import upload

# Each "é" is percent-encoded as %C3%A9 in the URL: 400 of them make a URL of
# about 2,450 characters from a public ID of 400 characters.
LONG_ID = "shirts/" + "é" * 400


def asset(public_id, sku=None):
    return {"public_id": public_id, "resource_type": "image", "type": "upload", "format": "jpg",
            "version": 1711111111, "metadata": {"sku": sku} if sku else {}}


@pytest.fixture
def store(app, client, sim_shop):
    app.config["RQ_IS_ASYNC"] = False  # the job runs inside the request
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}]}])
    return shop, connect(client, shop.domain)["token"]


@pytest.mark.parametrize("length, refused", [(MAX_SOURCE_LENGTH, False), (MAX_SOURCE_LENGTH + 1, True)])
def test_the_limit_is_shopifys_2048_characters(length, refused):
    url = "https://res.cloudinary.com/acme/image/upload/" + "a" * (length - 45)
    assert len(url) == length
    result = within_source_limit(Delivery("image", url, "jpg", "IMAGE", ""))
    assert (result.kind == "refused") is refused
    if refused:
        assert result.url is None and f"{length} characters" in (result.reason or "")
    # A full video goes through a staged upload: its Cloudinary URL is never a source.
    assert within_source_limit(Delivery("video", url, "mp4", "VIDEO", "")).kind == "video"


def test_a_sync_links_the_other_assets_and_fails_only_the_long_one(client, store, sim):
    shop, token = store
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [asset("shirts/front", "ABC-1"), asset(LONG_ID, "ABC-1"), asset("shirts/back", "ABC-1")]}
    response = client.post("/bridge/v1/syncs", json=data, headers=bearer(token))
    assert response.status_code == 202, response.get_data(as_text=True)
    sync_id = response.get_json()["id"]
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    report = client.get(f"/bridge/v1/syncs/{sync_id}/report", headers=bearer(token)).get_json()
    outcome = {r["public_id"]: (r["action"], r["error"]) for r in report}
    assert outcome["shirts/front"] == ("created", None) and outcome["shirts/back"] == ("created", None)
    action, error = outcome[LONG_ID]
    assert action == "failed" and "Shopify accepts at most 2048" in error
    assert status["status"] == "partially_succeeded", status
    # Shopify received no source over the limit: no call was refused whole.
    log = sim.requests(shop.domain)
    assert any("fileCreate" in r["rootFields"] for r in log)
    assert [e for r in log for e in r.get("errors", []) if "too long" in e] == []


def test_an_upload_uploads_the_other_assets_and_fails_only_the_long_one(client, store):
    shop, token = store
    status = upload(client, token, [asset("files/one"), asset(LONG_ID), asset("files/two")])
    by_id = {a["public_id"]: a for a in status["assets"]}
    assert by_id["files/one"]["status"] == "uploaded" and by_id["files/two"]["status"] == "uploaded"
    assert by_id[LONG_ID]["status"] == "failed" and "at most 2048" in by_id[LONG_ID]["error"]
    assert status["status"] == "partially_succeeded", status
