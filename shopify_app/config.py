"""Settings, read once from the environment.

Every setting has one name, used both as the environment variable and as the
Flask config key, so `create_app({"SHOPIFY_API_KEY": ...})` and
`SHOPIFY_API_KEY=... flask run` mean the same thing.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

API_VERSION = "2026-10"

REQUIRED = ("SHOPIFY_API_KEY", "SHOPIFY_API_SECRET", "APP_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration can't run the app."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    return {
        "SHOPIFY_API_KEY": env.get("SHOPIFY_API_KEY", ""),
        "SHOPIFY_API_SECRET": env.get("SHOPIFY_API_SECRET", ""),
        # Secret rotation: webhooks and session tokens signed with the previous
        # secret still verify until the rotation finishes.
        "SHOPIFY_API_SECRET_PREVIOUS": env.get("SHOPIFY_API_SECRET_PREVIOUS", ""),
        "SHOPIFY_SCOPES": env.get("SHOPIFY_SCOPES", "write_products,write_files"),
        "APP_URL": env.get("APP_URL", "").rstrip("/"),
        "SECRET_KEY": env.get("SECRET_KEY", ""),
        "DATABASE_URL": env.get("DATABASE_URL", ""),
        "REDIS_URL": env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "TOKEN_ENCRYPTION_KEY": env.get("TOKEN_ENCRYPTION_KEY", ""),
        # How every call to a shop finds it. Pointing this at the simulator,
        # e.g. http://127.0.0.1:8765/{shop}, is the only change needed to run
        # against it.
        "SHOPIFY_SHOP_ORIGIN": env.get("SHOPIFY_SHOP_ORIGIN", "https://{shop}"),
        # Prefix for RQ queue names and other Redis keys, so several
        # deployments (or test runs) can share one Redis.
        "REDIS_KEY_PREFIX": env.get("REDIS_KEY_PREFIX", "assetlink"),
        # Development relaxes outbound-URL rules (http and loopback webhook
        # targets); never set it in production.
        "ASSETLINK_DEVELOPMENT": _bool(env.get("ASSETLINK_DEVELOPMENT")),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        # False runs every job in-process as it is enqueued (jobs.queues), for
        # a demo without a Redis server or worker.
        "RQ_IS_ASYNC": _bool(env.get("RQ_IS_ASYNC"), True),
        # Products a sync or unlink reads, plans and writes together. 1 keeps
        # the contract's "an abort stops before the next product"; more
        # trades that for fewer Shopify round trips on large syncs.
        "SYNC_PRODUCTS_PER_BATCH": _int(env, "SYNC_PRODUCTS_PER_BATCH", 1),
        # Files an upload creates per fileCreate call (Shopify takes at most
        # 250); an abort stops before the next such batch.
        "UPLOAD_FILES_PER_BATCH": _int(env, "UPLOAD_FILES_PER_BATCH", 250),
        # How long an upload waits for Shopify to process its files before
        # reporting the ones still unprocessed as failed.
        "UPLOAD_MAX_PROCESSING_SECONDS": _int(env, "UPLOAD_MAX_PROCESSING_SECONDS", 900),
        # Failed connect attempts allowed per client address (Flask-Limiter
        # syntax); the Cloudinary side connects many merchants from few
        # addresses, so it is generous.
        "BRIDGE_CONNECT_FAILURE_LIMIT": env.get("BRIDGE_CONNECT_FAILURE_LIMIT", "20 per 10 minutes"),
    }


def validate(config: Mapping[str, Any]) -> None:
    """Fail at start-up, naming every missing setting at once."""
    missing = [name for name in REQUIRED if not config.get(name)]
    if missing:
        raise ConfigError(
            "AssetLink can't start: missing required setting(s) " + ", ".join(missing)
            + ". Set them in the environment (see README, 'Configuration')."
        )
    if "{shop}" not in config.get("SHOPIFY_SHOP_ORIGIN", ""):
        raise ConfigError("SHOPIFY_SHOP_ORIGIN must contain '{shop}', e.g. https://{shop}")


def shop_origin(config: Mapping[str, Any], shop: str) -> str:
    """The origin (scheme, host and any path prefix) every call to `shop` uses."""
    return config["SHOPIFY_SHOP_ORIGIN"].format(shop=shop).rstrip("/")
