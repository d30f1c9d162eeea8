"""Calls to a shop's token endpoint, `{shop origin}/admin/oauth/access_token`.

Three grants use it: token exchange (a verified ID token becomes an expiring
offline token), refresh (a refresh token becomes a new pair) and the
authorization code (auth.oauth). All go through one authlib OAuth2Session
configured as Shopify wants it (client_secret_post), and all failures come
out as one of the exceptions below, so callers decide on the kind of failure,
not on HTTP details.

Never log what goes in or out of here: the bodies hold the client secret,
ID tokens, access and refresh tokens.

Docs: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange
and .../offline-access-tokens (expiring tokens and refresh).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app

from ..config import shop_origin

log = logging.getLogger(__name__)

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"

TIMEOUT_SECONDS = 10
# A lost response (timeout, reset, 5xx) is retried with the same refresh
# token: Shopify keeps the previous refresh token valid until its
# replacement is used, so the retry gets a fresh pair.
RETRY_DELAYS = (0.2, 1.0)
MAX_RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint granted. Holds secrets: never log or repr it."""

    access_token: str
    scope: str
    access_token_expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None

    def __repr__(self) -> str:
        return f"TokenGrant(scope={self.scope!r}, expires_at={self.access_token_expires_at!r})"

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: datetime | None = None) -> "TokenGrant | None":
        """Parse Shopify's token response; None if it isn't one.

        Expiring offline: access_token, scope, expires_in (3600),
        refresh_token, refresh_token_expires_in (7776000). Non-expiring
        offline: access_token and scope only.
        """
        now = now or datetime.now(timezone.utc)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            return None

        def expiry(seconds: Any) -> datetime | None:
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                return None
            return now + timedelta(seconds=seconds)

        refresh_token = body.get("refresh_token")
        return cls(access_token=access_token, scope=str(body.get("scope") or ""),
                   access_token_expires_at=expiry(body.get("expires_in")),
                   refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
                   refresh_token_expires_at=expiry(body.get("refresh_token_expires_in")))


class TokenEndpointError(Exception):
    """The token endpoint answered with an OAuth error."""

    def __init__(self, error: str, status: int | None = None) -> None:
        super().__init__(f"token endpoint refused the request: {error}")
        self.error = error
        self.status = status


class InvalidSubjectToken(TokenEndpointError):
    """The ID token was refused (expired, or for another app): get a fresh one."""


class InvalidGrant(TokenEndpointError):
    """The refresh token (or code) is dead: the merchant must open the app again."""


class InvalidClient(TokenEndpointError):
    """Wrong client credentials, or the app isn't installed on the shop."""


class TokenEndpointUnavailable(Exception):
    """No usable answer (network failure, 5xx, rate limit): safe to retry later."""


_ERRORS: dict[str, type[TokenEndpointError]] = {
    "invalid_subject_token": InvalidSubjectToken,
    "invalid_grant": InvalidGrant,
    "invalid_client": InvalidClient,
}


def token_url(config: Mapping[str, Any], shop: str) -> str:
    return f"{shop_origin(config, shop)}/admin/oauth/access_token"


def oauth_session(**kwargs: Any) -> OAuth2Session:
    """An authlib client with the app's credentials, as Shopify expects them."""
    cfg = current_app.config
    session = OAuth2Session(cfg["SHOPIFY_API_KEY"], cfg["SHOPIFY_API_SECRET"],
                            token_endpoint_auth_method="client_secret_post", **kwargs)
    # authlib reads any JSON as a token; a 429 carries a JSON error of its
    # own, so turn it into a retryable failure before authlib sees it.
    session.register_compliance_hook("access_token_response", _reject_rate_limited)
    session.register_compliance_hook("refresh_token_response", _reject_rate_limited)
    return session


class _RateLimited(TokenEndpointUnavailable):
    def __init__(self, retry_after: float) -> None:
        super().__init__("token endpoint rate limited the app")
        self.retry_after = retry_after


def _reject_rate_limited(response: requests.Response) -> requests.Response:
    if response.status_code == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
        raise _RateLimited(retry_after)
    return response


def call_token_endpoint(request: Callable[[], Mapping[str, Any]], *, retry: bool) -> TokenGrant:
    """Run `request` (an authlib call), map failures, retry transient ones."""
    attempts = len(RETRY_DELAYS) + 1 if retry else 1
    for attempt in range(attempts):
        try:
            return _grant_from(request())
        except OAuthError as exc:
            raise _ERRORS.get(exc.error, TokenEndpointError)(exc.error or "unknown_error") from None
        except _RateLimited as exc:
            failure: TokenEndpointUnavailable = exc
            delay = min(exc.retry_after, MAX_RETRY_AFTER_SECONDS)
        except (requests.RequestException, ValueError) as exc:
            # Log the class only: the exception text may echo the request.
            log.warning("token endpoint call failed (%s), attempt %d of %d", type(exc).__name__,
                        attempt + 1, attempts)
            failure = TokenEndpointUnavailable(f"token endpoint unavailable: {type(exc).__name__}")
            delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
        if attempt + 1 < attempts:
            time.sleep(delay)
    raise failure


def _grant_from(response: Mapping[str, Any]) -> TokenGrant:
    grant = TokenGrant.from_response(response)
    if grant is None:
        raise TokenEndpointError("malformed_token_response")
    return grant


def exchange_id_token(shop: str, id_token: str) -> TokenGrant:
    """Token exchange: a verified ID token for an expiring offline token.

    `shop` must come from the verified token's `dest`, never from a request
    parameter. Not retried: an ID token lives a minute, and App Bridge gives
    a fresh one on the next request anyway.
    """
    url = token_url(current_app.config, shop)
    session = oauth_session()
    with session:
        return call_token_endpoint(lambda: session.fetch_token(
            url, grant_type=TOKEN_EXCHANGE_GRANT, subject_token=id_token,
            subject_token_type=ID_TOKEN_TYPE, requested_token_type=OFFLINE_TOKEN_TYPE,
            expiring="1", timeout=TIMEOUT_SECONDS), retry=False)


def migrate_offline_token(shop: str, offline_token: str) -> TokenGrant:
    """Swap a non-expiring offline token for an expiring pair (one way; the
    old token is revoked). Shopify answers a retry with the same old token
    with the same pair, so a lost response is retried."""
    url = token_url(current_app.config, shop)
    session = oauth_session()
    with session:
        return call_token_endpoint(lambda: session.fetch_token(
            url, grant_type=TOKEN_EXCHANGE_GRANT, subject_token=offline_token,
            subject_token_type=OFFLINE_TOKEN_TYPE, requested_token_type=OFFLINE_TOKEN_TYPE,
            expiring="1", timeout=TIMEOUT_SECONDS), retry=True)


def refresh(shop: str, refresh_token: str) -> TokenGrant:
    """Swap a refresh token for a new access and refresh token pair."""
    url = token_url(current_app.config, shop)
    session = oauth_session()
    with session:
        return call_token_endpoint(lambda: session.refresh_token(
            url, refresh_token=refresh_token, timeout=TIMEOUT_SECONDS), retry=True)
