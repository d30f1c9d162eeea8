"""Connecting, authenticating and revoking (contract: Connecting a store)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from tests.support import bearer, connect, make_session_token, settings_page_code


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_connect_with_the_code_from_settings(client, make_shop, app):
    make_shop("acme.myshopify.com", name="Acme")
    result = connect(client, "acme.myshopify.com", cloud_name="acme-prod", label="Production DAM")
    assert result["store"] == {"domain": "acme.myshopify.com", "name": "Acme"}
    assert result["token"].startswith("alt_") and result["signing_secret"].startswith("als_")
    assert len(result["token"]) >= 4 + 32  # >= 128 bits of base64url

    # Settings now lists that Cloudinary environment.
    listing = client.get("/app/api/connection",
                         headers={"Authorization": "Bearer " + make_session_token("acme.myshopify.com")}).get_json()
    assert [e["cloud_name"] for e in listing["environments"]] == ["acme-prod"]

    store = client.get("/bridge/v1/store", headers=bearer(result["token"]))
    assert store.status_code == 200
    body = store.get_json()
    assert body["domain"] == "acme.myshopify.com" and body["cloud_name"] == "acme-prod"
    assert body["connection"]["id"] == result["connection_id"]
    assert body["connection"]["last_used_at"] is not None
    assert body["settings"]["alt_text_source"] == "display_name"
    assert body["scopes"] == ["write_files", "write_products"]


def test_only_hashes_are_stored(client, connected, app):
    from shopify_app import credentials, crypto
    from shopify_app.extensions import db
    from shopify_app.models import BridgeCredential, ConnectionCode
    _, result = connected
    with app.app_context():
        rows = db.session.scalars(select(BridgeCredential)).all()
        dump = repr([(r.token_hash, r.prefix, r.signing_secret_enc, r.settings) for r in rows])
        stored_codes = db.session.scalars(select(ConnectionCode)).all()
        codes = repr([(c.code_hash, c.nonce) for c in stored_codes])
        # The used code and the fresh one Settings shows now.
        plain_codes = [crypto.derive_code(c.nonce, credentials.CODE_PREFIX) for c in stored_codes]
    assert result["token"] not in dump and result["signing_secret"] not in dump
    assert result["token"][8:] not in dump
    assert len(plain_codes) == 2 and not any(code in codes for code in plain_codes)


@pytest.mark.parametrize("how", ["reused", "regenerated", "unknown"])
def test_dead_codes_are_401(client, make_shop, how):
    make_shop("acme.myshopify.com")
    code = settings_page_code(client, "acme.myshopify.com")
    if how == "reused":
        assert client.post("/bridge/v1/connect", json={"connection_code": code, "cloud_name": "a"}).status_code == 200
    elif how == "regenerated":
        regenerated = client.post("/app/api/connection/regenerate",
                                  headers={"Authorization": "Bearer " + make_session_token("acme.myshopify.com")})
        assert regenerated.get_json()["code"] != code
    else:
        code = "alc_" + uuid.uuid4().hex
    response = client.post("/bridge/v1/connect", json={"connection_code": code, "cloud_name": "a"})
    body = _problem(response, 401)
    assert "code" in body["detail"]


def test_the_next_code_works_after_one_is_used(client, make_shop):
    make_shop("acme.myshopify.com")
    first = connect(client, "acme.myshopify.com", cloud_name="one")
    second = connect(client, "acme.myshopify.com", cloud_name="two")
    assert first["token"] != second["token"]


def _attempt(client, address: str, code: str):
    return client.post("/bridge/v1/connect", environ_base={"REMOTE_ADDR": address},
                       json={"connection_code": code, "cloud_name": "x"})


def _unknown_code() -> str:
    return "alc_" + uuid.uuid4().hex


def test_brute_force_is_rate_limited(app, make_shop):
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "5 per 10 minutes"
    make_shop("acme.myshopify.com")
    attacker = app.test_client()
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    for _ in range(5):
        assert _attempt(attacker, ip, _unknown_code()).status_code == 401
    blocked = _attempt(attacker, ip, _unknown_code())
    body = _problem(blocked, 429)
    assert 0 < int(blocked.headers["Retry-After"]) <= 600
    assert "failed" in body["detail"]


def test_a_valid_code_connects_from_an_address_that_is_over_the_limit(app, make_shop):
    """Issue 15.5: one guesser behind a shared office or cloud egress address
    must not lock out the merchant connecting from the same address."""
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "5 per 10 minutes"
    make_shop("acme.myshopify.com")
    shared = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    attacker = app.test_client()
    for _ in range(8):
        _attempt(attacker, shared, _unknown_code())
    assert _attempt(attacker, shared, _unknown_code()).status_code == 429
    with app.test_client() as merchant:
        code = settings_page_code(merchant, "acme.myshopify.com")
        assert _attempt(merchant, shared, code).status_code == 200
        # ... and again with the next code: successes are never refused.
        assert _attempt(merchant, shared, settings_page_code(merchant, "acme.myshopify.com")).status_code == 200
    # The guesser is still refused.
    assert _attempt(attacker, shared, _unknown_code()).status_code == 429


def test_an_ipv6_guesser_is_counted_by_its_64(app, make_shop):
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "3 per 10 minutes"
    make_shop("acme.myshopify.com")
    client = app.test_client()
    prefix = f"2001:db8:{uuid.uuid4().int % 65536:x}:{uuid.uuid4().int % 65536:x}"
    for host in range(3):  # a new address of the same /64 for every guess
        assert _attempt(client, f"{prefix}::{host + 1}", _unknown_code()).status_code == 401
    assert _attempt(client, f"{prefix}::99", _unknown_code()).status_code == 429
    # Another /64 is another subscriber.
    assert _attempt(client, f"{prefix[:-1]}{'0' if prefix[-1] != '0' else '1'}::1", _unknown_code()).status_code == 401


def test_a_stores_old_codes_are_counted_against_the_store_from_any_address(app, make_shop):
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "3 per 10 minutes"
    make_shop("acme.myshopify.com")
    make_shop("other.myshopify.com")
    client = app.test_client()
    used = settings_page_code(client, "acme.myshopify.com")
    assert _attempt(client, "192.0.2.10", used).status_code == 200
    addresses = [f"198.51.100.{n}" for n in range(uuid.uuid4().int % 200, 256)][:5]
    statuses = [_attempt(client, address, used).status_code for address in addresses]
    assert statuses[:3] == [401, 401, 401] and statuses[3:] == [429, 429]
    # Another store's code, from a fresh address, is judged on its own.
    other_used = settings_page_code(client, "other.myshopify.com")
    assert _attempt(client, "192.0.2.11", other_used).status_code == 200
    assert _attempt(client, "192.0.2.12", other_used).status_code == 401
    # The store's current code still connects.
    assert _attempt(client, addresses[-1], settings_page_code(client, "acme.myshopify.com")).status_code == 200


def test_without_the_rate_limit_store_attempts_are_still_judged(app, make_shop, monkeypatch):
    from cloudinary_bridge import limits

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(limits.limiter.limiter, "hit", broken)
    make_shop("acme.myshopify.com")
    client = app.test_client()
    assert _attempt(client, "192.0.2.30", _unknown_code()).status_code == 401
    assert _attempt(client, "192.0.2.30", settings_page_code(client, "acme.myshopify.com")).status_code == 200


def test_successful_connects_do_not_use_up_the_allowance(app, make_shop):
    app.config["BRIDGE_CONNECT_FAILURE_LIMIT"] = "2 per 10 minutes"
    make_shop("acme.myshopify.com")
    client = app.test_client()
    ip = {"REMOTE_ADDR": "198.51.100.%d" % (uuid.uuid4().int % 250)}
    for _ in range(4):
        code = settings_page_code(client, "acme.myshopify.com")
        assert client.post("/bridge/v1/connect", environ_base=ip,
                           json={"connection_code": code, "cloud_name": "x"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer alt_not-a-real-token"}])
def test_endpoints_need_a_live_bearer_token(client, headers):
    for method, path in [("get", "/bridge/v1/store"), ("get", "/bridge/v1/settings"), ("put", "/bridge/v1/settings"),
                         ("get", "/bridge/v1/fields"), ("post", "/bridge/v1/matches"),
                         ("delete", "/bridge/v1/connection")]:
        response = getattr(client, method)(path, headers=headers, json={})
        _problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_disconnect_revokes_the_calling_token_only(client, make_shop):
    make_shop("acme.myshopify.com")
    one = connect(client, "acme.myshopify.com", cloud_name="one")
    two = connect(client, "acme.myshopify.com", cloud_name="two")
    assert client.delete("/bridge/v1/connection", headers=bearer(one["token"])).status_code == 204
    _problem(client.get("/bridge/v1/store", headers=bearer(one["token"])), 401)
    assert client.get("/bridge/v1/store", headers=bearer(two["token"])).status_code == 200
    listing = client.get("/app/api/connection",
                         headers={"Authorization": "Bearer " + make_session_token("acme.myshopify.com")}).get_json()
    assert [e["cloud_name"] for e in listing["environments"]] == ["two"]


def test_api_keys_are_bearer_tokens_scoped_to_their_store(client, make_shop):
    make_shop("acme.myshopify.com")
    created = client.post("/app/api/api-keys", json={"label": "PIM import"},
                          headers={"Authorization": "Bearer " + make_session_token("acme.myshopify.com")})
    assert created.status_code == 201
    key = created.get_json()["key"]
    store = client.get("/bridge/v1/store", headers=bearer(key))
    assert store.status_code == 200
    assert store.get_json()["connection"]["kind"] == "api_key"
    assert store.get_json()["domain"] == "acme.myshopify.com"
    keys = client.get("/app/api/api-keys",
                      headers={"Authorization": "Bearer " + make_session_token("acme.myshopify.com")}).get_json()
    assert keys[0]["last_used_at"] is not None
    assert client.delete("/bridge/v1/connection", headers=bearer(key)).status_code == 204
    _problem(client.get("/bridge/v1/store", headers=bearer(key)), 401)


def test_uninstall_revokes_every_token(client, connected, app):
    from shopify_app import credentials
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow
    domain, result = connected
    with app.app_context():
        shop = db.session.scalar(select(Shop).where(Shop.domain == domain))
        shop.uninstalled_at = utcnow()
        credentials.revoke_all(shop.id)
        db.session.commit()
    _problem(client.get("/bridge/v1/store", headers=bearer(result["token"])), 401)


def test_connect_validates_its_body(client):
    body = _problem(client.post("/bridge/v1/connect", json={"cloud_name": "has space", "label": 5}), 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"connection_code", "cloud_name", "label"}
    _problem(client.post("/bridge/v1/connect", data="{not json", content_type="application/json"), 400)
    _problem(client.post("/bridge/v1/connect", data="[]", content_type="application/json"), 422)
    _problem(client.post("/bridge/v1/connect", data="a=b", content_type="application/x-www-form-urlencoded"), 415)
