"""Fixtures for the embedded admin UI: installed shops, authenticated page URLs."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from urllib.parse import urlencode

import pytest
from tests.conftest import API_SECRET, make_session_token


@pytest.fixture
def make_shop(app):
    """Create an installed shop (as the install flow leaves it) and return its id."""
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow

    def make(domain: str = "acme.myshopify.com", *, name: str = "Acme", installed: bool = True) -> int:
        with app.app_context():
            shop = Shop(domain=domain, name=name, scopes="write_products,write_files", installed_at=utcnow(),
                        access_token_enc=crypto.encrypt("shpat_" + uuid.uuid4().hex) if installed else None)
            db.session.add(shop)
            db.session.commit()
            return shop.id

    return make


def auth_header(shop: str, **kwargs) -> dict[str, str]:
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
