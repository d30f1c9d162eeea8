"""Test fixtures.

The fixtures every test directory shares: the app and its database, the
bridge's test client and connected stores, the Shopify simulator, servers
over real HTTP, the fake token endpoint, a webhook receiver and real
workers. Helpers that are not fixtures are in tests/support.py.

Each test run gets its own PostgreSQL database (created from the `test`
database's server, dropped at the end) and its own Redis key prefix, so
runs on one machine never see each other's data. Set TEST_DATABASE=sqlite
to run against SQLite instead.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from tests.app_processes import AppProcesses
# The local Cloudinary's fixtures (session-scoped server, one environment per test).
from tests.cloudinary_sim.support import cld, csim  # noqa: F401
from tests.fake_token_endpoint import FakeTokenEndpoint, RunningFake
from tests.server_thread import ServerThread
from tests.simulator_fixture import SCOPES, Sim, SimShop, start_sim
from tests.support import (ADMIN_DB_URL, API_KEY, API_SECRET, ENCRYPTION_KEY, REDIS_URL, RUN_ID, Receiver, connect,
                           worker_environment)

# Every log line of the run is checked for secrets (tests/log_audit.py).
pytest_plugins = ["tests.log_audit"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if os.environ.get("TEST_DATABASE") == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    name = f"assetlink_test_{RUN_ID}"
    admin = sa.create_engine(ADMIN_DB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(ADMIN_DB_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def base_config(database_url):
    return {
        "TESTING": True,
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "APP_URL": "https://app.example.test",
        "SECRET_KEY": "test-secret-key",
        "TOKEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": f"assetlink-test-{RUN_ID}",
        "SHOPIFY_SHOP_ORIGIN": "https://{shop}",
        "ASSETLINK_DEVELOPMENT": True,
        # Never the real Cloudinary from a test: a closed port fails at once
        # (automation tests point it at the local Cloudinary).
        "CLOUDINARY_API_ORIGIN": "http://127.0.0.1:9",
    }


@pytest.fixture(scope="session")
def _schema(base_config):
    """Create the tables once per run (the migration test checks that the
    migrations produce the same schema)."""
    from shopify_app import create_app
    from shopify_app.extensions import db
    app = create_app(base_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        # An engine dropped with pooled connections open warns (and warnings
        # are errors here).
        db.engine.dispose()
    return True


@pytest.fixture
def app(base_config, _schema):
    from shopify_app import create_app
    from shopify_app.extensions import db
    app = create_app(base_config)
    yield app
    with app.app_context():
        db.session.remove()
        # Anything still holding a connection (a request thread, a helper
        # thread) would return it to a pool disposed below and drop it open:
        # fail in the test that caused it, not in whichever runs next.
        outlived = db.engine.pool.checkedout()
        # Empty every table between tests; faster than recreating the schema.
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
    assert outlived == 0, f"{outlived} database connection(s) outlived the test"


@pytest.fixture(autouse=True)
def _push_request_context():
    """Shadow pytest-flask's fixture of the same name: it pushes one request
    context for the whole test, which makes every client request share `g`
    and one database session and hides missing commits."""
    yield


@pytest.fixture
def run_worker():
    """Run a real forking rq worker in burst mode on the app's queues:
    `run_worker(app.config)` returns the finished process (output captured)."""
    def run(config, *roles: str, timeout: float = 60):
        from tests.log_audit import audit_text
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        result = subprocess.run([sys.executable, "-m", "jobs.worker", "--burst", *roles], cwd=root,
                                env=worker_environment(config), capture_output=True, text=True, timeout=timeout)
        audit_text(result.stdout)
        audit_text(result.stderr)
        return result

    return run


# -- the bridge -----------------------------------------------------------------------------------

@pytest.fixture
def client(app):
    """pytest-flask's client, from an address of its own: failed-connect
    counters in Redis then never leak from one test into another."""
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    return test_client


@pytest.fixture
def make_shop(app):
    """Create an installed shop as the install flow leaves it; return its id."""
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow

    def make(domain: str = "acme.myshopify.com", *, name: str = "Acme", token: str | None = None,
             installed: bool = True, **fields: Any) -> int:
        with app.app_context():
            shop = Shop(domain=domain, name=name, scopes="write_products,write_files", installed_at=utcnow(),
                        currency="USD", plan="Basic",
                        access_token_enc=crypto.encrypt(token or "shpat_" + uuid.uuid4().hex) if installed else None,
                        **fields)
            db.session.add(shop)
            db.session.commit()
            return shop.id

    return make


@pytest.fixture
def connected(client, make_shop):
    """(shop domain, connect response) for a freshly connected store."""
    make_shop("acme.myshopify.com", name="Acme")
    return "acme.myshopify.com", connect(client, "acme.myshopify.com")


# -- servers --------------------------------------------------------------------------------------

@pytest.fixture
def server(app) -> Iterator[str]:
    """The app under test served over real HTTP (browsers, the bridge client); its base URL."""
    with ServerThread(app) as thread:
        yield thread.base_url


@pytest.fixture
def token_endpoint(app):
    """A running fake of the shop's token endpoint (tests/fake_token_endpoint.py),
    with the app's SHOPIFY_SHOP_ORIGIN pointed at it."""
    fake = FakeTokenEndpoint(app.config["SHOPIFY_API_KEY"], app.config["SHOPIFY_API_SECRET"])
    with RunningFake(fake):
        app.config["SHOPIFY_SHOP_ORIGIN"] = fake.origin_template
        yield fake


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver over real HTTP (tests/support.py)."""
    running = Receiver()
    yield running
    running.stop()


# -- the Shopify simulator (tests/simulator_fixture.py) ---------------------------------------------

@pytest.fixture(scope="session")
def sim() -> Iterator[Sim]:
    """One simulator for the session (shops are cheap; a server per test is
    not); every `sim_shop` gets a fresh domain. Tests that need one of their
    own (other timings, a fixed domain) call `start_sim(**config)`."""
    running = start_sim()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sim_shop(sim, app):
    """Make a simulator shop, store it (with its token) as an installed Shop,
    and point the app at the simulator. Returns a factory.

    Tokens are expiring offline tokens, as the app asks for; with
    `expiring=False` the app migrates the legacy token on first use (which
    revokes it: use `SimShop.current_token(app)` for direct calls)."""
    from shopify_app import crypto
    from shopify_app.extensions import db
    from shopify_app.models import Shop, utcnow

    app.config["SHOPIFY_SHOP_ORIGIN"] = sim.shop_origin

    def make(domain: str | None = None, *, name: str = "Sim Store", plan: str = "standard", expiring: bool = True,
             **body: Any) -> SimShop:
        created = sim.create_shop(domain, name=name, plan=plan, **body)
        token = sim.issue_token(created["domain"], expiring=expiring)
        with app.app_context():
            shop = Shop(domain=created["domain"], name=name, currency="USD", plan=plan,
                        scopes=token.get("scope", SCOPES), installed_at=utcnow(),
                        access_token_enc=crypto.encrypt(token["access_token"]))
            if expiring:
                now = utcnow()
                shop.access_token_expires_at = now + timedelta(seconds=int(token["expires_in"]))
                shop.refresh_token_enc = crypto.encrypt(token["refresh_token"])
                shop.refresh_token_expires_at = now + timedelta(
                    seconds=int(token.get("refresh_token_expires_in") or 90 * 86400))
            db.session.add(shop)
            db.session.commit()
            return SimShop(domain=created["domain"], access_token=token["access_token"], shop_id=shop.id)

    return make


# -- long-running app processes (tests/app_processes.py) ------------------------------------------

@pytest.fixture
def app_processes(tmp_path):
    """Start real worker and scheduler processes: `app_processes.worker(app.config)`;
    all are stopped when the test ends."""
    processes = AppProcesses(str(tmp_path))
    try:
        yield processes
    finally:
        processes.stop()
