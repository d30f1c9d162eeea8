"""`job(id:)`: poll an asynchronous job (productReorderMedia)."""
from __future__ import annotations

from typing import Any

from ..catalog import parse_gid
from . import query
from .views import job_view


@query("job")
def resolve_job(ctx: Any, info: Any, id: str) -> Any:
    parsed = parse_gid(id)
    if parsed is None or parsed[0] != "Job":
        return None
    job = ctx.catalog.jobs.get(parsed[1])
    return job_view(ctx, job) if job else None
