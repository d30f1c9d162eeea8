"""Settings, read once from the environment.

Every setting has one name, used both as the environment variable and as the
Flask config key, so `create_app({"SHOPIFY_API_KEY": ...})` and
`SHOPIFY_API_KEY=... flask run` mean the same thing.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

API_VERSION = "2026-10"

LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

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
        # Connections each process (gunicorn worker, work horse) keeps open to
        # PostgreSQL, and how many more it may open at a peak; size the
        # server's max_connections for all processes (README, "Scaling out").
        "DATABASE_POOL_SIZE": _int(env, "DATABASE_POOL_SIZE", 5),
        "DATABASE_MAX_OVERFLOW": _int(env, "DATABASE_MAX_OVERFLOW", 5, minimum=0),
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
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").strip().upper(),
        # False runs every job in-process as it is enqueued (jobs.queues), for
        # a demo without a Redis server or worker.
        "RQ_IS_ASYNC": _bool(env.get("RQ_IS_ASYNC"), True),
        # Products a sync or unlink reads, plans and writes together (a
        # chunk). 250 is the most one Shopify read or write call serves; an
        # abort still stops before the next product's first write (the
        # executor checks before each), so smaller chunks only cost more.
        "SYNC_PRODUCTS_PER_BATCH": _int(env, "SYNC_PRODUCTS_PER_BATCH", 250),
        # Files an upload creates per fileCreate call (Shopify takes at most
        # 250); an abort stops before the next such batch.
        "UPLOAD_FILES_PER_BATCH": _int(env, "UPLOAD_FILES_PER_BATCH", 250),
        # How long an upload waits for Shopify to process its files before
        # reporting the ones still unprocessed as failed.
        "UPLOAD_MAX_PROCESSING_SECONDS": _int(env, "UPLOAD_MAX_PROCESSING_SECONDS", 900),
        # Failed connect attempts allowed per client address and per store
        # (Flask-Limiter syntax; cloudinary_bridge.limits); a valid code is
        # never refused, so this only slows guessers down.
        "BRIDGE_CONNECT_FAILURE_LIMIT": env.get("BRIDGE_CONNECT_FAILURE_LIMIT", "20 per 10 minutes"),
        # Reverse proxies (load balancers) in front of the app that append to
        # X-Forwarded-For / X-Forwarded-Proto. The client address (rate
        # limits, logs) is the one the outermost trusted proxy saw; 0 trusts
        # no forwarded header at all.
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0, minimum=0),
        # json: one JSON object per log line (production); text: readable
        # lines for a terminal.
        "LOG_FORMAT": env.get("LOG_FORMAT", "json").strip().lower(),
        # Bearer token that GET /metrics requires; unset, the web app serves
        # no metrics (use the separately bound exporter, shopify_app.metrics).
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # Finished batches (with their reports) older than this many days are
        # deleted by `flask assetlink purge-history`.
        "HISTORY_RETENTION_DAYS": _int(env, "HISTORY_RETENTION_DAYS", 90),
        # How often the scheduler (python -m jobs.scheduler) queues the
        # reaper, which hands over again a batch whose worker died: a killed
        # worker's batch resumes within about this long plus a few seconds.
        "REAPER_INTERVAL_SECONDS": _int(env, "REAPER_INTERVAL_SECONDS", 5),
        # Where the app reaches Cloudinary's Upload, Admin and Search APIs (the
        # SDK's upload_prefix, passed per call): the only switch to the local
        # Cloudinary (python -m cloudinary_sim), e.g. http://127.0.0.1:8766.
        "CLOUDINARY_API_ORIGIN": env.get("CLOUDINARY_API_ORIGIN", "https://api.cloudinary.com").rstrip("/"),
        # Automation: notifications of one store arriving within this many
        # seconds of each other are linked by one sync (a burst of uploads
        # becomes a few syncs, not one per upload).
        "AUTOMATION_DEBOUNCE_SECONDS": _int(env, "AUTOMATION_DEBOUNCE_SECONDS", 3),
        # ...but a notification waits at most this long while others keep
        # arriving (the debounce window trails each new one).
        "AUTOMATION_MAX_DELAY_SECONDS": _int(env, "AUTOMATION_MAX_DELAY_SECONDS", 60),
        # When the daily reconciliation of automations with schedule "daily"
        # runs (cron, UTC; the scheduler queues it).
        "AUTOMATION_RECONCILE_CRON": env.get("AUTOMATION_RECONCILE_CRON", "17 3 * * *"),
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
    if config.get("BRIDGE_CONNECT_FAILURE_LIMIT") is not None:
        from limits import parse
        try:
            parse(str(config["BRIDGE_CONNECT_FAILURE_LIMIT"]))
        except ValueError:
            raise ConfigError("BRIDGE_CONNECT_FAILURE_LIMIT must be a rate such as '20 per 10 minutes'") from None
    if config.get("LOG_FORMAT", "json") not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {config.get('LOG_FORMAT')!r}")
    if str(config.get("LOG_LEVEL", "INFO")).upper() not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {config.get('LOG_LEVEL')!r}")
    if not config.get("RQ_IS_ASYNC", True):
        try:
            import fakeredis  # noqa: F401  (jobs.queues uses it in this mode)
        except ImportError:
            raise ConfigError("RQ_IS_ASYNC=0 runs jobs in the web process on an in-memory Redis (fakeredis), "
                              "which comes with the demo extra: pip install 'assetlink-shopify[demo]'") from None


def shop_origin(config: Mapping[str, Any], shop: str) -> str:
    """The origin (scheme, host and any path prefix) every call to `shop` uses."""
    return config["SHOPIFY_SHOP_ORIGIN"].format(shop=shop).rstrip("/")
