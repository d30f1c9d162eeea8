"""The Sync history page in real headless Chromium, cdn.shopify.com blocked:
a running sync's progress moves and its status flips without a reload, the
page stops polling once nothing runs, and the report downloads as a file."""
from __future__ import annotations

import csv
import io
import re
import time
from datetime import timedelta
from pathlib import Path

from shopify_app.extensions import db
from shopify_app.models import Sync, SyncItem, SyncProduct, utcnow
from shopify_app.sync_views import REPORT_COLUMNS

from .conftest import auth_header, embedded_query
from .history_data import add_sync, catalogue_run
# The Settings page's browser, server, page and screenshot fixtures, as they are.
from .test_settings_browser import browser, page, pytestmark, screenshot, server  # noqa: F401

SHOP = "acme.myshopify.com"


def open_history(page, path="/history"):
    response = page.goto(f"{page.server}{path}?{embedded_query(SHOP)}")
    assert response.status == 200
    assert response.headers["content-security-policy"] == f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    return response


def update_sync(app, sync_id, **fields):
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        for name, value in fields.items():
            setattr(sync, name, value)
        db.session.commit()


def test_running_sync_progress_moves_and_status_flips_without_reload(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        catalogue_run(shop_id, created_at=utcnow() - timedelta(hours=2))
        running = add_sync(shop_id, status="running", products_total=4, products_done=1, assets_total=8,
                           assets_linked=2, products=[
                               {"id": f"gid://shopify/Product/{n}", "title": f"Boot {n}",
                                "status": "done" if n == 1 else "pending",
                                "rows": [{"public_id": f"boots/{n}", "action": "created", "position": 1}] if n == 1
                                else []} for n in range(1, 5)])
    polls = []
    page.on("request", lambda request: polls.append(time.monotonic())
            if request.url.split("?")[0].endswith("/app/api/syncs") else None)

    open_history(page)
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)
    row = table.get_by_role("row").filter(has_text="Running")
    bar = row.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "1")
    expect(bar).to_have_attribute("max", "4")
    expect(bar).to_have_accessible_name(re.compile(r"Link to Products run of .*: 1 of 4 products"))
    expect(row).to_contain_text("1 of 4 products")
    expect(row).to_contain_text("In progress")
    page.evaluate("window.__samePage = true")

    # The worker moves on: the bar follows without a reload.
    update_sync(app, running, products_done=3, assets_linked=6)
    expect(bar).to_have_attribute("value", "3")
    expect(row).to_contain_text("3 of 4 products")
    expect(row.get_by_role("cell").nth(5)).to_have_text("6")

    update_sync(app, running, products_done=4, assets_linked=8, status="succeeded", finished_at=utcnow())
    done_row = table.get_by_role("row").nth(1)
    expect(done_row).to_contain_text("Succeeded")
    expect(done_row).to_contain_text("4 of 4 products")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.locator("#history-status")).to_contain_text("Succeeded")
    assert page.evaluate("window.__samePage") is True

    # Nothing runs any more: polling stops.
    settled = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == settled
    assert settled >= 3


def test_run_detail_and_report_download(app, make_shop, page, screenshot):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        add_sync(shop_id, kind="upload", created_at=start, products_total=0, assets_total=12, assets_linked=12)
        add_sync(shop_id, kind="unlink", status="failed", created_at=start + timedelta(hours=3),
                 errors=[{"message": "the connection was revoked"}])
        add_sync(shop_id, dry_run=True, created_at=start + timedelta(hours=5), products_total=40,
                 products_done=40, assets_total=96)
        sync_id = catalogue_run(shop_id, created_at=start + timedelta(hours=20))
        add_sync(shop_id, status="running", created_at=utcnow() - timedelta(minutes=1), products_total=250,
                 products_done=95, assets_total=720, assets_linked=281)

    open_history(page)
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(6)
    expect(table.get_by_role("row").filter(has_text="Dry run")).to_contain_text("Succeeded")
    expect(table.get_by_role("row").filter(has_text="Upload to Files")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "95")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sync history")).to_have_attribute(
        "aria-current", "page")
    screenshot(page, "sync-history.png")

    row = table.get_by_role("row").filter(has_text="Partially succeeded")
    row.get_by_role("button", name=re.compile("^View Link to Products run")).click()
    expect(page).to_have_url(re.compile(rf"/history/{sync_id}\?.*embedded=1"))
    expect(page.locator("#run-status")).to_have_text("Partially succeeded")
    facts = page.locator("#run-facts")
    expect(facts).to_contain_text("3 of 3")
    expect(facts).to_contain_text("4 of 6")
    expect(page.locator("#run-errors")).to_contain_text("the product would have more than 250 media")

    products = page.locator("#products-table")
    link = products.get_by_role("link", name="Trail Runner 2 — Black")
    # No App Bridge here: the admin's own URL, opened at the top.
    expect(link).to_have_attribute("href", "https://admin.shopify.com/store/acme/products/7001")
    expect(link).to_have_attribute("target", "_top")
    for action in ("Created", "Replaced", "Unchanged", "Moved", "Failed"):
        expect(products.get_by_text(action, exact=True).first).to_be_visible()
    expect(products).to_contain_text("Shopify couldn't process the video: the file is larger than 1 GB")
    expect(products).to_contain_text("the asset has a new version in Cloudinary")
    unmatched = page.locator("#unmatched-section")
    expect(unmatched).to_contain_text("shoes/tr9-red_front")
    expect(unmatched).to_contain_text("no product has SKU TR9-RED")
    screenshot(page, "sync-history-run.png")

    # Shopify mobile: rows stack, and each asset row still names its product.
    page.set_viewport_size({"width": 390, "height": 844})
    repeated = products.locator(".product-cell.continued .repeat").first
    expect(repeated).to_be_visible()
    expect(repeated).to_have_text("Trail Runner 2 — Black")
    import os
    if os.environ.get("HISTORY_NARROW_SHOT"):
        page.screenshot(path=os.environ["HISTORY_NARROW_SHOT"], full_page=True)
    page.set_viewport_size({"width": 1024, "height": 800})

    with page.expect_download() as info:
        page.get_by_role("button", name="Download report (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"assetlink-sync-{sync_id}.csv"
    content = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert len(rows) == 8
    with app.app_context():
        assert len(rows) - 1 == db.session.scalar(
            db.select(db.func.count()).select_from(SyncItem).where(SyncItem.sync_id == sync_id))
    assert {r[4] for r in rows[1:]} == {"created", "replaced", "unchanged", "moved", "failed", "skipped"}
    expect(page.locator("#history-status")).to_contain_text(f"Downloading assetlink-sync-{sync_id}.csv")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSON").click()
    assert info.value.suggested_filename == f"assetlink-sync-{sync_id}.json"

    page.get_by_role("button", name="All runs").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(6)


def test_running_run_detail_updates_and_dry_run_reads_as_a_plan(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = add_sync(shop_id, status="running", dry_run=True, products_total=2, products_done=1, products=[
            {"id": "gid://shopify/Product/1", "title": "Boot", "rows": [{"public_id": "boots/1", "action": "created"}]},
            {"id": "gid://shopify/Product/2", "title": "Sandal", "status": "pending"}])
    open_history(page, f"/history/{sync_id}")
    bar = page.locator("#run-progress").get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "1")
    products = page.locator("#products-table")
    expect(products.get_by_text("Would create")).to_be_visible()
    expect(products.get_by_role("row").filter(has_text="Sandal")).to_contain_text("Waiting")

    with app.app_context():
        db.session.execute(db.update(SyncProduct).where(SyncProduct.sync_id == sync_id,
                                                         SyncProduct.product_id == "gid://shopify/Product/2")
                           .values(status="done"))
        db.session.add(SyncItem(sync_id=sync_id, seq=2_000_000, product_id="gid://shopify/Product/2",
                                product_title="Sandal", public_id="sandals/2", action="created", position=1))
        sync = db.session.get(Sync, sync_id)
        sync.products_done, sync.status, sync.finished_at = 2, "succeeded", utcnow()
        db.session.commit()
    expect(page.locator("#run-status")).to_have_text("Succeeded")
    expect(page.locator("#run-progress")).to_be_hidden()
    expect(products.get_by_role("row").filter(has_text="sandals/2")).to_contain_text("Would create")


def test_empty_state_points_to_cloudinary(app, make_shop, page):
    from playwright.sync_api import expect

    make_shop(SHOP)
    open_history(page)
    empty = page.locator("#history-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No syncs yet")
    expect(empty).to_contain_text("Shopify AssetLink")
    expect(page.get_by_role("table")).to_be_hidden()


def test_another_stores_run_is_not_found(app, make_shop, page):
    from playwright.sync_api import expect

    make_shop(SHOP)
    with app.app_context():
        theirs = catalogue_run(make_shop("globex.myshopify.com"))
    open_history(page, f"/history/{theirs}")
    banner = page.locator("#page-error")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Run not found")
    expect(page.get_by_text("Trail Runner")).to_have_count(0)


def test_with_app_bridge_product_links_use_the_admin_protocol(app, make_shop, page, client):
    from playwright.sync_api import expect

    from tests.conftest import make_session_token

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id)
    page.expose_function("assetlinkTestIdToken", lambda: make_session_token(SHOP))
    page.add_init_script("window.shopify = { idToken: () => window.assetlinkTestIdToken() };")
    open_history(page, f"/history/{sync_id}")
    link = page.locator("#products-table").get_by_role("link", name="Trail Runner 2 — Sand")
    expect(link).to_have_attribute("href", "shopify://admin/products/7002")
    assert client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).status_code == 200


def test_older_runs_load_on_request(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    start = utcnow() - timedelta(days=3)
    with app.app_context():
        for n in range(23):
            add_sync(shop_id, created_at=start + timedelta(minutes=n), products_total=n, products_done=n)
    open_history(page)
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(1 + 20)
    expect(rows.nth(1)).to_contain_text("22 of 22 products")
    page.get_by_role("button", name="Show older runs").click()
    expect(rows).to_have_count(1 + 23)
    expect(rows.nth(23)).to_contain_text("No products")  # the oldest, last
    expect(page.get_by_role("button", name="Show older runs")).to_be_hidden()
