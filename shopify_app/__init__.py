"""AssetLink for Shopify: the Flask app."""
from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from . import config as config_module

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=os.path.join(_ROOT, "templates"),
                static_folder=os.path.join(_ROOT, "static"))
    app.config.update(config_module.from_environment())
    if config:
        app.config.update(config)
    config_module.validate(app.config)
    if not app.config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "assetlink.sqlite3")
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", _sqlalchemy_url(app.config["DATABASE_URL"]))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # The bridge accepts up to 5 MB bodies (contract); anything larger is 413.
    # (Flask's defaults define the key as None, so setdefault would keep None.)
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    app.secret_key = app.config["SECRET_KEY"]
    logging.getLogger("shopify_app").setLevel(app.config.get("LOG_LEVEL", "INFO"))

    from .extensions import db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(_ROOT, "migrations"))

    from . import csp
    csp.init_app(app)

    from .auth.views import bp as auth_bp
    from .webhooks import bp as webhooks_bp
    from .ui import bp as ui_bp
    from cloudinary_bridge import bp as bridge_bp
    app.register_blueprint(auth_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(ui_bp)
    app.register_blueprint(bridge_bp)

    from .problems import from_http_exception

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # JSON callers (the bridge, /app/api) get problem documents; pages get
        # werkzeug's plain HTML.
        if request.path.startswith(("/bridge/", "/app/api/")) or request.accept_mimetypes.best == "application/json":
            return from_http_exception(exc)
        return exc

    return app


def _sqlalchemy_url(url: str) -> str:
    # Heroku-style postgres:// URLs, and psycopg 3 as the driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
