"""Issue 10.7: an API key names the Cloudinary environment its syncs deliver
from, chosen when the key is made (or the store's only one), so a key's sync
never builds https://res.cloudinary.com//... sources."""
from __future__ import annotations

from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import auth_header, bearer, connect

SHOP = "keys.myshopify.com"
SYNC = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append", "dry_run": True,
        "assets": [{"public_id": "shirts/a", "format": "jpg", "metadata": {"sku": "A-1"}}]}


def _new_key(client, **body):
    return client.post("/app/api/api-keys", json={"label": "PIM", **body}, headers=auth_header(SHOP))


def _sync_cloud(app, client, key: str) -> str | None:
    response = client.post("/bridge/v1/syncs", json=SYNC, headers=bearer(key))
    assert response.status_code == 202, response.get_data(as_text=True)
    with app.app_context():
        return db.session.get(Sync, response.get_json()["id"]).cloud_name


def test_a_key_made_for_one_of_several_environments_delivers_from_it(app, client, make_shop):
    make_shop(SHOP)
    connect(client, SHOP, cloud_name="one-cloud")
    connect(client, SHOP, cloud_name="other-cloud")
    created = _new_key(client, cloud_name="other-cloud")
    assert created.status_code == 201 and created.get_json()["cloud_name"] == "other-cloud"
    assert _sync_cloud(app, client, created.get_json()["key"]) == "other-cloud"
    listed = client.get("/app/api/api-keys", headers=auth_header(SHOP)).get_json()
    assert [k["cloud_name"] for k in listed] == ["other-cloud"]


def test_a_key_names_only_a_connected_environment(client, make_shop):
    make_shop(SHOP)
    connect(client, SHOP, cloud_name="one-cloud")
    refused = _new_key(client, cloud_name="someone-elses-cloud")
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "cloud_name"
    assert client.get("/app/api/api-keys", headers=auth_header(SHOP)).get_json() == []


def test_without_a_choice_a_key_takes_the_only_environment_and_keeps_it(app, client, make_shop):
    make_shop(SHOP)
    connect(client, SHOP, cloud_name="only-cloud")
    key = _new_key(client).get_json()
    assert key["cloud_name"] == "only-cloud"
    connect(client, SHOP, cloud_name="later-cloud")  # a second environment later doesn't change the key's
    assert _sync_cloud(app, client, key["key"]) == "only-cloud"


def test_with_several_environments_a_key_must_name_one(client, make_shop):
    """Made without one, its syncs would be refused for as long as several
    stay connected, and a key's environment can't be changed later."""
    make_shop(SHOP)
    connect(client, SHOP, cloud_name="one-cloud")
    connect(client, SHOP, cloud_name="other-cloud")
    refused = _new_key(client)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"field": "cloud_name", "message": "Connected: one-cloud, other-cloud"}]
    assert client.get("/app/api/api-keys", headers=auth_header(SHOP)).get_json() == []


def test_a_key_made_before_any_environment_uses_the_one_connected_later_never_an_empty_cloud(app, client,
                                                                                          make_shop):
    make_shop(SHOP)
    key = _new_key(client).get_json()
    assert key["cloud_name"] is None
    response = client.post("/bridge/v1/syncs", json=SYNC, headers=bearer(key["key"]))
    assert response.status_code == 422   # nothing to deliver from yet, never an empty cloud name
    connect(client, SHOP, cloud_name="later-cloud")
    assert _sync_cloud(app, client, key["key"]) == "later-cloud"
