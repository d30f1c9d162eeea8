"""The Sync history pages in real headless Chromium, cdn.shopify.com blocked
(no App Bridge, no Polaris), at desktop (1280 px) and phone (400 px) widths:
runs a person can tell apart, honest outcomes, waiting and failing visibly,
a progress bar that moves, loading and empty states, thumbnails, the
Abort/Retry/Undo buttons, and the report download."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from shopify_app.extensions import db
from shopify_app.models import BatchRetry, Sync, SyncItem, SyncProduct, utcnow
from shopify_app.batch_views import REPORT_COLUMNS
from tests.support import BROWSER, assert_nothing_cut_off, auth_header, embedded_query, make_session_token

from .history_data import (add_sync, catalogue_run, identical_rerun, sync_request, unlink_run, upload_run)

pytestmark = BROWSER

SHOP = "acme.myshopify.com"
WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(400, id="phone")]


def open_history(page, path="/history", width=1280):
    page.set_viewport_size({"width": width, "height": 900})
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


def fake_thumbnail(route):
    """Cloudinary can't be reached from here: a small image in a colour of
    the asset stands in for the delivered thumbnail."""
    hue = sum((i + 1) * b for i, b in enumerate(route.request.url.encode())) % 360
    route.fulfill(status=200, content_type="image/svg+xml", body=(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        f'<rect width="64" height="64" fill="hsl({hue},45%,70%)"/>'
        f'<circle cx="32" cy="28" r="14" fill="hsl({hue},45%,45%)"/></svg>'))


def test_running_sync_progress_moves_and_status_flips_without_reload(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        catalogue_run(shop_id, created_at=utcnow() - timedelta(hours=2))
        running = add_sync(shop_id, status="running", products_total=4, products_done=1, assets_total=8,
                           assets_linked=2, request=sync_request(8, 4), products=[
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
    expect(row).to_contain_text("Link 8 assets in 4 groups by SKU (Overwrite)")
    bar = row.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "1")
    expect(bar).to_have_attribute("max", "4")
    expect(bar).to_have_accessible_name("Link 8 assets in 4 groups by SKU (Overwrite): 1 of 4 products")
    expect(row).to_contain_text("1 of 4 products")
    page.evaluate("window.__samePage = true")

    # The worker moves on: the bar follows without a reload.
    update_sync(app, running, products_done=3, assets_linked=6)
    expect(bar).to_have_attribute("value", "3")
    expect(row).to_contain_text("3 of 4 products")

    update_sync(app, running, products_done=4, assets_linked=8, status="succeeded", finished_at=utcnow())
    done_row = table.get_by_role("row").nth(1)
    expect(done_row).to_contain_text("Succeeded")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.locator("#history-status")).to_contain_text("Succeeded")
    # The status message shows as a toast and clears itself.
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Succeeded")
    expect(toast).to_have_count(0, timeout=9000)
    expect(page.locator("#history-status")).to_be_empty()
    assert page.evaluate("window.__samePage") is True

    # Nothing runs any more: polling stops.
    settled = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == settled
    assert settled >= 3


@pytest.mark.parametrize("width", WIDTHS)
def test_the_list_tells_runs_apart_and_says_why_they_wait(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        upload_run(shop_id, created_at=start)
        unlink_run(shop_id, created_at=start + timedelta(hours=1))
        add_sync(shop_id, dry_run=True, created_at=start + timedelta(hours=2), products_total=40, products_done=40,
                 assets_total=96, request=sync_request(96, 40, field="barcode"))
        identical_rerun(shop_id, created_at=start + timedelta(hours=3))
        add_sync(shop_id, status="failed", created_at=start + timedelta(hours=4), request=sync_request(3, 1),
                 errors=[{"message": "Shopify refused the app's access to this store; open the app to reauthorize."}])
        catalogue_run(shop_id, created_at=start + timedelta(hours=5), request=sync_request(6, 3, link_mode="append"))
        running = add_sync(shop_id, status="running", created_at=utcnow() - timedelta(minutes=13),
                           products_total=250, products_done=95, assets_total=720, assets_linked=281,
                           request=sync_request(720, 250))
        db.session.add(BatchRetry(sync_id=running, attempt=1, attempts_max=3, reason="Shopify didn't answer",
                                  failed_at=utcnow(), retry_at=utcnow() + timedelta(minutes=2)))
        db.session.commit()
        queued = add_sync(shop_id, status="queued", kind="unlink", created_at=utcnow() - timedelta(minutes=1),
                          request={"product_ids": ["gid://shopify/Product/1"], "public_ids": ["a", "b"]})

    open_history(page, width=width)
    table = page.locator("#history-table")
    rows = table.locator("s-table-body > s-table-row")
    expect(rows).to_have_count(8)
    expect(page.locator("[data-loading]")).to_be_hidden()
    # Each run says what it was and where it came from.
    expect(rows.filter(has_text="Dry run: Link 96 assets in 40 groups by barcode")).to_contain_text("Dry run")
    expect(rows.filter(has_text="Upload 3 assets to Shopify Files")).to_contain_text(
        "2 files created in Shopify Files, 1 reused.")
    expect(rows.filter(has_text="Unlink 1 asset from 2 products")).to_contain_text("Removed 2 assets from 2 products.")
    expect(rows.filter(has_text="Link 6 assets in 3 groups by SKU (Append)")).to_contain_text(
        "Cloudinary: acme-production")
    # An identical re-run: nothing to change, not "linked 12 of 12".
    expect(rows.filter(has_text="Link 12 assets")).to_contain_text("Nothing to change")
    # Waiting and failing visibly.
    retrying = table.locator(f'[data-id="{running}"]')
    expect(retrying).to_contain_text("Retrying")
    expect(retrying).to_contain_text(re.compile(r"Interrupted: Shopify didn't answer\. AssetLink tries again at .+ "
                                                r"\(attempt 1 of 3\)"))
    expect(retrying.get_by_role("progressbar")).to_have_attribute("value", "95")
    if width == 1280:
        # The retry time passes and the job runs again: said, not hidden.
        with app.app_context():
            db.session.execute(db.update(BatchRetry).values(retry_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        page.reload()
        expect(retrying).to_contain_text("Going on after an interruption (last: Shopify didn't answer).")
        with app.app_context():
            db.session.execute(db.update(BatchRetry).values(retry_at=utcnow() + timedelta(minutes=2)))
            db.session.commit()
        page.reload()
        expect(retrying).to_contain_text("Retrying")
    expect(table.locator(f'[data-id="{queued}"]')).to_contain_text(
        "Waiting for “Link 720 assets in 250 groups by SKU (Overwrite)” to finish")
    expect(rows.filter(has_text="Link 3 assets")).to_contain_text("Shopify refused the app's access")
    expect(page.get_by_role("navigation").get_by_role("link", name="Sync history")).to_have_attribute(
        "aria-current", "page")
    assert_nothing_cut_off(page)
    screenshot(page, "sync-history.png" if width == 1280 else "sync-history-phone.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_run_detail_title_thumbnails_and_report_download(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id, request={**sync_request(6, 3), "assets": [
            {"public_id": p, "resource_type": "video" if p.endswith("360") else "image", "type": "upload",
             "metadata": {"sku": p.split("/")[1][:7]}}
            for p in ("shoes/tr2-black_front", "shoes/tr2-black_side", "shoes/tr2-black_sole",
                      "shoes/tr2-sand_front", "shoes/tr2-sand_360", "bags/tote_front")]})
    thumbnails = []

    def cloudinary(route):
        thumbnails.append(route.request.url)
        fake_thumbnail(route)

    page.context.route("https://res.cloudinary.com/**", cloudinary)

    open_history(page, f"/history/{sync_id}", width=width)
    # The run's title is the page's heading (one heading, with a back action).
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Link 6 assets in 3 groups by SKU (Overwrite)")
    expect(page.get_by_role("heading", name="Sync history")).to_have_count(0)
    expect(page).to_have_title("Link 6 assets in 3 groups by SKU (Overwrite) · AssetLink")
    back = page.get_by_role("link", name="Back to Sync history")
    expect(back).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("Partially succeeded")
    facts = page.locator("#run-facts")
    expect(facts).to_contain_text("Overwrite: replaces the product's media at the same positions")
    expect(facts).to_contain_text("Cloudinary SKU to Shopify SKU")
    expect(facts).to_contain_text("3 of 3")
    expect(page.locator("#run-errors")).to_contain_text("the product would have more than 250 media")

    products = page.locator("#products-table")
    link = products.get_by_role("link", name="Trail Runner 2 — Black")
    # No App Bridge here: the admin's own URL, opened at the top.
    expect(link).to_have_attribute("href", "https://admin.shopify.com/store/acme/products/7001")
    expect(link).to_have_attribute("target", "_top")
    for action in ("Added", "Refreshed", "Already in place", "Moved", "Failed"):
        expect(products.get_by_text(action, exact=True).first).to_be_visible()
    expect(products).to_contain_text("Shopify couldn't process the video: the file is larger than 1 GB")
    # Thumbnails: a small Cloudinary delivery URL per asset (a still frame for a video).
    expect(products.locator(".thumb img")).to_have_count(6)
    assert any("/image/upload/c_fill,w_64,h_64,f_auto,q_auto/" in url and url.endswith("shoes/tr2-black_front")
               for url in thumbnails)
    assert any("/video/upload/so_auto,c_fill,w_64,h_64,f_auto,q_auto/" in url and url.endswith("tr2-sand_360.jpg")
               for url in thumbnails)
    unmatched = page.locator("#unmatched-section")
    expect(unmatched).to_contain_text("shoes/tr9-red_front")
    assert_nothing_cut_off(page)
    screenshot(page, "sync-history-run.png" if width == 1280 else "sync-history-run-phone.png")

    if width == 400:
        repeated = products.locator(".product-cell.continued .repeat").first
        expect(repeated).to_be_visible()
        expect(repeated).to_have_text("Trail Runner 2 — Black")
        back.click()
        expect(page).to_have_url(re.compile(r"/history\?.*embedded=1"))
        return

    with page.expect_download() as info:
        page.get_by_role("button", name="Download report (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"assetlink-sync-{sync_id}.csv"
    content = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(content)))
    assert tuple(rows[0]) == REPORT_COLUMNS
    with app.app_context():
        assert len(rows) - 1 == db.session.scalar(
            db.select(db.func.count()).select_from(SyncItem).where(SyncItem.sync_id == sync_id))
    expect(page.locator("#history-status")).to_contain_text(f"Downloading assetlink-sync-{sync_id}.csv")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_upload_lists_the_files_it_created(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        upload = upload_run(shop_id)
    page.context.route("https://res.cloudinary.com/**", fake_thumbnail)
    open_history(page, f"/history/{upload}", width=width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload 3 assets to Shopify Files")
    files = page.locator("#files-table")
    expect(files.locator("s-table-body > s-table-row")).to_have_count(3)
    expect(page.locator("#products-section")).to_be_hidden()
    expect(page.locator("#unmatched-section")).to_be_hidden()
    first = files.locator("s-table-body > s-table-row").nth(0)
    expect(first.get_by_role("link", name="Open in Files")).to_have_attribute(
        "href", "https://admin.shopify.com/store/acme/content/files/500")
    expect(first.get_by_role("link", name="View file")).to_have_attribute(
        "href", "https://cdn.shopify.com/s/files/1/0001/files/spring_0.jpg")
    expect(files.locator("s-table-body > s-table-row").nth(2)).to_contain_text(
        "already in Files from an earlier upload, reused")
    expect(page.locator("#run-facts")).to_contain_text("Files created")
    assert_nothing_cut_off(page)
    screenshot(page, f"sync-history-upload-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_unlink_and_removed_merchant_media_read_in_plain_words(app, make_shop, page, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        unlink = unlink_run(shop_id)
        reset = add_sync(shop_id, request=sync_request(1, 1, link_mode="reset"), products_total=1, products_done=1,
                         products=[{"id": "gid://shopify/Product/1", "title": "Canvas Tote", "rows": [
                             {"public_id": "shoes/g0_0", "action": "created", "position": 1},
                             {"public_id": None, "action": "removed", "media_id": "gid://shopify/MediaImage/5",
                              "detail": "reset: not in the synced group; media alt text: “Red tote, front”"},
                             {"public_id": None, "action": "removed", "media_id": "gid://shopify/MediaImage/6",
                              "detail": "reset: not in the synced group"}]}])
    page.context.route("https://res.cloudinary.com/**", fake_thumbnail)
    open_history(page, f"/history/{unlink}", width=width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unlink 1 asset from 2 products")
    expect(page.locator("#run-line")).to_have_text("Removed 2 assets from 2 products.")
    expect(page.locator("#run-facts")).to_contain_text("Assets removed")
    expect(page.locator("#products-table")).to_contain_text("taken off the product as asked")
    assert_nothing_cut_off(page)

    open_history(page, f"/history/{reset}", width=width)
    products = page.locator("#products-table")
    expect(products).to_contain_text("Your media “Red tote, front”")
    expect(products).to_contain_text("Media added in Shopify (no alt text)")
    expect(products).to_contain_text("taken off: Reset keeps only the synced assets")
    expect(page.locator("#run-line")).to_have_text("1 added, 2 removed.")
    assert_nothing_cut_off(page)


def test_a_running_upload_counts_files(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        upload = upload_run(shop_id, status="running", assets_total=10)
    open_history(page)
    bar = page.locator(f'[data-id="{upload}"]').get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "3")
    expect(bar).to_have_attribute("max", "10")
    expect(page.locator(f'[data-id="{upload}"]')).to_contain_text("3 of 10 files")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_failed_run_shows_its_error_and_retries(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        failed = add_sync(shop_id, status="failed", request=sync_request(3, 1),
                          errors=[{"message": "Shopify didn't answer, even after retries."}])
    retried = []

    def retry_endpoint(route):
        # admin-undo's POST /app/api/syncs/<id>/retry (contract in ownership.md): 202 {"id": new run}.
        retried.append(route.request.headers.get("authorization"))
        with app.app_context():
            new_id = add_sync(shop_id, status="queued", request=sync_request(3, 1))
        route.fulfill(status=202, json={"id": new_id})

    page.route(re.compile(rf".*/app/api/syncs/{failed}/retry$"), retry_endpoint)
    open_history(page, f"/history/{failed}", width=width)
    expect(page.locator("#run-line")).to_contain_text("Shopify didn't answer, even after retries.")
    expect(page.locator("#run-errors")).to_be_visible()
    retry = page.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_hidden()
    assert_nothing_cut_off(page)
    screenshot(page, f"sync-history-failed-{width}.png")
    retry.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link 3 assets in 1 group by SKU (Overwrite)")
    expect(page.locator("#run-status")).to_have_text("Queued")
    assert failed not in page.url
    assert retried and retried[0].startswith("Bearer ")


def test_abort_and_undo_follow_the_runs_actions(app, make_shop, page, screenshot):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        running = add_sync(shop_id, status="running", products_total=4, products_done=1, request=sync_request())
        done = identical_rerun(shop_id)
    aborted = []

    def abort_endpoint(route):
        aborted.append(route.request.method)
        update_sync(app, running, abort_requested=True, status="aborted", finished_at=utcnow())
        route.fulfill(status=202, json={"id": running, "status": "running"})

    page.route(re.compile(rf".*/app/api/syncs/{running}/abort$"), abort_endpoint)
    open_history(page, f"/history/{running}")
    abort = page.get_by_role("button", name="Abort")
    expect(abort).to_be_visible()
    abort.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Abort this run?")
    dialog.get_by_role("button", name="Abort run").click()
    expect(page.locator("#run-status")).to_have_text("Aborted")
    expect(page.locator("#run-line")).to_contain_text("Stopped on request after 1 of 4 products")
    expect(abort).to_be_hidden()
    assert aborted == ["POST"]
    screenshot(page, "sync-history-aborted.png")

    # Undo, with the products it would leave alone, as admin-undo's status object says.
    def with_actions(route):
        response = route.fetch()
        body = json.loads(response.text())
        body["sync"]["actions"] = {"abort": False, "retry": True, "undo": True,
                                   "undo_refused": [{"product_id": "gid://shopify/Product/801",
                                                     "product_title": "Trail Runner 1",
                                                     "reason": "its gallery changed after this run"}]}
        route.fulfill(response=response, json=body)

    page.route(re.compile(rf".*/app/api/syncs/{done}$"), with_actions)
    page.route(re.compile(rf".*/app/api/syncs/{done}/undo$"),
               lambda route: route.fulfill(status=202, json={"id": done}))
    open_history(page, f"/history/{done}")
    expect(page.locator("#undo-refused")).to_contain_text("Trail Runner 1: its gallery changed after this run")
    screenshot(page, "sync-history-undo-refused.png")
    page.get_by_role("button", name="Undo").click()
    page.get_by_role("dialog").get_by_role("button", name="Undo run").click()
    expect(page.locator("#history-status")).to_contain_text("Undo started.")
    page.unroute_all(behavior="ignoreErrors")


@pytest.mark.parametrize("width", WIDTHS)
def test_empty_state_has_actions_and_loading_shows_a_skeleton(app, make_shop, page, screenshot, width):
    from playwright.sync_api import expect

    make_shop(SHOP)
    release = []

    def slow(route):
        release.append(route)

    page.route(re.compile(r".*/app/api/syncs$"), slow)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{page.server}/history?{embedded_query(SHOP)}")
    loading = page.locator("[data-loading]")
    expect(loading).to_be_visible()
    expect(loading).to_have_attribute("role", "status")
    expect(loading.locator(".skeleton-line")).to_have_count(4)
    while not release:
        page.wait_for_timeout(50)
    release[0].continue_()
    empty = page.locator("#history-empty")
    expect(empty).to_be_visible()
    expect(loading).to_be_hidden()
    expect(empty).to_contain_text("No runs yet")
    expect(empty.get_by_role("button", name="Open Cloudinary")).to_be_visible()
    expect(empty.get_by_role("button", name="Connect Cloudinary")).to_be_visible()
    expect(page.locator("#history-table")).to_be_hidden()
    assert_nothing_cut_off(page)
    screenshot(page, f"sync-history-empty-{width}.png")


def test_files_clean_up_previews_first_and_asks_before_removing(app, make_shop, page):
    from playwright.sync_api import expect

    shop_id = make_shop(SHOP)
    with app.app_context():
        identical_rerun(shop_id)
    asked = []

    def cleanup(route):
        # admin-undo's POST /app/api/files/cleanup -> 202 {"id": run id}
        asked.append(route.request.post_data_json)
        if not route.request.post_data_json["dry_run"]:
            route.fulfill(status=409, json={"title": "Conflict", "status": 409, "detail": (
                "Removing files is off for this store: turn on \"Remove AssetLink files no product uses\" in "
                "Settings first, or ask for a dry run.")})
            return
        with app.app_context():
            run_id = add_sync(shop_id, status="queued", request={"dry_run": True})
        route.fulfill(status=202, json={"id": run_id})

    page.route(re.compile(r".*/app/api/files/cleanup$"), cleanup)
    open_history(page)
    page.get_by_role("button", name="Remove AssetLink files no product uses").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Files you added yourself are never touched")
    dialog.get_by_role("button", name="Remove files").click()
    expect(page.locator("#page-error")).to_contain_text("Removing files is off for this store")
    page.get_by_role("button", name="Preview unused files").click()
    expect(page).to_have_url(re.compile(r"/history/[0-9a-f]{32}\?"))
    assert asked == [{"dry_run": False}, {"dry_run": True}]


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

    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = catalogue_run(shop_id)
    page.expose_function("assetlinkTestIdToken", lambda: make_session_token(SHOP))
    toasts = []
    page.expose_function("assetlinkToast", lambda message: toasts.append(message))
    page.add_init_script("window.shopify = { idToken: () => window.assetlinkTestIdToken(),"
                         " toast: { show: (m) => window.assetlinkToast(m) } };")
    open_history(page, f"/history/{sync_id}")
    link = page.locator("#products-table").get_by_role("link", name="Trail Runner 2 — Sand")
    expect(link).to_have_attribute("href", "shopify://admin/products/7002")
    assert client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).status_code == 200
    # Status messages go to App Bridge's toast, not the page's own.
    page.get_by_role("button", name="Download JSON").click()
    expect(page.locator("#history-status")).to_contain_text("Downloading")
    expect(page.locator(".toast")).to_have_count(0)
    assert toasts and toasts[0].startswith("Downloading assetlink-sync-")


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
    page.get_by_role("button", name="Show older runs").click()
    expect(rows).to_have_count(1 + 23)
    expect(page.get_by_role("button", name="Show older runs")).to_be_hidden()


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
    expect(products.get_by_text("Would add")).to_be_visible()
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
    expect(products.get_by_role("row").filter(has_text="sandals/2")).to_contain_text("Would add")
