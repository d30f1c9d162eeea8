"""The migrations, not create_all, are what production runs: they must have
one head and build exactly the schema the models describe."""
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from shopify_app import create_app
from shopify_app.extensions import db
from shopify_app.models import Shop, Sync, SyncItem

from tests.support import ADMIN_DB_URL


def test_single_head(app):
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


@contextmanager
def fresh_database(base_config):
    """An app on a new, empty PostgreSQL database (dropped afterwards), in its app context."""
    name = f"assetlink_migr_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_DB_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.engine.make_url(ADMIN_DB_URL).set(database=name).render_as_string(hide_password=False)
        app = create_app({**base_config, "DATABASE_URL": url})
        with app.app_context():
            yield app
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_builds_the_models_schema_and_downgrades(base_config):
    with fresh_database(base_config):
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]


def test_links_and_made_files_are_filled_from_the_report_rows_an_upgrade_finds(base_config):
    """A store upgraded with history already held knows what it linked: a
    sync's links, less the duplicates it took off and what a later unlink
    removed; and every file a sync made, unlinked or not (the Files clean-up's
    candidates). Dry runs count for nothing."""
    with fresh_database(base_config):
        upgrade(revision="automation_tables")
        # The models of the tables this migration leaves alone are those of the revision before it.
        shop = Shop(domain="a.myshopify.com", scopes="")
        db.session.add(shop)
        db.session.flush()
        batches = [("s1", "sync", False, 1), ("d1", "sync", True, 2), ("u1", "unlink", False, 3)]
        for sync_id, kind, dry_run, day in batches:
            at = datetime(2026, 1, day, tzinfo=timezone.utc)
            request = {"match": {"cloudinary_field": "sku", "shopify_field": "sku"}} if kind == "sync" else {}
            db.session.add(Sync(id=sync_id, shop_id=shop.id, kind=kind, dry_run=dry_run, status="succeeded",
                                cloud_name="acme", created_at=at, finished_at=at, request=request))
        rows = [("s1", 1, "P1", "a", "created", "M1", "SKU-1"), ("s1", 2, "P1", "b", "created", "M2", "SKU-1"),
                ("s1", 3, "P2", "a", "unchanged", "M3", "SKU-2"), ("s1", 4, "P2", "x", "skipped", None, None),
                ("s1", 5, "P2", "a", "removed", "M9", None),   # a duplicate of "a" taken off; M3 stays
                ("d1", 1, "P3", "c", "created", None, "SKU-3"), ("d1", 2, "P3", "d", "created", "M8", "SKU-3"),
                ("u1", 1, "P1", "b", "removed", "M2", None)]
        db.session.flush()
        for sync_id, seq, product, public_id, action, media, group in rows:
            db.session.add(SyncItem(sync_id=sync_id, seq=seq, product_id=product, public_id=public_id,
                                    action=action, media_id=media, group_value=group))
        db.session.commit()
        db.session.remove()
        upgrade()
        with db.engine.connect() as conn:
            links = conn.execute(sa.text("SELECT product_id, public_id, media_key, group_value, match_field, "
                                         "cloud_name, sync_id FROM asset_links ORDER BY product_id, public_id")).all()
        assert [tuple(link) for link in links] == [("P1", "a", "M1", "SKU-1", "sku", "acme", "s1"),
                                                   ("P2", "a", "M3", "SKU-2", "sku", "acme", "s1")]
        with db.engine.connect() as conn:
            made = conn.execute(sa.text("SELECT file_id, public_id, product_id, sync_id FROM made_files "
                                        "ORDER BY file_id")).all()
        assert [tuple(row) for row in made] == [("M1", "a", "P1", "s1"), ("M2", "b", "P1", "s1")]
