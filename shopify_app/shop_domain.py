"""What counts as a shop's domain."""
from __future__ import annotations

import re

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")


def normalize_shop(value: str | None) -> str | None:
    """The shop's myshopify domain, or None when `value` isn't one.

    Anchored at both ends so `shop.myshopify.com.evil.com` and `evil.com` fail.
    """
    if not value:
        return None
    value = value.strip().lower()
    return value if SHOP_DOMAIN.fullmatch(value) else None
