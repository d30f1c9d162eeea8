"""Bulk operations advance as simulated time passes (model.py has the
timing): every request to the shop first settles its operations, as media
processing and jobs are settled.

- CREATED → RUNNING: the work starts, against the store as it is then (a
  query is read into JSONL lines page by page, an import runs its mutation
  line by line). Each request to the shop does a bounded share of it (40 pages
  of 250 root objects, or 1,000 import lines — a count, not a time, so what a
  request sees does not depend on the machine's speed), so a whole-catalogue
  export never holds the simulator for long; the running counts [S] are the
  lines written so far (spread over the operation's time once the work is
  done).
- RUNNING → COMPLETED once its time is up and the work is done (or FAILED when the store refused, e.g. a field the
  app's scopes do not reach: errorCode ACCESS_DENIED [S]): the result file is
  written and served at `url` for seven days [S]; `fileSize` is its size in
  bytes. A result without any line has no file (url and fileSize null).
- CANCELING → CANCELED, counts as far as the work had got, no file.
- COMPLETED → EXPIRED seven days later: the URL no longer serves [S].
- Finishing (completed, failed or canceled) sends `bulk_operations/finish`
  to the apps that subscribe ([G-Q], changelog *New webhook topic notifies when
  a Bulk Operation has finished*, 2021-10): `admin_graphql_api_id`,
  `completed_at`, `created_at`, `error_code`, `status` and `type` (the last
  two in lower case, as the guide's example shows).
"""
from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional

from graphql import DocumentNode

from ..catalog import iso
from . import model
from .model import (CANCELED, CANCELING, COMPLETED, CREATED, EXPIRED, FAILED, RUNNING, BulkOperation, Result)

DEFAULT_DELAY = 1.0
# Work a request does for an operation (the simulator is one process under one
# lock; a 100,000-product export runs over several requests).
STEPS_PER_REQUEST = {model.QUERY: 40, model.MUTATION: 1000}


def delay(config: Mapping[str, Any]) -> float:
    return float(config.get("SIM_BULK_DELAY", DEFAULT_DELAY))


@dataclass
class Env:
    state: Any
    shop: Any
    config: Mapping[str, Any]

    @property
    def catalog(self) -> Any:
        return self.shop.catalog

    @property
    def base_url(self) -> str:
        return str(self.config.get("SIM_BASE_URL", "")).rstrip("/")


def settle(env: Env, now: float) -> None:
    """Bring every operation of the shop up to `now`, oldest first."""
    for op in sorted(env.catalog.bulk_operations.values(), key=lambda o: o.id):
        advance(env, op, now)


def advance(env: Env, op: BulkOperation, now: float) -> None:
    if op.status == CREATED and now >= op.runs_at:
        _start(env, op)
    if op.status == RUNNING:
        working = _work(op, now)
        if now >= op.done_at and not working:
            _finish(env, op, now)
        elif working:
            _count_written(op)
        else:
            _count(op, model.progress(op, now))
    if op.status == CANCELING and op.cancel_done_at is not None and now >= op.cancel_done_at:
        _canceled(env, op, now)
    if op.status == COMPLETED and op.expires_at is not None and now >= op.expires_at:
        op.status = EXPIRED
        if op.result_key in env.catalog.bulk_results:
            # The URL now answers as an expired signed URL; the bytes go.
            env.catalog.bulk_results[op.result_key] = (b"", op.expires_at)
        op.result = None


def cancel(env: Env, op: BulkOperation, now: float) -> None:
    """Start canceling an operation in progress (CREATED or RUNNING); its work stops."""
    if op.status == RUNNING:
        if op.work is not None:
            _count_written(op)
        else:
            _count(op, model.progress(op, now))
    op.work = None
    op.status = CANCELING
    op.cancel_done_at = now + delay(env.config) / 2


# -- transitions ------------------------------------------------------------------
def _start(env: Env, op: BulkOperation) -> None:
    op.status = RUNNING
    if op.result is None:
        op.result = Result()
        op.work = _run(env, op, op.runs_at, op.result)


def _work(op: BulkOperation, now: float) -> bool:
    """Advance the operation's work within the budget; True while some remains."""
    from .export import BulkQueryFailed
    if op.work is None:
        return False
    op.work_done_at = now
    try:
        for _ in range(STEPS_PER_REQUEST[op.type]):
            next(op.work)
    except StopIteration:
        op.work = None
    except BulkQueryFailed as failure:
        assert op.result is not None
        op.result.error_code, op.result.reason = failure.code, failure.reason
        op.work = None
    return op.work is not None


def _count_written(op: BulkOperation) -> None:
    result = op.result or Result()
    op.object_count = max(op.object_count, len(result.lines))
    op.root_object_count = max(op.root_object_count, sum(result.root_flags))


def _count(op: BulkOperation, share: float) -> None:
    """Running counts never go back (an operation seeded from a capture keeps
    the counts Shopify had reported)."""
    result = op.result or Result()
    total, roots = len(result.lines), sum(result.root_flags)
    op.object_count = max(op.object_count, math.floor(total * share))
    op.root_object_count = max(op.root_object_count, math.floor(roots * share))


def _finish(env: Env, op: BulkOperation, now: float) -> None:
    result = op.result or Result()
    _count(op, 1.0)
    # Done when its time was up, or when the work was, if that was later.
    op.done_at = max(op.done_at, op.work_done_at or op.done_at)
    op.completed_at = op.done_at
    op.completed_sort = op.done_at
    if result.error_code:
        op.status, op.error_code = FAILED, result.error_code
        op.partial_data_url = _store(env, op, result, op.done_at) if result.lines else None
        # A failed operation has no `completedAt` ("When the bulk operation
        # was successfully completed" [S]).
        op.completed_at = None
    else:
        op.status = COMPLETED
        op.url = _store(env, op, result, op.done_at) if result.lines else None
        op.expires_at = op.done_at + model.RESULT_LIFETIME
    op.file_size = sum(len(line) for line in result.lines) if result.lines else None
    _notify(env, op)


def _canceled(env: Env, op: BulkOperation, now: float) -> None:
    op.status = CANCELED
    _notify(env, op)


def _store(env: Env, op: BulkOperation, result: Result, at: float) -> str:
    key = secrets.token_hex(14)
    env.catalog.bulk_results[key] = (b"".join(result.lines), at + model.RESULT_LIFETIME)
    op.result_key = key
    return f"{env.base_url}/_sim/bulk-operation-outputs/{key}.jsonl"


def _notify(env: Env, op: BulkOperation) -> None:
    if op.finish_notified:
        return
    op.finish_notified = True
    app = env.state.apps.get(op.client_id)
    if app is None:
        return
    from .. import webhooks
    payload = {"admin_graphql_api_id": op.gid,
               "completed_at": iso(op.completed_at) if op.completed_at else None,
               "created_at": iso(op.created_at),
               "error_code": op.error_code.lower() if op.error_code else None,
               "status": op.status.lower(), "type": op.type.lower()}
    created = webhooks.enqueue(env.state, app=app, shop=env.shop.domain, topic="bulk_operations/finish",
                               payload=payload, retry_scale=float(env.config.get("SIM_WEBHOOK_RETRY_SCALE", 1.0)))
    if created and env.config.get("SIM_WEBHOOK_THREAD"):
        webhooks.ensure_delivery_thread(env.state)


# -- doing the work ------------------------------------------------------------------
def _token(env: Env, op: BulkOperation) -> Any:
    """The token the operation runs with: the one that started it, or for an
    operation seeded from a capture, the app's granted scopes."""
    if op.token is not None:
        return op.token
    from ..state import AccessToken
    app = env.state.apps.get(op.client_id)
    return AccessToken(token="", shop=env.shop.domain, client_id=op.client_id,
                       scopes=list(app.scopes) if app is not None else [])


def _run(env: Env, op: BulkOperation, at: float, result: Result) -> Iterator[None]:
    from .. import schema as schema_mod
    from ..execution import execute_document
    schema = schema_mod.admin_schema()
    token = _token(env, op)

    def execute(document: DocumentNode, variables: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        from ..resolvers.common import UNBOUNDED
        reset = UNBOUNDED.set(True)  # nested connections are read whole
        try:
            answer = execute_document(env.state, env.shop, token, document, variables, now=at, config=env.config,
                                      api_version=op.api_version)
        finally:
            UNBOUNDED.reset(reset)
        return answer.get("data"), answer.get("errors") or []

    if op.type == model.QUERY:
        from .export import export
        return export(schema, op.query, execute, result)
    from .imports import run_import
    return run_import(schema, op.query, op.variables_file or b"",
                      lambda d, v: _run_line(env, token, d, v, at, op.api_version), result)


def _run_line(env: Env, token: Any, document: DocumentNode, variables: dict[str, Any], at: float,
              api_version: str) -> dict[str, Any]:
    """One import line, through the request pipeline's checks (variables
    coerced as Shopify words their errors, input arrays limited)."""
    from .. import schema as schema_mod
    from ..execution import execute_document
    from ..validation import coerce_variables, coerced_variables, input_size_errors, root_fields, select_operation
    from graphql import validate

    from ..validation import VALIDATION_RULES, shopify_validation_errors
    schema = schema_mod.admin_schema()
    invalid = validate(schema, document, VALIDATION_RULES)
    if invalid:
        return {"errors": shopify_validation_errors(invalid, document)}
    operation = select_operation(document, None)
    if isinstance(operation, str):
        return {"errors": [{"message": operation}]}
    problems = coerce_variables(schema, operation, variables)
    if problems:
        return {"errors": problems}
    sized = input_size_errors(schema, root_fields(document, operation), schema.mutation_type,
                              coerced_variables(schema, operation, variables))
    if sized:
        return {"errors": sized}
    return execute_document(env.state, env.shop, token, document, variables, now=at, config=env.config,
                            api_version=api_version)


def result_file(catalog: Any, key: str, now: float) -> Optional[bytes]:
    """A result file's bytes while its URL is valid, else None."""
    stored = catalog.bulk_results.get(key)
    if stored is None or now >= stored[1]:
        return None
    return stored[0]
