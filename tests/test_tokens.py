"""Stored offline tokens: encryption at rest, refresh before expiry, one
refresh at a time, lost responses, dead refresh tokens, rejected tokens."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from shopify_app import crypto
from shopify_app.auth import token_exchange, tokens
from shopify_app.auth.token_exchange import TokenGrant
from shopify_app.extensions import db
from shopify_app.models import Shop, utcnow

SHOP = "token-shop.myshopify.com"


def make_shop(fake, *, access_in: timedelta = timedelta(hours=1), refresh_in: timedelta = timedelta(days=90),
              domain: str = SHOP) -> tuple[int, dict]:
    """An installed shop holding a pair the fake really issued."""
    pair = fake.issue_pair(domain)
    now = utcnow()
    shop = Shop(domain=domain, installed_at=now - timedelta(days=1))
    tokens.store_grant(shop, TokenGrant(pair["access_token"], pair["scope"], now + access_in,
                                        pair["refresh_token"], now + refresh_in))
    db.session.add(shop)
    db.session.commit()
    return shop.id, pair


def test_tokens_are_encrypted_at_rest(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint)
        row = db.session.execute(text("SELECT access_token_enc, refresh_token_enc FROM shops WHERE id = :id"),
                                 {"id": shop_id}).one()
        assert pair["access_token"] not in row.access_token_enc
        assert pair["refresh_token"] not in row.refresh_token_enc
        assert crypto.decrypt(row.access_token_enc) == pair["access_token"]
        assert crypto.decrypt(row.refresh_token_enc) == pair["refresh_token"]


def test_a_fresh_token_is_returned_without_calling_shopify(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint)
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == pair["access_token"]
    assert token_endpoint.requests == []


def test_a_token_about_to_expire_is_refreshed_and_stored(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=2))
        shop = db.session.get(Shop, shop_id)
        token = tokens.access_token_for(shop)
        assert token != pair["access_token"] and token in token_endpoint.access_tokens
        # The caller's object sees the stored values...
        assert crypto.decrypt(shop.access_token_enc) == token
        assert shop.access_token_expires_at > utcnow() + timedelta(minutes=55)
    with app.app_context():
        # ...and so does everyone else.
        stored = db.session.get(Shop, shop_id)
        assert crypto.decrypt(stored.access_token_enc) == token
        new_refresh = crypto.decrypt(stored.refresh_token_enc)
        assert new_refresh != pair["refresh_token"] and new_refresh in token_endpoint.refresh_tokens
        assert stored.refresh_token_expires_at > utcnow() + timedelta(days=89)
    [call] = token_endpoint.grants("refresh_token")
    assert call["refresh_token"] == pair["refresh_token"]
    assert call["client_id"] == app.config["SHOPIFY_API_KEY"]
    assert call["client_secret"] == app.config["SHOPIFY_API_SECRET"]


def test_concurrent_callers_refresh_once(app, token_endpoint):
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint, access_in=timedelta(seconds=30))
    token_endpoint.delay_seconds = 0.3  # keep the first refresh in flight while the others arrive
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def caller() -> None:
        try:
            with app.app_context():
                shop = db.session.get(Shop, shop_id)
                start.wait()
                results.append(tokens.access_token_for(shop))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(token_endpoint.grants("refresh_token")) == 1
    assert len(set(results)) == 1 and len(results) == 6


def test_concurrent_callers_in_separate_processes_refresh_once(app, token_endpoint, base_config):
    """The row lock, not the process-local one, is what serialises workers."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SELECT ... FOR UPDATE needs PostgreSQL")
    import multiprocessing
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint, access_in=timedelta(seconds=30))
    token_endpoint.delay_seconds = 0.5
    config = {**base_config, "SHOPIFY_SHOP_ORIGIN": token_endpoint.origin_template}
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    processes = [ctx.Process(target=_refresh_in_process, args=(config, shop_id, barrier, results))
                 for _ in range(3)]
    for p in processes:
        p.start()
    tokens_seen = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(10)
    assert len(token_endpoint.grants("refresh_token")) == 1
    assert len(set(tokens_seen)) == 1 and not any(t.startswith("error") for t in tokens_seen)


def _refresh_in_process(config, shop_id, barrier, results):
    from shopify_app import create_app
    app = create_app(config)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        db.session.commit()
        barrier.wait()
        try:
            results.put(tokens.access_token_for(shop))
        except Exception as exc:
            results.put(f"error {type(exc).__name__}")
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_lost_refresh_response_is_retried_with_the_same_refresh_token(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=1))
        token_endpoint.lose_responses = 1
        token = tokens.access_token_for(db.session.get(Shop, shop_id))
    first, second = token_endpoint.grants("refresh_token")
    assert first["refresh_token"] == second["refresh_token"] == pair["refresh_token"]
    assert token in token_endpoint.access_tokens
    # The pair that was issued with the lost response was never seen; the
    # stored one works for the next refresh.
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        shop.access_token_expires_at = utcnow()
        db.session.commit()
        assert tokens.access_token_for(shop) != token
    assert len(token_endpoint.grants("refresh_token")) == 3


def test_a_refresh_response_that_times_out_is_retried(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setattr(token_exchange, "TIMEOUT_SECONDS", 0.5)
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=1))
        token_endpoint.stall_responses, token_endpoint.stall_seconds = 1, 1.5
        token = tokens.access_token_for(db.session.get(Shop, shop_id))
    assert token in token_endpoint.access_tokens
    assert [r["refresh_token"] for r in token_endpoint.grants("refresh_token")] == [pair["refresh_token"]] * 2


def test_unreachable_endpoint_is_a_retryable_error_and_keeps_the_tokens(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(seconds=-5))
        token_endpoint.lose_responses = 3
        with pytest.raises(token_exchange.TokenEndpointUnavailable):
            tokens.access_token_for(db.session.get(Shop, shop_id))
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert crypto.decrypt(shop.refresh_token_enc) == pair["refresh_token"]
        # Shopify kept the old refresh token, so the next attempt works.
        assert tokens.access_token_for(shop) in token_endpoint.access_tokens


def test_rate_limited_refresh_is_retried(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint, access_in=timedelta(minutes=1))
        token_endpoint.rate_limit_next = 1
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) in token_endpoint.access_tokens
    assert len(token_endpoint.grants("refresh_token")) == 2


def test_a_dead_refresh_token_requires_reauthorization(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(seconds=-5))
        del token_endpoint.refresh_tokens[pair["refresh_token"]]
        with pytest.raises(tokens.ReauthorizationRequired):
            tokens.access_token_for(db.session.get(Shop, shop_id))
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert shop.refresh_token_enc is None
        # Known dead: no second call to Shopify.
        with pytest.raises(tokens.ReauthorizationRequired):
            tokens.access_token_for(shop)
    assert len(token_endpoint.grants("refresh_token")) == 1


def test_a_dead_refresh_token_still_lets_the_unexpired_access_token_work(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=3))
        del token_endpoint.refresh_tokens[pair["refresh_token"]]
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == pair["access_token"]


def test_an_expired_refresh_token_is_not_sent(app, token_endpoint):
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint, access_in=timedelta(seconds=-5), refresh_in=timedelta(seconds=-1))
        with pytest.raises(tokens.ReauthorizationRequired):
            tokens.access_token_for(db.session.get(Shop, shop_id))
    assert token_endpoint.requests == []


def test_an_uninstalled_shop_gets_no_token(app, token_endpoint):
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint)
        shop = db.session.get(Shop, shop_id)
        shop.uninstalled_at = utcnow()
        db.session.commit()
        with pytest.raises(tokens.ReauthorizationRequired):
            tokens.access_token_for(shop)


def test_token_rejected_forces_a_refresh(app, token_endpoint):
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint)
        shop = db.session.get(Shop, shop_id)
        assert tokens.access_token_for(shop) == pair["access_token"]
        tokens.token_rejected(shop)
        token = tokens.access_token_for(shop)
        assert token != pair["access_token"] and token in token_endpoint.access_tokens
    assert len(token_endpoint.grants("refresh_token")) == 1


def test_token_rejected_keeps_a_token_someone_else_already_replaced(app, token_endpoint):
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint)
        stale = db.session.get(Shop, shop_id)
        stale_ciphertext = stale.access_token_enc
    with app.app_context():
        # Another process refreshed in the meantime.
        other = db.session.get(Shop, shop_id)
        other.access_token_expires_at = utcnow()
        db.session.commit()
        fresh = tokens.access_token_for(other)
    with app.app_context():
        stale = db.session.get(Shop, shop_id)
        stale.access_token_enc = stale_ciphertext  # what the caller was holding (not flushed)
        db.session.expunge(stale)
        tokens.token_rejected(stale)
    with app.app_context():
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == fresh
    assert len(token_endpoint.grants("refresh_token")) == 1


def test_a_refresh_does_not_commit_the_callers_transaction(app, token_endpoint):
    with app.app_context():
        shop_id, _ = make_shop(token_endpoint, access_in=timedelta(minutes=1))
        shop = db.session.get(Shop, shop_id)
        shop.name = "Uncommitted name"
        tokens.access_token_for(shop)
        db.session.rollback()
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert shop.name is None
        assert tokens.access_token_for(shop) in token_endpoint.access_tokens


def test_tokens_never_reach_the_logs(app, token_endpoint, caplog, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=1))
        token_endpoint.lose_responses = 1
        token = tokens.access_token_for(db.session.get(Shop, shop_id))
        stored = db.session.get(Shop, shop_id)
        new_refresh = crypto.decrypt(stored.refresh_token_enc)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refreshed the access token" in logged
    for secret in (pair["access_token"], pair["refresh_token"], token, new_refresh,
                   app.config["SHOPIFY_API_SECRET"]):
        assert secret not in logged
    assert token not in repr(TokenGrant(token, "s", None, new_refresh, None))
    assert new_refresh not in repr(TokenGrant(token, "s", None, new_refresh, None))


@pytest.mark.parametrize("granted, required, missing", [
    ("write_products,write_files", "write_products,write_files", []),
    ("write_products", "write_products,write_files", ["write_files"]),
    ("write_products,write_files", "read_products", []),
    ("read_products,write_files", "write_products", ["write_products"]),
    ("", "write_products", ["write_products"]),
])
def test_missing_scopes(granted, required, missing):
    assert tokens.missing_scopes(granted, required) == missing


def test_token_grant_parses_shopifys_responses():
    now = utcnow()
    expiring = TokenGrant.from_response({"access_token": "a", "scope": "write_products", "expires_in": 3600,
                                         "refresh_token": "r", "refresh_token_expires_in": 7776000}, now)
    assert expiring.access_token_expires_at == now + timedelta(hours=1)
    assert expiring.refresh_token_expires_at == now + timedelta(days=90)
    plain = TokenGrant.from_response({"access_token": "a", "scope": "write_products"}, now)
    assert plain.access_token_expires_at is None and plain.refresh_token is None
    assert TokenGrant.from_response({"scope": "x"}) is None
    assert TokenGrant.from_response({"access_token": ""}) is None


def _legacy_shop(fake) -> tuple[int, str]:
    legacy = fake.issue_legacy_token(SHOP)
    shop = Shop(domain=SHOP, installed_at=utcnow(), scopes="write_products,write_files",
                access_token_enc=crypto.encrypt(legacy))
    db.session.add(shop)
    db.session.commit()
    return shop.id, legacy


def test_a_non_expiring_token_is_migrated_to_an_expiring_pair(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, legacy = _legacy_shop(token_endpoint)
        token_endpoint.lose_responses = 1  # the first answer is lost; the retry gets the same pair
        token = tokens.access_token_for(db.session.get(Shop, shop_id))
    assert token != legacy and legacy not in token_endpoint.access_tokens
    calls = token_endpoint.grants("urn:ietf:params:oauth:grant-type:token-exchange")
    assert [c["subject_token"] for c in calls] == [legacy, legacy]
    assert all(c["subject_token_type"] == token_exchange.OFFLINE_TOKEN_TYPE and c["expiring"] == "1"
               for c in calls)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert crypto.decrypt(shop.access_token_enc) == token == token_endpoint.migrated[legacy]["access_token"]
        assert shop.refresh_token_enc is not None and shop.access_token_expires_at is not None
        assert tokens.access_token_for(shop) == token  # no second migration
    assert len(token_endpoint.requests) == 2


def test_a_refused_migration_requires_reauthorization(app, token_endpoint):
    with app.app_context():
        shop_id, legacy = _legacy_shop(token_endpoint)
        token_endpoint.legacy_tokens.clear()  # Shopify no longer knows it
        with pytest.raises(tokens.ReauthorizationRequired):
            tokens.access_token_for(db.session.get(Shop, shop_id))


def test_an_unreachable_migration_keeps_using_the_old_token(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, legacy = _legacy_shop(token_endpoint)
        token_endpoint.rate_limit_next = 3
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == legacy


def test_refused_client_credentials_keep_the_stored_tokens(app, token_endpoint):
    """invalid_client can be our own bad secret deploy: nothing is thrown away."""
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=2))
        token_endpoint.client_secret = "rotated-at-shopify-0123456789abcdef"
        # Still valid for two minutes: it is used meanwhile.
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == pair["access_token"]
        shop = db.session.get(Shop, shop_id)
        shop.access_token_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        with pytest.raises(token_exchange.InvalidClient):
            tokens.access_token_for(shop)
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert crypto.decrypt(shop.refresh_token_enc) == pair["refresh_token"]
        token_endpoint.client_secret = app.config["SHOPIFY_API_SECRET"]  # fixed
        assert tokens.access_token_for(shop) in token_endpoint.access_tokens


def test_shopify_away_with_a_still_valid_token_uses_it(app, token_endpoint, monkeypatch):
    monkeypatch.setattr(token_exchange, "RETRY_DELAYS", (0.01, 0.01))
    with app.app_context():
        shop_id, pair = make_shop(token_endpoint, access_in=timedelta(minutes=2))
        token_endpoint.lose_responses = 3
        assert tokens.access_token_for(db.session.get(Shop, shop_id)) == pair["access_token"]
