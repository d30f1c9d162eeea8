"""The Settings page in real headless Chromium, with cdn.shopify.com blocked
(as for a merchant whose network or extension blocks it): the page must still
read well, and Copy, Regenerate, Disconnect, Generate and Revoke must work."""
from __future__ import annotations

import re

import pytest

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import Shop
from tests.support import BROWSER, assert_nothing_cut_off, embedded_query, make_session_token

SHOP = "acme.myshopify.com"

pytestmark = BROWSER


def open_settings(page, fragment=""):
    response = page.goto(f"{page.server}/settings?{embedded_query(SHOP)}{fragment}")
    assert response.status == 200
    assert response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    assert any("app-bridge.js" in url for url in page.blocked) and any("polaris.js" in url for url in page.blocked)
    return response


def current_code(app) -> str:
    with app.app_context():
        return credentials.current_code(db.session.scalar(db.select(Shop).where(Shop.domain == SHOP)))


def redeem(app, code, cloud_name, label=None):
    with app.app_context():
        issued = credentials.redeem_code(code, cloud_name, label)
        return None if issued is None else issued.token


def authenticates(app, token) -> bool:
    with app.app_context():
        return credentials.authenticate(token) is not None


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_connection_tab(app, make_shop, page, screenshot):
    from playwright.sync_api import expect

    make_shop(SHOP)
    response = open_settings(page)
    code_input = page.get_by_label("Connection code")
    expect(code_input).to_have_value(re.compile(r"^alc_[A-Za-z0-9_-]{32}$"))
    code = code_input.input_value()
    assert code == current_code(app)
    assert code not in response.text()  # the HTML carries no code; app.js fetched it
    expect(page.get_by_text("No Cloudinary environment is connected yet")).to_be_visible()
    expect(page.get_by_role("button", name="AssetLink App in Cloudinary")).to_have_attribute("aria-pressed", "true")

    # Copy
    page.get_by_role("button", name="Copy").click()
    assert clipboard(page) == code
    expect(page.get_by_role("status").first).to_have_text("Connection code copied to the clipboard.")
    expect(page.get_by_role("button", name="Copied")).to_be_visible()

    # Regenerate: a new code, and the old one no longer connects.
    page.get_by_role("button", name="Regenerate").click()
    expect(code_input).not_to_have_value(code)
    expect(code_input).to_have_value(re.compile(r"^alc_"))
    regenerated = code_input.input_value()
    assert redeem(app, code, "too-late") is None
    assert regenerated == current_code(app)

    # Cloudinary connects with the code; back on the page, the used code is
    # replaced and the environment is listed.
    production = redeem(app, regenerated, "acme-production", "Production")
    assert production is not None
    staging = redeem(app, current_code(app), "acme-staging", "Staging")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(code_input).not_to_have_value(regenerated)
    assert code_input.input_value() == current_code(app)
    production_row = table.get_by_role("row").filter(has_text="acme-production")
    expect(production_row).to_contain_text("Production")
    expect(production_row).to_contain_text("Never")
    expect(page.get_by_text("No Cloudinary environment is connected yet")).to_be_hidden()

    expect(page.get_by_role("status").first).to_contain_text("A new code is ready")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # "Copied" lasts 2 s
    screenshot(page, "settings-connection.png")

    # Disconnect asks first; Cancel keeps the environment.
    production_row.get_by_role("button", name="Disconnect acme-production").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Disconnect acme-production?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert authenticates(app, production)

    production_row.get_by_role("button", name="Disconnect acme-production").click()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).not_to_contain_text("acme-production")
    assert not authenticates(app, production)
    assert authenticates(app, staging)


def test_api_keys_tab(app, make_shop, page, screenshot):
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_settings(page)
    tab = page.get_by_role("button", name="API Keys")
    tab.click()
    expect(tab).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Connection code")).to_be_hidden()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()

    # An empty label is refused before anything is created.
    label = page.get_by_label("Label", exact=True)
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("Enter a label, for example “PIM import”.")).to_be_visible()
    expect(label).to_have_attribute("aria-invalid", "true")

    label.fill("MediaFlows")
    label.press("Enter")  # Enter submits, as in a native form
    key_input = page.get_by_label("API key", exact=True)
    expect(key_input).to_have_value(re.compile(r"^alk_[A-Za-z0-9_-]{32}$"))
    first_key = key_input.input_value()
    expect(label).to_have_value("")

    label.fill("PIM nightly import")
    page.get_by_role("button", name="Generate").click()
    expect(key_input).not_to_have_value(first_key)
    key = key_input.input_value()
    assert authenticates(app, key) and authenticates(app, first_key)
    expect(page.get_by_label("Webhook signing secret")).to_have_value(re.compile(r"^als_"))

    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)
    row = table.get_by_role("row").filter(has_text="PIM nightly import")
    expect(row).to_contain_text(key[:credentials.DISPLAY_PREFIX_LENGTH] + "…")
    expect(row).to_contain_text("Never")
    assert key not in table.inner_text()

    page.get_by_role("button", name="Copy").first.click()
    assert clipboard(page) == key
    expect(page.get_by_role("status").filter(has_text="API key copied")).to_be_visible()

    expect(page.get_by_role("button", name="Copy", exact=True)).to_have_count(2)  # "Copied" lasts 2 s
    screenshot(page, "settings-api-keys.png")

    # Revoke asks, then the key stops working and leaves the list.
    table.get_by_role("button", name="Revoke MediaFlows").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(first_key[:credentials.DISPLAY_PREFIX_LENGTH])
    dialog.get_by_role("button", name="Revoke key").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).not_to_contain_text("MediaFlows")
    assert not authenticates(app, first_key)
    assert authenticates(app, key)

    # "I've saved the key" drops it from the page; a reload never shows it again.
    page.get_by_role("button", name="I've saved the key").click()
    expect(key_input).to_be_hidden()
    assert key not in page.content()
    open_settings(page, "#api-keys")
    expect(page.get_by_role("button", name="API Keys")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("table")).to_contain_text("PIM nightly import")
    assert key not in page.content()


def test_keyboard_only_copy(app, make_shop, page):
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_settings(page)
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    copy = page.get_by_role("button", name="Copy")
    copy.focus()
    page.keyboard.press("Enter")
    assert clipboard(page) == current_code(app)


def test_copy_falls_back_to_exec_command(app, make_shop, page):
    """Without clipboard API access (an iframe without the permission), the
    execCommand path still copies."""
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_settings(page)
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    page.evaluate("""() => {
        window.__copied = null;
        navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
        document.addEventListener('copy', (e) => { window.__copied = document.getSelection().toString(); });
    }""")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("window.__copied") == current_code(app)


def test_expired_session_says_reload(app, make_shop, page):
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_settings(page)
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    # The page's token no longer verifies (as after its minute is up); with
    # no App Bridge to mint a new one, the merchant is told to reload.
    app.config["SHOPIFY_API_SECRET"] = "rotated-secret-0123456789abcdef"
    page.get_by_role("button", name="Regenerate").click()
    alert = page.locator("#page-error")
    # First a fresh token is tried through the bounce (no App Bridge here, so none comes).
    expect(alert).to_be_visible(timeout=15000)
    expect(alert).to_contain_text("Session expired")
    expect(alert.get_by_role("button", name="Reload")).to_be_visible()


def test_home_page(app, make_shop, page):
    from playwright.sync_api import expect

    make_shop(SHOP)
    redeem(app, current_code(app), "acme-production")
    response = page.goto(f"{page.server}/?{embedded_query(SHOP)}")
    assert response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    expect(page.get_by_role("heading", name="AssetLink", exact=True)).to_be_visible()
    expect(page.locator("#home-status")).to_have_text("Connected to Cloudinary: acme-production.")
    expect(page.get_by_role("navigation")).to_contain_text("Settings")

    # In-app links keep the embedded query, so the next page authenticates.
    page.get_by_role("button", name="Open settings", exact=True).click()
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    assert "embedded=1" in page.url and "/settings?" in page.url
    page.get_by_role("navigation").get_by_role("link", name="Home").click()
    expect(page.locator("#home-status")).to_contain_text("Connected to Cloudinary")


@pytest.mark.parametrize("width", [1280, 400])
def test_settings_fit_a_phone_and_status_messages_clear_themselves(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    make_shop(SHOP)
    redeem(app, current_code(app), "acme-production-with-a-long-cloud-name", "Production")
    page.set_viewport_size({"width": width, "height": 900})
    open_settings(page)
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    expect(page.locator("#environments-table")).to_be_visible()
    assert_nothing_cut_off(page)
    page.get_by_role("button", name="Regenerate").click()
    status = page.locator("#connection-status")
    expect(status).to_contain_text("New code generated")
    expect(page.locator(".toast")).to_contain_text("New code generated")
    # Cleared after a few seconds, toast and all.
    expect(status).to_be_empty(timeout=9000)
    expect(page.locator(".toast")).to_have_count(0)

    page.get_by_role("button", name="API Keys").click()
    page.get_by_label("Label").fill("PIM nightly import for the spring catalogue")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_label("API key", exact=True)).to_have_value(re.compile(r".+"))
    assert_nothing_cut_off(page)
    if width == 400:
        screenshot(page, "settings-api-keys-phone.png")


def test_with_app_bridge_each_call_gets_a_fresh_token_and_a_stale_one_is_retried(app, make_shop, page):
    """In the admin, App Bridge's `shopify.idToken()` mints the tokens. The
    real script can't load here, so the test plays App Bridge's part: its
    first token is already expired, and the page must retry with a new one."""
    from playwright.sync_api import expect


    make_shop(SHOP)
    minted = []

    def mint() -> str:
        minted.append(make_session_token(SHOP, exp_in=-60) if not minted else make_session_token(SHOP))
        return minted[-1]

    page.expose_function("assetlinkTestIdToken", mint)
    page.add_init_script("""window.shopify = {
        idToken: () => window.assetlinkTestIdToken(),
        toast: { show: (message) => { (window.toasts = window.toasts || []).push(message); } },
    };""")
    open_settings(page)
    expect(page.get_by_label("Connection code")).to_have_value(re.compile(r"^alc_"))
    expect(page.locator("#page-error")).to_be_hidden()
    assert len(minted) >= 3  # connection (stale, then retried) and API keys
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert "Connection code copied to the clipboard." in page.evaluate("window.toasts")


def test_files_clean_up_is_opt_in(app, make_shop, page):
    """The setting behind "Remove AssetLink files no product uses" (admin-undo's
    GET/PUT /app/api/files/cleanup/settings; served here by the test until
    that work is merged)."""
    from playwright.sync_api import expect

    make_shop(SHOP)
    stored = {"enabled": False}
    puts = []

    def setting(route):
        if route.request.method == "PUT":
            puts.append(route.request.post_data_json)
            stored.update(route.request.post_data_json)
        route.fulfill(status=200, json=stored)

    page.route(re.compile(r".*/app/api/files/cleanup/settings$"), setting)
    open_settings(page, "#files")
    box = page.get_by_label("Allow AssetLink to remove its own files that no product uses")
    expect(box).to_be_enabled()
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("#cleanup-status")).to_contain_text("Clean-up is on")
    assert puts == [{"enabled": True}]
    assert_nothing_cut_off(page)


def test_with_several_environments_a_new_key_names_its_own(app, make_shop, page):
    """Issue 10.7 in the admin: with more than one Cloudinary environment
    connected, the merchant picks the one a new API key delivers from."""
    from playwright.sync_api import expect

    make_shop(SHOP)
    redeem(app, current_code(app), "acme-production", "Production")
    redeem(app, current_code(app), "acme-staging", "Staging")
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_json)
            if request.method == "POST" and request.url.endswith("/app/api/api-keys") else None)
    open_settings(page, "#api-keys")
    environment = page.get_by_label("Cloudinary environment")
    expect(environment).to_be_visible()
    environment.select_option("acme-staging")
    page.get_by_label("Label").fill("Staging PIM")
    page.get_by_role("button", name="Generate").click()
    row = page.locator("#api-keys-body s-table-row").filter(has_text="Staging PIM")
    expect(row).to_contain_text("acme-staging")
    assert sent == [{"label": "Staging PIM", "cloud_name": "acme-staging"}]
    assert_nothing_cut_off(page)
