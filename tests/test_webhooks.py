"""Webhook deliveries: HMAC over the raw body, status codes, deduplication,
queued work, and a real worker doing the uninstall."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import tomllib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from tests.simulator_fixture import SCOPES, SIM_CLIENT_ID, SIM_CLIENT_SECRET, start_sim
from tests.support import API_SECRET
from rq import Queue
from rq.job import JobStatus

from jobs import queues
from shopify_app import credentials, crypto
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, ConnectionCode, Shop, Sync, WebhookDelivery, utcnow
from shopify_app.webhooks import webhook_hmac

SHOP = "hook-shop.myshopify.com"
# Shopify's bodies as the topics carry them (app/uninstalled: the Shop resource).
UNINSTALLED = {"id": 1, "myshopify_domain": SHOP}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(app):
    app.config["REDIS_KEY_PREFIX"] = f"{app.config['REDIS_KEY_PREFIX']}-{uuid.uuid4().hex[:6]}"
    redis_url = app.config["REDIS_URL"]
    yield app.config
    app.config.update(RQ_IS_ASYNC=True, REDIS_URL=redis_url)
    connection = queues.redis_connection(app.config)
    for name in queues.all_queue_names(app.config):
        queue = Queue(name, connection=connection)
        for registry in (queue.failed_job_registry, queue.finished_job_registry, queue.canceled_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        queue.empty()


def queued(config) -> list:
    connection = queues.redis_connection(config)
    return [job for name in queues.all_queue_names(config)
            for job in Queue(name, connection=connection).get_jobs()]


def deliver(client, topic: str, payload: dict | bytes, *, shop: str = SHOP, secret: str | None = API_SECRET,
            webhook_id: str | None = None, path: str | None = None, hmac_header: str | None = None,
            tamper=None, drop: tuple[str, ...] = ()):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = hmac_header if hmac_header is not None else (webhook_hmac(body, secret) if secret else None)
    if tamper:
        body = tamper(body)
    all_headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop,
                   "X-Shopify-API-Version": "2026-10", "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
                   "X-Shopify-Triggered-At": utcnow().isoformat().replace("+00:00", "Z")}
    for name in drop:
        del all_headers[name]
    if signature is not None:
        all_headers["X-Shopify-Hmac-Sha256"] = signature
    path = path or ("/webhooks/compliance" if topic in ("customers/data_request", "customers/redact",
                                                        "shop/redact") else "/webhooks/app")
    return client.post(path, data=body, headers=all_headers)


@pytest.fixture(scope="module")
def sim():
    """A simulator of this module's own whose app subscribes to webhooks as
    shopify.app.toml says (the session simulator's app subscribes to none),
    so an uninstall there sends app/uninstalled and shop/redact. Deliveries
    stay queued (no delivery thread): tests read them from /_sim/webhooks."""
    running = start_sim(register=False)
    running.control("POST", "/_sim/apps", json={
        "client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET, "scopes": SCOPES,
        "application_url": "https://app.example.test", "toml": (ROOT / "shopify.app.toml").read_text()})
    try:
        yield running
    finally:
        running.stop()


def install_shop(domain: str = SHOP) -> Shop:
    now = utcnow()
    shop = Shop(domain=domain, installed_at=now - timedelta(days=2), scopes="write_products,write_files",
                access_token_enc=crypto.encrypt("shpat_hook"), access_token_expires_at=now + timedelta(hours=1),
                refresh_token_enc=crypto.encrypt("shprt_hook"), refresh_token_expires_at=now + timedelta(days=90))
    db.session.add(shop)
    db.session.commit()
    return shop


def test_hmac_matches_the_reference_vector():
    body = b'{"shop_id":954889,"shop_domain":"test-shop.myshopify.com"}'
    assert webhook_hmac(body, "hush") == "cMbKk8x8GfggcLkMjggC0sTuHYfpy6+rc48KpyoSwxA="
    assert webhook_hmac(b'{"id":1}', "hush") == "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1/GSeY="
    digest = hmac.new(b"hush", body, hashlib.sha256).digest()
    assert base64.b64decode(webhook_hmac(body, "hush")) == digest


def test_a_verified_uninstall_is_queued_and_answered_200(app, client, config):
    response = deliver(client, "app/uninstalled", {"id": 1, "myshopify_domain": SHOP})
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "duplicate": False}
    [job] = queued(config)
    assert job.func_name == "jobs.lifecycle_jobs.app_uninstalled"
    assert job.args[0] == SHOP
    with app.app_context():
        assert db.session.scalar(db.select(WebhookDelivery.topic)) == "app/uninstalled"


def test_missing_hmac_is_400(client, config):
    assert deliver(client, "app/uninstalled", UNINSTALLED, secret=None).status_code == 400
    assert queued(config) == []


def test_hmac_with_another_secret_is_401(client, config):
    response = deliver(client, "app/uninstalled", UNINSTALLED, secret="another-secret")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert queued(config) == []


def test_hmac_over_a_changed_body_is_401(client, config):
    response = deliver(client, "app/uninstalled", {"id": 1, "myshopify_domain": SHOP},
                       tamper=lambda body: body.replace(b'"id": 1', b'"id": 2'))
    assert response.status_code == 401
    assert queued(config) == []


def test_hmac_over_the_raw_bytes_not_reserialised_json(client, config):
    # Whitespace and key order Shopify chose must be kept: re-serialising
    # the parsed JSON would change the digest.
    body = b'{ "myshopify_domain" : "hook-shop.myshopify.com",\n  "id":1 }'
    assert deliver(client, "app/uninstalled", body).status_code == 200


def test_garbage_hmac_is_401(client):
    assert deliver(client, "app/uninstalled", UNINSTALLED, hmac_header="not base64 at all").status_code == 401
    assert deliver(client, "app/uninstalled", UNINSTALLED, hmac_header="ü").status_code == 401


def test_previous_secret_is_accepted_during_rotation(app, client, config):
    app.config["SHOPIFY_API_SECRET_PREVIOUS"] = "the-old-secret"
    assert deliver(client, "app/uninstalled", UNINSTALLED, secret="the-old-secret").status_code == 200
    app.config["SHOPIFY_API_SECRET_PREVIOUS"] = ""
    assert deliver(client, "app/uninstalled", UNINSTALLED, secret="the-old-secret").status_code == 401


def test_a_replayed_delivery_is_answered_200_and_ignored(app, client, config):
    webhook_id = str(uuid.uuid4())
    first = deliver(client, "app/uninstalled", UNINSTALLED, webhook_id=webhook_id)
    again = deliver(client, "app/uninstalled", UNINSTALLED, webhook_id=webhook_id)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == {"received": True, "duplicate": True}
    assert len(queued(config)) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1


@pytest.mark.parametrize("shop", ["evil.com", "shop.myshopify.com.evil.com", ""])
def test_a_shop_header_that_isnt_a_shop_is_400(client, config, shop):
    assert deliver(client, "app/uninstalled", UNINSTALLED, shop=shop).status_code == 400
    assert queued(config) == []


def test_a_signed_body_for_another_shop_is_400(client, config):
    response = deliver(client, "shop/redact", {"shop_id": 1, "shop_domain": "victim.myshopify.com"})
    assert response.status_code == 400
    assert queued(config) == []


@pytest.mark.parametrize("header", ["X-Shopify-Topic", "X-Shopify-Webhook-Id", "X-Shopify-Shop-Domain"])
def test_missing_required_headers_are_400(client, config, header):
    response = deliver(client, "app/uninstalled", UNINSTALLED, drop=(header,))
    assert response.status_code == 400
    assert header in response.get_json()["detail"]
    assert queued(config) == []


def test_a_topic_sent_to_the_wrong_address_is_400(client, config):
    assert deliver(client, "shop/redact", {"shop_domain": SHOP}, path="/webhooks/app").status_code == 400
    assert deliver(client, "orders/create", {"id": 1}).status_code == 400


def test_a_body_that_isnt_a_json_object_is_400(client, config):
    assert deliver(client, "app/uninstalled", b"[1, 2]").status_code == 400
    assert deliver(client, "app/uninstalled", b"not json").status_code == 400


def test_only_post_is_allowed(client):
    assert client.get("/webhooks/app").status_code == 405


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact"])
def test_customer_topics_answer_200_with_nothing_to_do(client, config, topic):
    payload = {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 191167, "email": "john@example.com"},
               "orders_requested": [299938], "orders_to_redact": [299938], "data_request": {"id": 9999}}
    assert deliver(client, topic, payload).status_code == 200
    assert queued(config) == []
    assert deliver(client, topic, payload, secret="wrong").status_code == 401


def test_shop_redact_is_queued_with_its_signed_shop_id(client, config):
    assert deliver(client, "shop/redact", {"shop_id": 954889, "shop_domain": SHOP}).status_code == 200
    [job] = queued(config)
    assert job.func_name == "jobs.lifecycle_jobs.shop_redact" and job.args == (SHOP, 954889)


def test_scopes_update_queues_only_the_signed_shop_id(client, config):
    payload = {"id": 1, "shop_id": 954889, "previous": ["write_products"],
               "current": ["write_products", "write_files"], "updated_at": "2026-11-01T00:00:00Z"}
    assert deliver(client, "app/scopes_update", payload).status_code == 200
    [job] = queued(config)
    # The scopes are read from Shopify by the job, never taken from the body.
    assert job.args == (SHOP, 954889)
    assert deliver(client, "app/scopes_update", {"id": 1, "shop_id": 954889}).status_code == 400
    without_shop = {k: v for k, v in payload.items() if k != "shop_id"}
    assert deliver(client, "app/scopes_update", without_shop).status_code == 400


@pytest.mark.parametrize("topic, payload", [
    # The topic header is unsigned: a signed body of another topic is refused.
    ("shop/redact", {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 1}, "orders_to_redact": [1]}),
    ("shop/redact", UNINSTALLED),
    ("app/uninstalled", {"shop_id": 1, "shop_domain": SHOP}),
    ("app/scopes_update", UNINSTALLED),
    ("customers/redact", {"shop_id": 1, "shop_domain": SHOP}),
    # The body must name its shop where Shopify puts it.
    ("app/uninstalled", {"id": 1}),
    ("shop/redact", {"shop_domain": SHOP}),
])
def test_a_body_of_another_shape_than_its_topic_is_400(client, config, topic, payload):
    assert deliver(client, topic, payload).status_code == 400
    assert queued(config) == []


@pytest.mark.parametrize("webhook_id", ["a\x00b", "x" * 256, "a b"])
def test_a_webhook_id_that_isnt_visible_ascii_is_400(client, config, webhook_id):
    assert deliver(client, "app/uninstalled", UNINSTALLED, webhook_id=webhook_id).status_code == 400


def test_when_the_queue_is_down_the_delivery_is_not_remembered(app, client, config):
    working_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    webhook_id = str(uuid.uuid4())
    response = deliver(client, "app/uninstalled", UNINSTALLED, webhook_id=webhook_id)
    assert response.status_code == 503
    with app.app_context():
        assert db.session.scalar(db.select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)) is None
    # Shopify's retry is processed once the queue is back.
    app.config["REDIS_URL"] = working_redis
    assert deliver(client, "app/uninstalled", UNINSTALLED, webhook_id=webhook_id).get_json()["duplicate"] is False


def test_toml_subscriptions_match_the_routes(app):
    toml = tomllib.loads((ROOT / "shopify.app.toml").read_text())
    assert toml["webhooks"]["api_version"] == "2026-10"
    routes = {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    declared = {}
    for subscription in toml["webhooks"]["subscriptions"]:
        assert subscription["uri"] in routes
        for topic in subscription.get("topics", []) + subscription.get("compliance_topics", []):
            declared[topic] = subscription["uri"]
    assert declared == {"app/uninstalled": "/webhooks/app", "app/scopes_update": "/webhooks/app",
                        "customers/data_request": "/webhooks/compliance", "customers/redact": "/webhooks/compliance",
                        "shop/redact": "/webhooks/compliance",
                        "products/create": "/webhooks/products", "products/update": "/webhooks/products"}
    assert toml["access_scopes"]["scopes"] == app.config["SHOPIFY_SCOPES"]
    assert toml["embedded"] is True


def captured(sim, domain: str, topic: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the simulator's delivery of `topic` to `domain`,
    byte for byte as Shopify would have sent them (read from the simulator's
    state: its control API re-serialises the payload)."""
    with sim.state.lock:
        [delivery] = [d for d in sim.state.webhook_deliveries if d.shop == domain and d.topic == topic]
        body, headers = delivery.body, dict(delivery.headers)
    assert webhook_hmac(body, API_SECRET) == headers["X-Shopify-Hmac-Sha256"]
    return body, headers


def post_captured(client, body: bytes, headers: dict[str, str], *, fresh: bool = True, **changes: str):
    """Post a captured delivery; `fresh` gives it a new webhook id and trigger
    time, as an attacker replaying it would (both unsigned)."""
    headers = dict(headers)
    if fresh:
        headers["X-Shopify-Webhook-Id"] = str(uuid.uuid4())
        headers["X-Shopify-Triggered-At"] = utcnow().isoformat().replace("+00:00", "Z")
    headers.update(changes)
    path = "/webhooks/compliance" if headers["X-Shopify-Topic"] in ("customers/data_request", "customers/redact",
                                                                    "shop/redact") else "/webhooks/app"
    return client.post(path, data=body, headers=headers)


def sim_uninstall(sim, domain: str) -> None:
    sim.control("POST", f"/_sim/shops/{domain}/apps/{SIM_CLIENT_ID}/uninstall")


def test_uninstall_webhook_work_is_done_by_a_real_worker(app, client, config, run_worker, sim, sim_shop):
    installed = sim_shop()
    domain = installed.domain
    with app.app_context():
        shop = db.session.get(Shop, installed.shop_id)
        connection = credentials.redeem_code(credentials.current_code(shop), "acme", None)
        api_key = credentials.create_api_key(shop, "CI")
        db.session.add_all([Sync(shop_id=shop.id, status="queued"), Sync(shop_id=shop.id, status="running"),
                            Sync(shop_id=shop.id, status="succeeded")])
        db.session.commit()
        shop_id = shop.id
    sim_uninstall(sim, domain)  # the merchant uninstalls: Shopify revokes the token, sends app/uninstalled
    response = post_captured(client, *captured(sim, domain, "app/uninstalled"), fresh=False)
    assert response.status_code == 200
    # Work queued for the shop (e.g. a sync requested just before the
    # uninstall), and for another shop.
    theirs = queues.enqueue(config, "jobs.lifecycle_jobs.scopes_updated", domain, None, meta={"shop_id": shop_id})
    others = queues.enqueue(config, "jobs.lifecycle_jobs.scopes_updated", "x.myshopify.com", None,
                            meta={"shop_id": shop_id + 1000})
    result = run_worker(config, "webhooks")
    assert result.returncode == 0, result.stderr

    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert shop.uninstalled_at is not None and not shop.is_installed
        assert shop.access_token_enc is None and shop.refresh_token_enc is None
        for issued in (connection, api_key):
            assert db.session.get(BridgeCredential, issued.credential.id).revoked_at is not None
            assert credentials.authenticate(issued.token) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(ConnectionCode)
                                 .where(ConnectionCode.ended_at.is_(None))) == 0
        statuses = sorted((s.status, s.abort_requested) for s in db.session.scalars(db.select(Sync)))
        assert statuses == [("aborted", True), ("running", True), ("succeeded", False)]
    assert theirs.get_status(refresh=True) == JobStatus.CANCELED
    assert others.get_status(refresh=True) == JobStatus.FINISHED
    assert installed.access_token not in result.stderr


def test_in_process_mode_does_the_work_inside_the_request(app, client, config, sim, sim_shop):
    """RQ_IS_ASYNC=False (a demo without Redis): no worker needed."""
    config["RQ_IS_ASYNC"] = False
    config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there: Redis isn't used
    installed = sim_shop()
    sim_uninstall(sim, installed.domain)
    assert post_captured(client, *captured(sim, installed.domain, "app/uninstalled")).status_code == 200
    with app.app_context():
        shop = db.session.get(Shop, installed.shop_id)
        assert shop.uninstalled_at is not None and shop.access_token_enc is None


# -- issue 15.1: a captured delivery replayed with fresh unsigned headers does no harm ----------------

def reinstall(app, sim, domain: str) -> None:
    """The merchant installs the app again: Shopify's managed install, then the
    app's token exchange stores a fresh token pair."""
    from shopify_app import lifecycle
    from shopify_app.auth.token_exchange import TokenGrant
    sim.control("POST", f"/_sim/shops/{domain}/installs", json={"client_id": SIM_CLIENT_ID})
    grant = TokenGrant.from_response(sim.issue_token(domain, expiring=True))
    with app.app_context():
        lifecycle.install_or_update(domain, grant)


def issue_credentials(app, shop_id: int) -> list[str]:
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        connection = credentials.redeem_code(credentials.current_code(shop), "acme", None)
        return [connection.token, credentials.create_api_key(shop, "CI").token]


def still_installed(app, shop_id: int, tokens: list[str]) -> bool:
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        return shop is not None and shop.is_installed and all(credentials.authenticate(t) for t in tokens)


@pytest.fixture
def in_process(config):
    """Jobs run inside the request (RQ_IS_ASYNC=False), so a delivery's effect is visible on return."""
    config["RQ_IS_ASYNC"] = False
    return config


def test_a_captured_uninstall_and_redact_replayed_after_a_reinstall_do_nothing(app, client, in_process, sim,
                                                                                sim_shop, caplog):
    installed = sim_shop()
    domain = installed.domain
    sim_uninstall(sim, domain)
    uninstalled_body, uninstalled_headers = captured(sim, domain, "app/uninstalled")
    redact_body, redact_headers = captured(sim, domain, "shop/redact")  # Shopify sends it 48 h later
    assert post_captured(client, uninstalled_body, uninstalled_headers, fresh=False).status_code == 200
    assert not still_installed(app, installed.shop_id, [])  # the genuine delivery worked

    reinstall(app, sim, domain)
    tokens = issue_credentials(app, installed.shop_id)
    assert still_installed(app, installed.shop_id, tokens)

    # The attacker posts the captured bodies again with a new webhook id and a
    # current trigger time (both unsigned).
    assert post_captured(client, uninstalled_body, uninstalled_headers).status_code == 200
    assert still_installed(app, installed.shop_id, tokens)
    assert post_captured(client, redact_body, redact_headers).status_code == 200
    assert still_installed(app, installed.shop_id, tokens)
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"app/uninstalled for {domain} ignored" in m for m in messages)
    assert any(f"shop/redact for {domain} ignored" in m for m in messages)


def test_shop_redact_for_a_shop_that_is_installed_is_ignored(app, client, in_process, sim, sim_shop):
    installed = sim_shop()
    tokens = issue_credentials(app, installed.shop_id)
    payload = {"shop_id": sim.graphql(installed.domain, installed.access_token, "{ shop { id } }")["shop"]["id"]
               .rsplit("/", 1)[-1], "shop_domain": installed.domain}
    payload["shop_id"] = int(payload["shop_id"])
    assert deliver(client, "shop/redact", payload, shop=installed.domain).status_code == 200
    assert still_installed(app, installed.shop_id, tokens)


def test_the_genuine_uninstall_then_redact_delete_everything(app, client, in_process, sim, sim_shop):
    installed = sim_shop()
    issue_credentials(app, installed.shop_id)
    sim_uninstall(sim, installed.domain)
    assert post_captured(client, *captured(sim, installed.domain, "app/uninstalled"), fresh=False).status_code == 200
    assert post_captured(client, *captured(sim, installed.domain, "shop/redact"), fresh=False).status_code == 200
    with app.app_context():
        assert db.session.get(Shop, installed.shop_id) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(BridgeCredential)) == 0


def test_a_redact_after_a_missed_uninstall_still_deletes(app, client, in_process, sim, sim_shop):
    """app/uninstalled never arrived; Shopify refuses the token, so shop/redact is genuine."""
    installed = sim_shop()
    issue_credentials(app, installed.shop_id)
    sim_uninstall(sim, installed.domain)
    assert post_captured(client, *captured(sim, installed.domain, "shop/redact"), fresh=False).status_code == 200
    with app.app_context():
        assert db.session.get(Shop, installed.shop_id) is None


def test_a_scopes_update_replayed_against_another_shop_changes_nothing(app, client, in_process, sim, sim_shop,
                                                                     caplog):
    victim, attacker = sim_shop(), sim_shop()
    with app.app_context():
        for shop_id in (victim.shop_id, attacker.shop_id):
            db.session.get(Shop, shop_id).scopes = "as,recorded"
        db.session.commit()
    sim.control("POST", f"/_sim/shops/{attacker.domain}/webhooks/app/scopes_update", json={"payload": {
        "id": 1, "previous": ["write_products"], "current": ["read_products"], "updated_at": "2026-11-01T00:00:00Z"}})
    body, headers = captured(sim, attacker.domain, "app/scopes_update")

    response = post_captured(client, body, headers, **{"X-Shopify-Shop-Domain": victim.domain})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Shop, victim.shop_id).scopes == "as,recorded"
    assert any("a body replayed with another shop's domain header" in r.getMessage() for r in caplog.records)

    # Delivered to its own shop, the scopes recorded are what Shopify reports
    # for the app's token, not the body's lists.
    assert post_captured(client, body, headers, fresh=False).status_code == 200
    with app.app_context():
        assert db.session.get(Shop, attacker.shop_id).scopes == SCOPES


def test_when_shopify_cant_be_reached_nothing_is_destroyed(app, sim_shop, monkeypatch):
    from jobs import lifecycle_jobs
    from shopify_app.admin_api import TransientError, client as admin_client
    installed = sim_shop()
    tokens = issue_credentials(app, installed.shop_id)
    app.config["SHOPIFY_SHOP_ORIGIN"] = "http://127.0.0.1:1/{shop}"  # nothing listens
    monkeypatch.setattr(admin_client, "MAX_FAULT_ATTEMPTS", 1)
    with app.app_context():
        with pytest.raises(TransientError):  # RQ retries the job (jobs.queues.JOBS)
            lifecycle_jobs.app_uninstalled(installed.domain)
        with pytest.raises(TransientError):
            lifecycle_jobs.shop_redact(installed.domain)
    assert still_installed(app, installed.shop_id, tokens)
