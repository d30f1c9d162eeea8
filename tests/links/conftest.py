"""Fixtures for link and unlink tests: connected stores on the simulator."""
from tests.bridge.conftest import client, connected, make_shop  # noqa: F401  (fixtures)
from tests.simulator_fixture import sim, sim_shop  # noqa: F401  (fixtures)
