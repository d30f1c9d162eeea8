"""Install, uninstall, reinstall and redact: what each leaves behind."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shopify_app import credentials, crypto, lifecycle
from shopify_app.auth.token_exchange import TokenGrant
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, ConnectionCode, Shop, Sync, WebhookDelivery, utcnow
from tests.support import HOME_SHOP, app_load, make_session_token

SHOP = HOME_SHOP  # the shop app_load() opens


def grant(access: str = "shpat_1", refresh: str | None = "shprt_1") -> TokenGrant:
    now = utcnow()
    return TokenGrant(access, "write_products,write_files", now + timedelta(hours=1), refresh,
                      now + timedelta(days=90) if refresh else None)


def populate(shop: Shop) -> dict:
    """Everything a shop accumulates: a connection, an API key, a code, syncs."""
    connection = credentials.redeem_code(credentials.current_code(shop), "acme", "Main")
    api_key = credentials.create_api_key(shop, "CI")
    db.session.add_all([Sync(shop_id=shop.id, status="queued"), Sync(shop_id=shop.id, status="succeeded")])
    db.session.add(WebhookDelivery(webhook_id="w-" + shop.domain, topic="app/uninstalled", shop_domain=shop.domain))
    db.session.commit()
    return {"connection": connection, "api_key": api_key}


def count(model, **where) -> int:
    query = db.select(db.func.count()).select_from(model)
    for field, value in where.items():
        query = query.where(getattr(model, field) == value)
    return db.session.scalar(query)


def test_install_creates_the_shop_with_encrypted_tokens(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        assert shop.is_installed and shop.installed_at is not None
        assert shop.access_token_enc != "shpat_1" and crypto.decrypt(shop.access_token_enc) == "shpat_1"
        assert crypto.decrypt(shop.refresh_token_enc) == "shprt_1"


def test_update_of_an_installed_shop_keeps_its_data(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        installed_at = shop.installed_at
        issued = populate(shop)
        shop = lifecycle.install_or_update(SHOP, grant("shpat_2", "shprt_2"))
        assert shop.installed_at == installed_at
        assert crypto.decrypt(shop.access_token_enc) == "shpat_2"
        assert credentials.authenticate(issued["api_key"].token) is not None
        assert count(Sync, shop_id=shop.id) == 2


def test_uninstall_takes_everything_away_and_is_idempotent(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        issued = populate(shop)
        assert lifecycle.uninstall(SHOP) is True
        assert lifecycle.uninstall(SHOP) is False
        assert lifecycle.uninstall("never-installed.myshopify.com") is False
        shop = db.session.get(Shop, shop.id)
        assert not shop.is_installed and shop.access_token_enc is None and shop.refresh_token_enc is None
        assert all(credentials.authenticate(i.token) is None for i in issued.values())
        assert count(ConnectionCode, ended_at=None) == 0
        assert count(Sync, status="aborted") == 1


def test_an_uninstall_from_before_the_current_installation_is_ignored(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        assert lifecycle.uninstall(SHOP, shop.installed_at - timedelta(minutes=5)) is False
        assert db.session.get(Shop, shop.id).is_installed
        assert lifecycle.uninstall(SHOP, shop.installed_at + timedelta(minutes=5)) is True


def test_reinstall_starts_clean(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        first_id = shop.id
        issued = populate(shop)
        lifecycle.uninstall(SHOP)
        shop = lifecycle.install_or_update(SHOP, grant("shpat_new", "shprt_new"))
        assert shop.id == first_id and shop.is_installed and shop.uninstalled_at is None
        assert crypto.decrypt(shop.access_token_enc) == "shpat_new"
        # Nothing of the previous installation remains or works.
        assert count(BridgeCredential, shop_id=shop.id) == 0
        assert count(ConnectionCode, shop_id=shop.id) == 0
        assert count(Sync, shop_id=shop.id) == 0
        assert all(credentials.authenticate(i.token) is None for i in issued.values())
        # A fresh connection code can be issued and used.
        assert credentials.redeem_code(credentials.current_code(shop), "acme", None) is not None


def test_uninstall_then_reinstall_through_the_admin(app, client, token_endpoint):
    assert client.get(app_load()).status_code == 200
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == SHOP))
        old_key = credentials.create_api_key(shop, "CI").token
        assert lifecycle.uninstall(SHOP) is True
    # The merchant installs again and opens the app.
    assert client.get(app_load(id_token=make_session_token(SHOP))).status_code == 200
    with app.app_context():
        shop = db.session.scalar(db.select(Shop).where(Shop.domain == SHOP))
        assert shop.is_installed
        assert crypto.decrypt(shop.access_token_enc) in token_endpoint.access_tokens
        assert credentials.authenticate(old_key) is None
        assert count(BridgeCredential, shop_id=shop.id) == 0
    assert len(token_endpoint.grants("urn:ietf:params:oauth:grant-type:token-exchange")) == 2


def test_a_late_uninstall_webhook_after_a_reinstall_is_ignored(app):
    with app.app_context():
        lifecycle.install_or_update(SHOP, grant())
        uninstalled_at = utcnow()
        lifecycle.uninstall(SHOP, uninstalled_at)
        lifecycle.install_or_update(SHOP, grant("shpat_2", "shprt_2"))
        # Shopify retries the same app/uninstalled (same trigger time).
        assert lifecycle.uninstall(SHOP, uninstalled_at) is False
        assert db.session.scalar(db.select(Shop).where(Shop.domain == SHOP)).is_installed


def test_redact_deletes_every_row_held_for_the_shop(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        populate(shop)
        other = lifecycle.install_or_update("other-shop.myshopify.com", grant("shpat_o", "shprt_o"))
        populate(other)
        lifecycle.uninstall(SHOP)
        assert lifecycle.redact(SHOP) is True
        assert db.session.scalar(db.select(Shop).where(Shop.domain == SHOP)) is None
        for model in (BridgeCredential, ConnectionCode, Sync):
            assert count(model, shop_id=shop.id) == 0
            assert count(model, shop_id=other.id) > 0
        assert count(WebhookDelivery, shop_domain=SHOP) == 0
        assert count(WebhookDelivery, shop_domain=other.domain) == 1
        assert lifecycle.redact(SHOP) is False  # again: nothing left


def test_redact_walks_every_table_with_a_shop_id(app):
    """A table added later with a shop_id column is covered without edits."""
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if "shop_id" in t.c]
        assert {"bridge_credentials", "connection_codes", "syncs"} <= set(tables)


def test_redact_of_a_shop_that_reinstalled_keeps_its_data(app):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        lifecycle.uninstall(SHOP)
        shop = lifecycle.install_or_update(SHOP, grant("shpat_2", "shprt_2"))
        populate(shop)
        assert lifecycle.redact(SHOP) is False
        assert db.session.get(Shop, shop.id).is_installed
        assert count(Sync, shop_id=shop.id) == 2


def test_redact_without_a_shop_row_still_removes_deliveries(app):
    with app.app_context():
        db.session.add(WebhookDelivery(webhook_id="w1", topic="customers/redact", shop_domain=SHOP))
        db.session.commit()
        assert lifecycle.redact(SHOP) is True
        assert count(WebhookDelivery) == 0


@pytest.mark.parametrize("installed", [True, False])
def test_scopes_update(app, installed):
    with app.app_context():
        shop = lifecycle.install_or_update(SHOP, grant())
        if not installed:
            lifecycle.uninstall(SHOP)
        assert lifecycle.scopes_updated(SHOP, [" write_products ", ""]) is installed
        expected = "write_products" if installed else "write_products,write_files"  # unchanged when uninstalled
        assert db.session.get(Shop, shop.id).scopes == expected
        assert lifecycle.scopes_updated("unknown.myshopify.com", ["x"]) is False


def test_delivery_ids_are_forgotten_after_the_retry_window(app):
    with app.app_context():
        now = utcnow()
        db.session.add_all([
            WebhookDelivery(webhook_id="old", topic="app/uninstalled", shop_domain=SHOP,
                            received_at=now - lifecycle.WEBHOOK_DELIVERY_RETENTION - timedelta(minutes=1)),
            WebhookDelivery(webhook_id="recent", topic="app/uninstalled", shop_domain=SHOP,
                            received_at=now - timedelta(hours=5))])
        db.session.commit()
        assert lifecycle.prune_webhook_deliveries(now) == 1
        assert db.session.scalars(db.select(WebhookDelivery.webhook_id)).all() == ["recent"]
