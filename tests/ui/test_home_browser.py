"""The Home page in headless Chromium (cdn.shopify.com blocked), at 1280
and 400 px: the last run and its outcome, the set-up checklist with an
action per step, and links to help and Cloudinary."""
from __future__ import annotations

import re

import pytest

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import Shop
from tests.support import BROWSER, assert_nothing_cut_off, embedded_query

from .history_data import identical_rerun

pytestmark = BROWSER

SHOP = "acme.myshopify.com"
WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(400, id="phone")]


def open_home(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    assert page.goto(f"{page.server}/?{embedded_query(SHOP)}").status == 200


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_store_sees_what_to_do_first(make_shop, page, width):
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_home(page, width)
    steps = page.locator("#checklist > li")
    expect(steps).to_have_count(5)
    expect(page.locator("#checklist-progress")).to_have_text("1 of 5 steps done")
    expect(steps.nth(0)).to_contain_text("Done")
    connect = steps.nth(1)
    expect(connect).to_contain_text("To do")
    expect(connect.get_by_role("button", name="Open Settings")).to_be_visible()
    expect(steps.nth(2).get_by_role("button", name="Open Cloudinary")).to_be_visible()
    block = steps.nth(3)
    expect(block).to_contain_text("Check")  # the theme can't be read: said honestly
    expect(block.get_by_role("button", name="Open theme editor")).to_be_visible()
    expect(steps.nth(4).get_by_role("button", name="Open Settings")).to_be_visible()
    expect(page.locator("#last-run")).to_contain_text("No run yet")
    expect(page.get_by_role("link", name="AssetLink help (Cloudinary documentation)")).to_be_visible()
    expect(page.get_by_role("link", name="Open the Cloudinary Console")).to_have_attribute(
        "href", "https://console.cloudinary.com/")
    assert_nothing_cut_off(page)

    connect.get_by_role("button", name="Open Settings").click()
    expect(page).to_have_url(re.compile(r"/settings\?.*embedded=1"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_working_store_sees_its_last_run(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        credentials.redeem_code(credentials.current_code(shop), "acme-production", "Production")
        run = identical_rerun(shop_id)
    open_home(page, width)
    last = page.locator("#last-run")
    expect(last).to_contain_text("Link 12 assets in 4 groups by SKU (Overwrite)")
    expect(last).to_contain_text("Succeeded")
    expect(last).to_contain_text("Nothing to change")
    expect(page.locator("#checklist-progress")).to_have_text("3 of 5 steps done")
    expect(page.locator("#home-status")).to_have_text("Connected to Cloudinary: acme-production (Production).")
    assert_nothing_cut_off(page)
    screenshot(page, "home.png" if width == 1280 else "home-phone.png")
    page.get_by_role("button", name="View run").click()
    expect(page).to_have_url(re.compile(rf"/history/{run}\?"))
