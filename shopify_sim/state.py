"""The simulator's world: registered apps, shops, and the tokens apps hold.

One `SimState` per simulator process, guarded by one lock: the simulator is a
development tool and serialising requests keeps it simple and deterministic.
The catalogue of each shop (products, media, files, metafields) lives in
`shop.catalog` (shopify_sim.catalog).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

ACCESS_TOKEN_TTL = 3600
REFRESH_TOKEN_TTL = 90 * 24 * 3600


@dataclass
class App:
    client_id: str
    client_secret: str
    application_url: str
    scopes: list[str]
    redirect_urls: list[str] = field(default_factory=list)
    # (topic, absolute uri) pairs, from the app's shopify.app.toml.
    webhooks: list[tuple[str, str]] = field(default_factory=list)
    webhook_api_version: str = "2026-10"


@dataclass
class AccessToken:
    token: str
    shop: str
    client_id: str
    scopes: list[str]
    expires_at: Optional[float] = None  # None: non-expiring
    refresh_token: Optional[str] = None
    refresh_expires_at: Optional[float] = None
    revoked: bool = False
    # Set on the first Admin API call made with this token: the moment the
    # refresh token it replaced stops being retryable.
    used: bool = False
    # The token a refresh produced from this one (its refresh token stays
    # retryable until that replacement is used).
    replaced_by: Optional[str] = None
    # Online tokens only: the user the token acts for.
    associated_user: Optional[dict[str, Any]] = None

    def is_live(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class Shop:
    domain: str
    name: str
    plan: str = "standard"
    currency: str = "USD"
    email: str = "owner@example.com"
    # The number of the shop's gid (gid://shopify/Shop/<id>); derived from
    # the domain unless a store's real id is known (conformance replays).
    id: Optional[int] = None
    installed_apps: set[str] = field(default_factory=set)
    catalog: Any = None  # shopify_sim.catalog.Catalog
    # Throttle buckets per app (client_id) for this shop.
    buckets: dict[str, Any] = field(default_factory=dict)
    request_log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The number in the shop's gid."""
        return self.id if self.id is not None else shop_number(self.domain)


def shop_number(domain: str) -> int:
    """A stable Shop id derived from the domain."""
    import hashlib
    return int(hashlib.sha256(domain.encode()).hexdigest()[:10], 16) % 10**11


class SimState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}
        self.shops: dict[str, Shop] = {}
        self.tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, AccessToken] = {}
        # Everything time-dependent reads this clock, so tests can move time
        # instead of sleeping.
        self.clock: Callable[[], float] = time.time
        # Authorization codes (shopify_sim.oauth) and webhook deliveries
        # (shopify_sim.webhooks).
        self.auth_codes: dict[str, Any] = {}
        self.webhook_deliveries: list[Any] = []
        self.webhook_wakeup = threading.Event()
        # The source downloader (shopify_sim.downloads.Downloads), set by create_app.
        self.downloads: Any = None

    def now(self) -> float:
        return self.clock()

    # -- tokens -----------------------------------------------------------
    def issue_token(self, shop: str, client_id: str, scopes: list[str], *, expiring: bool,
                    keep_refresh_token: str | None = None) -> AccessToken:
        now = self.now()
        token = AccessToken(token="shpat_" + secrets.token_hex(16), shop=shop, client_id=client_id,
                            scopes=list(scopes))
        if expiring:
            # One refreshable token per app and shop: older ones keep working
            # until they expire, but their refresh tokens die now (except the
            # one a refresh is being retried with).
            for raw, older in list(self.refresh_tokens.items()):
                if older.shop == shop and older.client_id == client_id and raw != keep_refresh_token:
                    del self.refresh_tokens[raw]
            token.expires_at = now + ACCESS_TOKEN_TTL
            token.refresh_token = "shprt_" + secrets.token_hex(16)
            token.refresh_expires_at = now + REFRESH_TOKEN_TTL
            self.refresh_tokens[token.refresh_token] = token
        self.tokens[token.token] = token
        return token

    def lookup_token(self, raw: str | None) -> AccessToken | None:
        token = self.tokens.get(raw or "")
        if token is None or not token.is_live(self.now()):
            return None
        token.used = True
        return token

    def revoke_tokens(self, shop: str, client_id: str) -> None:
        for token in self.tokens.values():
            if token.shop == shop and token.client_id == client_id:
                token.revoked = True
        for raw, token in list(self.refresh_tokens.items()):
            if token.shop == shop and token.client_id == client_id:
                del self.refresh_tokens[raw]
