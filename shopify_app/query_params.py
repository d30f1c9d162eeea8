"""Query-string parameters of the JSON endpoints (the bridge and the
embedded admin's API): bad ones are a 400 problem document naming the
parameter, never a 500 or a silently ignored typo. Integers are read here
only: `str.isdigit()` alone accepts "²" (int() refuses it: a 500) and other
scripts' digits. Every integer is bounded before it reaches a query:
at most MAX_DIGITS digits (int() of a 5,000-digit string raises), and
no more than the column it is compared with holds (PostgreSQL `integer`
unless the caller says otherwise)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

from flask import request

from .problems import Problem

# Any 64-bit number has at most 20 digits; anything longer is no id,
# position or timestamp this app knows.
MAX_DIGITS = 20
# The largest PostgreSQL `integer`: positions and counts are stored as such,
# and comparing a column with a larger number is an error in PostgreSQL.
MAX_INTEGER = 2**31 - 1


def reject_unknown_params(*allowed: str) -> None:
    """Unknown query parameters are a client bug (a typo'd `limit` would be
    silently ignored): say so."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise Problem(400, "Unknown query parameter(s).", title="Bad Request",
                      errors=[{"field": name, "message": "is not a parameter of this endpoint"} for name in unknown])


def whole_number(text: str) -> int | None:
    """`text` as a non-negative integer if it is 1 to MAX_DIGITS ASCII digits, else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None


@overload
def int_param(name: str, default: int, low: int, high: int = MAX_INTEGER, *, detail: str | None = None) -> int: ...
@overload
def int_param(name: str, default: None, low: int, high: int = MAX_INTEGER, *, detail: str | None = None
              ) -> int | None: ...


def int_param(name: str, default: int | None, low: int, high: int = MAX_INTEGER, *, detail: str | None = None
              ) -> int | None:
    """The integer query parameter `name` (`default` when absent) within
    [low, high] (high: a PostgreSQL `integer` unless given); a 400 naming the
    parameter otherwise. `detail` replaces the generic sentence where the
    caller can say more."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = whole_number(raw)
    if value is None or value < low or value > high:
        expected = f"an integer from {low} to {high}"
        raise Problem(400, detail or f"{name} must be {expected}.", title="Bad Request",
                      errors=[{"field": name, "message": f"must be {expected}"}])
    return value


@dataclass(frozen=True)
class PageLimit:
    """A list endpoint's `limit`: one place for its bounds, so what the
    OpenAPI document declares and what the view accepts can't drift apart."""

    default: int
    maximum: int

    def parameter(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        return {"name": "limit", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.maximum, "default": self.default}}

    def read(self) -> int:
        return int_param("limit", self.default, 1, self.maximum)
