"""The executor against the real simulator served over HTTP from a thread,
with the app's own Admin API client (pacing, retries) in between. Helpers
are in support.py."""
from __future__ import annotations

from typing import Any

import pytest

from tests.executor.support import DOMAIN, JOB_DELAY, PROCESSING_DELAY, Linker
from tests.simulator_fixture import start_sim


@pytest.fixture
def sim():
    """A simulator of the test's own (fresh state, shop DOMAIN, short processing delays)."""
    running = start_sim(domain=DOMAIN, TESTING=True, SIM_PROCESSING_DELAY=PROCESSING_DELAY, SIM_JOB_DELAY=JOB_DELAY)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def linker(sim):
    def make(products: list[dict], **kwargs: Any) -> Linker:
        sim.create_shop(products=products, plan="standard")
        return Linker(sim, sim.client(), **kwargs)
    return make
