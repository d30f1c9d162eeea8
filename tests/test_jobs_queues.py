"""Queue names, job options, in-process mode and a real forking worker."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import JobStatus

from jobs import queues
from shopify_app import credentials
from shopify_app.extensions import db
from shopify_app.models import BridgeCredential, Shop, Sync, WebhookDelivery, utcnow
from tests.simulator_fixture import SIM_CLIENT_ID


@pytest.fixture
def config(app):
    # A prefix of its own per test, so queues start empty and nothing leaks.
    app.config["REDIS_KEY_PREFIX"] = f"{app.config['REDIS_KEY_PREFIX']}-{uuid.uuid4().hex[:6]}"
    yield app.config
    if queues.is_async(app.config):
        connection = queues.redis_connection(app.config)
        for name in queues.all_queue_names(app.config):
            queue = Queue(name, connection=connection)
            for registry in (queue.failed_job_registry, queue.finished_job_registry,
                             queue.canceled_job_registry, queue.scheduled_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)
            queue.empty()


def test_queue_names_carry_the_deployment_prefix(config):
    names = queues.all_queue_names(config)
    assert names == [f"{config['REDIS_KEY_PREFIX']}-{role}" for role in ("webhooks", "media", "default")]


def test_unknown_job_is_refused(config):
    with pytest.raises(queues.UnknownJob, match="jobs.nope.job"):
        queues.enqueue(config, "jobs.nope.job", 1)


def test_enqueue_applies_the_jobs_table(config):
    job = queues.enqueue(config, "jobs.lifecycle_jobs.app_uninstalled", "a.myshopify.com", None)
    spec = queues.JOBS["jobs.lifecycle_jobs.app_uninstalled"]
    assert job.origin == queues.queue_name(config, "webhooks")
    assert job.timeout == spec.timeout
    assert job.result_ttl == spec.result_ttl
    assert job.failure_ttl == spec.failure_ttl
    assert job.retries_left == spec.retries
    assert job.retry_intervals == list(spec.retry_intervals)
    assert job.args == ("a.myshopify.com", None)
    assert job.get_status() == JobStatus.QUEUED


def test_redis_connection_returns_bytes(config):
    connection = queues.redis_connection(config)
    key = f"{config['REDIS_KEY_PREFIX']}-probe"
    connection.set(key, "x", ex=5)
    assert connection.get(key) == b"x"
    connection.delete(key)


def test_in_process_mode_runs_the_job_before_returning(app, config, sim, sim_shop):
    config["RQ_IS_ASYNC"] = False
    installed = sim_shop()
    # The merchant uninstalled: Shopify refuses the app's token, which the job checks.
    sim.control("POST", f"/_sim/shops/{installed.domain}/apps/{SIM_CLIENT_ID}/uninstall")
    shop_id = installed.shop_id
    with app.app_context():
        db.session.add(WebhookDelivery(webhook_id="ancient", topic="app/uninstalled", shop_domain=installed.domain,
                                       received_at=utcnow() - timedelta(days=30)))
        db.session.commit()
    with app.app_context():
        job = queues.enqueue(config, "jobs.lifecycle_jobs.app_uninstalled", installed.domain, None)
        assert job.get_status() == JobStatus.FINISHED
        assert job.return_value() is True
        shop = db.session.get(Shop, shop_id)
        assert shop.uninstalled_at is not None and shop.access_token_enc is None
        # The lifecycle jobs also forget delivery ids past the retry window.
        assert db.session.scalar(db.select(WebhookDelivery)) is None


def test_cancel_shop_jobs_only_touches_that_shop(config):
    mine = queues.enqueue(config, "jobs.lifecycle_jobs.scopes_updated", "a.myshopify.com", [], meta={"shop_id": 7})
    other = queues.enqueue(config, "jobs.lifecycle_jobs.scopes_updated", "b.myshopify.com", [], meta={"shop_id": 8})
    unowned = queues.enqueue(config, "jobs.lifecycle_jobs.scopes_updated", "c.myshopify.com", [])
    assert queues.cancel_shop_jobs(config, 7) == 1
    assert mine.get_status(refresh=True) == JobStatus.CANCELED
    assert other.get_status(refresh=True) == JobStatus.QUEUED
    assert unowned.get_status(refresh=True) == JobStatus.QUEUED


def test_a_real_worker_process_does_the_queued_work(app, config, run_worker, sim, sim_shop):
    installed = sim_shop()
    with app.app_context():
        shop = db.session.get(Shop, installed.shop_id)
        issued = credentials.create_api_key(shop, "CI")
        db.session.add(Sync(shop_id=shop.id, status="queued"))
        db.session.commit()
        shop_id, credential_id = shop.id, issued.credential.id
    sim.control("POST", f"/_sim/shops/{installed.domain}/apps/{SIM_CLIENT_ID}/uninstall")
    job = queues.enqueue(config, "jobs.lifecycle_jobs.app_uninstalled", installed.domain, None)

    result = run_worker(config, "webhooks")

    assert result.returncode == 0, result.stderr
    assert job.get_status(refresh=True) == JobStatus.FINISHED, result.stderr
    assert job.return_value() is True
    with app.app_context():
        shop = db.session.get(Shop, shop_id)
        assert shop.uninstalled_at is not None
        assert shop.access_token_enc is None and shop.refresh_token_enc is None
        assert db.session.get(BridgeCredential, credential_id).revoked_at is not None
        assert db.session.scalar(db.select(Sync.status).where(Sync.shop_id == shop_id)) == "aborted"
    # Secrets stay out of the worker's logs.
    assert installed.access_token not in result.stderr + result.stdout


def test_worker_only_takes_this_deployments_queues(app, config, run_worker):
    stranger = Queue("someone-else-webhooks", connection=queues.redis_connection(config))
    foreign = stranger.enqueue("jobs.lifecycle_jobs.shop_redact", "x.myshopify.com")
    try:
        result = run_worker(config)
        assert result.returncode == 0, result.stderr
        assert foreign.get_status(refresh=True) == JobStatus.QUEUED
    finally:
        foreign.delete()


def test_worker_refuses_unknown_queue_roles(config, run_worker):
    result = run_worker(config, "bogus")
    assert result.returncode != 0
    assert "unknown queue" in result.stderr


def test_worker_without_settings_names_what_is_missing(config, run_worker):
    broken = {**config, "TOKEN_ENCRYPTION_KEY": ""}
    result = run_worker(broken)
    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEY" in result.stderr and "Traceback" not in result.stderr
