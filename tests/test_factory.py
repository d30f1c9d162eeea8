import pytest

from shopify_app import create_app
from shopify_app.config import ConfigError


def test_config_dict_overrides_environment(base_config, monkeypatch):
    monkeypatch.setenv("SHOPIFY_SCOPES", "read_products")
    app = create_app({**base_config, "SHOPIFY_SCOPES": "write_products,write_files"})
    assert app.config["SHOPIFY_SCOPES"] == "write_products,write_files"


def test_environment_is_read(base_config, monkeypatch):
    monkeypatch.setenv("SHOPIFY_SHOP_ORIGIN", "http://127.0.0.1:8765/{shop}")
    cfg = {k: v for k, v in base_config.items() if k != "SHOPIFY_SHOP_ORIGIN"}
    app = create_app(cfg)
    assert app.config["SHOPIFY_SHOP_ORIGIN"] == "http://127.0.0.1:8765/{shop}"


def test_missing_settings_are_named(monkeypatch):
    for name in ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as info:
        create_app({"SHOPIFY_API_KEY": "k"})
    message = str(info.value)
    for name in ("SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY"):
        assert name in message
    assert "SHOPIFY_API_KEY," not in message


def test_default_scopes_and_origin(base_config, monkeypatch):
    monkeypatch.delenv("SHOPIFY_SCOPES", raising=False)
    monkeypatch.delenv("SHOPIFY_SHOP_ORIGIN", raising=False)
    cfg = {k: v for k, v in base_config.items() if k not in ("SHOPIFY_SCOPES", "SHOPIFY_SHOP_ORIGIN")}
    app = create_app(cfg)
    assert app.config["SHOPIFY_SCOPES"] == "write_products,write_files"
    assert app.config["SHOPIFY_SHOP_ORIGIN"] == "https://{shop}"


def test_sqlite_is_the_default_database(base_config, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    cfg = {k: v for k, v in base_config.items() if k != "DATABASE_URL"}
    app = create_app(cfg)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/assetlink.sqlite3")


def test_tuning_settings_are_read_with_their_defaults():
    from shopify_app.config import from_environment
    defaults = from_environment({})
    assert (defaults["SYNC_PRODUCTS_PER_BATCH"], defaults["UPLOAD_FILES_PER_BATCH"],
            defaults["UPLOAD_MAX_PROCESSING_SECONDS"]) == (250, 250, 900)
    assert defaults["BRIDGE_CONNECT_FAILURE_LIMIT"] == "20 per 10 minutes"
    assert from_environment({"SYNC_PRODUCTS_PER_BATCH": " 5 "})["SYNC_PRODUCTS_PER_BATCH"] == 5
    for bad in ("five", "0", "²"):
        with pytest.raises(ConfigError, match="SYNC_PRODUCTS_PER_BATCH"):
            from_environment({"SYNC_PRODUCTS_PER_BATCH": bad})


def test_a_connect_limit_that_isnt_a_rate_stops_the_start(base_config):
    from shopify_app import create_app
    with pytest.raises(ConfigError, match="BRIDGE_CONNECT_FAILURE_LIMIT"):
        create_app({**base_config, "BRIDGE_CONNECT_FAILURE_LIMIT": "twenty"})


def test_in_process_jobs_need_the_demo_extra(base_config, monkeypatch):
    """fakeredis is a demo-only dependency: without it, RQ_IS_ASYNC=0 fails at
    start-up with the fix, not at the first enqueue."""
    import sys
    monkeypatch.setitem(sys.modules, "fakeredis", None)  # as if not installed
    with pytest.raises(ConfigError, match=r"assetlink-shopify\[demo\]"):
        create_app({**base_config, "RQ_IS_ASYNC": False})
    create_app({**base_config, "RQ_IS_ASYNC": True})
