"""The authorization code grant: /auth/install → authorize → /auth/callback,
and every check Shopify asks for before the code is used."""
from __future__ import annotations

import base64
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.support import API_KEY, API_SECRET
from werkzeug.datastructures import MultiDict

from shopify_app import crypto
from shopify_app.auth import oauth, query_hmac
from shopify_app.extensions import db
from shopify_app.models import Shop, utcnow

SHOP = "grant-shop.myshopify.com"
HOST = base64.b64encode(b"admin.shopify.com/store/grant-shop").decode().rstrip("=")


def signed(params: dict[str, str], secret: str = API_SECRET) -> dict[str, str]:
    return {**params, "hmac": query_hmac.calculate_hmac(MultiDict(params), secret)}


def start_install(client, shop: str = SHOP) -> tuple[str, str]:
    """GET /auth/install; returns (state from the authorize URL, state cookie)."""
    response = client.get("/auth/install", query_string={"shop": shop})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    cookie = SimpleCookie(response.headers["Set-Cookie"])[oauth.STATE_COOKIE].value
    return query["state"][0], cookie


def callback_params(fake, state: str, shop: str = SHOP, *, scopes: str | None = None, **changes: str) -> dict:
    params = {"code": fake.issue_code(shop, scopes), "host": HOST, "shop": shop, "state": state,
              "timestamp": str(int(time.time()))}
    params.update(changes)
    return params


def stored_shop(app, domain: str = SHOP) -> Shop | None:
    with app.app_context():
        return db.session.scalar(db.select(Shop).where(Shop.domain == domain))


def test_install_redirects_to_authorize_with_a_bound_state(app, client, token_endpoint):
    response = client.get("/auth/install", query_string={"shop": SHOP})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == \
        f"{token_endpoint.origin}/{SHOP}/admin/oauth/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [API_KEY]
    assert query["scope"] == ["write_products,write_files"]
    assert query["redirect_uri"] == ["https://app.example.test/auth/callback"]
    state = query["state"][0]
    assert len(state) == 64 and int(state, 16) >= 0  # 256 random bits, URL-safe
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "Secure" in header and "SameSite=Lax" in header
    assert "Path=/auth/callback" in header
    value = SimpleCookie(header)[oauth.STATE_COOKIE].value
    assert value != state and value.count(".") >= 2  # itsdangerous: [.]payload.timestamp.signature


@pytest.mark.parametrize("shop", ["evil.com", "shop.myshopify.com.evil.com", "a_b.myshopify.com",
                                  "https://grant-shop.myshopify.com", "", "grant-shop.myshopify.com/../x"])
def test_install_refuses_what_isnt_a_shop(client, token_endpoint, shop):
    response = client.get("/auth/install", query_string={"shop": shop})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_install_with_a_wrong_hmac_is_refused(client, token_endpoint):
    params = signed({"shop": SHOP, "timestamp": str(int(time.time()))}, secret="other-secret")
    assert client.get("/auth/install", query_string=params).status_code == 400


def test_install_from_inside_the_admin_escapes_the_iframe(client, token_endpoint):
    params = signed({"shop": SHOP, "embedded": "1", "host": HOST, "timestamp": str(int(time.time()))})
    response = client.get("/auth/install", query_string=params)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    target = f"https://app.example.test/auth/install?shop={SHOP}"
    assert f'window.open("{target}", "_top")' in body
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in body
    assert "Set-Cookie" not in response.headers


def test_callback_installs_with_an_expiring_token_and_returns_to_the_admin(app, client, token_endpoint):
    state, cookie = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    response = client.get("/auth/callback", query_string=signed(callback_params(token_endpoint, state)))
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://admin.shopify.com/store/grant-shop/apps/{API_KEY}"
    assert f"{oauth.STATE_COOKIE}=;" in response.headers["Set-Cookie"]  # used once, then cleared
    [call] = token_endpoint.grants("authorization_code")
    assert call["expiring"] == "1" and call["client_secret"] == API_SECRET
    shop = stored_shop(app)
    assert shop.is_installed
    assert shop.access_token_expires_at - utcnow() > timedelta(minutes=59)
    with app.app_context():
        assert crypto.decrypt(shop.refresh_token_enc) in token_endpoint.refresh_tokens


def _callback(client, fake, *, cookie_shop: str = SHOP, cookie: str | None = None, secret: str = API_SECRET,
              **changes: str):
    state, real_cookie = start_install(client, cookie_shop)
    client.set_cookie(oauth.STATE_COOKIE, real_cookie if cookie is None else cookie, path="/auth/callback")
    params = callback_params(fake, state, **changes)
    return client.get("/auth/callback", query_string=signed(params, secret))


@pytest.mark.parametrize("case", ["other-secret", "changed-after-signing", "missing"])
def test_callback_with_a_bad_hmac_is_refused(app, client, token_endpoint, case):
    state, cookie = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = callback_params(token_endpoint, state)
    if case == "other-secret":
        query = signed(params, "other-secret")
    elif case == "changed-after-signing":
        query = {**signed(params), "host": base64.b64encode(b"admin.shopify.com/store/x").decode().rstrip("=")}
    else:
        query = params
    assert client.get("/auth/callback", query_string=query).status_code == 400
    assert token_endpoint.grants("authorization_code") == []
    assert stored_shop(app) is None


def test_callback_with_an_old_timestamp_is_refused(app, client, token_endpoint):
    response = _callback(client, token_endpoint, timestamp=str(int(time.time()) - 2 * 86400))
    assert response.status_code == 400
    assert stored_shop(app) is None


def test_callback_with_another_state_is_refused(app, client, token_endpoint):
    state, cookie = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = callback_params(token_endpoint, "0" * 64)
    assert client.get("/auth/callback", query_string=signed(params)).status_code == 403
    assert token_endpoint.grants("authorization_code") == []


def test_callback_without_the_state_cookie_is_refused(app, client, token_endpoint):
    state, _ = start_install(client)
    client.delete_cookie(oauth.STATE_COOKIE, path="/auth/callback")
    params = callback_params(token_endpoint, state)
    assert client.get("/auth/callback", query_string=signed(params)).status_code == 403
    assert stored_shop(app) is None


def test_callback_with_a_forged_state_cookie_is_refused(app, client, token_endpoint):
    response = _callback(client, token_endpoint, cookie="eyJzdGF0ZSI6IjAwMCJ9.forged.signature")
    assert response.status_code == 403
    assert token_endpoint.grants("authorization_code") == []


def test_callback_for_another_shop_than_the_cookie_is_refused(app, client, token_endpoint):
    # The state was issued for another-shop; a signed callback for our shop
    # with that state must not install anything.
    state, cookie = start_install(client, "another-shop.myshopify.com")
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = callback_params(token_endpoint, state)
    assert client.get("/auth/callback", query_string=signed(params)).status_code == 403
    assert stored_shop(app) is None


@pytest.mark.parametrize("shop", ["evil.com", "shop.myshopify.com.evil.com"])
def test_callback_for_a_non_shop_never_sends_the_secret(app, client, token_endpoint, shop):
    state, cookie = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = {"code": "x", "host": HOST, "shop": shop, "state": state, "timestamp": str(int(time.time()))}
    assert client.get("/auth/callback", query_string=signed(params)).status_code == 400
    assert token_endpoint.requests == []


def test_callback_with_too_few_granted_scopes_installs_nothing(app, client, token_endpoint):
    response = _callback(client, token_endpoint, scopes="read_products")
    assert response.status_code == 403
    assert "write_products" in response.get_data(as_text=True)
    assert stored_shop(app) is None


def test_callback_with_a_used_code_is_refused(app, client, token_endpoint):
    state, cookie = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = signed(callback_params(token_endpoint, state))
    assert client.get("/auth/callback", query_string=params).status_code == 302
    state2, cookie2 = start_install(client)
    client.set_cookie(oauth.STATE_COOKIE, cookie2, path="/auth/callback")
    replay = signed({**{k: v for k, v in params.items() if k != "hmac"}, "state": state2})
    assert client.get("/auth/callback", query_string=replay).status_code == 400


def test_expired_state_cookie_is_refused(app, client, token_endpoint, monkeypatch):
    state, cookie = start_install(client)
    monkeypatch.setattr(oauth, "STATE_MAX_AGE_SECONDS", -1)
    client.set_cookie(oauth.STATE_COOKIE, cookie, path="/auth/callback")
    params = callback_params(token_endpoint, state)
    assert client.get("/auth/callback", query_string=signed(params)).status_code == 403


def test_callback_url_is_what_the_toml_declares():
    import tomllib
    from pathlib import Path
    toml = tomllib.loads((Path(__file__).resolve().parent.parent / "shopify.app.toml").read_text())
    assert all(urlsplit(u).path == oauth.CALLBACK_PATH for u in toml["auth"]["redirect_urls"])


def test_install_link_without_a_shop_never_asks_for_one(client):
    response = client.get("/auth/install")
    assert response.status_code == 400
    assert "<input" not in response.get_data(as_text=True)
