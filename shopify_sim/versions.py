"""Which Admin API version a request is served, and the rules that depend on it.

Shopify's versioning (https://shopify.dev/docs/api/usage/versioning): a stable
version every quarter, named `YYYY-MM` with MM one of 01, 04, 07, 10; each is
supported for at least 12 months; "if your app uses a stable version that is
no longer supported, then Shopify falls forward and responds to your request
with the same behaviour as the oldest supported stable version". Responses
name the version served in `X-Shopify-API-Version`.

The simulator's newest version is its schema's (2026-10). With 2026-10 the
newest stable version, the versions released in the 12 months before it are
still supported (2025-10 … 2026-10, the default oldest; `SIM_OLDEST_API_VERSION`
moves it), an older quarterly handle falls forward to the oldest, and
anything else (a handle that is not a quarterly version, one newer than the
schema, `unstable`) is not served (404).

Every version is answered with the 2026-10 schema; what Shopify documents as
changing between versions follows the version served (`Rule`s below). Each
rule cites where the change is documented.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from . import schema as schema_mod

NEWEST = schema_mod.API_VERSION
DEFAULT_OLDEST = "2025-10"
_HANDLE = re.compile(r"^(\d{4})-(01|04|07|10)$")


def is_quarterly(handle: str) -> bool:
    return _HANDLE.match(handle or "") is not None


def oldest_supported(config: Optional[Mapping[str, Any]] = None) -> str:
    value = str((config or {}).get("SIM_OLDEST_API_VERSION") or DEFAULT_OLDEST)
    if not is_quarterly(value) or value > NEWEST:
        raise ValueError(f"SIM_OLDEST_API_VERSION must be a quarterly version up to {NEWEST}, not {value!r}")
    return value


def served(requested: str, config: Optional[Mapping[str, Any]] = None) -> Optional[str]:
    """The version a request for `requested` is answered with, or None when
    it is not served."""
    if not is_quarterly(requested) or requested > NEWEST:
        return None
    return max(requested, oldest_supported(config))


def at_least(version: Optional[str], since: str) -> bool:
    """Whether `version` (None: the newest) includes a change made in `since`."""
    return (version or NEWEST) >= since


# -- rules that follow the version -----------------------------------------------
@dataclass(frozen=True)
class Change:
    since: str
    source: str


# Bulk operations: "In API versions 2026-01 and higher, you can run up to five
# bulk query operations at a time per shop. In API versions prior to 2026-01,
# you can run only one bulk operation of each type … at a time per shop"
# (https://shopify.dev/docs/api/usage/bulk-operations/queries; the changelog
# https://shopify.dev/changelog/faster-bulk-operations; the 2026-10 schema:
# "The number of concurrent operations that an app can run depends on the API
# version").
BULK_CONCURRENCY = Change("2026-01", "https://shopify.dev/changelog/faster-bulk-operations")
# JSON metafield writes: "When using API version 2026-04 or later, JSON type
# metafield writes will be limited to 128KB … grandfathered at the current 2MB
# limit" (https://shopify.dev/changelog/reduced-metafield-value-sizes,
# https://shopify.dev/docs/apps/build/metafields/metafield-limits).
JSON_METAFIELD_128KB = Change("2026-04", "https://shopify.dev/changelog/reduced-metafield-value-sizes")


def bulk_operations_per_type(version: Optional[str]) -> int:
    return 5 if at_least(version, BULK_CONCURRENCY.since) else 1


def json_metafield_bytes(version: Optional[str]) -> int:
    return 128 * 1024 if at_least(version, JSON_METAFIELD_128KB.since) else 2 * 1024 * 1024
