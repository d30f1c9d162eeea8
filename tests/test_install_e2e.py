"""Install to uninstall against the Shopify simulator, over real HTTP.

The simulator registers the app from shopify.app.toml, opens it in a shop's
admin (a signed first load with an ID token), serves token exchange and
refresh, and delivers app/uninstalled and shop/redact to the app's webhook
addresses. The app runs as a live server so the simulator can reach it; a
real rq worker does the queued work.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tests.support import API_KEY, API_SECRET
from rq import Queue
from tests.server_thread import ServerThread
from tests.simulator_fixture import start_sim

from jobs import queues
from shopify_app import credentials, crypto
from shopify_app.auth import tokens
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, Shop, utcnow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stack(app):
    """The simulator and the app, each on its own loopback port."""
    sim = start_sim(register=False)  # each test registers the app as it needs
    live = ServerThread(app)
    app.config.update(SHOPIFY_SHOP_ORIGIN=sim.shop_origin, APP_URL=live.base_url,
                      REDIS_KEY_PREFIX=f"{app.config['REDIS_KEY_PREFIX']}-{uuid.uuid4().hex[:6]}")
    live.start()
    try:
        yield sim, sim.app, live
    finally:
        live.stop()
        sim.stop()
        connection = queues.redis_connection(app.config)
        for name in queues.all_queue_names(app.config):
            queue = Queue(name, connection=connection)
            for registry in (queue.failed_job_registry, queue.finished_job_registry, queue.canceled_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)
            queue.empty()


def test_install_open_refresh_uninstall_redact(app, client, stack, run_worker):
    sim, sim_app, live = stack
    domain = f"e2e-{uuid.uuid4().hex[:8]}.myshopify.com"
    sim.call("POST", "/_sim/apps", json={
        "toml": (ROOT / "shopify.app.toml").read_text(), "client_id": API_KEY, "client_secret": API_SECRET,
        "application_url": live.base_url, "redirect_urls": [live.base_url + "/auth/callback"]})
    sim.create_shop(domain)

    # The merchant opens the app in the admin: the first load installs it.
    opened = sim.call("GET", f"/_sim/shops/{domain}/apps/{API_KEY}/open")
    first_load = urlsplit(opened.headers["Location"])
    assert f"{first_load.scheme}://{first_load.netloc}" == live.base_url
    response = client.get(f"{first_load.path or '/'}?{first_load.query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]

    # After the install a job fills in the shop's details and creates
    # AssetLink's metafield definitions, so merchants and themes see them.
    result = run_worker(app.config, "default")
    assert result.returncode == 0, result.stderr
    sim_shop = sim.call("GET", f"/_sim/shops/{domain}").json()
    definitions = {(d["namespace"], d["key"], d["ownerType"]) for d in sim_shop["metafieldDefinitions"]}
    assert {("cloudinary", "productmedia_v1", "PRODUCT"), ("cloudinary", "swatch", "PRODUCT"),
            ("cloudinary", "swatch", "PRODUCTVARIANT")} <= definitions

    state = sim_app.extensions["sim_state"]
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == domain))
        assert shop.is_installed
        assert shop.name == sim_shop["name"] and shop.currency == sim_shop["currency"]
        access_token = crypto.decrypt(shop.access_token_enc)
        issued = state.tokens[access_token]
        assert issued.refresh_token is not None and issued.shop == domain  # an expiring offline token
        assert crypto.decrypt(shop.refresh_token_enc) == issued.refresh_token
        assert shop.access_token_expires_at - utcnow() > timedelta(minutes=55)

        # An hour later: the token is refreshed against the simulator.
        shop.access_token_expires_at = utcnow() + timedelta(minutes=1)
        db.session.commit()
        refreshed = tokens.access_token_for(shop)
        assert refreshed != access_token and state.tokens[refreshed].shop == domain
        api_key = credentials.create_api_key(shop, "CI").token
        shop_id = shop.id

    # The merchant uninstalls: Shopify revokes the tokens and sends app/uninstalled.
    sim.call("POST", f"/_sim/shops/{domain}/apps/{API_KEY}/uninstall")
    attempted = sim.call("POST", "/_sim/webhooks/deliver", json={}).json()["attempted"]
    assert [(d["topic"], d["status"]) for d in attempted] == [("app/uninstalled", "delivered")]
    assert attempted[0]["attempts"][0]["response_status"] == 200

    result = run_worker(app.config, "webhooks")
    assert result.returncode == 0, result.stderr
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert shop.uninstalled_at is not None and shop.access_token_enc is None and shop.refresh_token_enc is None
        assert credentials.authenticate(api_key) is None
        assert db.session.scalar(db.select(BridgeCredential.revoked_at)) is not None

    # 48 hours later: shop/redact deletes what is left.
    attempted = sim.call("POST", "/_sim/webhooks/deliver", json={"everything": True}).json()["attempted"]
    assert [(d["topic"], d["status"]) for d in attempted] == [("shop/redact", "delivered")]
    result = run_worker(app.config, "webhooks")
    assert result.returncode == 0, result.stderr
    with app.app_context():
        assert db.session.get(Shop, shop_id) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(BridgeCredential)) == 0


def test_reinstall_after_uninstall_starts_clean(app, client, stack, run_worker):
    sim, sim_app, live = stack
    domain = f"e2e-{uuid.uuid4().hex[:8]}.myshopify.com"
    sim.call("POST", "/_sim/apps", json={
        "toml": (ROOT / "shopify.app.toml").read_text(), "client_id": API_KEY, "client_secret": API_SECRET,
        "application_url": live.base_url})
    sim.create_shop(domain)

    def open_app():
        location = urlsplit(sim.call("GET", f"/_sim/shops/{domain}/apps/{API_KEY}/open").headers["Location"])
        return client.get(f"{location.path or '/'}?{location.query}")

    assert open_app().status_code == 200
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == domain))
        old_key = credentials.create_api_key(shop, "CI").token
    sim.call("POST", f"/_sim/shops/{domain}/apps/{API_KEY}/uninstall")
    sim.call("POST", "/_sim/webhooks/deliver", json={})
    assert run_worker(app.config, "webhooks").returncode == 0

    assert open_app().status_code == 200  # reinstalled by opening it again
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == domain))
        assert shop.is_installed
        assert sim_app.extensions["sim_state"].tokens[crypto.decrypt(shop.access_token_enc)].refresh_token
        assert credentials.authenticate(old_key) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(BridgeCredential)
                                 .where(BridgeCredential.shop_id == shop.id)) == 0


def test_a_legacy_offline_token_is_migrated_at_the_simulator(app, stack):
    sim, sim_app, live = stack
    domain = f"e2e-{uuid.uuid4().hex[:8]}.myshopify.com"
    sim.call("POST", "/_sim/apps", json={"client_id": API_KEY, "client_secret": API_SECRET,
                                             "application_url": live.base_url, "scopes": "write_products,write_files"})
    sim.create_shop(domain)
    legacy = sim.issue_token(domain, expiring=False)
    assert "refresh_token" not in legacy
    with app.app_context():
        shop = Shop(domain=domain, installed_at=utcnow(), scopes=legacy["scope"],
                    access_token_enc=crypto.encrypt(legacy["access_token"]))
        db.session.add(shop)
        db.session.commit()
        token = tokens.access_token_for(shop)
    state = sim_app.extensions["sim_state"]
    assert state.tokens[legacy["access_token"]].revoked
    assert state.tokens[token].refresh_token is not None


def test_code_grant_install_at_the_simulator(app, client, stack):
    """/auth/install → the shop's authorize page → /auth/callback, with the
    simulator signing the callback as Shopify does."""
    sim, sim_app, live = stack
    domain = f"e2e-{uuid.uuid4().hex[:8]}.myshopify.com"
    sim.call("POST", "/_sim/apps", json={
        "toml": (ROOT / "shopify.app.toml").read_text(), "client_id": API_KEY, "client_secret": API_SECRET,
        "application_url": live.base_url, "redirect_urls": [live.base_url + "/auth/callback"]})
    sim.create_shop(domain)

    start = client.get("/auth/install", query_string={"shop": domain})
    assert start.status_code == 302
    authorize = requests.get(start.headers["Location"], allow_redirects=False, timeout=30)
    assert authorize.status_code == 302, authorize.text[:300]
    callback = urlsplit(authorize.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == live.base_url + "/auth/callback"

    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    assert done.headers["Location"].endswith(f"/apps/{API_KEY}")
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == domain))
        issued = sim_app.extensions["sim_state"].tokens[crypto.decrypt(shop.access_token_enc)]
        assert issued.refresh_token is not None  # expiring=1 was honoured
        assert shop.scopes == "write_products,write_files"

    # The same signed callback replayed (another browser, no state cookie) fails.
    other_browser = app.test_client()
    assert other_browser.get(f"{callback.path}?{callback.query}").status_code == 403
