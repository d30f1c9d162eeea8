"""AssetLink for Shopify: the Flask app."""
from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module

# Templates, static files and migrations are package data, so the app runs
# the same from an installed wheel as from a checkout.
_PACKAGE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = os.path.join(_PACKAGE, "migrations")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says."""
    app = Flask(__name__, instance_relative_config=True)  # ./templates, ./static
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    config_module.validate(app.config)
    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "assetlink.sqlite3")
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", _sqlalchemy_url(app.config["DATABASE_URL"]))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config))
    # The bridge accepts up to 5 MB bodies (contract); anything larger is 413.
    # (Flask's defaults define the key as None, so setdefault would keep None.)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    app.secret_key = app.config["SECRET_KEY"]
    logging.getLogger("shopify_app").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    from . import logs
    if not app.testing:
        # Tests keep pytest's log capture; every real process logs JSON lines.
        logs.configure(app.config)
    logs.init_app(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N proxies the client is the address the outermost trusted
        # one saw: ProxyFix takes the Nth value from the right of
        # X-Forwarded-For, so what a client writes before it is ignored.
        # The scheme comes from X-Forwarded-Proto the same way; the Host
        # header must be passed through by the proxy (X-Forwarded-Host is
        # not trusted: many load balancers don't set it, so a client could).
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_port=0, x_prefix=0)  # type: ignore[method-assign]

    from .extensions import db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)

    from . import csp, metrics, outages
    csp.init_app(app)
    outages.init_app(app)
    metrics.init_app(app)

    from .cli import assetlink_cli
    app.cli.add_command(assetlink_cli)

    from .health import bp as health_bp
    app.register_blueprint(health_bp)
    from .auth.views import bp as auth_bp
    from .webhooks import bp as webhooks_bp
    from .ui import bp as ui_bp
    from cloudinary_bridge import bp as bridge_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(bridge_bp)

    from .problems import from_http_exception, wants_problem_document

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # JSON callers (the bridge, /app/api) get problem documents; pages get
        # werkzeug's plain HTML.
        if wants_problem_document():
            return from_http_exception(exc)
        return exc

    return app


def _engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if _sqlalchemy_url(config["DATABASE_URL"]).startswith("postgresql"):
        # Per process: gunicorn workers and work horses each have a pool.
        options["pool_size"] = config.get("DATABASE_POOL_SIZE", 5)
        options["max_overflow"] = config.get("DATABASE_MAX_OVERFLOW", 5)
        # An unreachable server fails a request in seconds (503), instead of
        # holding it for the operating system's TCP timeout.
        options["connect_args"] = {"connect_timeout": 5}
    return options


def _sqlalchemy_url(url: str) -> str:
    # Heroku-style postgres:// URLs, and psycopg 3 as the driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
