"""The one way the app sends GraphQL to a shop.

Every request goes to `shop_origin(config, shop)/admin/api/<API_VERSION>/graphql.json`
with the shop's offline token. The client

- paces itself from `extensions.cost.throttleStatus`: before a request it
  estimates what the bucket holds now (it refills at `restoreRate` per second)
  and waits until the expected cost fits, so `THROTTLED` is rare;
- retries THROTTLED / HTTP 429, 5xx, timeouts, dropped connections and
  Shopify's `INTERNAL_SERVER_ERROR` with exponential backoff and full jitter;
- on HTTP 401 asks the token store to drop the token and retries once;
- raises typed errors (`errors.py`), including `UserErrors` for mutations.
"""
from __future__ import annotations

import hashlib
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import requests

from .. import config as config_module
from .. import metrics
from .errors import (AdminApiError, AuthenticationError, GraphQLErrors, ThrottledError, TransientError, UserError,
                     UserErrors)

log = logging.getLogger("shopify_app.admin_api")

TokenProvider = Callable[[], str]

# Retry budget. Throttling is expected under load and waits are computed, so it
# gets more attempts than faults, which are backed off blindly.
MAX_FAULT_ATTEMPTS = 5
MAX_THROTTLE_ATTEMPTS = 10
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
MAX_WAIT_JITTER = 0.05
# Expected cost of a document never seen before: Shopify's typical small query.
DEFAULT_EXPECTED_COST = 10.0
# What a web request may spend waiting for a store's rate limit (or backing
# off) across its Admin API calls before it answers "try again in N s"
# instead: gunicorn stops a request at 30 s, and a web worker asleep on one
# store's bucket is one worker fewer for every other store (bench/load.py:
# 40 concurrent 1,000-value match previews on one Standard store held all five
# web workers 25-27 s per request). Jobs have no such limit: waiting is their job.
REQUEST_MAX_WAIT = 10.0
TRANSIENT_GRAPHQL_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}


@dataclass
class Bucket:
    """The last throttle status Shopify reported for one (app, shop)."""

    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + self.restore_rate * max(0.0, now - self.observed_at))

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` points are in the bucket (0 if they are now)."""
        cost = min(cost, self.maximum)
        missing = cost - self.available_at(now)
        if missing <= 0 or self.restore_rate <= 0:
            return 0.0
        return missing / self.restore_rate


# Bucket knowledge is shared by every client of one process talking to the same
# shop endpoint, so a job and a bridge request don't each assume a full bucket.
_buckets: dict[str, Bucket] = {}
_buckets_lock = threading.Lock()


@dataclass
class Stats:
    """What a client has spent; tests and reports read it."""

    requests: int = 0
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    throttled: int = 0
    retries: int = 0
    waited: float = 0.0
    by_operation: dict[str, int] = field(default_factory=dict)


@dataclass
class _Attempt:
    """Where one `execute` call stands: what it retries and how often it has."""

    doc_key: str
    operation: str
    cost: float            # what the pacing waits for; raised when Shopify asks for more
    faults: int = 0
    throttles: int = 0
    token_refreshed: bool = False


class AdminApiClient:
    def __init__(self, shop_domain: str, *, origin: str, token_provider: TokenProvider,
                 on_token_rejected: Callable[[], None] | None = None,
                 api_version: str = config_module.API_VERSION, session: requests.Session | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random, max_wait: float | None = None) -> None:
        self.shop_domain = shop_domain
        self.max_wait = max_wait  # seconds this client may wait in all (None: no limit)
        self.endpoint = f"{origin.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self.api_version = api_version
        self._token_provider = token_provider
        self._on_token_rejected = on_token_rejected
        self._session = session or requests.Session()
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._expected_costs: dict[str, float] = {}
        self.stats = Stats()

    # -- public -----------------------------------------------------------
    def execute(self, document: str, variables: Mapping[str, Any] | None = None, *,
                expected_cost: float | None = None, raise_user_errors: bool = True) -> dict[str, Any]:
        """Run one document; return its `data`.

        `expected_cost` (else the cost this document had last time) is what
        the pacing waits for before sending.
        """
        doc_key = hashlib.sha1(document.encode()).hexdigest()
        cost = expected_cost if expected_cost is not None else self._expected_costs.get(doc_key, DEFAULT_EXPECTED_COST)
        body = {"query": document, "variables": dict(variables or {})}
        attempt = _Attempt(doc_key, _operation_name(document), cost)
        while True:
            self._pace(attempt.cost)
            payload = self._payload(body, attempt)
            if payload is None:
                continue  # a fault, a throttle or a refreshed token: send again
            cost_info = (payload.get("extensions") or {}).get("cost") or {}
            self._observe(cost_info)
            errors = payload.get("errors") or []
            if self._retries_graphql_errors(payload, errors, cost_info, attempt):
                continue

            self._account(attempt.operation, cost_info)
            if cost_info.get("requestedQueryCost") is not None:
                self._expected_costs[doc_key] = float(cost_info["requestedQueryCost"])
            if errors:
                raise GraphQLErrors(f"{attempt.operation}: " + "; ".join(str(e.get("message")) for e in errors[:3]),
                                    errors=errors)
            data = payload.get("data") or {}
            if raise_user_errors:
                _raise_user_errors(data)
            return data

    def bucket(self) -> Bucket | None:
        with _buckets_lock:
            return _buckets.get(self.endpoint)

    def capacity(self, default: float = 1000.0) -> float:
        """How many cost points one request may ask for without waiting forever."""
        bucket = self.bucket()
        return bucket.maximum if bucket is not None else default

    # -- internals ----------------------------------------------------------
    def _payload(self, body: dict[str, Any], attempt: "_Attempt") -> Any:
        """Send once and return the response's JSON, or None when the
        transport or HTTP status says to send again (after backing off,
        waiting out a 429 or refreshing the token). Raises when retries are
        used up or the answer is an error that retrying can't fix."""
        try:
            response = self._post(body)
        except (requests.Timeout, requests.ConnectionError) as exc:
            self._fault(attempt, TransientError(f"{self.shop_domain} did not answer: {type(exc).__name__}"),
                        cause=exc)
            return None
        status = response.status_code
        if status == 401:
            if attempt.token_refreshed or self._on_token_rejected is None:
                raise AuthenticationError(f"{self.shop_domain} rejected the access token", status=401)
            self._on_token_rejected()
            attempt.token_refreshed = True
            return None
        if status == 429:
            self._throttled(attempt, ThrottledError(f"{self.shop_domain} kept answering 429", status=429))
            self._wait(_retry_after(response) or self._backoff_delay(attempt.throttles))
            return None
        if status >= 500:
            self._fault(attempt, TransientError(f"{self.shop_domain} answered HTTP {status}", status=status))
            return None
        payload = _json(response)
        if status >= 400 or payload is None:
            raise AdminApiError(f"{self.shop_domain} answered HTTP {status}", status=status,
                                errors=(payload or {}).get("errors") if isinstance(payload, dict)
                                and isinstance(payload.get("errors"), list) else ())
        return payload

    def _retries_graphql_errors(self, payload: Mapping[str, Any], errors: list[Any], cost_info: Mapping[str, Any],
                                attempt: "_Attempt") -> bool:
        """Whether a 200 answer's errors call for sending again: THROTTLED
        (the pacing then waits for the bucket) or a transient Shopify fault
        that returned no data."""
        codes = {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes:
            self._throttled(attempt, ThrottledError(f"{self.shop_domain} kept throttling {attempt.operation}",
                                                    errors=errors))
            requested = float(cost_info.get("requestedQueryCost") or attempt.cost)
            attempt.cost = max(attempt.cost, requested)
            self._expected_costs[attempt.doc_key] = requested
            bucket = self.bucket()
            if bucket is None or bucket.wait_for(attempt.cost, self._clock()) <= 0:
                # No usable throttle status: don't hammer, back off.
                self._backoff(attempt.throttles)
            return True  # otherwise _pace waits for the bucket before the retry
        if codes & TRANSIENT_GRAPHQL_CODES and not payload.get("data"):
            self._fault(attempt, TransientError(f"{self.shop_domain} failed {attempt.operation}", errors=errors))
            return True
        return False

    def _fault(self, attempt: "_Attempt", error: AdminApiError, cause: BaseException | None = None) -> None:
        """Count a fault; raise `error` when they are used up, else back off."""
        attempt.faults += 1
        if attempt.faults >= MAX_FAULT_ATTEMPTS:
            raise error from cause
        self._backoff(attempt.faults, rate_limit=False)

    def _throttled(self, attempt: "_Attempt", error: AdminApiError) -> None:
        """Count a throttle; raise `error` when they are used up."""
        attempt.throttles += 1
        self.stats.throttled += 1
        metrics.record_shopify_throttled(self.shop_domain)
        if attempt.throttles >= MAX_THROTTLE_ATTEMPTS:
            raise error

    def _post(self, body: dict[str, Any]) -> requests.Response:
        self.stats.requests += 1
        return self._session.post(
            self.endpoint, json=body, timeout=self._timeout, allow_redirects=False,
            headers={"X-Shopify-Access-Token": self._token_provider(), "Accept": "application/json"})

    def _pace(self, cost: float) -> None:
        bucket = self.bucket()
        if bucket is None:
            return
        delay = bucket.wait_for(cost, self._clock())
        if delay > 0:
            self._wait(delay)

    def _observe(self, cost_info: Mapping[str, Any]) -> None:
        status = cost_info.get("throttleStatus") or {}
        try:
            bucket = Bucket(maximum=float(status["maximumAvailable"]), available=float(status["currentlyAvailable"]),
                            restore_rate=float(status["restoreRate"]), observed_at=self._clock())
        except (KeyError, TypeError, ValueError):
            return
        with _buckets_lock:
            _buckets[self.endpoint] = bucket

    def _account(self, operation: str, cost_info: Mapping[str, Any]) -> None:
        self.stats.requested_cost += float(cost_info.get("requestedQueryCost") or 0)
        self.stats.actual_cost += float(cost_info.get("actualQueryCost") or 0)
        metrics.record_shopify_cost(self.shop_domain, float(cost_info.get("actualQueryCost") or 0))
        self.stats.by_operation[operation] = self.stats.by_operation.get(operation, 0) + 1

    def _backoff_delay(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads retries of many workers.
        return self._rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt)

    def _backoff(self, attempt: int, *, rate_limit: bool = True) -> None:
        self.stats.retries += 1
        self._wait(self._backoff_delay(attempt), rate_limit=rate_limit)

    def _wait(self, seconds: float, *, rate_limit: bool = True) -> None:
        # A little jitter on computed waits too, so clients sharing a bucket
        # don't all wake at the same instant: up to 10 %, never more than
        # MAX_WAIT_JITTER (a proportional jitter on the long waits of a
        # rate-bound sync would only add to them).
        seconds = max(0.0, seconds)
        if self.max_wait is not None and self.stats.waited + seconds > self.max_wait:
            retry_after = max(1.0, float(math.ceil(seconds)))
            if rate_limit:
                raise ThrottledError(f"{self.shop_domain}: its rate limit needs {seconds:.1f} s more than this "
                                     f"client may wait", retry_after=retry_after)
            raise TransientError(f"{self.shop_domain} kept failing; not waiting {seconds:.1f} s more",
                                 retry_after=retry_after)
        seconds += min(0.1 * seconds, MAX_WAIT_JITTER) * self._rng()
        self.stats.waited += seconds
        self._sleep(seconds)


def _operation_name(document: str) -> str:
    head = document.strip().split("(", 1)[0].split("{", 1)[0].split()
    return head[1] if len(head) > 1 else (head[0] if head else "anonymous")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _raise_user_errors(data: Mapping[str, Any]) -> None:
    for root_field, payload in data.items():
        if not isinstance(payload, dict):
            continue
        # Media mutations mirror each error in the deprecated `userErrors`
        # without its code: take the coded one, once.
        raw = (payload.get("mediaUserErrors") or []) + (payload.get("userErrors") or [])
        unique: dict[tuple[Any, str], UserError] = {}
        for entry in raw:
            if isinstance(entry, dict):
                error = UserError.from_payload(entry)
                unique.setdefault((error.field, error.message), error)
        if unique:
            raise UserErrors(root_field, list(unique.values()), dict(data))


def for_shop(shop: Any, *, config: Mapping[str, Any] | None = None,
             token_provider: TokenProvider | None = None, **kwargs: Any) -> AdminApiClient:
    """The client for a stored `Shop`, its token from the token store."""
    from flask import current_app
    cfg = config if config is not None else current_app.config
    on_rejected = None
    if token_provider is None:
        token_provider, on_rejected = _token_store(shop)
    return AdminApiClient(shop.domain, origin=config_module.shop_origin(cfg, shop.domain),
                          token_provider=token_provider, on_token_rejected=on_rejected, **kwargs)


def _token_store(shop: Any) -> tuple[TokenProvider, Callable[[], None] | None]:
    try:
        from ..auth import tokens  # refreshes expiring offline tokens
    except ImportError:
        tokens = None
    if tokens is not None and hasattr(tokens, "access_token_for"):
        from ..auth import token_exchange

        def current_token() -> str:
            # The token store's failures, as this client's typed errors.
            try:
                return tokens.access_token_for(shop)
            except (tokens.ReauthorizationRequired, token_exchange.TokenEndpointError) as exc:
                raise AuthenticationError(str(exc)) from exc
            except token_exchange.TokenEndpointUnavailable as exc:
                raise TransientError(f"{shop.domain}: the token endpoint did not answer") from exc

        def rejected() -> None:
            try:
                tokens.token_rejected(shop)
            except tokens.ReauthorizationRequired as exc:
                raise AuthenticationError(str(exc)) from exc

        return current_token, rejected
    from .. import crypto

    def stored_token() -> str:
        if not shop.access_token_enc:
            raise AuthenticationError(f"{shop.domain} has no access token")
        return crypto.decrypt(shop.access_token_enc)
    return stored_token, None
