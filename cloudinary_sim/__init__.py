"""A local stand-in for Cloudinary: the Upload API, the Admin API (resources,
structured metadata fields, triggers), the Search API, delivery URLs that
return real images and videos, and signed notifications — for development and
tests, like shopify_sim is for Shopify. See README.md.

The app never imports this package, nor this package the app: the app's
`cloudinary` SDK reaches it through its documented `upload_prefix`
configuration (CLOUDINARY_API_ORIGIN=http://127.0.0.1:PORT), and delivery URLs
(https://res.cloudinary.com/<cloud>/...) are served at the same paths here.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from .errors import CloudinaryError, ControlProblem, DeliveryError
from .state import SimState

DEFAULTS = {
    # The origin written into `url`/`secure_url` of API answers. Cloudinary's
    # own by default, so the app stores real-looking URLs; a fetch-origin map
    # (shopify_sim's SIM_FETCH_ORIGINS) points downloads here.
    "SIM_DELIVERY_ORIGIN": "https://res.cloudinary.com",
    # Send notifications from a background thread (off in tests that call
    # /_sim/.../notifications/deliver themselves).
    "SIM_NOTIFICATION_THREAD": True,
    # Cloudinary retries at about 3, 6 and 9 minutes; this factor shrinks it.
    "SIM_NOTIFICATION_RETRY_SCALE": 1.0,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("cloudinary_sim", static_folder=None)
    app.config.update(DEFAULTS)
    if config:
        app.config.update(config)
    state = SimState()
    app.extensions["cloudinary_sim_state"] = state

    from .admin_api import bp as admin_bp
    from .admin_config import bp as admin_config_bp
    from .control import bp as control_bp
    from .delivery import RenderCache
    from .delivery import bp as delivery_bp
    from .upload_api import bp as upload_bp
    app.extensions["cloudinary_sim_render_cache"] = RenderCache()
    for blueprint in (control_bp, upload_bp, admin_bp, admin_config_bp, delivery_bp):
        app.register_blueprint(blueprint)

    for error in (CloudinaryError, DeliveryError, ControlProblem):
        app.register_error_handler(error, lambda exc: exc.response())

    if app.config["SIM_NOTIFICATION_THREAD"]:
        from .notifications import DeliveryThread
        thread = DeliveryThread(state, float(app.config["SIM_NOTIFICATION_RETRY_SCALE"]))
        thread.start()
        app.extensions["cloudinary_sim_delivery_thread"] = thread
    return app


def stop(app: Flask) -> None:
    """Stop the app's notification thread (tests that start many apps)."""
    thread = app.extensions.pop("cloudinary_sim_delivery_thread", None)
    if thread is not None:
        thread.stop()


def get_state() -> SimState:
    from flask import current_app
    return current_app.extensions["cloudinary_sim_state"]
