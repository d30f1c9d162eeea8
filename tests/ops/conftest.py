"""Fixtures for operations tests: a PostgreSQL cluster and a Redis server of
the module's own (tests/private_services.py), migrated the way the release
step does it, so tests can stop and start them."""
from __future__ import annotations

import pytest

from tests.private_services import PrivatePostgres, PrivateRedis


@pytest.fixture(scope="module")
def private_redis():
    server = PrivateRedis().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def private_pg(base_config):
    from flask_migrate import upgrade

    from shopify_app import create_app
    from shopify_app.extensions import db
    cluster = PrivatePostgres().start()
    cluster.create_database()
    app = create_app({**base_config, "DATABASE_URL": cluster.url})
    with app.app_context():
        upgrade()  # what `flask --app shopify_app db upgrade` (the release step) does
        db.engine.dispose()
    yield cluster
    cluster.close()


@pytest.fixture
def make_app(base_config, _schema):
    """create_app(base_config + overrides); engines disposed afterwards (an
    open pooled connection garbage-collected later warns, and warnings are
    errors here)."""
    from shopify_app import create_app
    from shopify_app.extensions import db
    made = []

    def make(**overrides):
        app = create_app({**base_config, **overrides})
        made.append(app)
        return app
    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
