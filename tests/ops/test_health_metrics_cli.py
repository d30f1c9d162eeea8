"""/healthz, /readyz, /metrics and the `flask assetlink` operator commands."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from shopify_app import create_app, crypto, metrics
from shopify_app.extensions import db
from shopify_app.models import (Automation, AutomationEvent, BridgeCredential, ConnectionCode, Shop, Sync, SyncItem,
                                 SyncProduct, utcnow)
from tests.support import bearer, connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def samples(body: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


# -- health ------------------------------------------------------------------------------------------

def test_healthz_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_needs_migrations_at_head(base_config, private_pg):
    """The module's PostgreSQL was migrated by the release step (upgrade)."""
    private_pg.start()
    app = create_app({**base_config, "DATABASE_URL": private_pg.url})  # disposed below
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["checks"]["database"] == {"ok": True, "detail": "ok"}
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_revision'"))
        try:
            behind = client.get("/readyz")
            assert behind.status_code == 503 and behind.headers["Retry-After"]
            problem = behind.get_json()
            assert problem["checks"]["database"]["ok"] is False
            assert "an_older_revision" in problem["checks"]["database"]["detail"]
        finally:
            from shopify_app.health import migration_heads
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"),
                             {"v": next(iter(migration_heads()))})
            db.engine.dispose()


def test_readyz_on_a_database_without_migrations(client):
    # The test database is made with create_all, never migrated.
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "no migrations applied" in response.get_json()["checks"]["database"]["detail"]


# -- metrics -----------------------------------------------------------------------------------------

def test_metrics_are_off_without_a_token_and_need_it_when_set(app, make_app):
    assert app.test_client().get("/metrics").status_code == 404
    protected = make_app(METRICS_TOKEN="metrics-token-0123456789")
    client = protected.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer("wrong-token-0123456789")).status_code == 401
    response = client.get("/metrics", headers=bearer("metrics-token-0123456789"))
    assert response.status_code == 200 and response.mimetype == "text/plain"


def test_metrics_count_requests_by_route_and_read_queue_depths(make_app):
    app = make_app(METRICS_TOKEN="metrics-token-0123456789")
    client = app.test_client()
    before = samples(client.get("/metrics", headers=bearer("metrics-token-0123456789")).get_data(as_text=True))
    key = ("assetlink_http_requests_total", (("method", "GET"), ("route", "/bridge/v1/syncs/<sync_id>"),
                                             ("status", "401")))
    for _ in range(3):
        assert client.get(f"/bridge/v1/syncs/{uuid.uuid4().hex}").status_code == 401
    from jobs import queues
    queues.get_queue(app.config, queues.DEFAULT).enqueue_call("builtins.print", args=("x",))
    after = samples(client.get("/metrics", headers=bearer("metrics-token-0123456789")).get_data(as_text=True))
    assert after[key] - before.get(key, 0) == 3
    assert after[("assetlink_queue_jobs", (("queue", "default"), ("state", "queued")))] >= 1
    assert after[("assetlink_queue_redis_up", ())] == 1


def test_batch_and_shopify_metrics(app):
    now = utcnow()
    before = samples(metrics.exposition(app.config).decode())
    metrics.record_batch_end("sync", "succeeded", created_at=now - timedelta(seconds=42),
                             started_at=now - timedelta(seconds=40), finished_at=now)
    metrics.record_shopify_cost("acme.myshopify.com", 12.0)
    metrics.record_shopify_throttled("acme.myshopify.com")
    after = samples(metrics.exposition(app.config).decode())

    def delta(name, labels):
        # Sums of earlier batches of the run are floats: the difference is
        # exact only to rounding.
        key = (name, tuple(sorted(labels.items())))
        return pytest.approx(after[key] - before.get(key, 0), abs=1e-6)
    assert delta("assetlink_batches_total", {"kind": "sync", "outcome": "succeeded"}) == 1
    # Sums of earlier batches in this process make the deltas float differences.
    assert delta("assetlink_batch_duration_seconds_sum", {"kind": "sync", "outcome": "succeeded"}) == pytest.approx(42)
    assert delta("assetlink_batch_run_seconds_sum", {"kind": "sync", "outcome": "succeeded"}) == pytest.approx(40)
    assert delta("assetlink_shopify_cost_points_total", {"shop": "acme.myshopify.com"}) == 12
    assert delta("assetlink_shopify_throttled_total", {"shop": "acme.myshopify.com"}) == 1


def test_multiprocess_metrics_add_up_across_processes_and_horses(tmp_path):
    """Separate processes (gunicorn workers, RQ work horses) write to the
    multiprocess directory; a scrape adds them up, and horses of one worker
    share one file set instead of leaving one per job."""
    script = """
import os, sys
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
from shopify_app import metrics
role = sys.argv[2]
if role == "web":
    metrics.record_request("GET", "/healthz", 200, 0.01)
else:
    metrics.mark_rq_worker()
    from unittest import mock
    for _ in range(3):  # three jobs, each in its own forked horse
        pid = os.fork()
        if pid == 0:
            with mock.patch("rq.get_current_job", return_value=object()):
                metrics.record_shopify_cost("acme.myshopify.com", 5)
            os._exit(0)
        os.waitpid(pid, 0)
"""
    directory = str(tmp_path)
    for role in ("web", "web", "worker"):
        subprocess.run([sys.executable, "-c", script, directory, role], cwd=ROOT, check=True, timeout=60)
    files = sorted(os.listdir(directory))
    horse_files = [f for f in files if "rqhorse" in f]
    assert len(horse_files) == 1, files  # one counter file for all three horses
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
    out = subprocess.run([sys.executable, "-c",
                          ("from shopify_app import metrics; import sys; "
                           "sys.stdout.write(metrics.exposition({'RQ_IS_ASYNC': False, 'REDIS_KEY_PREFIX': 'x'})"
                           ".decode())")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    found = samples(out)
    assert found[("assetlink_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))] == 2
    assert found[("assetlink_shopify_cost_points_total", (("shop", "acme.myshopify.com"),))] == 15


# -- flask assetlink ---------------------------------------------------------------------------------

def test_reencrypt_rotates_every_secret_to_the_new_key(app, client, make_shop):
    shop_id = make_shop("acme.myshopify.com", token="shpat_original_token_value")
    issued = connect(client, "acme.myshopify.com")
    new_key = Fernet.generate_key().decode()
    old_key = app.config["TOKEN_ENCRYPTION_KEY"]
    app.config["TOKEN_ENCRYPTION_KEY"] = f"{new_key},{old_key}"
    result = app.test_cli_runner().invoke(args=["assetlink", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 shop access tokens" in result.output
    assert "re-encrypted 1 webhook signing secrets" in result.output
    assert "re-derived 1 live connection code(s)" in result.output
    # The old key can go: everything decrypts with the new one alone.
    app.config["TOKEN_ENCRYPTION_KEY"] = new_key
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert crypto.decrypt(shop.access_token_enc) == "shpat_original_token_value"
        credential = db.session.query(BridgeCredential).filter_by(shop_id=shop_id).one()
        assert crypto.decrypt(credential.signing_secret_enc) == issued["signing_secret"]
    # The connection code Settings shows now is the one that connects.
    assert connect(client, "acme.myshopify.com")["token"]


def test_reencrypt_reports_what_no_key_decrypts(app, make_shop):
    make_shop("acme.myshopify.com")
    app.config["TOKEN_ENCRYPTION_KEY"] = Fernet.generate_key().decode()  # the old key is gone
    result = app.test_cli_runner().invoke(args=["assetlink", "reencrypt", "--dry-run"])
    assert result.exit_code != 0
    assert "1 can't be decrypted" in result.output


def test_failed_jobs_are_listed_and_retried(app):
    from rq import SimpleWorker

    from jobs import queues
    connection = queues.redis_connection(app.config)
    queue = queues.get_queue(app.config, queues.DEFAULT, connection)
    job = queue.enqueue_call("builtins.int", args=("not a number",), meta={"shop": "acme.myshopify.com"})
    SimpleWorker([queue], connection=connection).work(burst=True)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["assetlink", "failed-jobs"])
    assert listed.exit_code == 0, listed.output
    assert job.id in listed.output and "builtins.int" in listed.output and "shop=acme.myshopify.com" in listed.output
    assert "invalid literal" in listed.output
    retried = runner.invoke(args=["assetlink", "retry-jobs", job.id])
    assert retried.exit_code == 0 and "requeued 1 job(s)" in retried.output
    assert job.id in queue.get_job_ids()
    assert runner.invoke(args=["assetlink", "retry-jobs", "no-such-job"]).exit_code != 0


def test_purge_history_deletes_old_finished_batches_only(app, make_shop):
    shop_id = make_shop("acme.myshopify.com")
    now = utcnow()
    with app.app_context():
        old = Sync(shop_id=shop_id, kind="sync", status="succeeded", created_at=now - timedelta(days=100),
                   finished_at=now - timedelta(days=95))
        recent = Sync(shop_id=shop_id, kind="sync", status="failed", created_at=now - timedelta(days=3),
                      finished_at=now - timedelta(days=2))
        running = Sync(shop_id=shop_id, kind="sync", status="running", created_at=now - timedelta(days=200))
        db.session.add_all([old, recent, running])
        db.session.flush()
        db.session.add(SyncProduct(sync_id=old.id, seq=1, product_id="gid://shopify/Product/1", status="done"))
        db.session.add(SyncItem(sync_id=old.id, seq=1, action="created"))
        db.session.add(ConnectionCode(shop_id=shop_id, nonce="n", code_hash=uuid.uuid4().hex,
                                      ended_at=now - timedelta(days=120), end_reason="used"))
        automation = Automation(shop_id=shop_id, cloud_name="c", api_key="k", notification_token=uuid.uuid4().hex)
        db.session.add(automation)
        db.session.flush()
        for days, state in ((100, "done"), (100, "pending"), (1, "done")):
            db.session.add(AutomationEvent(automation_id=automation.id, shop_id=shop_id, notification_type="upload",
                                           outcome="queued", state=state, received_at=now - timedelta(days=days)))
        db.session.commit()
        ids = (old.id, recent.id, running.id)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["assetlink", "purge-history", "--dry-run"])
    assert "would delete 1 batch(es)" in dry.output and "(1 product rows, 1 report rows)" in dry.output
    result = runner.invoke(args=["assetlink", "purge-history"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 batch(es) finished more than 90 days ago" in result.output
    with app.app_context():
        assert [db.session.get(Sync, i) is not None for i in ids] == [False, True, True]
        assert db.session.query(SyncItem).count() == 0 and db.session.query(SyncProduct).count() == 0
        assert db.session.query(ConnectionCode).filter(ConnectionCode.ended_at.is_not(None)).count() == 0
        # An old handled notification goes; one still pending (its run not made yet) and a recent one stay.
        assert sorted(e.state for e in db.session.query(AutomationEvent)) == ["done", "pending"]
    assert "1 automation notification(s)" in result.output
