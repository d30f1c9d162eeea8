"""A real worker SIGKILLed in the middle of a sync: another worker finishes it,
with no duplicate media and nothing linked twice."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from tests.conftest import worker_environment
from rq import Worker
from rq.job import Job

from jobs import queues
from shopify_app.extensions import db
from shopify_app.models import Sync, SyncProduct
from tests.bridge.conftest import bearer, connect
from tests.syncs.store_reads import APP, admin
from tests.syncs.test_sync_execute_sim import GALLERY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCTS = 6


def children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry))
    return found


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_sigkilled_worker_mid_sync_is_finished_by_another_without_duplicates(app, client, sim_shop, sim, run_worker):
    shop = sim_shop(products=[{"title": f"P{i}", "variants": [{"sku": f"S-{i}"}],
                               "media": [{"src": f"https://example.com/m{i}.jpg"}]} for i in range(PRODUCTS)])
    token = connect(client, shop.domain, cloud_name="acme")["token"]
    assets = [{"public_id": f"p/{i}/{side}", "format": "jpg", "metadata": {"sku": f"S-{i}"}}
              for i in range(PRODUCTS) for side in ("front", "back")]
    data = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}, "link_mode": "prepend", "assets": assets}
    sync_id = client.post("/bridge/v1/syncs", json=data, headers=bearer(token)).get_json()["id"]

    worker = subprocess.Popen([sys.executable, "-m", "jobs.worker", "media"], cwd=ROOT, start_new_session=True,
                              env=worker_environment(app.config), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        def some_done():
            with app.app_context():
                return db.session.query(SyncProduct).filter_by(sync_id=sync_id, status="done").count() >= 2
        assert wait_for(some_done), "the worker never got going"
    finally:
        # The worker and its work horse (RQ puts the horse in a session of its
        # own), mid-sync, as when the machine under them goes away.
        for pid in children(worker.pid):
            os.kill(pid, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    connection = queues.redis_connection(app.config)
    job = Job.fetch(f"sync-{sync_id}", connection=connection)
    # Seven minutes later the dead worker's key has expired (worker_ttl):
    connection.delete(Worker.redis_worker_namespace_prefix + job.worker_name)
    with app.app_context():
        assert db.session.get(Sync, sync_id).status == "running"
        done_before = db.session.query(SyncProduct).filter_by(sync_id=sync_id, status="done").count()
    assert done_before < PRODUCTS

    # The Cloudinary side polls; the poll hands the lost job over again.
    assert client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).status_code == 200
    result = run_worker(app.config, "media", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]

    status = client.get(f"/bridge/v1/syncs/{sync_id}", headers=bearer(token)).get_json()
    assert status["status"] == "succeeded", status
    assert status["progress"]["products_done"] == PRODUCTS
    APP[:] = [app]
    found = admin(sim, shop, "query { products(first: 20) { nodes { id title } } }")["products"]["nodes"]
    for node in found:
        product = admin(sim, shop, GALLERY, {"id": node["id"]})["product"]
        gallery = [m["id"] for m in product["media"]["nodes"]]
        doc = json.loads(product["mf"]["value"])
        i = node["title"][1:]
        assert [e["public_id"] for e in doc] == [f"p/{i}/front", f"p/{i}/back"]
        assert len(gallery) == 3 and [e["media_id"] for e in doc] == gallery[:2], (node["title"], gallery, doc)
    files = admin(sim, shop, "query { files(first: 100) { nodes { id } } }")["files"]["nodes"]
    assert len(files) == PRODUCTS * 3, "a file was uploaded twice"
