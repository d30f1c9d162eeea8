"""A local simulator of the Shopify side (OAuth, session tokens, webhooks and
the Admin GraphQL API on Shopify's real 2026-10 schema).

A development tool shipped with the project, like a cloud emulator: the app
never imports it. Shop `D` is served under `{sim}/D`, so the app's
SHOPIFY_SHOP_ORIGIN=http://127.0.0.1:PORT/{shop} reaches it.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from .state import SimState

DEFAULTS = {
    # Seconds a file or media stays UPLOADED/PROCESSING before READY.
    "SIM_PROCESSING_DELAY": 0.5,
    # Seconds before a productReorderMedia job reports done.
    "SIM_JOB_DELAY": 0.3,
    # Where the simulator says it lives (staged upload URLs, redirects).
    "SIM_BASE_URL": "http://127.0.0.1:8765",
    # Deliver webhooks from a background thread (off in unit tests that
    # call `deliver_pending` themselves).
    "SIM_WEBHOOK_THREAD": True,
    # Shopify retries a failed webhook 8 times over about 4 hours; this
    # factor shrinks that schedule for tests and the demo.
    "SIM_WEBHOOK_RETRY_SCALE": 1.0,
    # Shopify sends shop/redact 48 hours after an uninstall.
    "SIM_SHOP_REDACT_DELAY": 48 * 3600,
    # Public origin → local base URL the simulator downloads sources from
    # (downloads.py); unmapped origins are unreachable.
    "SIM_FETCH_ORIGINS": {},
    "SIM_FETCH_TIMEOUT": 10.0,
    "SIM_FETCH_WORKERS": 8,
    # Seconds a bulk operation takes from creation to completion (CREATED for
    # the first half, RUNNING for the second; a cancel takes half of it).
    "SIM_BULK_DELAY": 1.0,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("shopify_sim")
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    from .downloads import Downloads
    state = app.extensions["sim_state"] = SimState()
    # Sources are fetched only from origins SIM_FETCH_ORIGINS maps (downloads.py).
    state.downloads = Downloads.from_config(app.config)

    from .bulk.storage import bp as bulk_storage_bp
    from .control_apps import bp as control_apps_bp
    from .control_shops import bp as control_shops_bp
    from .graphql_api import bp as graphql_bp
    from .oauth import bp as oauth_bp
    app.register_blueprint(bulk_storage_bp)
    app.register_blueprint(control_apps_bp)
    app.register_blueprint(control_shops_bp)
    app.register_blueprint(graphql_bp)
    app.register_blueprint(oauth_bp)
    return app


def get_state() -> SimState:
    from flask import current_app
    return current_app.extensions["sim_state"]
