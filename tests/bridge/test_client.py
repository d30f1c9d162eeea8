"""The Python bridge client over real HTTP, the way the Cloudinary side calls:
connect with the code copied from the rendered Settings page (Chromium),
then settings, fields, matches, refusals and disconnect."""
from __future__ import annotations

import os
import re

import pytest

from cloudinary_bridge.client import BridgeClient, BridgeError
from tests.support import CHROMIUM, embedded_query, settings_code_over_http

def test_client_round_trip(server, sim_shop):
    shop = sim_shop(products=[{"title": "Blue Shirt", "handle": "blue-shirt", "variants": [{"sku": "ABC-1"}],
                               "media": [{"src": "https://example.com/a.jpg"}]}])
    bridge = BridgeClient(server)
    result = bridge.connect(settings_code_over_http(server, shop.domain), cloud_name="acme", label="Prod")
    assert result["store"]["domain"] == shop.domain and bridge.token == result["token"]
    assert bridge.signing_secret and bridge.connection_id == result["connection_id"]

    assert bridge.store()["cloud_name"] == "acme"
    saved = bridge.put_settings({"default_transformation": "w_1200,h_1200,c_fill", "cache_busting": True})
    assert bridge.settings() == saved
    assert {"sku", "barcode", "handle"} <= {f["key"] for f in bridge.fields()}
    matches = bridge.matches("sku", ["abc-1", "XYZ"])
    assert matches["matched_products"] == 1 and matches["unmatched"] == ["XYZ"]
    assert matches["matches"][0]["products"][0]["media_count"] == 1
    assert bridge.openapi()["openapi"] == "3.1.0"

    with pytest.raises(BridgeError) as refused:
        bridge.put_settings({"default_transformation": "w_1200,,c_fill"})
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "default_transformation"

    with pytest.raises(BridgeError) as reused:
        BridgeClient(server).connect(result["token"], cloud_name="acme")
    assert reused.value.status == 401

    bridge.disconnect()
    with pytest.raises(BridgeError) as gone:
        BridgeClient(server, token=result["token"]).store()
    assert gone.value.status == 401


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing")
def test_connect_with_the_code_copied_from_the_settings_page(app, server, make_shop):
    from playwright.sync_api import expect, sync_playwright

    domain = "acme.myshopify.com"
    make_shop(domain, name="Acme")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            context.route("https://cdn.shopify.com/**", lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{server}/settings?{embedded_query(domain)}")
            code_field = page.get_by_label("Connection code")
            expect(code_field).to_have_value(re.compile(r"^alc_"))
            page.get_by_role("button", name="Copy").click()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied == code_field.input_value()

            bridge = BridgeClient(server)
            bridge.connect(copied, cloud_name="acme-production", label="Production")
            assert bridge.store()["domain"] == domain

            # Back on the page: the environment is listed, the used code replaced.
            page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
            row = page.get_by_role("table").get_by_role("row").filter(has_text="acme-production")
            expect(row).to_be_visible()
            expect(code_field).not_to_have_value(copied)
            with pytest.raises(BridgeError) as reused:
                BridgeClient(server).connect(copied, cloud_name="acme-production")
            assert reused.value.status == 401
        finally:
            browser.close()
