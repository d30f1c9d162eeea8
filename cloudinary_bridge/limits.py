"""Failed `POST /connect` attempts: counted per guesser, never held against
the rightful user.

The rules:

- Every attempt is judged on its code first. A valid code always connects,
  whoever sends it and however many failures came from the same address
  before, and a success is never counted. So a bad actor behind the same
  office NAT or cloud egress address as the merchant's Cloudinary side can
  make noise but can't lock anyone out.
- Only failures count, in moving windows of BRIDGE_CONNECT_FAILURE_LIMIT
  (default 20 per 10 minutes), against
  - the client address: IPv4 as is, IPv6 by its /64 (the block one
    subscriber gets, RFC 6177; an attacker holds all 2^64 addresses in it);
  - the store, when the failed code is one of the store's ended codes (used,
    regenerated, or ended by an uninstall): someone replaying a leaked old
    code is stopped whichever addresses they use.
  Past a limit a failure answers 429 with Retry-After instead of 401.

What makes guessing infeasible is the code, not the limit: a code is 24
bytes (192 bits) of HMAC output over a 128-bit random nonce
(shopify_app.crypto.derive_code), and each store has one live code. With
N live codes a guess succeeds with probability N / 2^192. Even a million
stores (N < 2^20) and a guesser ignoring every limit at 10^9 guesses a
second for a century (about 2^61.5 guesses) succeed with probability below
2^-110. Within the limit, one address makes 2,880 guesses a day; all 2^32
IPv4 addresses together, 2^32 x 2,880 x 36,525 (about 2^58.6) a century:
below 2^-113. The limit is about load and noise, so it is generous, and
when Redis is down attempts are let through (RATELIMIT_SWALLOW_ERRORS).

Behind a proxy the client address is `request.remote_addr` as ProxyFix
(or the production setup) makes it.
"""
from __future__ import annotations

import ipaddress
import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

log = logging.getLogger(__name__)

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")


def connect_failure_limit() -> str:
    return current_app.config["BRIDGE_CONNECT_FAILURE_LIMIT"]  # default: shopify_app.config


def client_key(address: str | None) -> str:
    """What identifies a guesser's network: the IPv4 address, or the /64 of
    an IPv6 one (an IPv4-mapped IPv6 address counts as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return f"addr:{address or 'unknown'}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"addr:{ip.ipv4_mapped}"
        return f"addr:{ipaddress.IPv6Network((ip, 64), strict=False)}"
    return f"addr:{ip}"


def failure_keys(address: str | None, store_id: int | None) -> list[str]:
    keys = [client_key(address)]
    if store_id is not None:
        keys.append(f"store:{store_id}")
    return keys


def record_failure(store_id: int | None) -> int | None:
    """Count a failed attempt of this request's client (and of the store its
    ended code belongs to); return the seconds to wait when a limit is now
    exceeded, else None."""
    item = parse(connect_failure_limit())
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    waits = []
    try:
        for key in failure_keys(request.remote_addr, store_id):
            if not limiter.limiter.hit(item, prefix, "connect-failures", key):
                reset_at = limiter.limiter.get_window_stats(item, prefix, "connect-failures", key).reset_time
                waits.append(max(1, math.ceil(reset_at - time.time())))
    except Exception:
        if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS", True):
            raise
        log.warning("couldn't count a failed connect attempt (rate-limit storage unavailable)", exc_info=True)
        return None
    return max(waits) if waits else None


def init_app(app: Flask) -> None:
    # One Limiter per process (like `db`); its storage follows the app's
    # Redis and key prefix, so test runs and deployments don't share counters.
    # Flask-Limiter keeps the storage of the first app it is given: one
    # process serves one deployment, so that is the right one.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config.get('REDIS_KEY_PREFIX', 'assetlink')}:ratelimit")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: let attempts through (a 192-bit code can't be guessed
    # anyway) rather than refuse every connection.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
