"""Fixtures of the automation tests: the local Cloudinary (tests/cloudinary_sim/support.py)
and a store connected to one of its environments with automation on (support.py)."""
from __future__ import annotations

import pytest

from tests.cloudinary_sim.support import cld, csim, sdk_secret  # noqa: F401
from tests.delivery_server import CLOUDINARY_ORIGIN
from tests.simulator_fixture import start_sim
from tests.ui.conftest import browser, page, screenshot  # noqa: F401  (Settings → Automation in Chromium)
from tests.automation.support import AutomatedStore


@pytest.fixture(scope="session")
def sim(csim):  # noqa: F811
    """Here Shopify downloads Cloudinary delivery URLs from the local Cloudinary
    itself (issue 12.1), not from the generic stand-in the other tests use: a
    source is READY only when that asset exists there in that version and the
    transformation is one Cloudinary accepts."""
    running = start_sim(SIM_FETCH_ORIGINS={CLOUDINARY_ORIGIN: csim.base_url})
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def automated(app, client, sim, sim_shop, cld, csim):  # noqa: F811
    """A factory: a simulator store with `products`, connected to the `cld`
    environment, automation set up with `rules` (one SKU rule by default)."""
    app.config["CLOUDINARY_API_ORIGIN"] = csim.base_url

    def make(products, **automation):
        return AutomatedStore.create(app, client, sim, sim_shop, cld, products, **automation)
    return make
