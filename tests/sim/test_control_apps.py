"""The simulator's control API for apps: registration (from JSON or a
shopify.app.toml), direct tokens, managed installs, uninstall, triggered
webhooks and the delivery log."""
from __future__ import annotations

import pytest

from shopify_sim.control_apps import prepend_application_url

from .sim_auth_support import CLIENT_ID, CLIENT_SECRET, SHOP


def test_register_from_toml_resolves_relative_uris(sim):
    app = sim.state.apps[CLIENT_ID]
    assert app.client_secret == CLIENT_SECRET
    assert app.scopes == ["write_products", "write_files"]
    assert app.redirect_urls == ["https://assetlink.example.test/auth/callback"]
    assert app.webhook_api_version == "2026-07"
    assert ("app/uninstalled", "https://assetlink.example.test/webhooks/app") in app.webhooks
    assert ("app/scopes_update", "https://assetlink.example.test/webhooks/app") in app.webhooks
    assert {t for t, u in app.webhooks if u.endswith("/webhooks/compliance")} == {
        "customers/data_request", "customers/redact", "shop/redact"}


def test_registering_again_updates_the_app(sim):
    response = sim.client.post("/_sim/apps", json={"client_id": CLIENT_ID, "client_secret": "rotated",
                                                   "application_url": "http://127.0.0.1:5000",
                                                   "scopes": "read_products"})
    assert response.status_code == 200
    body = response.get_json()
    assert "client_secret" not in body
    assert body["scopes"] == ["read_products"] and body["webhooks"] == []
    assert sim.state.apps[CLIENT_ID].client_secret == "rotated"


def test_register_from_json_fields(sim):
    response = sim.client.post("/_sim/apps", json={
        "client_id": "json-app", "client_secret": "s3cret", "application_url": "http://127.0.0.1:5000/",
        "scopes": ["write_products", " write_files "], "redirect_urls": ["http://127.0.0.1:5000/auth/callback"],
        "webhooks": [{"topics": ["app/uninstalled"], "uri": "/webhooks/app"}]})
    assert response.status_code == 201
    app = sim.state.apps["json-app"]
    assert app.scopes == ["write_products", "write_files"]
    assert app.webhooks == [("app/uninstalled", "http://127.0.0.1:5000/webhooks/app")]


@pytest.mark.parametrize("body, message", [
    ({"client_id": "x", "application_url": "https://a.test"}, "client_secret"),
    ({"client_id": "x", "client_secret": "s"}, "application_url"),
    ({"client_secret": "s", "application_url": "https://a.test"}, "client_id"),
    ({"client_id": "x", "client_secret": "s", "application_url": "ftp://a.test"}, "http"),
    ({"client_secret": "s", "toml": "client_id = "}, "does not parse"),
    ({"client_id": "x", "client_secret": "s", "application_url": "https://a.test",
      "webhooks": [{"topics": ["app/uninstalled"]}]}, "uri"),
    ({"client_id": "x", "client_secret": "s", "application_url": "https://a.test",
      "webhooks": [{"compliance_topics": ["orders/create"], "uri": "/w"}]}, "topics"),
    ({"client_id": "x", "client_secret": "s", "application_url": "https://a.test",
      "redirect_urls": "https://a.test/cb"}, "redirect_urls"),
])
def test_register_rejects_bad_input(sim, body, message):
    response = sim.client.post("/_sim/apps", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert "x" not in sim.state.apps


def test_register_rejects_non_object_body(sim):
    assert sim.client.post("/_sim/apps", json=[1, 2]).status_code == 400


def test_uri_resolution_follows_shopify_cli():
    assert prepend_application_url("/webhooks", "https://a.test/") == "https://a.test/webhooks"
    assert prepend_application_url("/webhooks", "https://a.test/app") == "https://a.test/app/webhooks"
    assert prepend_application_url("https://b.test/w", "https://a.test") == "https://b.test/w"
    assert prepend_application_url("pubsub://project:topic", "https://a.test") == "pubsub://project:topic"


def test_access_token_issued_directly(sim):
    response = sim.client.post(f"/_sim/shops/{SHOP}/access_tokens",
                               json={"client_id": CLIENT_ID, "scopes": "read_products"})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"access_token", "scope"} and body["scope"] == "read_products"
    token = sim.state.lookup_token(body["access_token"])
    assert token.shop == SHOP and token.client_id == CLIENT_ID and token.expires_at is None
    assert CLIENT_ID in sim.state.shops[SHOP].installed_apps


def test_expiring_access_token_issued_directly(sim):
    body = sim.client.post(f"/_sim/shops/{SHOP}/access_tokens",
                           json={"client_id": CLIENT_ID, "expiring": True}).get_json()
    assert body["scope"] == "write_products,write_files"
    assert body["expires_in"] == 3600 and body["refresh_token"] in sim.state.refresh_tokens


@pytest.mark.parametrize("path", ["access_tokens", "installs"])
def test_unknown_shop_or_app_is_404(sim, path):
    assert sim.client.post(f"/_sim/shops/nowhere.myshopify.com/{path}",
                           json={"client_id": CLIENT_ID}).status_code == 404
    assert sim.client.post(f"/_sim/shops/{SHOP}/{path}", json={"client_id": "nope"}).status_code == 404
    assert sim.client.post(f"/_sim/shops/{SHOP}/{path}", json={}).status_code == 404


def test_managed_install_records_the_install_without_a_token(sim):
    first = sim.client.post(f"/_sim/shops/{SHOP}/installs", json={"client_id": CLIENT_ID})
    assert first.status_code == 201
    assert first.get_json() == {"shop": SHOP, "client_id": CLIENT_ID, "scopes": ["write_products", "write_files"]}
    assert sim.client.post(f"/_sim/shops/{SHOP}/installs", json={"client_id": CLIENT_ID}).status_code == 200
    assert CLIENT_ID in sim.state.shops[SHOP].installed_apps
    assert not sim.state.tokens


def test_uninstall_when_not_installed_is_409(sim):
    response = sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall")
    assert response.status_code == 409
    assert not sim.state.webhook_deliveries


def test_uninstall_reports_the_webhooks_it_queued(sim):
    sim.client.post(f"/_sim/shops/{SHOP}/installs", json={"client_id": CLIENT_ID})
    body = sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall").get_json()
    assert body["uninstalled"] is True
    assert [(w["topic"], w["status"]) for w in body["webhooks"]] == [("app/uninstalled", "pending"),
                                                                   ("shop/redact", "pending")]
    assert body["webhooks"][0]["headers"]["X-Shopify-Shop-Domain"] == SHOP


def test_trigger_webhooks(sim):
    shop_redact = sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={"client_id": CLIENT_ID})
    assert shop_redact.status_code == 202
    assert shop_redact.get_json()["webhooks"][0]["payload"]["shop_domain"] == SHOP
    custom = sim.client.post(f"/_sim/shops/{SHOP}/webhooks/customers/redact",
                             json={"payload": {"customer": {"id": 5, "email": "a@b.test", "phone": None}}})
    assert custom.get_json()["webhooks"][0]["payload"]["customer"]["id"] == 5
    scopes = sim.client.post(f"/_sim/shops/{SHOP}/webhooks/app/scopes_update",
                             json={"payload": {"previous": ["read_products"], "current": ["write_products"]}})
    assert scopes.status_code == 202
    assert sim.client.post(f"/_sim/shops/{SHOP}/webhooks/app/scopes_update", json={}).status_code == 400
    assert sim.client.post(f"/_sim/shops/{SHOP}/webhooks/orders/create", json={"payload": {}}).status_code == 422
    assert sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={"payload": [1]}).status_code == 400
    assert sim.client.post("/_sim/shops/nowhere.myshopify.com/webhooks/shop/redact", json={}).status_code == 404


def test_delivery_log_filters_and_deliver_now(sim, receiver_factory):
    receiver = receiver_factory([200])
    sim.register(application_url=receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/shop/redact", json={})
    sim.client.post(f"/_sim/shops/{SHOP}/webhooks/customers/redact", json={})
    log = sim.client.get("/_sim/webhooks").get_json()["deliveries"]
    assert [row["topic"] for row in log] == ["shop/redact", "customers/redact"]
    assert sim.client.get("/_sim/webhooks?topic=shop/redact&status=pending").get_json()["deliveries"][0][
        "uri"] == receiver.url + "/webhooks/compliance"
    attempted = sim.client.post("/_sim/webhooks/deliver").get_json()["attempted"]
    assert [row["status"] for row in attempted] == ["delivered", "delivered"]
    assert len(receiver.received) == 2
    assert sim.client.get("/_sim/webhooks?status=pending").get_json()["deliveries"] == []


def test_deliver_everything_ignores_the_schedule(sim, receiver_factory):
    receiver = receiver_factory([200])
    sim.register(application_url=receiver.url)
    sim.client.post(f"/_sim/shops/{SHOP}/installs", json={"client_id": CLIENT_ID})
    sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall")
    assert len(sim.client.post("/_sim/webhooks/deliver").get_json()["attempted"]) == 1
    everything = sim.client.post("/_sim/webhooks/deliver", json={"everything": True}).get_json()["attempted"]
    assert [row["topic"] for row in everything] == ["shop/redact"]
