"""`/healthz` and `/readyz` for load balancers and orchestrators.

`/healthz`: the process is up and serving (touches nothing else, so a
database outage doesn't get every web process restarted). `/readyz`: this
process can do its work now: the database answers, the queues' Redis
answers (unless jobs run in-process) and the database schema is at the
migrations' head (a release step that didn't run, or new code before its
migration, is not ready). 200 with each check when all pass, else 503 with
Retry-After and the failing checks.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)

def migration_heads() -> frozenset[str]:
    """The revision(s) the code expects: the head(s) of the migrations the
    app runs (Flask-Migrate's directory, set in create_app)."""
    return _heads(current_app.extensions["migrate"].directory)


@functools.lru_cache(maxsize=4)
def _heads(directory: str) -> frozenset[str]:
    # Read from the migration files once per process.
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def check_database() -> tuple[bool, str]:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
            except Exception:
                return False, "reachable, but no migrations applied (run: flask --app shopify_app db upgrade)"
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    heads = migration_heads()
    if current != heads:
        return False, (f"schema at {', '.join(sorted(current)) or 'nothing'}, code expects "
                       f"{', '.join(sorted(heads))} (run: flask --app shopify_app db upgrade)")
    return True, "ok"


def check_redis(config: Mapping[str, Any]) -> tuple[bool, str]:
    from jobs import queues
    if not queues.is_async(config):
        return True, "not used (RQ_IS_ASYNC=0)"
    try:
        queues.redis_connection(config).ping()
    except Exception as exc:
        return False, f"unreachable ({type(exc).__name__})"
    return True, "ok"


CHECKS: dict[str, Callable[[Mapping[str, Any]], tuple[bool, str]]] = {
    "database": lambda config: check_database(),
    "redis": check_redis,
}


@bp.get("/healthz")
def healthz() -> Response:
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz() -> Response:
    from .outages import RETRY_AFTER_SECONDS
    from .problems import PROBLEM_TYPE_BASE, problem_response
    results = {name: check(current_app.config) for name, check in CHECKS.items()}
    checks = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}
    failing = [name for name, (ok, _) in results.items() if not ok]
    if failing:
        return problem_response(503, "Not ready: " + ", ".join(f"{name} {results[name][1]}" for name in failing) + ".",
                                title="Service Unavailable", type_=PROBLEM_TYPE_BASE + "service-unavailable",
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
                                checks=checks)
    response = jsonify(status="ready", checks=checks)
    response.headers["Cache-Control"] = "no-store"
    return response
