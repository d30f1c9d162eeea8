"""Fixtures for the bridge: installed shops and connected Cloudinary tokens.

`sim` (tests/simulator_fixture.py) runs the Shopify simulator in a thread for
tests that reach the Admin API.
"""
from __future__ import annotations

import uuid

import pytest
from tests.conftest import make_session_token

from tests.simulator_fixture import sim, sim_shop  # noqa: F401  (fixtures)


@pytest.fixture
def client(app):
    """pytest-flask's client, from an address of its own: failed-connect
    counters in Redis then never leak from one test into another."""
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    return test_client


@pytest.fixture
def make_shop(app):
    """Create an installed shop as the install flow leaves it; return its id."""
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow

    def make(domain: str = "acme.myshopify.com", *, name: str = "Acme", token: str | None = None,
             installed: bool = True, **fields) -> int:
        with app.app_context():
            shop = Shop(domain=domain, name=name, scopes="write_products,write_files", installed_at=utcnow(),
                        currency="USD", plan="Basic",
                        access_token_enc=crypto.encrypt(token or "shpat_" + uuid.uuid4().hex) if installed else None,
                        **fields)
            db.session.add(shop)
            db.session.commit()
            return shop.id

    return make


def settings_page_code(client, domain: str) -> str:
    """The connection code exactly as the Settings page gets it to show."""
    response = client.get("/app/api/connection",
                          headers={"Authorization": "Bearer " + make_session_token(domain)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["code"]


def connect(client, domain: str, *, cloud_name: str = "acme-cloud", label: str | None = None) -> dict:
    code = settings_page_code(client, domain)
    response = client.post("/bridge/v1/connect", json={"connection_code": code, "cloud_name": cloud_name,
                                                       "label": label})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def connected(client, make_shop):
    """(shop domain, connect response) for a freshly connected store."""
    make_shop("acme.myshopify.com", name="Acme")
    return "acme.myshopify.com", connect(client, "acme.myshopify.com")
