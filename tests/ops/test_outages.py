"""PostgreSQL or Redis going away: every request gets a 503 with Retry-After
(a problem document, or a readable page), never a 500 or a traceback; the
worker waits and resumes, and no batch is lost. The services stopped here
are the module's own (tests/private_services.py), never the shared ones."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import text

from shopify_app import create_app
from shopify_app.extensions import db
from shopify_app.models import Sync
from shopify_app.webhooks import webhook_hmac
from tests.support import API_SECRET, bearer, connect, make_session_token, worker_environment
from tests.syncs.store_reads import APP, admin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "outage-shop.myshopify.com"


@pytest.fixture
def app(base_config, private_pg, private_redis):
    """The app on the module's own PostgreSQL and Redis."""
    private_pg.start()
    private_redis.start()
    app = create_app({**base_config, "DATABASE_URL": private_pg.url, "REDIS_URL": private_redis.url,
                      "REDIS_KEY_PREFIX": f"outage-{uuid.uuid4().hex[:8]}"})
    yield app
    private_pg.start()
    private_redis.start()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def wait_for(predicate, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def _build(rule: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        rule = rule.replace(f"<{name}>", value).replace(f"<path:{name}>", value)
    return rule


def page_query() -> str:
    """How the Shopify admin opens an embedded page."""
    return (f"?shop={DOMAIN}&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvb3V0YWdlLXNob3A&embedded=1"
            f"&id_token={make_session_token(DOMAIN)}")


def sweep(app, client, bridge_token: str):
    """Every route with every method, authenticated where it takes credentials:
    [(method, path, response)]."""
    answers = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = _build(rule.rule, dict.fromkeys(rule.arguments, "0" * 32))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers: dict[str, str] = {}
            body = b"{}"
            if path.startswith("/bridge/"):
                headers = bearer(bridge_token)
            elif path.startswith("/app/api/"):
                headers = {"Authorization": "Bearer " + make_session_token(DOMAIN)}
            elif path.startswith("/webhooks/"):
                # Each topic's own body shape (app/uninstalled: the Shop resource).
                body = json.dumps({"id": 1, "myshopify_domain": DOMAIN} if path.endswith("/app")
                                  else {"shop_domain": DOMAIN, "shop_id": 1}).encode()
                headers = {"X-Shopify-Hmac-Sha256": webhook_hmac(body, API_SECRET),
                           "X-Shopify-Topic": "app/uninstalled" if path.endswith("/app") else "shop/redact",
                           "X-Shopify-Shop-Domain": DOMAIN, "X-Shopify-Webhook-Id": uuid.uuid4().hex,
                           "X-Shopify-Triggered-At": "2026-01-01T00:00:00Z"}
            query = ""
            if method == "GET" and not path.startswith(("/bridge/", "/app/api/", "/webhooks/")):
                headers["Accept"] = "text/html"
                query = page_query()
            response = client.open(path + query, method=method, data=body, headers=headers,
                                   content_type="application/json")
            answers.append((method, path, response))
    return answers


def assert_clear_failures(answers) -> dict[tuple[str, str], int]:
    statuses = {}
    for method, path, response in answers:
        statuses[(method, path)] = response.status_code
        text_body = response.get_data(as_text=True)
        assert response.status_code != 500, (method, path, text_body[:500])
        assert "Traceback" not in text_body, (method, path)
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) > 0, (method, path)
            if response.mimetype == "application/problem+json":
                problem = response.get_json()
                assert problem["status"] == 503 and problem["type"].endswith("service-unavailable"), problem
            else:
                assert response.mimetype == "text/html", (method, path, response.mimetype)
                assert "unavailable" in text_body
    return statuses


@pytest.mark.slow
def test_postgresql_down_every_request_gets_a_503_and_it_recovers(app, client, make_shop, private_pg):
    make_shop(DOMAIN, name="Outage")
    token = connect(client, DOMAIN)["token"]
    assert client.get("/readyz").status_code == 200

    private_pg.stop()
    statuses = assert_clear_failures(sweep(app, client, token))
    # What needs the database says so: the bridge, the admin's API, a page
    # load, a webhook, readiness. Liveness doesn't depend on it.
    for key in [("GET", "/bridge/v1/store"), ("POST", "/bridge/v1/syncs"), ("GET", "/app/api/connection"),
                ("GET", "/"), ("GET", "/settings"), ("POST", "/webhooks/app"), ("GET", "/readyz")]:
        assert statuses[key] == 503, (key, statuses[key])
    assert statuses[("GET", "/healthz")] == 200
    assert statuses[("GET", "/bridge/v1/openapi.json")] == 200
    connecting = client.post("/bridge/v1/connect", json={"connection_code": "alc_" + "x" * 32, "cloud_name": "c"})
    assert connecting.status_code == 503 and int(connecting.headers["Retry-After"]) > 0
    page = client.get("/settings" + page_query(), headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "briefly unavailable" in page.get_data(as_text=True)
    readiness = client.get("/readyz").get_json()
    assert readiness["checks"]["database"]["ok"] is False and readiness["checks"]["redis"]["ok"] is True

    private_pg.start()
    # The pool notices the restart (pre-ping): no request fails after it.
    assert client.get("/bridge/v1/store", headers=bearer(token)).status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.slow
def test_redis_down_every_request_answers_without_500_and_batches_wait(app, client, make_shop, private_redis):
    make_shop(DOMAIN, name="Outage")
    token = connect(client, DOMAIN)["token"]
    private_redis.stop()
    # A batch is stored before it is queued: accepted, and it waits.
    body = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [{"public_id": "a/1", "format": "jpg", "metadata": {"sku": "S-1"}}]}
    accepted = client.post("/bridge/v1/syncs", json=body, headers=bearer(token))
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    with app.app_context():
        sync = db.session.get(Sync, accepted.get_json()["id"])
        assert sync.status == "queued" and sync.dispatched_at is None

    statuses = assert_clear_failures(sweep(app, client, token))
    assert statuses[("GET", "/readyz")] == 503
    assert statuses[("GET", "/healthz")] == 200
    # A webhook that can't be queued is refused so Shopify delivers it again.
    assert statuses[("POST", "/webhooks/app")] == 503
    private_redis.start()
    assert client.get("/readyz").status_code == 200


def _start_worker(app, log_path: str, *roles: str, chunk: int | None = None) -> subprocess.Popen:
    """`chunk`: products per chunk (SYNC_PRODUCTS_PER_BATCH), small so an
    outage can land between a sync's chunks."""
    env = worker_environment(app.config)
    env["LOG_FORMAT"] = "json"
    if chunk is not None:
        env["SYNC_PRODUCTS_PER_BATCH"] = str(chunk)
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "jobs.worker", *roles], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop_worker(worker: subprocess.Popen) -> int:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            return worker.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            return worker.wait(10)
    return worker.returncode


def _log(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


@pytest.fixture(autouse=True)
def _audit_worker_logs(tmp_path):
    """The workers' output joins the run's log audit (tests/log_audit.py)."""
    yield
    from tests.log_audit import audit_text
    path = tmp_path / "worker.log"
    if path.exists():
        audit_text(path.read_text(errors="replace"))


def _sync_body(products: int) -> dict:
    return {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [{"public_id": f"p/{i}/{side}", "format": "jpg", "metadata": {"sku": f"S-{i}"}}
                       for i in range(products) for side in ("front", "back")]}


def _status(app, sync_id: str) -> str:
    with app.app_context():
        try:
            return db.session.get(Sync, sync_id).status
        finally:
            db.session.remove()


@pytest.mark.slow
def test_worker_waits_for_redis_and_resumes(app, client, sim_shop, private_redis, tmp_path):
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(2)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    log_path = str(tmp_path / "worker.log")
    worker = _start_worker(app, log_path)
    try:
        from rq import Worker

        from jobs import queues
        connection = queues.redis_connection(app.config)
        assert wait_for(lambda: len(Worker.all(connection=connection)) >= 1, 60), _log(log_path)[-3000:]

        private_redis.stop()
        assert wait_for(lambda: "Redis" in _log(log_path) and "retrying" in _log(log_path).lower()
                        or "Redis unavailable" in _log(log_path), 60), _log(log_path)[-3000:]
        time.sleep(3)
        assert worker.poll() is None, "the worker exited when Redis went away:\n" + _log(log_path)[-3000:]

        accepted = client.post("/bridge/v1/syncs", json=_sync_body(2), headers=bearer(token))
        assert accepted.status_code == 202
        sync_id = accepted.get_json()["id"]
        assert _status(app, sync_id) == "queued"

        private_redis.start()
        # Whoever dispatches next (the status poll, the scheduler's reaper)
        # hands the stored batch to the queue; the same worker runs it.
        with app.app_context():
            from jobs.batch_dispatch import dispatch_next
            dispatch_next(app.config, db.session.get(Sync, sync_id).shop_id)
            db.session.remove()
        assert wait_for(lambda: _status(app, sync_id) in ("succeeded", "failed", "partially_succeeded"), 120), \
            _log(log_path)[-3000:]
        assert _status(app, sync_id) == "succeeded"
        assert worker.poll() is None
    finally:
        private_redis.start()
        code = _stop_worker(worker)
    assert code == 0, _log(log_path)[-3000:]


@pytest.mark.slow
def test_worker_waits_out_a_postgresql_outage_mid_sync_and_finishes_it(app, client, sim, sim_shop, private_pg,
                                                                        tmp_path):
    products = 8
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(products)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    sync_id = client.post("/bridge/v1/syncs", json=_sync_body(products), headers=bearer(token)).get_json()["id"]
    log_path = str(tmp_path / "worker.log")
    worker = _start_worker(app, log_path, "media", chunk=1)
    try:
        def products_done() -> int:
            with app.app_context():
                try:
                    return db.session.execute(text("SELECT count(*) FROM sync_products WHERE sync_id = :s "
                                                   "AND status = 'done'"), {"s": sync_id}).scalar() or 0
                finally:
                    db.session.remove()
                    db.engine.dispose()

        assert wait_for(lambda: products_done() >= 1, 90), _log(log_path)[-3000:]
        private_pg.stop()
        assert wait_for(lambda: "database unavailable during the job" in _log(log_path), 60), \
            _log(log_path)[-3000:]
        time.sleep(2)
        assert worker.poll() is None
        private_pg.start()
        assert wait_for(lambda: _status(app, sync_id) == "succeeded", 180), _log(log_path)[-3000:]
        assert "resuming the job" in _log(log_path)
    finally:
        private_pg.start()
        code = _stop_worker(worker)
    assert code == 0
    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    assert status["progress"]["products_done"] == products, status
    # Nothing made twice across the outage: one file per asset, two per product.
    APP[:] = [app]
    files = admin(sim, shop, "query { files(first: 100) { nodes { id } } }")["files"]["nodes"]
    assert len(files) == products * 2, "a file was created twice"
    for node in admin(sim, shop, "query { products(first: 20) { nodes { media(first: 10) { nodes { id } } } } }"
                      )["products"]["nodes"]:
        assert len(node["media"]["nodes"]) == 2


@pytest.mark.slow
def test_worker_survives_redis_going_away_mid_job_and_runs_the_next_batch(app, client, sim_shop, private_redis,
                                                                          tmp_path):
    products = 4
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}]} for i in range(products)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    log_path = str(tmp_path / "worker.log")
    worker = _start_worker(app, log_path, "media", chunk=1)
    try:
        first = client.post("/bridge/v1/syncs", json=_sync_body(products), headers=bearer(token)).get_json()["id"]

        def started() -> bool:
            with app.app_context():
                try:
                    return db.session.execute(text("SELECT count(*) FROM sync_products WHERE sync_id = :s "
                                                   "AND status = 'done'"), {"s": first}).scalar() >= 1
                finally:
                    db.session.remove()
        assert wait_for(started, 90), _log(log_path)[-3000:]
        private_redis.stop()
        # The job's own work needs PostgreSQL and Shopify, not Redis: it ends.
        assert wait_for(lambda: _status(app, first) == "succeeded", 120), _log(log_path)[-3000:]
        time.sleep(5)
        assert worker.poll() is None, "the worker exited when Redis went away:\n" + _log(log_path)[-3000:]

        private_redis.start()
        second = client.post("/bridge/v1/syncs", json=_sync_body(products), headers=bearer(token))
        assert second.status_code == 202
        assert wait_for(lambda: _status(app, second.get_json()["id"]) == "succeeded", 180), _log(log_path)[-3000:]
        assert worker.poll() is None
    finally:
        private_redis.start()
        code = _stop_worker(worker)
    assert code == 0, _log(log_path)[-3000:]
