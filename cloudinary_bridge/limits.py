"""Rate limits of the bridge (Flask-Limiter, counters in Redis).

Only *failed* connection attempts count (`deduct_when` a 401): a client that
keeps guessing codes is stopped with 429 + Retry-After, while connecting
with a right code never uses up the allowance. Codes carry 192 random bits,
so this is about load and noise, not about making guessing feasible.

Note for deployments behind a proxy: the client address is
`request.remote_addr`; wrap the app in werkzeug's ProxyFix so that is the
real client. The Cloudinary side may connect many merchants from a few
egress addresses, so the allowance is per address and generous.
"""
from __future__ import annotations

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")


def connect_failure_limit() -> str:
    return current_app.config["BRIDGE_CONNECT_FAILURE_LIMIT"]  # default: shopify_app.config


def is_failed_attempt(response: Response) -> bool:
    return response.status_code == 401


def init_app(app: Flask) -> None:
    # One Limiter per process (like `db`); its storage follows the app's
    # Redis and key prefix, so test runs and deployments don't share counters.
    # Flask-Limiter keeps the key prefix of the first app it is given: one
    # process serves one deployment, so that is the right one.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('REDIS_KEY_PREFIX', 'assetlink')}:ratelimit")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: let attempts through (a 192-bit code can't be guessed
    # anyway) rather than refuse every connection.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
