"""The Sync history's JSON API (/app/api/syncs): the store's runs, one run's
per-product results, and the report download the page offers."""
from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import Shop, utcnow
from shopify_app.batch_views import REPORT_COLUMNS
from shopify_app.ui.api import ADMIN_KEYS
from tests.support import auth_header, make_session_token

from .history_data import add_sync, catalogue_run

SHOP = "acme.myshopify.com"
OTHER = "globex.myshopify.com"


def bridge_token(app, shop_domain: str) -> str:
    """A connected Cloudinary environment's token, to read what the bridge serves."""
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == shop_domain))
        return credentials.redeem_code(credentials.current_code(shop), "acme-production", None).token


def seed(app, shop_id, fn=add_sync, **kwargs) -> str:
    with app.app_context():
        return fn(shop_id, **kwargs)


# ---------------------------------------------------------------- list

def test_lists_every_kind_of_run_newest_first_with_status_and_progress(app, client, make_shop):
    shop_id = make_shop(SHOP)
    start = utcnow() - timedelta(hours=1)
    upload = seed(app, shop_id, kind="upload", status="succeeded", created_at=start)
    unlink = seed(app, shop_id, kind="unlink", status="failed", created_at=start + timedelta(minutes=1))
    running = seed(app, shop_id, status="running", dry_run=True, created_at=start + timedelta(minutes=2),
                   products_total=10, products_done=4, assets_total=30, assets_linked=0, failures=1)

    response = client.get("/app/api/syncs", headers=auth_header(SHOP))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert [s["id"] for s in body["syncs"]] == [running, unlink, upload]
    assert [s["kind"] for s in body["syncs"]] == ["sync", "unlink", "upload"]
    assert body["next_before"] is None
    first = body["syncs"][0]
    assert first["status"] == "running" and first["dry_run"] is True and first["finished_at"] is None
    assert first["progress"] == {"products_total": 10, "products_done": 4, "assets_total": 30,
                                 "assets_linked": 0, "failures": 1}
    assert first["cloud_name"] == "acme-production"


def test_a_list_entry_is_the_bridges_status_object(app, client, make_shop):
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, fn=catalogue_run)
    token = bridge_token(app, SHOP)
    bridge = client.get(f"/bridge/v1/syncs/{sync_id}", headers={"Authorization": f"Bearer {token}"}).get_json()
    [entry] = client.get("/app/api/syncs", headers=auth_header(SHOP)).get_json()["syncs"]
    assert {k: v for k, v in entry.items() if k not in ADMIN_KEYS} == bridge


def test_pages_with_a_cursor_without_gaps_or_repeats(app, client, make_shop):
    shop_id = make_shop(SHOP)
    same_instant = utcnow() - timedelta(minutes=5)
    with app.app_context():
        # Several runs created in the same microsecond: the cursor must still
        # split them cleanly (ties are broken by id).
        ids = [add_sync(shop_id, created_at=same_instant) for _ in range(4)]
        ids += [add_sync(shop_id, created_at=same_instant + timedelta(seconds=i + 1)) for i in range(3)]
    seen, before, pages = [], None, 0
    while True:
        query = "/app/api/syncs?limit=2" + (f"&before={before}" if before else "")
        page = client.get(query, headers=auth_header(SHOP)).get_json()
        pages += 1
        assert len(page["syncs"]) <= 2
        seen += [s["id"] for s in page["syncs"]]
        before = page["next_before"]
        if before is None:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == set(ids)
    assert seen[:3] == ids[4:][::-1]  # the newest three, newest first


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "limit=²", "before=not-a-cursor",
                                   "before=" + "A" * 12, "before=ü"])
def test_bad_paging_is_a_400_naming_the_parameter(client, make_shop, query):
    make_shop(SHOP)
    response = client.get(f"/app/api/syncs?{query}", headers=auth_header(SHOP))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


def test_empty_history(client, make_shop):
    make_shop(SHOP)
    assert client.get("/app/api/syncs", headers=auth_header(SHOP)).get_json() == {"syncs": [], "next_before": None}


# ---------------------------------------------------------------- isolation and auth

def test_another_stores_runs_are_invisible_and_404(app, client, make_shop):
    mine = seed(app, make_shop(SHOP), fn=catalogue_run)
    theirs = seed(app, make_shop(OTHER), fn=catalogue_run)
    assert [s["id"] for s in client.get("/app/api/syncs", headers=auth_header(SHOP)).get_json()["syncs"]] == [mine]
    for path in (f"/app/api/syncs/{theirs}", f"/app/api/syncs/{theirs}/report?format=csv"):
        response = client.get(path, headers=auth_header(SHOP))
        assert response.status_code == 404, path
        assert "Trail Runner" not in response.get_data(as_text=True)
    assert client.post(f"/app/api/syncs/{theirs}/report-link?format=csv", headers=auth_header(SHOP)).status_code == 404
    assert client.get(f"/app/api/syncs/{theirs}", headers=auth_header(OTHER)).status_code == 200
    assert client.get("/app/api/syncs/../syncs", headers=auth_header(SHOP)).status_code == 404
    assert client.get("/app/api/syncs/NOT-AN-ID", headers=auth_header(SHOP)).status_code == 404


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"},
    "expired", "wrong-secret",
])
def test_bad_session_tokens_get_401_with_the_retry_header(app, client, make_shop, headers):

    sync_id = seed(app, make_shop(SHOP), fn=catalogue_run)
    if headers == "expired":
        headers = {"Authorization": "Bearer " + make_session_token(SHOP, exp_in=-60)}
    elif headers == "wrong-secret":
        headers = {"Authorization": "Bearer " + make_session_token(SHOP, secret="not-the-app-secret-0123456789")}
    for method, path in (("GET", "/app/api/syncs"), ("GET", f"/app/api/syncs/{sync_id}"),
                         ("GET", f"/app/api/syncs/{sync_id}/report?format=csv"),
                         ("POST", f"/app/api/syncs/{sync_id}/report-link?format=csv")):
        response = client.open(path, method=method, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
        assert "Trail Runner" not in response.get_data(as_text=True)


def test_uninstalled_store_gets_401(app, client, make_shop):
    make_shop(SHOP, installed=False)
    assert client.get("/app/api/syncs", headers=auth_header(SHOP)).status_code == 401


# ---------------------------------------------------------------- one run

def test_detail_groups_report_rows_by_product_with_admin_links(app, client, make_shop):
    sync_id = seed(app, make_shop(SHOP), fn=catalogue_run)
    body = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()
    assert body["sync"]["id"] == sync_id and body["sync"]["status"] == "partially_succeeded"
    assert body["next_products_after"] is None
    products = body["products"]
    assert [p["product_title"] for p in products] == ["Trail Runner 2 — Black", "Trail Runner 2 — Sand",
                                                      "=Canvas Tote"]
    black = products[0]
    assert black["admin_path"] == "products/7001"
    assert black["admin_url"] == "https://admin.shopify.com/store/acme/products/7001"
    assert [r["action"] for r in black["rows"]] == ["created", "replaced", "unchanged"]
    assert set(black["rows"][0]) == {*REPORT_COLUMNS, "thumbnail_url", "media_alt", "media_file"}
    # Each asset's Cloudinary thumbnail: a small delivery URL of the run's cloud.
    assert black["rows"][0]["thumbnail_url"] == ("https://res.cloudinary.com/acme-production/image/upload/"
                                                 "c_fill,w_64,h_64,f_auto,q_auto/v1/shoes/tr2-black_front")
    # Details in a merchant's words.
    assert black["rows"][1]["detail"] == "the asset has a new version in Cloudinary"
    assert products[1]["rows"][1]["error"] == "Shopify couldn't process the video: the file is larger than 1 GB"
    assert products[2]["status"] == "failed"
    assert products[2]["error"] == "the product would have more than 250 media"
    assert [r["public_id"] for r in body["unmatched"]] == ["shoes/tr9-red_front"]
    assert body["unmatched"][0]["detail"] == "no product has SKU TR9-RED"


def test_detail_of_a_running_sync_lists_products_not_yet_done(app, client, make_shop):
    sync_id = seed(app, make_shop(SHOP), status="running", products_total=2, products_done=1, products=[
        {"id": "gid://shopify/Product/1", "title": "Done", "rows": [{"public_id": "a", "action": "created"}]},
        {"id": "gid://shopify/Product/2", "title": "Next", "status": "pending"}])
    products = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()["products"]
    assert [(p["product_title"], p["status"], len(p["rows"])) for p in products] == [("Done", "done", 1),
                                                                                    ("Next", "pending", 0)]


def test_detail_pages_through_many_products(app, client, make_shop):
    from shopify_app.ui.api import PRODUCTS_PAGE_SIZE

    total = PRODUCTS_PAGE_SIZE + 5
    sync_id = seed(app, make_shop(SHOP), products=[
        {"id": f"gid://shopify/Product/{n}", "title": f"P{n}", "rows": [{"public_id": f"p{n}", "action": "created"}]}
        for n in range(total)], unmatched=[{"public_id": "lost", "action": "skipped"}])
    first = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()
    assert len(first["products"]) == PRODUCTS_PAGE_SIZE
    assert [r["public_id"] for r in first["unmatched"]] == ["lost"]
    assert all(p["rows"][0]["public_id"] == f"p{i}" for i, p in enumerate(first["products"]))
    after = first["next_products_after"]
    second = client.get(f"/app/api/syncs/{sync_id}?products_after={after}", headers=auth_header(SHOP)).get_json()
    assert [p["product_title"] for p in second["products"]] == [f"P{n}" for n in range(PRODUCTS_PAGE_SIZE, total)]
    assert second["unmatched"] == [] and second["next_products_after"] is None
    for bad in ("-1", "²", "x"):
        response = client.get(f"/app/api/syncs/{sync_id}?products_after={bad}", headers=auth_header(SHOP))
        assert response.status_code == 400, bad


def test_rows_of_a_run_without_product_plans_are_grouped_by_product(app, client, make_shop):
    """An upload or unlink may write report rows without per-product plans."""
    shop_id = make_shop(SHOP)
    with app.app_context():
        sync_id = add_sync(shop_id, kind="unlink")
        from shopify_app.models import SyncItem
        db.session.add_all([
            SyncItem(sync_id=sync_id, seq=1, product_id="gid://shopify/Product/5", product_title="Five",
                     public_id="a", action="removed"),
            SyncItem(sync_id=sync_id, seq=2, product_id="gid://shopify/Product/5", product_title="Five",
                     public_id="b", action="removed")])
        db.session.commit()
    products = client.get(f"/app/api/syncs/{sync_id}", headers=auth_header(SHOP)).get_json()["products"]
    assert [(p["product_title"], p["admin_path"], [r["public_id"] for r in p["rows"]]) for p in products] == [
        ("Five", "products/5", ["a", "b"])]


# ---------------------------------------------------------------- report download

def test_report_download_is_the_bridges_report(app, client, make_shop):
    sync_id = seed(app, make_shop(SHOP), fn=catalogue_run)
    token = bridge_token(app, SHOP)
    bridge = {"Authorization": f"Bearer {token}"}

    csv_response = client.get(f"/app/api/syncs/{sync_id}/report?format=csv", headers=auth_header(SHOP))
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"] == f'attachment; filename="assetlink-sync-{sync_id}.csv"'
    bridge_csv = client.get(f"/bridge/v1/syncs/{sync_id}/report?format=csv", headers=bridge)
    assert csv_response.get_data() == bridge_csv.get_data()
    table = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True))))
    assert tuple(table[0]) == REPORT_COLUMNS
    assert len(table) == 1 + 7
    assert "'=Canvas Tote" in {row[1] for row in table}  # a formula is never run by a spreadsheet

    json_response = client.get(f"/app/api/syncs/{sync_id}/report?format=json", headers=auth_header(SHOP))
    assert json_response.headers["Content-Disposition"] == f'attachment; filename="assetlink-sync-{sync_id}.json"'
    assert json.loads(json_response.get_data()) == client.get(f"/bridge/v1/syncs/{sync_id}/report",
                                                              headers=bridge).get_json()
    assert client.get(f"/app/api/syncs/{sync_id}/report?format=xlsx", headers=auth_header(SHOP)).status_code == 400


def test_signed_report_link_downloads_without_a_header_for_one_report_only(app, client, make_shop):
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, fn=catalogue_run)
    other_run = seed(app, shop_id, fn=catalogue_run)
    link = client.post(f"/app/api/syncs/{sync_id}/report-link?format=csv", headers=auth_header(SHOP)).get_json()
    assert link["filename"] == f"assetlink-sync-{sync_id}.csv" and link["expires_in"] == 60
    url = urlsplit(link["url"])
    assert url.path == f"/app/api/syncs/{sync_id}/report"
    signed = parse_qs(url.query)["token"][0]

    download = client.get(link["url"])  # no Authorization header
    assert download.status_code == 200
    assert download.get_data() == client.get(f"/app/api/syncs/{sync_id}/report?format=csv",
                                             headers=auth_header(SHOP)).get_data()
    # The signature covers the run and the format.
    assert client.get(f"/app/api/syncs/{other_run}/report?format=csv&token={signed}").status_code == 401
    assert client.get(f"/app/api/syncs/{sync_id}/report?format=json&token={signed}").status_code == 401
    assert client.get(f"/app/api/syncs/{sync_id}/report?format=csv&token={signed[:-2]}xx").status_code == 401


def test_signed_report_link_expires_and_dies_with_the_install(app, client, make_shop, monkeypatch):
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, fn=catalogue_run)
    url = client.post(f"/app/api/syncs/{sync_id}/report-link?format=csv", headers=auth_header(SHOP)).get_json()["url"]
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 61)
    expired = client.get(url)
    monkeypatch.setattr(time, "time", real_time)
    assert expired.status_code == 401 and "expired" in expired.get_json()["detail"]
    assert client.get(url).status_code == 200
    with app.app_context():
        db.session.get(Shop, shop_id).uninstalled_at = utcnow()
        db.session.commit()
    assert client.get(url).status_code == 401


def test_report_link_from_another_app_secret_is_refused(app, client, make_shop):
    shop_id = make_shop(SHOP)
    sync_id = seed(app, shop_id, fn=catalogue_run)
    url = client.post(f"/app/api/syncs/{sync_id}/report-link?format=csv", headers=auth_header(SHOP)).get_json()["url"]
    app.config["SECRET_KEY"] = "another-deployment-secret-0123456789"
    assert client.get(url).status_code == 401
