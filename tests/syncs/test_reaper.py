"""The reaper: which handed-over batches are lost (a pure decision), and,
with a real scheduler and worker, a batch whose hand-over was lost is run
without anyone polling it."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from rq.job import JobStatus

from jobs import queues
from jobs.batch_dispatch import store_lock, store_lock_held
from jobs.reaper import STARTED_GRACE, is_lost, reap_store
from shopify_app.batch_status import BatchStatus
from shopify_app.extensions import db
from shopify_app.models import Sync
from tests.support import bearer, connect

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - STARTED_GRACE - timedelta(seconds=1)
JUST_NOW = NOW - timedelta(seconds=1)


@pytest.mark.parametrize("status,started_at,running,worker_alive,lost", [
    (None, None, False, None, True),                          # the job is gone
    (JobStatus.FAILED, LONG_AGO, False, None, True),          # a killed work horse
    (JobStatus.FINISHED, LONG_AGO, False, None, True),        # returned without ending the batch
    (JobStatus.STOPPED, None, False, None, True),
    (JobStatus.CANCELED, None, False, None, True),
    (JobStatus.QUEUED, None, False, None, False),             # waiting for a worker
    (JobStatus.SCHEDULED, LONG_AGO, False, None, False),      # waiting for its retry
    (JobStatus.DEFERRED, None, False, None, False),
    (JobStatus.STARTED, LONG_AGO, False, None, True),         # started, nobody holds the store: died
    (JobStatus.STARTED, JUST_NOW, False, None, False),        # just started, lock not taken yet
    (JobStatus.STARTED, LONG_AGO, True, None, False),         # running
    (JobStatus.FAILED, LONG_AGO, True, None, False),          # someone runs the store: leave it
    (JobStatus.STARTED, LONG_AGO, None, True, False),         # SQLite: worker registered
    (JobStatus.STARTED, LONG_AGO, None, False, True),         # SQLite: worker gone
])
def test_is_lost(status, started_at, running, worker_alive, lost):
    assert is_lost(status, started_at, NOW, store_running=running, worker_alive=worker_alive) is lost


def body(sku="S-1"):
    return {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "append", "dry_run": True,
            "assets": [{"public_id": f"p/{sku}", "format": "jpg", "metadata": {"sku": sku}}]}


def test_a_store_whose_lock_is_held_is_left_alone(app, client, sim_shop):
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain)["token"]
    sync_id = client.post("/bridge/v1/syncs", json=body(), headers=bearer(token)).get_json()["id"]
    queues.get_queue(app.config, queues.MEDIA).empty()  # the job is lost...
    with app.app_context():
        with store_lock(shop.shop_id) as held:  # ...but a live process runs the store
            assert held and store_lock_held(shop.shop_id)
            assert reap_store(app.config, shop.shop_id) is None
        assert store_lock_held(shop.shop_id) is False
        assert reap_store(app.config, shop.shop_id) == sync_id
        assert db.session.get(Sync, sync_id).dispatch_count == 2
    assert queues.get_queue(app.config, queues.MEDIA).get_job_ids() == [f"sync-{sync_id}-2"]


@pytest.mark.slow
def test_the_scheduler_and_a_worker_recover_a_lost_hand_over_without_polls(app, client, sim_shop, app_processes):
    """The Cloudinary side never polls; Redis lost the first job. The real
    scheduler queues the reaper, a real worker runs it and then the sync."""
    app_processes.clear_queues(app.config)
    shop = sim_shop(products=[{"title": "P", "variants": [{"sku": "S-1"}]}])
    token = connect(client, shop.domain)["token"]
    sync_id = client.post("/bridge/v1/syncs", json=body(), headers=bearer(token)).get_json()["id"]
    queues.get_queue(app.config, queues.MEDIA).empty()
    app_processes.worker(app.config)
    app_processes.scheduler(app.config, REAPER_INTERVAL_SECONDS="1")
    deadline = time.monotonic() + 60
    status = None
    while time.monotonic() < deadline:
        with app.app_context():
            status = db.session.get(Sync, sync_id).status
        if status == BatchStatus.SUCCEEDED:
            break
        time.sleep(0.2)
    assert status == BatchStatus.SUCCEEDED, app_processes.output()[-3000:]
    output = app_processes.output()
    assert "Traceback" not in output, output[max(0, output.find("Traceback") - 1500):][:4000]
