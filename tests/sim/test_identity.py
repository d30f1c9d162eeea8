"""The embedded first load and ID tokens, checked with Shopify's own Python
verifiers (ShopifyAPI's `Session.validate_hmac` and
`session_token.decode_from_header`), plus token exchange."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import shopify
from flask import Flask
from joserfc import jwt
from joserfc.jwk import OctKey
from shopify.session_token import SessionTokenError, decode_from_header
from werkzeug.serving import make_server

from shopify_sim import webhooks
from shopify_sim.identity import InvalidIdToken, mint_id_token, verify_id_token

from .sim_auth_support import APP_URL, CLIENT_ID, CLIENT_SECRET, OTHER_SHOP, SHOP

TOKEN_URL = f"/{SHOP}/admin/oauth/access_token"
EXCHANGE = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
    "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
    "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
}


@pytest.fixture
def shopify_session():
    shopify.Session.setup(api_key=CLIENT_ID, secret=CLIENT_SECRET)
    yield
    shopify.Session.setup(api_key=None, secret=None)


def open_app(sim, shop: str = SHOP, **query) -> tuple[str, dict[str, str]]:
    response = sim.client.get(f"/_sim/shops/{shop}/apps/{CLIENT_ID}/open", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.location)
    return f"{location.scheme}://{location.netloc}{location.path}", dict(parse_qsl(location.query))


def test_first_load_is_what_shopify_sends(sim, shopify_session):
    target, params = open_app(sim)
    assert target == APP_URL
    assert set(params) == {"embedded", "hmac", "host", "id_token", "locale", "session", "shop", "timestamp"}
    assert params["embedded"] == "1" and params["shop"] == SHOP and params["locale"] == "en"
    assert len(params["session"]) == 64
    assert base64.b64decode(params["host"] + "=" * (-len(params["host"]) % 4)) == b"admin.shopify.com/store/auth-shop"
    assert shopify.Session.validate_params(params)
    assert not shopify.Session.validate_hmac(dict(params, embedded="0"))
    # The first open is the managed install.
    assert CLIENT_ID in sim.state.shops[SHOP].installed_apps


def test_id_token_passes_shopify_python_api_verification(sim):
    _, params = open_app(sim, user_id="42")
    claims = decode_from_header("Bearer " + params["id_token"], CLIENT_ID, CLIENT_SECRET)
    assert claims["iss"] == f"https://{SHOP}/admin"
    assert claims["dest"] == f"https://{SHOP}"
    assert claims["aud"] == CLIENT_ID
    assert claims["sub"] == "42"
    assert claims["exp"] - claims["iat"] == 60 and claims["nbf"] == claims["iat"] == int(sim.clock.now)
    uuid.UUID(claims["jti"])
    assert claims["sid"] and claims["sig"]
    header = json.loads(base64.urlsafe_b64decode(params["id_token"].split(".")[0] + "=="))
    assert header == {"typ": "JWT", "alg": "HS256"}
    with pytest.raises(SessionTokenError):
        decode_from_header("Bearer " + params["id_token"], CLIENT_ID, "another-secret-0123456789abcdef-xyz")
    with pytest.raises(SessionTokenError):
        decode_from_header("Bearer " + params["id_token"], "another-client", CLIENT_SECRET)


def test_id_token_passes_the_apps_own_verifier(sim):
    from shopify_app.auth.session_token import decode_session_token

    _, params = open_app(sim)
    flask_app = Flask("verifier")
    flask_app.config.update(SHOPIFY_API_KEY=CLIENT_ID, SHOPIFY_API_SECRET=CLIENT_SECRET)
    with flask_app.app_context():
        assert decode_session_token(params["id_token"]).shop == SHOP


def test_deep_link_keeps_path_and_query_under_the_signature(sim, shopify_session):
    sim.register(application_url="https://assetlink.example.test/app/")
    target, params = open_app(sim, path="/products/7?tab=media")
    assert target == "https://assetlink.example.test/app/products/7"
    assert params["tab"] == "media"
    assert shopify.Session.validate_hmac(params)


def test_open_refuses_unknown_shop_app_and_relative_path(sim):
    assert sim.client.get(f"/_sim/shops/nowhere.myshopify.com/apps/{CLIENT_ID}/open").status_code == 404
    assert sim.client.get(f"/_sim/shops/{SHOP}/apps/nope/open").status_code == 404
    assert sim.client.get(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/open?path=products").status_code == 400


def test_verify_rejects_expired_future_foreign_and_forged_tokens(sim):
    now = sim.clock.now
    good = mint_id_token(shop=SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, user_id="1", now=now)
    verified = verify_id_token(good, shop=SHOP, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, now=now + 59)
    assert verified["sub"] == "1"
    cases = [
        (good, SHOP, CLIENT_ID, CLIENT_SECRET, now + 60),           # expired
        (good, SHOP, CLIENT_ID, CLIENT_SECRET, now - 5),            # not yet valid
        (good, OTHER_SHOP, CLIENT_ID, CLIENT_SECRET, now),          # another shop
        (good, SHOP, "other-client", CLIENT_SECRET, now),           # another app
        (good, SHOP, CLIENT_ID, "not-the-secret", now),             # forged
        ("not.a.jwt", SHOP, CLIENT_ID, CLIENT_SECRET, now),
        ("", SHOP, CLIENT_ID, CLIENT_SECRET, now),
    ]
    for token, shop, client_id, secret, at in cases:
        with pytest.raises(InvalidIdToken):
            verify_id_token(token, shop=shop, client_id=client_id, client_secret=secret, now=at)


# -- token exchange -------------------------------------------------------

def exchange(sim, id_token: str, shop: str = SHOP, **overrides):
    return sim.client.post(f"/{shop}/admin/oauth/access_token",
                           json={**EXCHANGE, "subject_token": id_token, **overrides})


def test_token_exchange_offline_non_expiring(sim):
    _, params = open_app(sim)
    # Form-encoded, as authlib's client_secret_post sends it.
    response = sim.client.post(TOKEN_URL, data={**EXCHANGE, "subject_token": params["id_token"]})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "scope"}
    assert body["scope"] == "write_products,write_files"
    assert sim.state.lookup_token(body["access_token"]).shop == SHOP


def test_token_exchange_expiring_as_shopifyapp_sends_it(sim):
    _, params = open_app(sim)
    response = exchange(sim, params["id_token"], expiring=1)
    body = response.get_json()
    assert response.status_code == 200
    assert body["expires_in"] == 3600 and body["refresh_token_expires_in"] == 7776000
    assert body["refresh_token"] in sim.state.refresh_tokens


def test_token_exchange_online(sim):
    _, params = open_app(sim, user_id="902541635")
    body = exchange(sim, params["id_token"],
                    requested_token_type="urn:shopify:params:oauth:token-type:online-access-token").get_json()
    assert body["expires_in"] == 86399
    assert body["associated_user"]["id"] == 902541635
    assert body["associated_user_scope"] == body["scope"]
    assert "refresh_token" not in body


def test_token_exchange_with_expired_id_token(sim):
    _, params = open_app(sim)
    sim.clock.advance(61)
    response = exchange(sim, params["id_token"])
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_subject_token"


def test_token_exchange_with_forged_or_foreign_id_token(sim):
    now = int(sim.clock.now)
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "1",
              "exp": now + 60, "nbf": now, "iat": now, "jti": str(uuid.uuid4()), "sid": "x"}
    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key("attacker-secret-0123456789abcdef"))
    _, other = open_app(sim, shop=OTHER_SHOP)
    for token in (forged, other["id_token"], "garbage"):
        response = exchange(sim, token)
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_subject_token"


def test_token_exchange_needs_the_app_installed(sim):
    _, params = open_app(sim)
    assert sim.client.post(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/uninstall").status_code == 200
    response = exchange(sim, params["id_token"])
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_token_exchange_with_wrong_secret(sim):
    _, params = open_app(sim)
    response = exchange(sim, params["id_token"], client_secret="wrong")
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_migrating_a_non_expiring_offline_token(sim):
    old = sim.client.post(f"/_sim/shops/{SHOP}/access_tokens", json={"client_id": CLIENT_ID}).get_json()
    migrate = {"subject_token": old["access_token"],
               "subject_token_type": "urn:shopify:params:oauth:token-type:offline-access-token"}
    assert exchange(sim, **migrate, id_token=None).status_code == 400  # expiring=1 is required
    first = exchange(sim, **migrate, id_token=None, expiring=1)
    assert first.status_code == 200
    pair = first.get_json()
    assert pair["refresh_token"] and pair["expires_in"] == 3600
    assert sim.state.lookup_token(old["access_token"]) is None  # revoked
    # A lost response: retrying with the old token returns the same pair.
    assert exchange(sim, **migrate, id_token=None, expiring=1).get_json()["access_token"] == pair["access_token"]


# -- Shopify's `shopifyapp` package (separate virtualenv) -------------------

# bin/setup installs it (pinned) in .venv-shopifyapp.
SHOPIFYAPP_PYTHON = os.environ.get("SHOPIFYAPP_PYTHON",
                                   str(Path(__file__).resolve().parents[2] / ".venv-shopifyapp" / "bin" / "python"))


@pytest.mark.skipif(not Path(SHOPIFYAPP_PYTHON).exists(),
                    reason="needs Shopify's shopifyapp in its own venv: bin/setup installs it (or set "
                           "SHOPIFYAPP_PYTHON)")
def test_shopifyapp_accepts_first_load_token_exchange_refresh_and_webhooks(sim):
    server = make_server("127.0.0.1", 0, sim.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        sim.clock.now = float(int(time.time()))  # shopifyapp checks exp against the real clock
        open_url = sim.client.get(f"/_sim/shops/{SHOP}/apps/{CLIENT_ID}/open", query_string={"user_id": "42"}).location
        (delivery,) = webhooks.enqueue(sim.state, app=sim.state.apps[CLIENT_ID], shop=SHOP, topic="shop/redact",
                                       payload=webhooks.compliance_payload("shop/redact", sim.state.shops[SHOP]))
        job = {"sim": f"http://127.0.0.1:{server.server_port}", "client_id": CLIENT_ID,
               "client_secret": CLIENT_SECRET, "open_url": open_url,
               "webhook": {"headers": delivery.headers, "body": delivery.body.decode()}}
        probe = Path(__file__).with_name("shopifyapp_probe.py")
        # -I: the probe must import Shopify's shopify_app, never ours.
        done = subprocess.run([SHOPIFYAPP_PYTHON, "-I", str(probe)], input=json.dumps(job), capture_output=True,
                              text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["app_home"] == {"ok": True, "shop": "auth-shop", "user_id": "42", "code": "verified"}
    assert out["exchange"]["ok"], out
    assert out["exchange"]["scope"] == "write_products,write_files"
    assert sim.state.tokens[out["exchange"]["token"]].refresh_token == out["exchange"]["refresh_token"]
    assert out["refresh"]["ok"], out
    assert sim.state.tokens[out["refresh"]["token"]].shop == SHOP
    assert out["webhook"]["ok"] and out["webhook"]["shop"] == "auth-shop", out
    assert out["webhook_tampered"] == {"ok": False, "status": 401}
