"""The run controls against admin-undo's real endpoints (no worker runs
here, so a new run stays queued): Retry runs the same request again as a
new run, Abort stops a queued run at once, and the files clean-up is a
preview unless the store turned it on in Settings."""
from __future__ import annotations

import re

import pytest

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import BROWSER, assert_nothing_cut_off, embedded_query

from .history_data import add_sync, identical_rerun, sync_request

pytestmark = BROWSER

SHOP = "acme.myshopify.com"


def open_page(page, path, width=1280):
    page.set_viewport_size({"width": width, "height": 900})
    assert page.goto(f"{page.server}{path}?{embedded_query(SHOP)}").status == 200


@pytest.mark.parametrize("width", [1280, 400])
def test_retry_runs_the_same_request_again(app, make_shop, page, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        failed = add_sync(shop_id, status="failed", request=sync_request(3, 1),
                          errors=[{"message": "Shopify didn't answer, even after retries."}])
    open_page(page, f"/history/{failed}", width)
    expect(page.locator("#run-line")).to_have_text("Shopify didn't answer, even after retries.")
    page.get_by_role("button", name="Retry").click()
    expect(page).to_have_url(re.compile(r"/history/(?!%s)[0-9a-f]{32}\?" % failed))
    expect(page.get_by_role("heading", level=1)).to_have_text("Link 3 assets in 1 group by SKU (Overwrite)")
    expect(page.locator("#run-status")).to_have_text("Queued")
    assert_nothing_cut_off(page)
    with app.app_context():
        runs = db.session.scalars(db.select(Sync).where(Sync.shop_id == shop_id)).all()
        assert len(runs) == 2 and runs[0].request == runs[1].request


def test_abort_stops_a_queued_run_and_offers_retry(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        queued = add_sync(shop_id, status="queued", request=sync_request(4, 2))
    open_page(page, f"/history/{queued}")
    page.get_by_role("button", name="Abort").click()
    page.get_by_role("dialog").get_by_role("button", name="Abort run").click()
    expect(page.locator("#run-status")).to_have_text("Aborted")
    expect(page.get_by_role("button", name="Abort")).to_be_hidden()
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()  # a queued run changed nothing


def test_files_clean_up_is_a_preview_until_turned_on(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        identical_rerun(shop_id)
    open_page(page, "/history")
    page.get_by_role("button", name="Remove AssetLink files no product uses").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove files").click()
    expect(page.locator("#page-error")).to_contain_text("Removing files is off for this store")

    open_page(page, "/settings")
    page.get_by_role("button", name="Files clean-up").click()
    box = page.get_by_label("Allow AssetLink to remove its own files that no product uses")
    expect(box).to_be_enabled()
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("#cleanup-status")).to_contain_text("Clean-up is on")

    open_page(page, "/history")
    page.get_by_role("button", name="Preview unused files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: AssetLink files no product uses")
    open_page(page, "/history")
    page.get_by_role("button", name="Remove AssetLink files no product uses").click()
    page.get_by_role("dialog").get_by_role("button", name="Remove files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove AssetLink files no product uses")
    expect(page.locator("#run-line")).to_contain_text("Waiting for")  # behind the preview, one at a time


def test_undo_is_a_run_of_its_own_linked_to_the_run_it_undoes(app, make_shop, page, screenshot):
    from playwright.sync_api import expect

    from shopify_app.models import RunSnapshot

    shop_id = make_shop(SHOP)
    with app.app_context():
        done = identical_rerun(shop_id)
        # What the executor records for undo (admin-undo): before and after of a product the run changed.
        db.session.add(RunSnapshot(sync_id=done, product_id="gid://shopify/Product/800",
                                   before={"gallery": [], "productmedia": None},
                                   after={"gallery": ["gid://shopify/MediaImage/900"], "productmedia": "[]"}))
        db.session.commit()
    open_page(page, f"/history/{done}")
    page.get_by_role("button", name="Undo").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Media you added yourself are never deleted")
    dialog.get_by_role("button", name="Undo run").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Undo: Link 12 assets in 4 groups by SKU (Overwrite)")
    expect(page.locator("#run-facts").get_by_role("link", name="Link 12 assets in 4 groups by SKU (Overwrite)")) \
        .to_be_visible()
    expect(page.get_by_role("button", name="Abort")).to_be_visible()  # an undo can be aborted like any run
    screenshot(page, "sync-history-undo.png")


@pytest.mark.parametrize("width", [1280, 400])
def test_a_clean_up_preview_lists_the_files_it_checked(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    rows = [
        {"public_id": "shoes/old_front", "action": "removed", "media_id": "gid://shopify/MediaImage/41",
         "detail": "dry run: would be deleted from Files: no product, variant or metafield uses it"},
        {"public_id": "shoes/tr2-black_front", "action": "skipped", "media_id": "gid://shopify/MediaImage/42",
         "detail": "kept: a product uses it"},
        {"public_id": "shoes/gone", "action": "unchanged", "media_id": "gid://shopify/MediaImage/43",
         "detail": "already gone from Files"}]
    with app.app_context():
        preview = add_sync(shop_id, kind="cleanup", dry_run=True, request={"dry_run": True}, unmatched=rows,
                           products_total=3, products_done=3, assets_total=3)
    page.context.route("https://res.cloudinary.com/**", lambda route: route.abort())
    open_page(page, f"/history/{preview}", width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview: AssetLink files no product uses")
    expect(page.locator("#run-line")).to_have_text(
        "Would remove 1 unused AssetLink file; 1 kept because something still uses them.")
    files = page.locator("#files-table")
    expect(files).to_contain_text("Would remove")
    expect(files).to_contain_text("Kept")
    expect(files).to_contain_text("Already gone")
    expect(page.locator("#unmatched-section")).to_be_hidden()
    expect(files.get_by_role("link", name="Open in Files").first).to_have_attribute(
        "href", "https://admin.shopify.com/store/acme/content/files/41")
    assert_nothing_cut_off(page)
    screenshot(page, f"files-cleanup-preview-{width}.png")
