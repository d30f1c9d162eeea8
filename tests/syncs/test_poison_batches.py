"""A batch that fails inside its job for good (it got past the bridge's
validation) ends `failed` at once with a clear error, and the store's next
batch runs; a transient failure is still retried later. Real rq workers."""
from __future__ import annotations

import time

import pytest
from rq.job import Job, JobStatus

from jobs import batch_service, queues
from jobs.batch_dispatch import dispatch_next, job_id_for
from jobs.batch_run import error_message, is_transient
from shopify_app.admin_api import TransientError
from shopify_app.batch_status import BatchStatus
from shopify_app.extensions import db
from shopify_app.models import Sync, utcnow
from tests.support import bearer, connect


def request(sku, public_id="p/1"):
    return {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append",
            "assets": [{"public_id": public_id, "format": "jpg", "metadata": {"sku": sku}}]}


def sneak_in(app, shop_id, credential_token_client, data):
    """A batch stored as if the bridge had accepted it (the door's checks
    are another test's): the settings of a plain sync, the request as given."""
    with app.app_context():
        settings = db.session.scalars(db.select(Sync.settings).where(Sync.shop_id == shop_id)).first()
        sync = batch_service.new_batch(shop_id=shop_id, kind="sync", request=data, settings=settings or {},
                                       cloud_name="acme", created_at=utcnow())
        db.session.add(sync)
        db.session.commit()
        dispatch_next(app.config, shop_id)
        return sync.id


@pytest.mark.slow
def test_a_poison_batch_fails_at_once_and_the_next_batch_runs(app, client, sim_shop, run_worker):
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain)["token"]
    # A first, ordinary batch gives the store its settings snapshot.
    warmup = client.post("/bridge/v1/syncs", json={**request("S-1"), "dry_run": True}, headers=bearer(token))
    assert warmup.status_code == 202
    # PostgreSQL refuses NUL in text: the unmatched group's report row can't be stored.
    poison = sneak_in(app, shop.shop_id, client, request("NOPE\u0000X"))
    after = client.post("/bridge/v1/syncs", json=request("S-1"), headers=bearer(token)).get_json()["id"]

    started = time.monotonic()
    result = run_worker(app.config, "media", timeout=120)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]

    with app.app_context():
        failed = db.session.get(Sync, poison)
        assert failed.status == BatchStatus.FAILED, (failed.status, failed.errors)
        message = failed.errors[-1]["message"]
        assert "retrying would not fix" in message and "NUL" in message, message
        job = Job.fetch(job_id_for(failed), connection=queues.redis_connection(app.config))
        assert job.get_status() == JobStatus.FINISHED  # not waiting for a retry
        nxt = db.session.get(Sync, after)
        assert nxt.status == BatchStatus.SUCCEEDED, (nxt.status, nxt.errors)
        assert nxt.started_at >= failed.finished_at
    # No 30/120/600 s back-off: the burst worker ran all three batches at once.
    assert took < 60, took


@pytest.mark.slow
def test_a_transient_failure_is_retried_later_and_the_batch_stays_running(app, client, sim, sim_shop, run_worker):
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain)["token"]
    sim.fault({"kind": "500", "count": 1000}, domain=shop.domain)  # Shopify is down
    try:
        sync_id = client.post("/bridge/v1/syncs", json=request("S-1"), headers=bearer(token)).get_json()["id"]
        result = run_worker(app.config, "media", timeout=240)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        sim.clear_faults(domain=shop.domain)
    with app.app_context():
        sync = db.session.get(Sync, sync_id)
        assert sync.status == BatchStatus.RUNNING and sync.errors == []
        job = Job.fetch(job_id_for(sync), connection=queues.redis_connection(app.config))
        assert job.get_status() == JobStatus.SCHEDULED and job.number_of_retries == 1
        queues.get_queue(app.config, queues.MEDIA).scheduled_job_registry.remove(job)


def test_which_errors_are_transient():
    from sqlalchemy import exc as sa_exc
    import redis
    assert is_transient(TransientError("503"))
    assert is_transient(sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert is_transient(redis.exceptions.ConnectionError())
    assert not is_transient(sa_exc.DataError("INSERT", {}, ValueError("NUL")))
    assert not is_transient(RecursionError())
    assert not is_transient(KeyError("x"))
    assert "nested too deeply" in error_message("sync", RecursionError())
    assert "KeyError" in error_message("upload", KeyError("secret value")) and "secret" not in \
        error_message("upload", KeyError("secret value"))
