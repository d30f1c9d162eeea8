"""Query-string parameters of the JSON endpoints (the bridge and the
embedded admin's API): bad ones are a 400 problem document naming the
parameter, never a 500 or a silently ignored typo. Integers are read here
only: `str.isdigit()` alone accepts "²" (int() refuses it: a 500) and other
scripts' digits."""
from __future__ import annotations

from typing import overload

from flask import request

from .problems import Problem


def reject_unknown_params(*allowed: str) -> None:
    """Unknown query parameters are a client bug (a typo'd `limit` would be
    silently ignored): say so."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise Problem(400, "Unknown query parameter(s).", title="Bad Request",
                      errors=[{"field": name, "message": "is not a parameter of this endpoint"} for name in unknown])


def whole_number(text: str) -> int | None:
    """`text` as a non-negative integer if it is only ASCII digits, else None."""
    return int(text) if text.isascii() and text.isdigit() else None


@overload
def int_param(name: str, default: int, low: int, high: int | None = None, *, detail: str | None = None) -> int: ...
@overload
def int_param(name: str, default: None, low: int, high: int | None = None, *, detail: str | None = None
              ) -> int | None: ...


def int_param(name: str, default: int | None, low: int, high: int | None = None, *, detail: str | None = None
              ) -> int | None:
    """The integer query parameter `name` (`default` when absent) within
    [low, high]; a 400 naming the parameter otherwise. `detail` replaces the
    generic sentence where the caller can say more."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = whole_number(raw)
    if value is None or value < low or (high is not None and value > high):
        if high is not None:
            expected = f"an integer from {low} to {high}"
        elif low == 0:
            expected = "a non-negative integer"
        else:
            expected = f"an integer of at least {low}"
        raise Problem(400, detail or f"{name} must be {expected}.", title="Bad Request",
                      errors=[{"field": name, "message": f"must be {expected}"}])
    return value
