"""Page loads inside the admin: ID token checks, install by token exchange,
the bounce page, and loads from outside the admin."""
from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from shopify_app import crypto
from shopify_app.extensions import db
from shopify_app.models import Shop, utcnow
from tests.support import API_KEY, API_SECRET, HOME_HOST, HOME_SHOP, app_load, make_session_token

SHOP = HOME_SHOP  # the shop app_load() opens
HOST = HOME_HOST


def stored_shop(app, domain: str = SHOP) -> Shop | None:
    with app.app_context():
        return db.session.scalar(db.select(Shop).where(Shop.domain == domain))


def assert_bounced(response, shop: str = SHOP) -> dict[str, list[str]]:
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/session-token" and not target.netloc
    query = parse_qs(target.query)
    assert query["shop"] == [shop] and query["embedded"] == ["1"]
    reload_target = query["shopify-reload"][0]
    assert reload_target.startswith("/") and "id_token" not in reload_target and "hmac" not in reload_target
    return query


def test_first_load_installs_the_shop_by_token_exchange(app, client, token_endpoint):
    response = client.get(app_load())
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == \
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    [call] = token_endpoint.grants("urn:ietf:params:oauth:grant-type:token-exchange")
    assert call["shop"] == SHOP
    assert call["expiring"] == "1"
    assert call["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert call["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    assert call["client_secret"] == API_SECRET
    shop = stored_shop(app)
    assert shop.is_installed and shop.installed_at is not None
    with app.app_context():
        assert crypto.decrypt(shop.access_token_enc) in token_endpoint.access_tokens
        assert crypto.decrypt(shop.refresh_token_enc) in token_endpoint.refresh_tokens
    assert timedelta(minutes=59) < shop.access_token_expires_at - utcnow() <= timedelta(hours=1)
    assert timedelta(days=89) < shop.refresh_token_expires_at - utcnow() <= timedelta(days=90)
    assert shop.scopes == "write_products,write_files"
    # No cookie is needed (or set) for the embedded UI.
    assert "Set-Cookie" not in response.headers


def test_later_loads_use_the_stored_token(client, token_endpoint):
    assert client.get(app_load()).status_code == 200
    assert client.get(app_load()).status_code == 200
    assert len(token_endpoint.requests) == 1


def test_a_load_without_an_id_token_gets_the_bounce(client, token_endpoint):
    query = assert_bounced(client.get(app_load(id_token=None, sign=True)))
    assert query["host"] == [HOST]
    assert token_endpoint.requests == []


def test_the_bounce_page_is_app_bridge_first_and_never_blank(client):
    response = client.get(f"/auth/session-token?shop={SHOP}&host={HOST}&embedded=1"
                          f"&shopify-reload=%2Fhistory%3Fshop%3D{SHOP}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # App Bridge is the page's first script: it does the reload.
    first_script = body[body.index("<script"):]
    assert first_script.startswith(f'<script data-api-key="{API_KEY}" '
                                   'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>')
    # Without it (issue 14.6), the page says what is happening and how to go on.
    assert "Refreshing your Shopify session" in body
    assert f'href="https://admin.shopify.com/store/{SHOP.split(".")[0]}/apps/{API_KEY}/history"' in body
    # The app's own page frames it to refresh a token in place.
    assert response.headers["Content-Security-Policy"] == \
        f"frame-ancestors https://{SHOP} https://admin.shopify.com 'self';"


@pytest.mark.parametrize("make_token", [
    lambda: make_session_token(SHOP, secret="someone-elses-secret-0123456789abcdef"),   # forged
    lambda: make_session_token(SHOP, exp_in=-11),                                        # expired beyond the leeway
    lambda: make_session_token(SHOP, aud="another-app"),                                 # wrong audience
    lambda: make_session_token(SHOP, nbf_in=30),                                         # not yet valid
    lambda: make_session_token(SHOP, iss_shop="other-shop.myshopify.com"),               # iss and dest differ
    lambda: make_session_token("shop.myshopify.com.evil.com"),                           # not a shop
    lambda: "not.a.jwt",
], ids=["forged", "expired", "wrong-audience", "not-yet-valid", "iss-dest-mismatch", "evil-dest", "garbage"])
def test_a_bad_id_token_gets_the_bounce_and_installs_nothing(app, client, token_endpoint, make_token):
    # Made now, not at collection: the times in it are relative to the test.
    response = client.get(app_load(id_token=make_token()))
    assert_bounced(response)
    assert token_endpoint.requests == []
    assert stored_shop(app) is None


def test_an_id_token_within_the_leeway_is_accepted(client, token_endpoint):
    assert client.get(app_load()).status_code == 200
    # Installed already, so no exchange: Shopify itself allows no leeway.
    assert client.get(app_load(id_token=make_session_token(SHOP, exp_in=-5))).status_code == 200


def test_a_wrong_hmac_gets_the_bounce(client, token_endpoint):
    assert_bounced(client.get(app_load(secret="other-secret")))
    assert token_endpoint.requests == []


def test_an_unsigned_reload_with_a_fresh_id_token_works(client, token_endpoint):
    # What App Bridge does after the bounce: the same path, a new id_token, no hmac.
    assert client.get(app_load(sign=False)).status_code == 200


def test_a_shop_parameter_for_another_shop_is_refused(app, client, token_endpoint):
    url = app_load(shop=SHOP, id_token=make_session_token("other-shop.myshopify.com"))
    response = client.get(url)
    assert response.status_code == 400
    assert token_endpoint.requests == []
    assert stored_shop(app, "other-shop.myshopify.com") is None


def test_the_shop_comes_from_the_token_not_the_parameter(app, client, token_endpoint):
    other = "other-shop.myshopify.com"
    url = app_load(shop=other, id_token=make_session_token(other))
    assert client.get(url).status_code == 200
    assert token_endpoint.requests[0]["shop"] == other


def test_a_refused_subject_token_gets_the_bounce(app, client, token_endpoint):
    token_endpoint._id_token_ok = lambda raw, shop: False  # Shopify refuses the ID token
    assert_bounced(client.get(app_load()))
    assert stored_shop(app) is None


def test_token_endpoint_down_is_a_503_page(app, client, token_endpoint):
    token_endpoint.lose_responses = 1
    response = client.get(app_load())
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert stored_shop(app) is None


def test_uninstalled_app_at_shopify_is_a_503_page(app, client, token_endpoint):
    token_endpoint.installed = {"some-other-shop.myshopify.com"}
    response = client.get(app_load())
    assert response.status_code == 503
    assert stored_shop(app) is None


def test_shop_with_dead_tokens_is_installed_again_on_load(app, client, token_endpoint):
    assert client.get(app_load()).status_code == 200
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == SHOP))
        shop.access_token_expires_at = utcnow() - timedelta(seconds=1)
        shop.refresh_token_enc = None
        db.session.commit()
    assert client.get(app_load()).status_code == 200
    assert len(token_endpoint.grants("urn:ietf:params:oauth:grant-type:token-exchange")) == 2
    assert stored_shop(app).refresh_token_enc is not None


def test_a_load_outside_the_admin_goes_into_the_admin(client):
    response = client.get(f"/?shop={SHOP}&host={HOST}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"https://admin.shopify.com/store/home-shop/apps/{API_KEY}"


@pytest.mark.parametrize("host", [
    base64.b64encode(b"evil.com/store/x").decode().rstrip("="),
    base64.b64encode(b"admin.shopify.com.evil.com/store/x").decode().rstrip("="),
    base64.b64encode(b"admin.shopify.com/store/x/../../evil").decode().rstrip("="),
    "not base64!",
])
def test_a_bad_host_never_becomes_a_redirect(client, host):
    response = client.get("/", query_string={"host": host, "shop": "evil.com"})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_a_bad_host_falls_back_to_the_shops_admin(client):
    response = client.get("/", query_string={"host": "bad", "shop": SHOP})
    assert response.headers["Location"] == f"https://{SHOP}/admin/apps/{API_KEY}"


def test_the_embedded_api_wants_a_bearer_session_token(client, token_endpoint):
    assert client.get(app_load()).status_code == 200
    missing = client.get("/app/api/connection")
    assert missing.status_code == 401
    assert missing.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    expired = client.get("/app/api/connection",
                         headers={"Authorization": f"Bearer {make_session_token(SHOP, exp_in=-60)}"})
    assert expired.status_code == 401
    assert expired.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    ok = client.get("/app/api/connection", headers={"Authorization": f"Bearer {make_session_token(SHOP)}"})
    assert ok.status_code == 200


def test_simultaneous_first_loads_exchange_once(app, token_endpoint):
    """Two tabs opening the app at once: a second exchange would retire the
    first pair's refresh token, so only one may happen."""
    import threading
    token_endpoint.delay_seconds = 0.3
    statuses: list[int] = []
    start = threading.Barrier(4)

    def open_tab() -> None:
        with app.test_client() as tab:
            start.wait()
            statuses.append(tab.get(app_load()).status_code)

    threads = [threading.Thread(target=open_tab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200] * 4
    assert len(token_endpoint.grants("urn:ietf:params:oauth:grant-type:token-exchange")) == 1
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == SHOP))
        assert crypto.decrypt(shop.refresh_token_enc) in token_endpoint.refresh_tokens
