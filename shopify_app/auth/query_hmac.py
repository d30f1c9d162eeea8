"""Shopify's HMAC over a request's query string (app loads, OAuth callbacks).

Hex HMAC-SHA256 with the client secret over the other parameters, decoded,
as sorted `name=value` pairs joined by `&`; delimiters inside names and
values are escaped so one parameter can't pose as two. Same canonical form
as Shopify's Python library (`shopify.Session.calculate_hmac`), which a test
checks. Webhooks use a different HMAC (base64, over the body): see
shopify_app.webhooks.

https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant#step-1-verify-the-installation-request
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Iterable, Mapping

from werkzeug.datastructures import MultiDict

from ..query_params import whole_number

# ShopifyAPI refuses requests older than a day; a link replayed later fails.
MAX_AGE_SECONDS = 24 * 3600
# Shopify's clock against ours.
MAX_CLOCK_SKEW_SECONDS = 300


class InvalidQueryHmac(Exception):
    pass


def client_secrets(config: Mapping[str, Any]) -> list[str]:
    """The secrets Shopify may sign with: current, and the previous one
    while a rotation is under way."""
    return [s for s in (config.get("SHOPIFY_API_SECRET"), config.get("SHOPIFY_API_SECRET_PREVIOUS")) if s]


def canonical_message(params: MultiDict) -> str:
    """The string Shopify signs. `foo[]` lists become `foo=["1", "2"]`."""
    pairs = []
    for key in params:
        if key == "hmac":
            continue
        values = params.getlist(key)
        if key.endswith("[]"):
            name, value = key[:-2], json.dumps([str(v) for v in values])
        elif len(values) == 1:
            name, value = key, values[0]
        else:
            # Shopify never repeats a plain parameter; a repeated one is
            # ambiguous (which copy would the app read?), so it can't verify.
            raise InvalidQueryHmac(f"repeated parameter {key!r}")
        name = name.replace("%", "%25").replace("=", "%3D")
        value = value.replace("%", "%25")
        pairs.append(f"{name}={value}".replace("&", "%26"))
    return "&".join(sorted(pairs))


def calculate_hmac(params: MultiDict, secret: str) -> str:
    return hmac.new(secret.encode(), canonical_message(params).encode(), hashlib.sha256).hexdigest()


def hmac_is_valid(params: MultiDict, secrets: Iterable[str]) -> bool:
    """Whether `hmac` matches under any of `secrets` (current, previous)."""
    given = params.get("hmac", "")
    if not given or len(params.getlist("hmac")) != 1:
        return False
    try:
        expected = [calculate_hmac(params, s) for s in secrets if s]
    except InvalidQueryHmac:
        return False
    # Compare against every secret, so timing doesn't reveal which one matched.
    matches = [hmac.compare_digest(e.encode(), given.lower().encode()) for e in expected]
    return any(matches)


def verify_query(params: MultiDict, secrets: Iterable[str], *, now: float | None = None) -> None:
    """Raise InvalidQueryHmac unless the query is signed and recent."""
    if not hmac_is_valid(params, secrets):
        raise InvalidQueryHmac("hmac missing or wrong")
    timestamp = whole_number(params.get("timestamp", ""))
    if timestamp is None:
        raise InvalidQueryHmac("timestamp missing")
    now = time.time() if now is None else now
    if timestamp < now - MAX_AGE_SECONDS or timestamp > now + MAX_CLOCK_SKEW_SECONDS:
        raise InvalidQueryHmac("timestamp out of range")
