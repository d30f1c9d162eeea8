"""The session without App Bridge (issue 14.6), in headless Chromium with
cdn.shopify.com blocked: an expired session token never leaves a blank
page, the bounce brings a fresh one, and an in-page action whose token
expired gets a fresh one through the bounce and is retried once."""
from __future__ import annotations

import re
import time

import pytest

from tests.support import API_KEY, BROWSER, embedded_query, make_session_token

from .history_data import catalogue_run

pytestmark = BROWSER

SHOP = "acme.myshopify.com"
WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(400, id="phone")]

# What App Bridge does on the bounce page, for a test that can't load it:
# reload `shopify-reload` with a fresh ID token. Elsewhere it does nothing
# (and defines no window.shopify), so the app's pages still run without App
# Bridge.
BOUNCE_STUB = """(() => {
  const target = new URLSearchParams(location.search).get("shopify-reload");
  if (!target) return;
  const url = new URL(target, location.origin);
  url.searchParams.set("id_token", %s);
  location.replace(url.toString());
})();"""


def serve_bounce_stub(page, fresh_tokens):
    def app_bridge(route):
        token = make_session_token(SHOP)
        fresh_tokens.append(token)
        route.fulfill(status=200, content_type="text/javascript", body=BOUNCE_STUB % f'"{token}"')

    page.context.unroute("https://cdn.shopify.com/**")
    page.context.route("https://cdn.shopify.com/shopifycloud/app-bridge.js", app_bridge)
    page.context.route("https://cdn.shopify.com/shopifycloud/polaris.js", lambda route: route.abort())


@pytest.mark.parametrize("width", WIDTHS)
def test_an_expired_page_load_without_app_bridge_is_never_blank(make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    make_shop(SHOP)
    page.set_viewport_size({"width": width, "height": 700})
    query = embedded_query(SHOP, id_token=make_session_token(SHOP, exp_in=-120))
    page.goto(f"{page.server}/history?{query}")
    expect(page).to_have_url(re.compile(r"/auth/session-token\?"))
    expect(page.get_by_role("status")).to_contain_text("Refreshing your Shopify session")
    stuck = page.locator("#bounce-stuck")
    expect(stuck).to_be_visible(timeout=10000)
    expect(stuck).to_contain_text("couldn't be refreshed automatically")
    reopen = page.get_by_role("link", name="Open AssetLink again")
    expect(reopen).to_have_attribute("href", f"https://admin.shopify.com/store/acme/apps/{API_KEY}/history")
    expect(reopen).to_have_attribute("target", "_top")
    screenshot(page, f"session-expired-{width}.png")


def test_the_bounce_brings_a_fresh_token_and_the_page_loads(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id)
    fresh = []
    serve_bounce_stub(page, fresh)
    query = embedded_query(SHOP, id_token=make_session_token(SHOP, exp_in=-120))
    page.goto(f"{page.server}/history/{sync_id}?{query}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link to Products")
    expect(page.locator("#run-status")).to_have_text("Partially succeeded")
    assert any(f"id_token={token}" in page.url for token in fresh)


def test_an_in_page_action_gets_a_fresh_token_through_the_bounce_and_retries_once(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id)
    fresh = []
    serve_bounce_stub(page, fresh)
    calls = []
    page.on("request", lambda request: calls.append(request.headers.get("authorization"))
            if request.url.endswith("/report-link?format=json") else None)
    page.on("response", lambda response: calls.append(response.status)
            if response.url.endswith("/report-link?format=json") else None)

    # A token that the server still takes (10 s leeway) for a moment only.
    created = time.time()
    loaded_with = make_session_token(SHOP, exp_in=-7)
    page.goto(f"{page.server}/history/{sync_id}?{embedded_query(SHOP, id_token=loaded_with)}")
    expect(page.locator("#run-status")).to_have_text("Partially succeeded")
    assert "/auth/session-token" not in page.url
    page.wait_for_timeout(max(0, (created + 4.5 - time.time()) * 1000))  # now expired beyond the leeway

    with page.expect_download(timeout=15000) as info:
        page.get_by_role("button", name="Download JSON").click()
    assert info.value.suggested_filename == f"assetlink-sync-{sync_id}.json"
    # First the stale token (401), then, once, the bounce's fresh one.
    assert calls[0] == f"Bearer {loaded_with}" and calls[1] == 401
    assert calls[2] == f"Bearer {fresh[-1]}" and calls[3] == 200
    assert len(calls) == 4
    expect(page.locator("#page-error")).to_be_hidden()
    # The hidden frame is gone again.
    expect(page.locator("iframe")).to_have_count(0)


def test_without_any_fresh_token_the_page_says_so_and_offers_a_reload(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id)
    # cdn.shopify.com stays blocked: the bounce can't help in the page.
    created = time.time()
    page.goto(f"{page.server}/history/{sync_id}?"
              f"{embedded_query(SHOP, id_token=make_session_token(SHOP, exp_in=-7))}")
    expect(page.locator("#run-status")).to_have_text("Partially succeeded")
    page.wait_for_timeout(max(0, (created + 4.5 - time.time()) * 1000))
    page.get_by_role("button", name="Download JSON").click()
    banner = page.locator("#page-error")
    expect(banner).to_be_visible(timeout=15000)
    expect(banner).to_contain_text("Session expired")
    reload = banner.get_by_role("button", name="Reload")
    expect(reload).to_be_visible()
    reload.click()
    # Through the bounce, which says what is happening (never blank).
    expect(page).to_have_url(re.compile(r"/auth/session-token\?"))
    expect(page.get_by_role("status")).to_contain_text("Refreshing your Shopify session")
