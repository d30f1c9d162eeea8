"""The Admin API client against the simulator: the real exchange, token
refresh, 401 recovery, and pacing under a small bucket."""
from __future__ import annotations

from datetime import timedelta

import pytest

from shopify_app.admin_api import AuthenticationError, UserErrors, for_shop, queries


def _shop(app, shop_id):
    from shopify_app.extensions import db
    from shopify_app.models import Shop
    return db.session.get(Shop, shop_id)


def test_shop_info_through_the_pinned_endpoint(app, sim_shop, sim):
    shop = sim_shop(name="Acme Sim", expiring=False)  # a legacy token: migrated on first use
    with app.app_context():
        client = for_shop(_shop(app, shop.shop_id))
        data = client.execute(queries.SHOP_INFO)
    assert data["shop"]["myshopifyDomain"] == shop.domain
    assert {s["handle"] for s in data["currentAppInstallation"]["accessScopes"]} >= {"write_products"}
    assert client.endpoint.endswith(f"/{shop.domain}/admin/api/2026-10/graphql.json")
    assert client.stats.requests == 1 and client.stats.actual_cost > 0
    assert client.bucket() is not None and client.bucket().maximum >= 1000


def test_expiring_token_is_refreshed_before_use(app, sim_shop):
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import utcnow
    shop = sim_shop(expiring=True)
    with app.app_context():
        row = _shop(app, shop.shop_id)
        row.access_token_expires_at = utcnow() + timedelta(seconds=30)  # inside the refresh margin
        db.session.commit()
        for_shop(row).execute(queries.SHOP_INFO)
        db.session.expire_all()
        row = _shop(app, shop.shop_id)
        assert crypto.decrypt(row.access_token_enc) != shop.access_token
        assert row.access_token_expires_at > utcnow() + timedelta(minutes=30)


def test_a_revoked_token_is_replaced_after_one_401(app, sim_shop, sim):
    shop = sim_shop(expiring=True)
    state = sim.app.extensions["sim_state"]
    with state.lock:
        state.tokens[shop.access_token].revoked = True
    with app.app_context():
        client = for_shop(_shop(app, shop.shop_id))
        assert client.execute(queries.SHOP_INFO)["shop"]["myshopifyDomain"] == shop.domain
    assert client.stats.requests == 2  # the 401, then the retry with the refreshed token


def test_a_dead_non_expiring_token_is_an_authentication_error(app, sim_shop, sim):
    shop = sim_shop(expiring=False)
    state = sim.app.extensions["sim_state"]
    with state.lock:
        state.tokens[shop.access_token].revoked = True
    with app.app_context():
        with pytest.raises(AuthenticationError):
            for_shop(_shop(app, shop.shop_id)).execute(queries.SHOP_INFO)


def test_user_errors_are_typed(app, sim_shop):
    shop = sim_shop()
    with app.app_context():
        client = for_shop(_shop(app, shop.shop_id))
        with pytest.raises(UserErrors) as raised:
            client.execute("""mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) {
                                metafields { id } userErrors { field message code } } }""",
                           {"m": [{"ownerId": "gid://shopify/Product/999999999", "namespace": "custom", "key": "k",
                                   "value": "v", "type": "single_line_text_field"}]})
    assert raised.value.user_errors[0].field[0] == "metafields"
    assert raised.value.user_errors[0].code


def test_pacing_keeps_a_burst_under_the_bucket(app, sim_shop, sim):
    # Requests asking for more than the bucket refills, back to back: without
    # pacing they would meet THROTTLED; the client waits for the bucket instead.
    shop = sim_shop(plan="basic", generate={"products": 300})
    with app.app_context():
        client = for_shop(_shop(app, shop.shop_id))
        extra = 0
        while client.stats.requests < 60 and extra < 3:
            client.execute(queries.MATCH_PRODUCTS, {"query": "tag:seed-1", "first": 250, "after": None},
                           expected_cost=502)
            extra += client.stats.waited > 0
    log = sim.requests(shop.domain)
    print(f"\npacing: {client.stats.requests} requests, requested {client.stats.requested_cost}, "
          f"waited {client.stats.waited:.1f} s, throttled {client.stats.throttled}")
    assert client.stats.waited > 0
    assert sum(1 for r in log if r.get("throttled")) == 0 and client.stats.throttled == 0
