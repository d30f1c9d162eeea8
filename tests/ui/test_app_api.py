"""The embedded admin's JSON API (/app/api) and its page shells."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shopify_app import credentials, crypto
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, ConnectionCode, Shop, utcnow
from tests.support import auth_header, embedded_query, make_session_token

SHOP = "acme.myshopify.com"
OTHER = "globex.myshopify.com"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def redeem(app, code, cloud_name="acme-cloud", label=None):
    with app.app_context():
        issued = credentials.redeem_code(code, cloud_name, label)
        return None if issued is None else (issued.credential.id, issued.token)


def authenticates(app, token) -> bool:
    with app.app_context():
        return credentials.authenticate(token) is not None


def connect(app, client, shop, cloud_name="acme-cloud", label=None):
    code = client.get("/app/api/connection", headers=auth_header(shop)).json["code"]
    return redeem(app, code, cloud_name, label)


# ---------------------------------------------------------------- connection

def test_connection_code_is_stable_random_and_stored_only_as_hash(app, client, make_shop):
    make_shop(SHOP)
    first = client.get("/app/api/connection", headers=auth_header(SHOP))
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    code = first.json["code"]
    assert first.json["environments"] == []
    assert code.startswith(credentials.CODE_PREFIX)
    # 24 random bytes behind the prefix: well over 128 bits.
    assert len(code) - len(credentials.CODE_PREFIX) >= 32
    assert client.get("/app/api/connection", headers=auth_header(SHOP)).json["code"] == code
    with app.app_context():
        rows = db.session.scalars(select(ConnectionCode)).all()
        assert len(rows) == 1
        assert rows[0].code_hash == crypto.hash_secret(code)
        assert all(code not in str(value) for value in (rows[0].nonce, rows[0].code_hash))


def test_code_works_once_and_the_page_then_gets_a_fresh_one(app, client, make_shop):
    make_shop(SHOP)
    code = client.get("/app/api/connection", headers=auth_header(SHOP)).json["code"]
    connection_id, token = redeem(app, code, "acme-cloud", "Production")
    assert redeem(app, code) is None
    after = client.get("/app/api/connection", headers=auth_header(SHOP)).json
    assert after["code"] != code
    [env] = after["environments"]
    assert env["id"] == connection_id
    assert env["cloud_name"] == "acme-cloud"
    assert env["label"] == "Production"
    assert RFC3339_UTC.match(env["connected_at"])
    assert env["last_used_at"] is None
    assert authenticates(app, token)


def test_last_used_is_reported(app, client, make_shop):
    make_shop(SHOP)
    _, token = connect(app, client, SHOP)
    with app.app_context():
        credentials.touch(credentials.authenticate(token))
        db.session.commit()
    [env] = client.get("/app/api/connection", headers=auth_header(SHOP)).json["environments"]
    assert RFC3339_UTC.match(env["last_used_at"])


def test_regenerate_replaces_the_code(app, client, make_shop):
    make_shop(SHOP)
    old = client.get("/app/api/connection", headers=auth_header(SHOP)).json["code"]
    response = client.post("/app/api/connection/regenerate", headers=auth_header(SHOP))
    assert response.status_code == 200
    new = response.json["code"]
    assert new != old and new.startswith(credentials.CODE_PREFIX)
    assert client.get("/app/api/connection", headers=auth_header(SHOP)).json["code"] == new
    assert redeem(app, old) is None
    assert redeem(app, new) is not None


def test_regenerate_keeps_existing_connections(app, client, make_shop):
    make_shop(SHOP)
    _, token = connect(app, client, SHOP)
    client.post("/app/api/connection/regenerate", headers=auth_header(SHOP))
    assert authenticates(app, token)
    assert len(client.get("/app/api/connection", headers=auth_header(SHOP)).json["environments"]) == 1


def test_disconnect_revokes_the_connection_token(app, client, make_shop):
    make_shop(SHOP)
    keep_id, keep_token = connect(app, client, SHOP, "keep-cloud")
    gone_id, gone_token = connect(app, client, SHOP, "gone-cloud")
    response = client.delete(f"/app/api/connections/{gone_id}", headers=auth_header(SHOP))
    assert response.status_code == 204
    envs = client.get("/app/api/connection", headers=auth_header(SHOP)).json["environments"]
    assert [e["id"] for e in envs] == [keep_id]
    assert not authenticates(app, gone_token)
    assert authenticates(app, keep_token)
    again = client.delete(f"/app/api/connections/{gone_id}", headers=auth_header(SHOP))
    assert again.status_code == 404
    assert again.mimetype == "application/problem+json"


def test_disconnect_unknown_id_is_404(app, client, make_shop):
    make_shop(SHOP)
    response = client.delete("/app/api/connections/does-not-exist", headers=auth_header(SHOP))
    assert response.status_code == 404
    assert response.json["status"] == 404


# ---------------------------------------------------------------- API keys

def test_api_key_is_shown_once_listed_by_prefix_and_authenticates(app, client, make_shop):
    make_shop(SHOP)
    assert client.get("/app/api/api-keys", headers=auth_header(SHOP)).json == []
    created = client.post("/app/api/api-keys", json={"label": "  PIM import  "}, headers=auth_header(SHOP))
    assert created.status_code == 201
    body = created.json
    key = body["key"]
    assert key.startswith(credentials.API_KEY_PREFIX) and len(key) - len(credentials.API_KEY_PREFIX) >= 32
    assert body["label"] == "PIM import"
    assert body["prefix"] == key[:credentials.DISPLAY_PREFIX_LENGTH]
    assert body["signing_secret"].startswith(credentials.SIGNING_SECRET_PREFIX)
    assert RFC3339_UTC.match(body["created_at"]) and body["last_used_at"] is None
    listed = client.get("/app/api/api-keys", headers=auth_header(SHOP)).json
    assert listed == [{k: body[k] for k in ("id", "label", "prefix", "cloud_name", "created_at", "last_used_at")}]
    assert key not in client.get("/app/api/api-keys", headers=auth_header(SHOP)).get_data(as_text=True)
    assert authenticates(app, key)
    with app.app_context():
        row = db.session.get(BridgeCredential, body["id"])
        assert row.kind == "api_key" and row.token_hash == crypto.hash_secret(key)
        assert key not in " ".join(str(v) for v in (row.token_hash, row.prefix, row.signing_secret_enc, row.label))


def test_api_keys_are_listed_newest_first_and_exclude_connections(app, client, make_shop):
    make_shop(SHOP)
    connect(app, client, SHOP)
    for label in ("first", "second"):
        assert client.post("/app/api/api-keys", json={"label": label}, headers=auth_header(SHOP)).status_code == 201
    assert [k["label"] for k in client.get("/app/api/api-keys", headers=auth_header(SHOP)).json] == ["second", "first"]
    assert len(client.get("/app/api/connection", headers=auth_header(SHOP)).json["environments"]) == 1


def test_revoke_api_key(app, client, make_shop):
    make_shop(SHOP)
    kept = client.post("/app/api/api-keys", json={"label": "CI"}, headers=auth_header(SHOP)).json
    revoked = client.post("/app/api/api-keys", json={"label": "MediaFlows"}, headers=auth_header(SHOP)).json
    assert client.delete(f"/app/api/api-keys/{revoked['id']}", headers=auth_header(SHOP)).status_code == 204
    assert [k["id"] for k in client.get("/app/api/api-keys", headers=auth_header(SHOP)).json] == [kept["id"]]
    assert not authenticates(app, revoked["key"])
    assert authenticates(app, kept["key"])
    assert client.delete(f"/app/api/api-keys/{revoked['id']}", headers=auth_header(SHOP)).status_code == 404


def test_kinds_do_not_cross(app, client, make_shop):
    """A connection can't be revoked as an API key, nor the other way round."""
    make_shop(SHOP)
    connection_id, token = connect(app, client, SHOP)
    key = client.post("/app/api/api-keys", json={"label": "CI"}, headers=auth_header(SHOP)).json
    assert client.delete(f"/app/api/api-keys/{connection_id}", headers=auth_header(SHOP)).status_code == 404
    assert client.delete(f"/app/api/connections/{key['id']}", headers=auth_header(SHOP)).status_code == 404
    assert authenticates(app, token) and authenticates(app, key["key"])


@pytest.mark.parametrize("body, field_message", [
    ({}, "Enter a label"),
    ({"label": ""}, "Enter a label"),
    ({"label": "   "}, "Enter a label"),
    ({"label": None}, "Enter a label"),
    ({"label": 42}, "Enter a label"),
    ({"label": "x" * 101}, "at most 100"),
])
def test_label_validation(app, client, make_shop, body, field_message):
    make_shop(SHOP)
    response = client.post("/app/api/api-keys", json=body, headers=auth_header(SHOP))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.json
    assert problem["status"] == 422 and problem["type"] and problem["title"] and problem["detail"]
    [error] = problem["errors"]
    assert error["field"] == "label" and field_message in error["message"]
    assert client.get("/app/api/api-keys", headers=auth_header(SHOP)).json == []


def test_label_of_exactly_100_characters_is_fine(app, client, make_shop):
    make_shop(SHOP)
    response = client.post("/app/api/api-keys", json={"label": " " + "x" * 100 + " "}, headers=auth_header(SHOP))
    assert response.status_code == 201 and response.json["label"] == "x" * 100


@pytest.mark.parametrize("data, content_type", [
    ("not json", "application/json"),
    ('["PIM"]', "application/json"),
])
def test_body_must_be_a_json_object(app, client, make_shop, data, content_type):
    make_shop(SHOP)
    response = client.post("/app/api/api-keys", data=data, content_type=content_type, headers=auth_header(SHOP))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "JSON object" in response.json["detail"]


def test_a_body_that_isnt_json_is_415(app, client, make_shop):
    # The admin API reads JSON one way with the bridge (shopify_app.json_input).
    make_shop(SHOP)
    response = client.post("/app/api/api-keys", data="label=PIM", content_type="application/x-www-form-urlencoded",
                           headers=auth_header(SHOP))
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


# ---------------------------------------------------------------- isolation

def test_a_store_sees_and_deletes_only_its_own(app, client, make_shop):
    make_shop(SHOP)
    make_shop(OTHER, name="Globex")
    other_connection, other_token = connect(app, client, OTHER, "globex-cloud")
    other_key = client.post("/app/api/api-keys", json={"label": "Globex PIM"}, headers=auth_header(OTHER)).json
    own_code = client.get("/app/api/connection", headers=auth_header(SHOP)).json
    assert own_code["environments"] == []
    assert client.get("/app/api/api-keys", headers=auth_header(SHOP)).json == []

    for path in (f"/app/api/connections/{other_connection}", f"/app/api/api-keys/{other_key['id']}"):
        response = client.delete(path, headers=auth_header(SHOP))
        assert response.status_code == 404, path
        assert "globex" not in response.get_data(as_text=True).lower()
    assert authenticates(app, other_token) and authenticates(app, other_key["key"])
    # Regenerating A's code leaves B's code alone.
    other_code = client.get("/app/api/connection", headers=auth_header(OTHER)).json["code"]
    client.post("/app/api/connection/regenerate", headers=auth_header(SHOP))
    assert client.get("/app/api/connection", headers=auth_header(OTHER)).json["code"] == other_code
    assert own_code["code"] != other_code


# ---------------------------------------------------------------- authentication

ENDPOINTS = [
    ("get", "/app/api/connection"),
    ("post", "/app/api/connection/regenerate"),
    ("delete", "/app/api/connections/abc"),
    ("get", "/app/api/api-keys"),
    ("post", "/app/api/api-keys"),
    ("delete", "/app/api/api-keys/abc"),
]

# Made when the test runs: a token made at collection time stops being "not
# yet valid" once the suite has run for five minutes.
BAD_TOKENS = {
    "missing": lambda: None,
    "not a jwt": lambda: "Bearer not-a-token",
    "wrong scheme": lambda: "Basic " + "x" * 20,
    "forged": lambda: "Bearer " + make_session_token(SHOP, secret="someone-elses-secret-0123456789"),
    "expired": lambda: "Bearer " + make_session_token(SHOP, exp_in=-120),
    "not yet valid": lambda: "Bearer " + make_session_token(SHOP, nbf_in=300, exp_in=400),
    "wrong audience": lambda: "Bearer " + make_session_token(SHOP, aud="another-app"),
    "iss of another shop": lambda: "Bearer " + make_session_token(SHOP, iss_shop=OTHER),
}


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_session_tokens_get_401_with_retry_header(app, client, make_shop, method, path, case):
    make_shop(SHOP)
    value = BAD_TOKENS[case]()
    headers = {} if value is None else {"Authorization": value}
    response = getattr(client, method)(path, headers=headers, json={"label": "x"} if method == "post" else None)
    assert response.status_code == 401
    assert response.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    with app.app_context():
        assert db.session.scalar(select(BridgeCredential)) is None
        assert db.session.scalar(select(ConnectionCode)) is None


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_a_store_without_the_app_installed_gets_401(app, client, make_shop, method, path):
    make_shop(SHOP, installed=False)
    for shop in (SHOP, "never-installed.myshopify.com"):
        response = getattr(client, method)(path, headers=auth_header(shop),
                                           json={"label": "x"} if method == "post" else None)
        assert response.status_code == 401
        assert "isn't installed" in response.json["detail"]


def test_uninstalled_store_gets_401(app, client, make_shop):
    shop_id = make_shop(SHOP)
    with app.app_context():
        db.session.get(Shop, shop_id).uninstalled_at = utcnow()
        db.session.commit()
    assert client.get("/app/api/connection", headers=auth_header(SHOP)).status_code == 401


def test_wrong_method_is_a_problem_document(app, client, make_shop):
    make_shop(SHOP)
    response = client.put("/app/api/connection", headers=auth_header(SHOP))
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


# ---------------------------------------------------------------- page shells

@pytest.mark.parametrize("path, heading", [("/settings", "Settings"), ("/", "AssetLink")])
def test_page_shell_has_app_bridge_polaris_and_no_secrets(app, client, make_shop, path, heading):
    make_shop(SHOP)
    code = client.get("/app/api/connection", headers=auth_header(SHOP)).json["code"]
    response = client.get(f"{path}?{embedded_query(SHOP)}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == (
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert '<meta name="shopify-api-key" content="test-client-id">' in html
    # App Bridge is the first script of the page.
    first_script = re.search(r"<script[^>]*>", html).group(0)
    assert 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"' in first_script
    assert 'src="https://cdn.shopify.com/shopifycloud/polaris.js"' in html
    assert f'<s-page heading="{heading}">' in html
    assert "<s-app-nav>" in html
    assert code not in html


def test_settings_page_has_both_tabs(app, client, make_shop):
    make_shop(SHOP)
    html = client.get(f"/settings?{embedded_query(SHOP)}").get_data(as_text=True)
    assert ">AssetLink App in Cloudinary</s-button>" in html
    assert ">API Keys</s-button>" in html
    assert "Connect new store" in html


def test_page_load_without_a_valid_token_renders_nothing_of_the_app(app, client, make_shop):
    make_shop(SHOP)
    response = client.get(f"/settings?embedded=1&shop={SHOP}&id_token=forged")
    assert "<s-page" not in response.get_data(as_text=True)
    assert response.status_code != 200 or "app-bridge.js" in response.get_data(as_text=True)


def test_page_load_outside_the_admin_is_never_frameable(app, client):
    response = client.get("/settings")
    assert response.status_code in (302, 400)
    if response.mimetype == "text/html":
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none';"
    assert "<s-page" not in response.get_data(as_text=True)


def test_locale_reaches_the_page_only_when_well_formed(app, client, make_shop):
    make_shop(SHOP)
    html = client.get(f"/settings?{embedded_query(SHOP, locale='fr-CA')}").get_data(as_text=True)
    assert 'data-locale="fr-CA"' in html
    hostile = embedded_query(SHOP, locale='x"><script>alert(1)</script>')
    html = client.get(f"/settings?{hostile}").get_data(as_text=True)
    assert 'data-locale=""' in html and "<script>alert" not in html
