"""Signatures the way Shopify computes them.

Query HMAC (OAuth callback, app install/open requests): HMAC-SHA256 with the
app's client secret over the decoded parameters as `key=value`, sorted and
joined with `&`, lowercase hex, in the `hmac` parameter. Delimiters inside
keys and values are escaped as Shopify's Python library does
(Shopify/shopify_python_api `shopify/session.py`), so its `validate_hmac`
accepts every signature made here; for the URL-safe values Shopify itself
sends (shop, timestamp, hex codes, base64url-free `host`, JWTs) the escaping
never changes anything.

Webhook HMAC: base64 HMAC-SHA256 of the raw request body in
`X-Shopify-Hmac-Sha256`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Iterable, Mapping, Union

ParamValue = Union[str, Iterable[str]]


def _canonical_pairs(params: Mapping[str, ParamValue]) -> Iterable[str]:
    for key, value in params.items():
        if key in ("hmac", "signature"):
            continue
        if key.endswith("[]"):
            # `ids[]=2&ids[]=1` is signed as `ids=["2", "1"]`.
            key = key[:-2]
            value = json.dumps([str(v) for v in value])  # type: ignore[union-attr]
        key = str(key).replace("%", "%25").replace("=", "%3D")
        value = str(value).replace("%", "%25")
        yield f"{key}={value}".replace("&", "%26")


def query_message(params: Mapping[str, ParamValue]) -> str:
    """The exact string Shopify signs for a query-string request."""
    return "&".join(sorted(_canonical_pairs(params)))


def query_hmac(params: Mapping[str, ParamValue], secret: str) -> str:
    return hmac.new(secret.encode(), query_message(params).encode(), hashlib.sha256).hexdigest()


def sign_query(params: Mapping[str, ParamValue], secret: str) -> dict[str, ParamValue]:
    """`params` plus their `hmac`."""
    signed = {k: v for k, v in params.items() if k not in ("hmac", "signature")}
    signed["hmac"] = query_hmac(signed, secret)
    return signed


def webhook_hmac(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
