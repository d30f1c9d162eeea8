"""Query-string parameters of the JSON endpoints (the bridge and the
embedded admin's API): bad ones are a 400 problem document naming the
parameter, never a 500 or a silently ignored typo."""
from __future__ import annotations

from flask import request

from .problems import Problem


def reject_unknown_params(*allowed: str) -> None:
    """Unknown query parameters are a client bug (a typo'd `limit` would be
    silently ignored): say so."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise Problem(400, "Unknown query parameter(s).", title="Bad Request",
                      errors=[{"field": name, "message": "is not a parameter of this endpoint"} for name in unknown])
