"""Fixtures of the end-to-end sync tests: a connected simulator store
(tests/syncs/e2e_store.py) and a real burst worker."""
from __future__ import annotations

from typing import Any

import pytest
from rq import Queue

from jobs import queues
from tests.support import connect
from tests.syncs.e2e_store import Store


@pytest.fixture
def make_store(app, client, sim, sim_shop):
    """A factory of connected stores. Other tests of the run may leave jobs in
    this run's media queue; the test's burst worker must run exactly its own
    syncs, so the queue starts empty."""
    Queue(queues.queue_name(app.config, queues.MEDIA), connection=queues.redis_connection(app.config)).empty()

    def make(products: list[dict[str, Any]], cloud_name: str = "acme") -> Store:
        shop = sim_shop(products=products)
        return Store(client, sim, shop, connect(client, shop.domain, cloud_name=cloud_name)["token"])
    return make


@pytest.fixture
def work(app, run_worker):
    """Run one real burst worker on the media queue until it is empty."""
    def run() -> None:
        result = run_worker(app.config, "media", timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
    return run
