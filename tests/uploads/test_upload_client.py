"""The bridge client's upload, links and unlink calls over real HTTP."""
from __future__ import annotations

import pytest

from cloudinary_bridge.client import BridgeClient, BridgeError
from tests.support import settings_code_over_http


def test_upload_links_and_unlink_through_the_client(app, server, sim_shop):
    app.config["RQ_IS_ASYNC"] = False
    shop = sim_shop(products=[{"title": "Blue Shirt", "variants": [{"sku": "ABC-1"}]}])
    bridge = BridgeClient(server)
    bridge.connect(settings_code_over_http(server, shop.domain), cloud_name="acme")
    asset = {"public_id": "shirts/front", "format": "jpg", "version": 1711111111, "metadata": {"sku": "ABC-1"}}

    accepted = bridge.create_upload([asset], idempotency_key="upload-1")
    assert bridge.create_upload([asset], idempotency_key="upload-1")["id"] == accepted["id"]
    upload = bridge.wait_for_upload(accepted["id"])
    assert upload["status"] == "succeeded" and upload["assets"][0]["status"] == "uploaded"
    assert bridge.upload_report(accepted["id"])[0]["media_id"] == upload["assets"][0]["file_id"]
    assert "public_id" in bridge.upload_report(accepted["id"], csv=True).splitlines()[0]
    with pytest.raises(BridgeError) as finished:
        bridge.abort_upload(accepted["id"])
    assert finished.value.status == 409

    sync = bridge.create_sync({"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
                               "assets": [asset]})
    assert bridge.wait_for_sync(sync["id"])["status"] == "succeeded"
    product_id = bridge.matches("sku", ["ABC-1"])["matches"][0]["products"][0]["id"]
    links = bridge.links(product_id)
    assert [(a["public_id"], a["position"]) for a in links["assets"]] == [("shirts/front", 1)]

    unlink = bridge.create_unlink([product_id], ["shirts/front"])
    assert bridge.wait_for_sync(unlink["id"])["status"] == "succeeded"
    assert bridge.links(product_id)["assets"] == []
    with pytest.raises(BridgeError) as invalid:
        bridge.create_unlink(["nope"], ["shirts/front"])
    assert invalid.value.status == 422 and invalid.value.errors[0]["field"] == "product_ids[0]"
