"""What tests share besides fixtures (those are in the conftest.py files):
the test app's credentials, session tokens and signed admin loads, the
bridge's connect, the store as the app reads it, a webhook receiver, and
the browser tests' Chromium."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import OctKey
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from tests.server_thread import ServerThread

RUN_ID = uuid.uuid4().hex[:10]
API_KEY = "test-client-id"
API_SECRET = "test-client-secret-0123456789abcdef"
ADMIN_DB_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ENCRYPTION_KEY = Fernet.generate_key().decode()

CHROMIUM = "/usr/bin/chromium"
# Marks of a test (or pytestmark of a module) that drives headless Chromium.
BROWSER = [pytest.mark.browser,
           pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)")]


# -- the embedded admin ---------------------------------------------------------------------------

def make_session_token(shop: str = "test-shop.myshopify.com", *, secret: str = API_SECRET, aud: str = API_KEY,
                       exp_in: int = 60, nbf_in: int = 0, iss_shop: str | None = None, **extra: Any) -> str:
    """A session token as App Bridge would send it for `shop`."""
    now = int(time.time())
    claims = {
        "iss": f"https://{iss_shop or shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": "42",
        "exp": now + exp_in,
        "nbf": now + nbf_in,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
    }
    claims.update(extra)
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret))


def auth_header(shop: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + make_session_token(shop, **kwargs)}


def embedded_query(shop: str, **extra: str) -> str:
    """The query Shopify's admin loads an embedded app's page with, HMAC-signed
    as Shopify signs it (hex SHA-256 over the sorted parameters)."""
    store = shop.split(".")[0]
    params = {
        "embedded": "1",
        "host": base64.urlsafe_b64encode(f"admin.shopify.com/store/{store}".encode()).decode().rstrip("="),
        "id_token": make_session_token(shop),
        "locale": "en",
        "session": uuid.uuid4().hex,
        "shop": shop,
        "timestamp": str(int(time.time())),
        **extra,
    }
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["hmac"] = hmac.new(API_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return urlencode(params)


HOME_SHOP = "home-shop.myshopify.com"
HOME_HOST = base64.b64encode(b"admin.shopify.com/store/home-shop").decode().rstrip("=")


def app_load(shop: str = HOME_SHOP, *, id_token: str | None = "", secret: str = API_SECRET, sign: bool = True,
             **extra: str) -> str:
    """The query the admin puts on the app's URL, signed like Shopify does."""
    from shopify_app.auth import query_hmac

    params = {"embedded": "1", "host": HOME_HOST, "locale": "en", "session": "abc123", "shop": shop,
              "timestamp": str(int(time.time()))}
    if id_token is not None:
        params["id_token"] = id_token or make_session_token(shop)
    params.update(extra)
    if sign:
        params["hmac"] = query_hmac.calculate_hmac(MultiDict(params), secret)
    return "/?" + "&".join(f"{k}={v}" for k, v in params.items())


# -- the bridge -----------------------------------------------------------------------------------

def settings_page_code(client: Any, domain: str) -> str:
    """The connection code exactly as the Settings page gets it to show."""
    response = client.get("/app/api/connection", headers=auth_header(domain))
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["code"])


def settings_code_over_http(base_url: str, domain: str) -> str:
    """The same, from an app served over real HTTP."""
    response = requests.get(f"{base_url}/app/api/connection", timeout=10, headers=auth_header(domain))
    response.raise_for_status()
    return str(response.json()["code"])


def connect(client: Any, domain: str, *, cloud_name: str = "acme-cloud", label: str | None = None) -> dict[str, Any]:
    code = settings_page_code(client, domain)
    response = client.post("/bridge/v1/connect", json={"connection_code": code, "cloud_name": cloud_name,
                                                       "label": label})
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- processes and servers --------------------------------------------------------------------------

def worker_environment(config: Any) -> dict[str, str]:
    """The environment a `python -m jobs.worker` process needs to serve the
    same database and queues as an app built from `config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_"))}
    for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY",
                 "DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "SHOPIFY_SHOP_ORIGIN"):
        env[name] = str(config[name])
    for name in ("CLOUDINARY_API_ORIGIN", "AUTOMATION_DEBOUNCE_SECONDS", "AUTOMATION_MAX_DELAY_SECONDS",
                 "AUTOMATION_RECONCILE_CRON"):
        if name in config:
            env[name] = str(config[name])
    env["ASSETLINK_DEVELOPMENT"] = "1" if config.get("ASSETLINK_DEVELOPMENT") else "0"
    return env


class Receiver:
    """A webhook receiver over real HTTP: records each call (headers, body)
    and answers with the next status of `answers` (204 once they run out).
    The `receiver` fixture starts and stops one."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.server = ServerThread(self.app).start()
        self.url = f"{self.server.base_url}/hooks/assetlink"

    @Request.application
    def app(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), request.get_data()))
        return Response("", status=self.answers.pop(0) if self.answers else 204)

    def stop(self) -> None:
        self.server.stop()


# -- the embedded admin in a browser (tests/ui) ----------------------------------------------------

def assert_nothing_cut_off(page):
    """At any width, no element sticks out of the page sideways (a field or
    table cut off at the right edge)."""
    overflow = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return [...document.querySelectorAll('body *')].filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && el.offsetParent !== null && box.right > width + 1
                && !el.closest('dialog');
        }).map((el) => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5);
    }""")
    assert overflow == [], overflow
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
        page.evaluate("""() => [...document.querySelectorAll('body *')].filter((el) =>
            el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map((el) => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5)""")


def purge_all_history(app: Any) -> dict[str, int]:
    """Age every finished batch past the retention period and purge the history, as the operator's command does."""
    from datetime import timedelta

    from shopify_app.cli import purge_history
    from shopify_app.extensions import db
    from shopify_app.models import Sync, utcnow
    with app.app_context():
        db.session.execute(db.update(Sync).values(finished_at=utcnow() - timedelta(days=400)))
        db.session.commit()
        return purge_history(days=90)
