"""The Shopify simulator in a thread, for tests that reach the Admin API.

    def test_x(app, sim_shop):
        shop = sim_shop(generate={"products": 100})   # sim shop + stored token
        ... the app's Admin API calls now reach the simulator ...
        sim.requests(shop.domain)                      # what the app sent

`sim` is one server per test session (shops are cheap; a server per test is
not); every `sim_shop` gets a fresh domain. Import the fixtures into a
conftest: `from tests.simulator_fixture import sim, sim_shop`.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

import pytest
import requests
from werkzeug.serving import make_server

SIM_CLIENT_ID = "test-client-id"  # == tests/conftest.py API_KEY
SIM_CLIENT_SECRET = "test-client-secret-0123456789abcdef"
SCOPES = "read_products,write_products,read_files,write_files"


class ServerThread:
    """A WSGI app served on 127.0.0.1 on a free port, in a daemon thread."""

    def __init__(self, wsgi_app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.port = self.server.server_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"server-{self.port}", daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@dataclass
class SimShop:
    domain: str
    access_token: str  # as first issued; the app may refresh or migrate it
    shop_id: int | None = None  # the app's Shop row, when stored

    def current_token(self, app: Any) -> str:
        """The token the app holds now (after any refresh or migration)."""
        from shopify_app import crypto
        from shopify_app.extensions import db
        from shopify_app.models import Shop
        with app.app_context():
            return crypto.decrypt(db.session.get(Shop, self.shop_id).access_token_enc)


class Sim:
    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app  # the simulator's Flask app (state inspection in tests)
        self.http = requests.Session()
        self.shop_origin = base_url + "/{shop}"

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.base_url + path, timeout=120, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def register_app(self, application_url: str = "https://app.example.test") -> None:
        self.control("POST", "/_sim/apps", json={"client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET,
                                                 "application_url": application_url, "scopes": SCOPES})

    def create_shop(self, domain: str | None = None, **body: Any) -> dict[str, Any]:
        domain = domain or f"sim-{uuid.uuid4().hex[:10]}.myshopify.com"
        return self.control("POST", "/_sim/shops", json={"domain": domain, **body})

    def issue_token(self, domain: str, *, expiring: bool = False) -> dict[str, Any]:
        return self.control("POST", f"/_sim/shops/{domain}/access_tokens",
                            json={"client_id": SIM_CLIENT_ID, "expiring": expiring})

    def requests(self, domain: str) -> list[dict[str, Any]]:
        return self.control("GET", f"/_sim/shops/{domain}/requests")

    def clear_requests(self, domain: str) -> None:
        self.control("POST", f"/_sim/shops/{domain}/requests/clear")

    def graphql(self, domain: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set up state the way a merchant would, through the Admin API."""
        response = self.http.post(f"{self.base_url}/{domain}/admin/api/2026-10/graphql.json",
                                  json={"query": query, "variables": variables or {}},
                                  headers={"X-Shopify-Access-Token": token}, timeout=60)
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture(scope="session")
def sim() -> Iterator[Sim]:
    import shopify_sim
    holder: dict[str, Any] = {}
    # The simulator must know its own URL (staged upload targets); bind first.
    sim_app = shopify_sim.create_app({"SIM_WEBHOOK_THREAD": False})
    server = ServerThread(sim_app)
    sim_app.config["SIM_BASE_URL"] = server.base_url
    server.start()
    holder["sim"] = Sim(server.base_url, sim_app)
    holder["sim"].register_app()
    try:
        yield holder["sim"]
    finally:
        server.stop()


@pytest.fixture
def sim_shop(sim, app):
    """Make a simulator shop, store it (with its token) as an installed Shop,
    and point the app at the simulator. Returns a factory.

    Tokens are expiring offline tokens, as the app asks for; with
    `expiring=False` the app migrates the legacy token on first use (which
    revokes it: use `SimShop.current_token(app)` for direct calls)."""
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow

    app.config["SHOPIFY_SHOP_ORIGIN"] = sim.shop_origin

    def make(domain: str | None = None, *, name: str = "Sim Store", plan: str = "standard", expiring: bool = True,
             **body: Any) -> SimShop:
        created = sim.create_shop(domain, name=name, plan=plan, **body)
        token = sim.issue_token(created["domain"], expiring=expiring)
        with app.app_context():
            shop = Shop(domain=created["domain"], name=name, currency="USD", plan=plan, scopes=token.get("scope", SCOPES),
                        installed_at=utcnow(), access_token_enc=crypto.encrypt(token["access_token"]))
            if expiring:
                now = utcnow()
                shop.access_token_expires_at = now + timedelta(seconds=int(token["expires_in"]))
                shop.refresh_token_enc = crypto.encrypt(token["refresh_token"])
                shop.refresh_token_expires_at = now + timedelta(
                    seconds=int(token.get("refresh_token_expires_in") or 90 * 86400))
            db.session.add(shop)
            db.session.commit()
            return SimShop(domain=created["domain"], access_token=token["access_token"], shop_id=shop.id)

    return make
