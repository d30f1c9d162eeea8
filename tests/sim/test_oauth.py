"""The simulator's OAuth endpoints, checked against Shopify's own verifier
(ShopifyAPI's `shopify.Session.validate_hmac`) and Shopify's documented
HMAC example."""
from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import pytest
import shopify

from shopify_sim.signing import query_hmac, query_message, sign_query

from .sim_auth_support import CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, REDIRECT_URI, SHOP

TOKEN_URL = f"/{SHOP}/admin/oauth/access_token"


@pytest.fixture
def shopify_session():
    shopify.Session.setup(api_key=CLIENT_ID, secret=CLIENT_SECRET)
    yield
    shopify.Session.setup(api_key=None, secret=None)


def authorize(sim, **params):
    query = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "a1b2c3", **params}
    return sim.client.get(f"/{SHOP}/admin/oauth/authorize", query_string=query)


def callback_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.location)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return dict(parse_qsl(location.query))


def code_for(sim, **params) -> str:
    return callback_params(authorize(sim, **params))["code"]


# -- signatures -----------------------------------------------------------

def test_shopify_documented_hmac_example():
    params = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
              "state": "0.6784241404160823", "timestamp": "1337178173"}
    assert query_message(params) == ("code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com"
                                     "&state=0.6784241404160823&timestamp=1337178173")
    assert query_hmac(params, "hush") == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    shopify.Session.setup(api_key="key", secret="hush")
    try:
        assert shopify.Session.validate_hmac(sign_query(params, "hush"))
    finally:
        shopify.Session.setup(api_key=None, secret=None)


def test_canonical_form_matches_shopify_python_api_vectors():
    # Vectors from Shopify/shopify_python_api test/session_test.py.
    assert query_hmac({"shop": "some-shop.myshopify.com", "code": "a94a110d86d2452eb3e2af4cfb8a3828",
                       "timestamp": "1337178173"}, "hush") == \
        "2cb1a277650a659f1b11e92a4a64275b128e037f2c3390e3c8fd2d8721dac9e2"
    arrays = {"shop": "some-shop.myshopify.com", "ids[]": ["2", "1"]}
    assert query_message(arrays) == 'ids=["2", "1"]&shop=some-shop.myshopify.com'
    assert query_hmac(arrays, "hush") == "b93b9f82996f6f8bf9f1b7bbddec284c8fabacdc4e12dc80550b4705f3003b1e"
    assert query_message({"a": "1&b=2", "c=3&d": "4"}) == "a=1%26b=2&c%3D3%26d=4"


# -- authorize ------------------------------------------------------------

def test_authorize_redirects_back_signed_as_shopify_signs(sim, shopify_session):
    params = callback_params(authorize(sim))
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert params["state"] == "a1b2c3"
    assert params["shop"] == SHOP
    assert params["timestamp"] == str(int(sim.clock.now))
    assert "=" not in params["host"]
    padded = params["host"] + "=" * (-len(params["host"]) % 4)
    assert base64.b64decode(padded).decode() == "admin.shopify.com/store/auth-shop"
    assert shopify.Session.validate_hmac(params)
    assert shopify.Session.validate_params(params)  # also checks the timestamp is fresh
    tampered = dict(params, shop=OTHER_SHOP)
    assert not shopify.Session.validate_hmac(tampered)
    assert CLIENT_ID in sim.state.shops[SHOP].installed_apps


def test_authorize_passes_no_state_when_none_was_sent(sim, shopify_session):
    response = sim.client.get(f"/{SHOP}/admin/oauth/authorize",
                              query_string={"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI})
    params = callback_params(response)
    assert "state" not in params
    assert shopify.Session.validate_hmac(params)


@pytest.mark.parametrize("params, status, message", [
    ({"client_id": "nope"}, 400, "Could not find Shopify API application"),
    ({"redirect_uri": "https://evil.example/auth/callback"}, 400, "redirect_uri is not whitelisted"),
    ({"redirect_uri": REDIRECT_URI + "/../../evil"}, 400, "redirect_uri is not whitelisted"),
])
def test_authorize_refuses_unknown_apps_and_foreign_redirects(sim, params, status, message):
    response = authorize(sim, **params)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert response.location is None
    assert not sim.state.auth_codes


def test_authorize_on_an_unknown_shop_is_404(sim):
    response = sim.client.get("/nowhere.myshopify.com/admin/oauth/authorize",
                              query_string={"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI})
    assert response.status_code == 404


# -- authorization code grant ---------------------------------------------

def test_code_for_non_expiring_offline_token_form_encoded(sim):
    response = sim.client.post(TOKEN_URL, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                "code": code_for(sim)})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "scope"}
    assert body["scope"] == "write_products,write_files"
    token = sim.state.lookup_token(body["access_token"])
    assert token is not None and token.shop == SHOP and token.expires_at is None


def test_code_for_expiring_offline_token_json(sim):
    response = sim.client.post(TOKEN_URL, json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                "code": code_for(sim), "expiring": 1})
    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "scope", "expires_in", "refresh_token", "refresh_token_expires_in"}
    assert body["expires_in"] == 3600
    assert body["refresh_token_expires_in"] == 7776000
    assert body["access_token"].startswith("shpat_") and body["refresh_token"].startswith("shprt_")


def test_requested_scope_and_online_access_mode(sim):
    code = code_for(sim, **{"scope": "read_products", "grant_options[]": "per-user"})
    body = sim.client.post(TOKEN_URL, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                            "code": code, "expiring": "1"}).get_json()
    assert body["scope"] == "read_products"
    assert body["expires_in"] == 86399
    assert body["associated_user_scope"] == "read_products"
    assert body["associated_user"]["account_owner"] is True
    assert "refresh_token" not in body


def test_code_is_single_use(sim):
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code_for(sim)}
    assert sim.client.post(TOKEN_URL, data=form).status_code == 200
    again = sim.client.post(TOKEN_URL, data=form)
    assert again.status_code == 400
    assert again.get_json() == {"error": "invalid_request",
                                "error_description": "The authorization code was not found or was already used"}


def test_code_expires(sim):
    code = code_for(sim)
    sim.clock.advance(601)
    response = sim.client.post(TOKEN_URL, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                "code": code})
    assert response.status_code == 400


def test_code_is_bound_to_its_shop(sim):
    sim.client.post(f"/_sim/shops/{OTHER_SHOP}/installs", json={"client_id": CLIENT_ID})
    response = sim.client.post(f"/{OTHER_SHOP}/admin/oauth/access_token",
                               data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code_for(sim)})
    assert response.status_code == 400


@pytest.mark.parametrize("credentials", [
    {"client_id": CLIENT_ID, "client_secret": "wrong"},
    {"client_id": CLIENT_ID},
    {"client_id": "unknown", "client_secret": CLIENT_SECRET},
])
def test_bad_client_credentials_are_invalid_client(sim, credentials):
    code = code_for(sim)
    response = sim.client.post(TOKEN_URL, data={**credentials, "code": code})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert code in sim.state.auth_codes  # a failed client check doesn't burn the code


def test_unknown_grant_type(sim):
    response = sim.client.post(TOKEN_URL, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                "grant_type": "password"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


# -- refresh --------------------------------------------------------------

def expiring_pair(sim) -> dict:
    return sim.client.post(TOKEN_URL, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                            "code": code_for(sim), "expiring": "1"}).get_json()


def refresh(sim, refresh_token: str, shop: str = SHOP):
    return sim.client.post(f"/{shop}/admin/oauth/access_token",
                           json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                 "grant_type": "refresh_token", "refresh_token": refresh_token})


def test_refresh_returns_a_new_pair(sim):
    first = expiring_pair(sim)
    sim.clock.advance(3500)
    response = refresh(sim, first["refresh_token"])
    assert response.status_code == 200
    second = response.get_json()
    assert second["expires_in"] == 3600 and second["refresh_token_expires_in"] == 7776000
    assert {second["access_token"], second["refresh_token"]}.isdisjoint(
        {first["access_token"], first["refresh_token"]})
    # The old access token lives out its hour.
    assert sim.state.lookup_token(first["access_token"]) is not None
    sim.clock.advance(101)
    assert sim.state.lookup_token(first["access_token"]) is None
    assert sim.state.lookup_token(second["access_token"]) is not None


def test_lost_refresh_response_can_be_retried_until_the_replacement_is_used(sim):
    first = expiring_pair(sim)
    lost = refresh(sim, first["refresh_token"]).get_json()
    retried = refresh(sim, first["refresh_token"])
    assert retried.status_code == 200
    kept = retried.get_json()
    # The retry retired the pair whose response was lost.
    assert refresh(sim, lost["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert sim.state.lookup_token(kept["access_token"]) is not None  # first use
    again = refresh(sim, first["refresh_token"])
    assert again.status_code == 400
    assert again.get_json()["error"] == "invalid_grant"
    assert refresh(sim, kept["refresh_token"]).status_code == 200


def test_using_the_new_refresh_token_kills_the_old_one(sim):
    first = expiring_pair(sim)
    second = refresh(sim, first["refresh_token"]).get_json()
    assert refresh(sim, second["refresh_token"]).status_code == 200
    assert refresh(sim, first["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_refresh_token_expires_after_90_days(sim):
    first = expiring_pair(sim)
    sim.clock.advance(7776000)
    assert refresh(sim, first["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_refresh_token_is_bound_to_shop_and_app(sim):
    first = expiring_pair(sim)
    assert refresh(sim, first["refresh_token"], shop=OTHER_SHOP).get_json()["error"] == "invalid_grant"
    assert refresh(sim, "shprt_made_up").get_json()["error"] == "invalid_grant"


def test_a_new_expiring_token_retires_the_older_ones_refresh_token(sim):
    older = expiring_pair(sim)
    newer = expiring_pair(sim)
    assert refresh(sim, older["refresh_token"]).get_json()["error"] == "invalid_grant"
    assert sim.state.lookup_token(older["access_token"]) is not None  # until its expires_in
    assert refresh(sim, newer["refresh_token"]).status_code == 200
