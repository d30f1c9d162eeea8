"""Test fixtures.

Each test run gets its own PostgreSQL database (created from the `test`
database's server, dropped at the end) and its own Redis key prefix, so
runs on one machine never see each other's data. Set TEST_DATABASE=sqlite
to run against SQLite instead.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import OctKey

RUN_ID = uuid.uuid4().hex[:10]
API_KEY = "test-client-id"
API_SECRET = "test-client-secret-0123456789abcdef"
ADMIN_DB_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ENCRYPTION_KEY = Fernet.generate_key().decode()


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
        # Empty every table between tests; faster than recreating the schema.
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Shadow pytest-flask's fixture of the same name: it pushes one request
    context for the whole test, which makes every client request share `g`
    and one database session and hides missing commits."""
    yield


def make_session_token(shop: str = "test-shop.myshopify.com", *, secret: str = API_SECRET, aud: str = API_KEY,
                       exp_in: int = 60, nbf_in: int = 0, iss_shop: str | None = None, **extra) -> str:
    """A session token as App Bridge would send it for `shop`."""
    now = int(time.time())
    claims = {
        "iss": f"https://{iss_shop or shop}/admin",
        "dest": f"https://{shop}",
        "aud": aud,
        "sub": "42",
        "exp": now + exp_in,
        "nbf": now + nbf_in,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
    }
    claims.update(extra)
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret))


def worker_environment(config) -> dict[str, str]:
    """The environment a `python -m jobs.worker` process needs to serve the
    same database and queues as an app built from `config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_"))}
    for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY",
                 "DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "SHOPIFY_SHOP_ORIGIN"):
        env[name] = str(config[name])
    env["ASSETLINK_DEVELOPMENT"] = "1" if config.get("ASSETLINK_DEVELOPMENT") else "0"
    return env


@pytest.fixture
def run_worker():
    """Run a real forking rq worker in burst mode on the app's queues:
    `run_worker(app.config)` returns the finished process (output captured)."""
    import subprocess
    import sys

    def run(config, *roles: str, timeout: float = 60):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return subprocess.run([sys.executable, "-m", "jobs.worker", "--burst", *roles], cwd=root,
                              env=worker_environment(config), capture_output=True, text=True, timeout=timeout)

    return run
