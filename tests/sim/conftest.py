"""Fixtures of the simulator's own tests: a simulator on a hand-driven clock
for the Admin API (`sim_api`, graphql_support.py), one with two shops and the
app registered for OAuth and webhooks (`sim`, sim_auth_support.py; it stands
in for tests/conftest.py's session simulator here), and real HTTP receivers
for webhook deliveries (`receiver_factory`)."""
from __future__ import annotations

from typing import Callable, Iterator

import pytest

from shopify_sim import create_app
from shopify_sim.state import Shop, SimState

from . import graphql_support, sim_auth_support
from .sim_auth_support import OTHER_SHOP, SHOP, Clock, Receiver


@pytest.fixture
def sim_api() -> graphql_support.Sim:
    return graphql_support.make_sim()


@pytest.fixture
def sim() -> sim_auth_support.Sim:
    app = create_app({"TESTING": True, "SIM_WEBHOOK_THREAD": False, "SIM_WEBHOOK_RETRY_SCALE": 0.001})
    state: SimState = app.extensions["sim_state"]
    clock = Clock()
    state.clock = clock
    for domain in (SHOP, OTHER_SHOP):
        state.shops[domain] = Shop(domain=domain, name=domain.split(".")[0].title())
    sim = sim_auth_support.Sim(app=app, client=app.test_client(), state=state, clock=clock)
    sim.register()
    return sim


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(statuses: list[int], delay: float = 0.0) -> Receiver:
        receiver = Receiver(statuses, delay)
        receiver.thread.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(timeout=5)
