"""The Shopify simulator in a thread, for tests that reach the Admin API.

    def test_x(app, sim_shop):
        shop = sim_shop(generate={"products": 100})   # sim shop + stored token
        ... the app's Admin API calls now reach the simulator ...
        sim.requests(shop.domain)                      # what the app sent

The fixtures `sim` (one server per test session: shops are cheap, a server
per test is not) and `sim_shop` (a fresh domain each) are in
tests/conftest.py; this module has what they are made of. Tests that need a
simulator of their own (other timings, a fixed domain) call
`start_sim(**config)` and stop it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from shopify_app.admin_api.client import AdminApiClient
from tests.delivery_server import fetch_origins
from tests.server_thread import ServerThread

SIM_CLIENT_ID = "test-client-id"  # == tests/support.py API_KEY
SIM_CLIENT_SECRET = "test-client-secret-0123456789abcdef"
SCOPES = "read_products,write_products,read_files,write_files"


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
    """A running simulator and its control API (`/_sim/...`).

    `domain` is the shop the per-shop helpers use when none is named (for a
    simulator of one test's own); the session simulator has none."""

    def __init__(self, server: ServerThread, app: Any, *, domain: str | None = None) -> None:
        self.server = server
        self.base_url = server.base_url
        self.app = app  # the simulator's Flask app (state inspection in tests)
        self.domain = domain
        self.http = requests.Session()
        self.shop_origin = self.base_url + "/{shop}"

    @property
    def state(self) -> Any:
        return self.app.extensions["sim_state"]

    def stop(self) -> None:
        self.server.stop()
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A control request as sent (redirects not followed); must not fail."""
        response = self.http.request(method, self.base_url + path, timeout=120, allow_redirects=False, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        return response.json() if response.content else None

    def register_app(self, application_url: str = "https://app.example.test") -> None:
        self.control("POST", "/_sim/apps", json={"client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET,
                                                 "application_url": application_url, "scopes": SCOPES})

    def create_shop(self, domain: str | None = None, **body: Any) -> dict[str, Any]:
        domain = domain or self.domain or f"sim-{uuid.uuid4().hex[:10]}.myshopify.com"
        return self.control("POST", "/_sim/shops", json={"domain": domain, **body})

    def issue_token(self, domain: str, *, expiring: bool = False) -> dict[str, Any]:
        return self.control("POST", f"/_sim/shops/{domain}/access_tokens",
                            json={"client_id": SIM_CLIENT_ID, "expiring": expiring})

    def client(self, domain: str | None = None, **kwargs: Any) -> AdminApiClient:
        """The app's Admin API client on a fresh token of the shop (no app database involved)."""
        domain = self._shop(domain)
        token = self.issue_token(domain)["access_token"]
        return AdminApiClient(domain, origin=f"{self.base_url}/{domain}", token_provider=lambda: token, **kwargs)

    # -- the shop's state and traffic --------------------------------------------------------------
    def shop(self, domain: str | None = None) -> dict[str, Any]:
        return self.control("GET", f"/_sim/shops/{self._shop(domain)}")

    def product(self, product_id: str, domain: str | None = None) -> dict[str, Any]:
        number = product_id.rsplit("/", 1)[-1]
        return self.control("GET", f"/_sim/shops/{self._shop(domain)}/products/{number}")

    def metafield(self, owner: str, key: str, domain: str | None = None) -> dict[str, Any] | None:
        """The `cloudinary.<key>` metafield of `owner`, or None."""
        return next((m for m in self.shop(domain)["metafields"]
                     if m["ownerId"] == owner and m["namespace"] == "cloudinary" and m["key"] == key), None)

    def requests(self, domain: str | None = None) -> list[dict[str, Any]]:
        return self.control("GET", f"/_sim/shops/{self._shop(domain)}/requests")

    def clear_requests(self, domain: str | None = None) -> None:
        self.control("POST", f"/_sim/shops/{self._shop(domain)}/requests/clear")

    def fault(self, spec: Any, domain: str | None = None) -> None:
        self.control("POST", f"/_sim/shops/{self._shop(domain)}/faults", json=spec)

    def clear_faults(self, domain: str | None = None) -> None:
        self.control("POST", f"/_sim/shops/{self._shop(domain)}/faults/clear")

    def graphql(self, domain: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Set up state the way a merchant would, through the Admin API."""
        response = self.http.post(f"{self.base_url}/{domain}/admin/api/2026-10/graphql.json",
                                  json={"query": query, "variables": variables or {}},
                                  headers={"X-Shopify-Access-Token": token}, timeout=60)
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def _shop(self, domain: str | None) -> str:
        domain = domain or self.domain
        assert domain, "name the shop: this simulator has no default domain"
        return domain


def start_sim(*, domain: str | None = None, register: bool = True, **config: Any) -> Sim:
    """A simulator of one's own, running; the caller stops it. Shopify's
    downloads of Cloudinary delivery URLs reach the local delivery server
    (tests/delivery_server.py) unless SIM_FETCH_ORIGINS says otherwise."""
    import shopify_sim
    sim_app = shopify_sim.create_app({"SIM_WEBHOOK_THREAD": False, "SIM_FETCH_ORIGINS": fetch_origins(), **config})
    server = ServerThread(sim_app)
    # The simulator must know its own URL (staged upload targets); bind first.
    sim_app.config["SIM_BASE_URL"] = server.base_url
    server.start()
    sim = Sim(server, sim_app, domain=domain)
    if register:
        sim.register_app()
    return sim
