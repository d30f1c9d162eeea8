"""Order the assets of one group (pure).

By `order_by` (a metadata key): numbers, and text that reads as a decimal
number, compare numerically; other text compares case-insensitively after all
numbers; assets without a value come last; ties keep the request's order
(Python's sort is stable). With `order_by` null the request's order is the
manual order the merchant arranged in the dialog.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from .request import Asset

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def sort_key(value: Any) -> tuple[int, Any]:
    """(0, number) < (1, text) < (2, missing)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None  # a multi-select orders by its first value
    if value is None or isinstance(value, dict):
        return (2, 0)
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, (int, float)):
        number = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
        return (2, 0) if number.is_nan() else (0, number)
    text = str(value).strip()
    if not text:
        return (2, 0)
    if _DECIMAL.match(text):
        try:
            return (0, Decimal(text))
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid decimals
            pass
    return (1, text.casefold())


def order_assets(assets: Sequence[Asset], order_by: str | None) -> list[Asset]:
    if not order_by:
        return list(assets)
    return sorted(assets, key=lambda asset: sort_key(asset.metadata.get(order_by)))
