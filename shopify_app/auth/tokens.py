"""A shop's offline tokens: stored encrypted, refreshed before they expire.

`access_token_for(shop)` is the only way code gets a token to call the Admin
API. Expiring offline tokens live an hour; the refresh token is single-use
and lives 90 days. Refreshes are serialised per shop by a row lock
(`SELECT ... FOR UPDATE` on PostgreSQL; a process-local lock on SQLite), and
whoever gets the lock second finds the fresh token and doesn't refresh again.

The Admin API client calls `token_rejected(shop)` when Shopify answers 401,
then `access_token_for` once more.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .. import crypto
from ..extensions import db
from ..models import Shop, utcnow
from . import token_exchange
from .token_exchange import InvalidClient, InvalidGrant, TokenGrant

log = logging.getLogger(__name__)

# "Refresh a few minutes before expiry": a token handed out now must survive
# the call it is used for, including retries.
REFRESH_MARGIN = timedelta(minutes=5)

TOKEN_FIELDS = ("access_token_enc", "access_token_expires_at", "refresh_token_enc", "refresh_token_expires_at",
                "scopes")


class ReauthorizationRequired(Exception):
    """The shop's tokens are gone or dead; the merchant must open the app
    (token exchange gets a new pair). Not retryable."""

    def __init__(self, shop_domain: str, reason: str) -> None:
        super().__init__(f"{shop_domain}: {reason}; the merchant must open the app in the Shopify admin")
        self.shop_domain = shop_domain
        self.reason = reason


def store_grant(shop: Shop, grant: TokenGrant) -> None:
    """Put a granted pair on `shop`, encrypted (the caller commits)."""
    shop.access_token_enc = crypto.encrypt(grant.access_token)
    shop.access_token_expires_at = grant.access_token_expires_at
    shop.refresh_token_enc = crypto.encrypt(grant.refresh_token) if grant.refresh_token else None
    shop.refresh_token_expires_at = grant.refresh_token_expires_at if grant.refresh_token else None
    shop.scopes = grant.scope


def _access_usable(shop: Shop, now: datetime, margin: timedelta = REFRESH_MARGIN) -> bool:
    if shop.access_token_enc is None:
        return False
    return shop.access_token_expires_at is None or shop.access_token_expires_at > now + margin


def _refresh_usable(shop: Shop, now: datetime) -> bool:
    return shop.refresh_token_enc is not None and (
        shop.refresh_token_expires_at is None or shop.refresh_token_expires_at > now)


def has_live_tokens(shop: Shop, now: datetime | None = None) -> bool:
    """Whether the stored tokens can still get an Admin API call through."""
    now = now or utcnow()
    return _access_usable(shop, now, timedelta(0)) or _refresh_usable(shop, now)


def missing_scopes(granted: str, required: str) -> list[str]:
    """Required scopes the grant lacks; `write_x` implies `read_x`."""
    have = {s.strip() for s in granted.split(",") if s.strip()}
    have |= {"read_" + s[len("write_"):] for s in have if s.startswith("write_")}
    return [s for s in (r.strip() for r in required.split(",")) if s and s not in have]


_local_locks: dict[int | str, threading.Lock] = defaultdict(threading.Lock)
_local_locks_guard = threading.Lock()


def _local_lock(key: int | str) -> threading.Lock:
    with _local_locks_guard:
        return _local_locks[key]


@contextlib.contextmanager
def install_lock(shop_domain: str) -> Iterator[None]:
    """Serialise getting a first token pair for one shop.

    Each token exchange retires the refresh token of the previous one, so two
    tabs opening the app at once must not both exchange: the second waits
    here, then finds the shop installed. There may be no shop row to lock
    yet, so this is a PostgreSQL advisory lock keyed by the domain (held on a
    connection of its own); on SQLite, a process-local lock.
    """
    with _local_lock("install:" + shop_domain):
        if db.engine.dialect.name != "postgresql":
            yield
            return
        digest = hashlib.sha256(b"assetlink-install:" + shop_domain.encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        with db.engine.connect() as connection:
            connection.execute(select(func.pg_advisory_lock(key)))
            try:
                yield
            finally:
                connection.execute(select(func.pg_advisory_unlock(key)))
                connection.commit()


def access_token_for(shop: Shop) -> str:
    """A usable access token for `shop`, refreshed first if it expires soon.

    Raises ReauthorizationRequired when no token can be had without the
    merchant, and token_exchange.TokenEndpointUnavailable when Shopify can't
    be reached (retry later).
    """
    if shop.uninstalled_at is not None:
        raise ReauthorizationRequired(shop.domain, "the app is uninstalled")
    if _access_usable(shop, utcnow()) and not _is_legacy(shop):
        return crypto.decrypt(shop.access_token_enc)  # type: ignore[arg-type]
    return _with_locked_shop(shop, _refresh_if_needed)


def _is_legacy(shop: Shop) -> bool:
    """A non-expiring offline token (granted before the app asked for
    expiring ones); the Admin API refuses these from 2027-01-01."""
    return shop.access_token_enc is not None and shop.access_token_expires_at is None \
        and shop.refresh_token_enc is None


def token_rejected(shop: Shop) -> None:
    """Shopify refused the access token `shop` holds (a 401): mark it expired.

    Only if it is still the stored one: another process may have replaced it
    already, and that newer token must stay.
    """
    rejected = shop.access_token_enc

    def expire(row: Shop, session: Session) -> None:
        if row.access_token_enc is not None and row.access_token_enc == rejected:
            row.access_token_expires_at = utcnow() - timedelta(seconds=1)
            if row.refresh_token_enc is None:
                # Nothing to refresh with: the token is simply dead.
                row.access_token_enc = None
                row.access_token_expires_at = None

    _with_locked_shop(shop, expire)


def _with_locked_shop(shop: Shop, action):
    """Run `action(row, session)` on a row-locked copy of the shop, commit,
    and copy the stored token fields back onto the caller's `shop`.

    A session of its own, so the caller's transaction is neither committed
    nor rolled back by a refresh.
    """
    with _local_lock(shop.id), Session(db.engine, expire_on_commit=False) as session:
        row = session.scalar(select(Shop).where(Shop.id == shop.id).with_for_update())
        if row is None:
            raise ReauthorizationRequired(shop.domain, "the shop is not installed")
        try:
            result = action(row, session)
        finally:
            # Commit even on failure: a dead refresh token is recorded, and
            # the lock is released either way.
            session.commit()
            for field in TOKEN_FIELDS + ("uninstalled_at",):
                set_committed_value(shop, field, getattr(row, field))
    return result


def _refresh_if_needed(row: Shop, session: Session) -> str:
    now = utcnow()
    if row.uninstalled_at is not None:
        raise ReauthorizationRequired(row.domain, "the app is uninstalled")
    if _is_legacy(row):
        return _migrate(row)
    if _access_usable(row, now):
        # Someone else refreshed while we waited for the lock.
        return crypto.decrypt(row.access_token_enc)  # type: ignore[arg-type]
    still_valid = _access_usable(row, now, timedelta(0))
    if _refresh_usable(row, now):
        try:
            grant = token_exchange.refresh(row.domain, crypto.decrypt(row.refresh_token_enc))  # type: ignore[arg-type]
        except InvalidGrant:
            log.warning("refresh token of %s refused; reauthorization needed", row.domain)
            row.refresh_token_enc = None
            row.refresh_token_expires_at = None
        except (InvalidClient, token_exchange.TokenEndpointUnavailable) as exc:
            # Our credentials refused (a bad secret deploy, or the app was
            # uninstalled and the webhook is on its way) or Shopify away: the
            # stored tokens may be fine, so they are kept.
            log.warning("couldn't refresh the token of %s (%s)", row.domain, type(exc).__name__)
            if not still_valid:
                raise
        else:
            store_grant(row, grant)
            log.info("refreshed the access token of %s", row.domain)
            return grant.access_token
    if still_valid:
        # Valid for a few more minutes: use it meanwhile.
        return crypto.decrypt(row.access_token_enc)  # type: ignore[arg-type]
    raise ReauthorizationRequired(row.domain, "the access token expired and can't be refreshed")


def _migrate(row: Shop) -> str:
    legacy = crypto.decrypt(row.access_token_enc)  # type: ignore[arg-type]
    try:
        grant = token_exchange.migrate_offline_token(row.domain, legacy)
    except (token_exchange.TokenEndpointUnavailable, InvalidClient) as exc:
        # The old token still works until Shopify stops accepting it; the
        # next call tries again.
        log.warning("couldn't migrate %s to an expiring token yet (%s); using the old one", row.domain,
                    type(exc).__name__)
        return legacy
    except token_exchange.TokenEndpointError as exc:
        log.warning("migrating %s to an expiring token was refused (%s)", row.domain, exc.error)
        row.access_token_enc = None
        raise ReauthorizationRequired(row.domain, "the stored offline token was refused") from None
    store_grant(row, grant)
    log.info("migrated %s to an expiring offline token", row.domain)
    return grant.access_token
