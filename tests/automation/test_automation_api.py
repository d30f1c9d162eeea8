"""PUT/GET/DELETE /automation and GET /automation/events against the local
Cloudinary: credentials checked by Cloudinary before saving, the secret
encrypted and never returned, rules validated like syncs."""
from __future__ import annotations

import pytest

from shopify_app.extensions import db
from shopify_app.models import Automation
from tests.automation.support import SKU_RULE, automation_body
from tests.support import bearer, connect


@pytest.fixture
def store(app, client, make_shop, csim, cld):
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url
    make_shop("auto.myshopify.com", name="Auto")
    return connect(client, "auto.myshopify.com", cloud_name=cld.cloud_name)["token"]


def test_put_checks_credentials_with_cloudinary_and_never_returns_the_secret(app, client, store, cld):
    refused = client.put("/bridge/v1/automation", json=automation_body(cld, secret="not-the-secret"),
                         headers=bearer(store))
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert "refused" in refused.get_json()["detail"]

    response = client.put("/bridge/v1/automation", json=automation_body(cld), headers=bearer(store))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert cld.api_secret not in response.get_data(as_text=True)
    assert body["status"] == "active" and body["cloud_name"] == cld.cloud_name
    assert body["cloudinary"] == {"api_key": cld.api_key}
    assert body["notification_url"].startswith(app.config["APP_URL"] + "/bridge/v1/automation/notifications/")
    assert body["rules"][0]["match"] == SKU_RULE["match"] and body["rules"][0]["on_delete"] == "unlink"
    with app.app_context():
        row = db.session.query(Automation).one()
        assert row.api_secret_enc and cld.api_secret not in row.api_secret_enc

    got = client.get("/bridge/v1/automation", headers=bearer(store))
    assert got.get_json() == body
    assert client.get("/bridge/v1/automation/events", headers=bearer(store)).get_json() == {"events": []}

    assert client.delete("/bridge/v1/automation", headers=bearer(store)).status_code == 204
    assert client.get("/bridge/v1/automation", headers=bearer(store)).status_code == 404
    with app.app_context():
        assert db.session.query(Automation).one().api_secret_enc is None


@pytest.mark.parametrize(("rule", "field"), [
    ({**SKU_RULE, "link_mode": "position"}, "rules[0]"),
    ({**SKU_RULE, "link_mode": "sideways"}, "rules[0].link_mode"),
    ({**SKU_RULE, "match": {"cloudinary_field": "sku", "shopify_field": "colour"}}, "rules[0].match.shopify_field"),
    ({**SKU_RULE, "settings": {"default_transformation": "zz_9 !"}}, "rules[0].settings.default_transformation"),
    ({**SKU_RULE, "surprise": 1}, "rules[0].surprise"),
    ({**SKU_RULE, "on_delete": "shred"}, "rules[0].on_delete"),
])
def test_rules_are_validated_like_syncs(client, store, cld, rule, field):
    response = client.put("/bridge/v1/automation", json=automation_body(cld, rules=[rule]), headers=bearer(store))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in [e["field"] for e in response.get_json()["errors"]], response.get_json()


def test_unknown_keys_are_refused(client, store, cld):
    response = client.put("/bridge/v1/automation", json={**automation_body(cld), "extra": True},
                          headers=bearer(store))
    assert response.status_code == 422


def test_the_same_sync_validation_refuses_position_without_position(client, store, cld):
    """The rule model is the sync's LinkRule: the same message as POST /syncs."""
    rule = {**SKU_RULE, "link_mode": "position"}
    automation = client.put("/bridge/v1/automation", json=automation_body(cld, rules=[rule]), headers=bearer(store))
    sync = client.post("/bridge/v1/syncs", headers=bearer(store), json={
        "match": SKU_RULE["match"], "link_mode": "position", "assets": [{"public_id": "a"}]})
    assert sync.status_code == 422
    messages = {e["message"] for e in automation.get_json()["errors"]}
    assert messages & {e["message"] for e in sync.get_json()["errors"]}


def test_an_api_key_of_a_store_with_two_environments_names_none(app, client, make_shop, csim, cld):
    """Issue 10.7: an API key of a store connected to two Cloudinary
    environments can't tell which one automation (or a sync) is for: 422,
    never an empty cloud name."""
    from shopify_app import credentials
    from shopify_app.models import Shop
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url
    shop_id = make_shop("two.myshopify.com", name="Two")
    connect(client, "two.myshopify.com", cloud_name="one-cloud")
    connect(client, "two.myshopify.com", cloud_name="other-cloud")
    with app.app_context():
        key = credentials.create_api_key(db.session.get(Shop, shop_id), "pim").token
    response = client.put("/bridge/v1/automation", json=automation_body(cld), headers=bearer(key))
    assert response.status_code == 422
    assert "several Cloudinary environments" in response.get_json()["detail"]
    sync = client.post("/bridge/v1/syncs", headers=bearer(key), json={
        "match": SKU_RULE["match"], "link_mode": "append", "assets": [{"public_id": "a", "metadata": {"sku": "X"}}]})
    assert sync.status_code == 422


def test_register_triggers_points_cloudinary_at_the_notification_url_and_delete_removes_them(client, store, cld):
    import cloudinary.api
    response = client.put("/bridge/v1/automation", json=automation_body(cld, register_triggers=True),
                          headers=bearer(store))
    assert response.status_code == 200 and response.get_json()["register_triggers"] is True
    url = response.get_json()["notification_url"]
    registered = {t["event_type"] for t in cloudinary.api.triggers(**cld.opts)["triggers"] if t["uri"] == url}
    assert {"upload", "delete", "rename", "resource_metadata_changed", "resource_tags_changed"} <= registered
    again = client.put("/bridge/v1/automation", json=automation_body(cld, register_triggers=True),
                       headers=bearer(store))
    assert again.status_code == 200  # idempotent: nothing registered twice
    assert len([t for t in cloudinary.api.triggers(**cld.opts)["triggers"] if t["uri"] == url]) == len(registered)
    assert client.delete("/bridge/v1/automation", headers=bearer(store)).status_code == 204
    assert [t for t in cloudinary.api.triggers(**cld.opts)["triggers"] if t["uri"] == url] == []


def test_uninstalling_erases_the_automation_secret(app, client, store, cld):
    from shopify_app import lifecycle
    assert client.put("/bridge/v1/automation", json=automation_body(cld), headers=bearer(store)).status_code == 200
    with app.app_context():
        assert lifecycle.uninstall("auto.myshopify.com")
        row = db.session.query(Automation).one()
        assert row.api_secret_enc is None and row.enabled is False
