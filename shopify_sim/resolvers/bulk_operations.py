"""Bulk operation root fields (shopify_sim/bulk has the rules and the work):
`bulkOperationRunQuery`, `bulkOperationRunMutation`, `bulkOperationCancel`,
`bulkOperation`, `bulkOperations`, `currentBulkOperation`, and
BulkOperation under `node`/`nodes`.

Operations belong to the app that ran them and its shop: another app neither
sees nor cancels them ("Returns the app's bulk operations" [S]). Wording of
answers as captured [CAP]: unknown id → `null` (a gid of another type →
RESOURCE_NOT_FOUND "Invalid id: …"); cancel of an unknown operation →
"Bulk operation does not exist" at `["id"]`; of a finished one → "A bulk
operation cannot be canceled when it is completed"; of a CANCELING one → the
operation, no error; the concurrency refusal lists the operations in progress.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from .. import schema as schema_mod
from .. import search, search_filters
from ..bulk import lifecycle, model, rules
from ..bulk.model import BulkOperation
from ..bulk.storage import MAX_VARIABLES_BYTES, find_by_key, staged_object_key
from ..catalog import iso, parse_gid
from . import mutation, query
from .common import NO_SORT_VALUE, connection, error


def view(op: BulkOperation) -> dict[str, Any]:
    return {
        "__typename": "BulkOperation",
        "id": op.gid,
        "status": op.status,
        "type": op.type,
        "errorCode": op.error_code,
        "createdAt": iso(op.created_at),
        "completedAt": iso(op.completed_at) if op.completed_at is not None else None,
        "objectCount": str(op.object_count),
        "rootObjectCount": str(op.root_object_count),
        "fileSize": str(op.file_size) if op.file_size is not None else None,
        "url": op.url,
        "partialDataUrl": op.partial_data_url,
        "query": op.query,
    }


def _env(ctx: Any) -> lifecycle.Env:
    return lifecycle.Env(ctx.state, ctx.shop, ctx.config)


def _mine(ctx: Any) -> list[BulkOperation]:
    return [op for op in ctx.catalog.bulk_operations.values() if op.client_id == ctx.token.client_id]


def _payload(op: Optional[BulkOperation], errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bulkOperation": view(op) if op is not None else None, "userErrors": errors}


def _in_progress_error(ctx: Any, type_: str) -> Optional[dict[str, Any]]:
    running = model.in_progress_of(list(ctx.catalog.bulk_operations.values()), ctx.token.client_id, type_)
    if len(running) < model.concurrency_limit(ctx.api_version):
        return None
    listed = ", ".join(op.gid for op in running)
    return rules.Problem(None, f"A bulk {type_.lower()} operation for this app and shop is already in progress: "
                               f"{listed}.", "OPERATION_IN_PROGRESS").as_user_error()


def _create(ctx: Any, type_: str, text: str, **fields: Any) -> BulkOperation:
    op = BulkOperation(id=ctx.catalog.next_id(), type=type_, query=text, client_id=ctx.token.client_id,
                       created_at=ctx.now, created_sort=ctx.now, token=ctx.token, api_version=ctx.api_version,
                       **fields)
    model.schedule(op, ctx.now, lifecycle.delay(ctx.config))
    ctx.catalog.bulk_operations[op.id] = op
    return op


@mutation("bulkOperationRunQuery")
def bulk_operation_run_query(ctx: Any, info: Any, query: str, groupObjects: bool = False) -> dict[str, Any]:
    problems = rules.query_problems(schema_mod.admin_schema(), query)
    if problems:
        return _payload(None, [p.as_user_error() for p in problems])
    busy = _in_progress_error(ctx, model.QUERY)
    if busy is not None:
        return _payload(None, [busy])
    return _payload(_create(ctx, model.QUERY, query, group_objects=bool(groupObjects)), [])


def _file_problem(data: Optional[bytes]) -> Optional[rules.Problem]:
    """The staged variables file, as bulkOperationRunMutation checks it [CAP]."""
    if data is None:
        return rules.Problem(None, "The JSONL file could not be found. Try uploading the file again, and check "
                                   "that you've entered the URL correctly for the stagedUploadPath mutation "
                                   "argument.", "NO_SUCH_FILE")
    if not data:
        return rules.Problem(None, "The input file is empty.", "INVALID_STAGED_UPLOAD_FILE")
    if len(data) > MAX_VARIABLES_BYTES:
        return rules.Problem(None, "The input file size exceeds the maximum allowed size of 100 MB.",
                             "INVALID_STAGED_UPLOAD_FILE")
    return None


@mutation("bulkOperationRunMutation")
def bulk_operation_run_mutation(ctx: Any, info: Any, mutation: str, stagedUploadPath: str,
                                groupObjects: bool = True, clientIdentifier: Optional[str] = None) -> dict[str, Any]:
    problems = rules.mutation_problems(schema_mod.admin_schema(), mutation, clientIdentifier)
    if problems:
        return _payload(None, [p.as_user_error() for p in problems])
    upload = find_by_key(ctx.catalog, staged_object_key(stagedUploadPath, ctx.base_url))
    data = upload.data if upload is not None and upload.resource == "BULK_MUTATION_VARIABLES" else None
    problem = _file_problem(data)
    if problem is not None:
        return _payload(None, [problem.as_user_error()])
    busy = _in_progress_error(ctx, model.MUTATION)
    if busy is not None:
        return _payload(None, [busy])
    return _payload(_create(ctx, model.MUTATION, mutation, group_objects=bool(groupObjects),
                            client_identifier=clientIdentifier, variables_file=data), [])


def _operation_by_gid(ctx: Any, value: str) -> Optional[BulkOperation]:
    parsed = parse_gid(value)
    if parsed is None or parsed[0] != "BulkOperation" or not parsed[1].isdigit():
        return None
    op = ctx.catalog.bulk_operations.get(int(parsed[1]))
    return op if op is not None and op.client_id == ctx.token.client_id else None


@mutation("bulkOperationCancel")
def bulk_operation_cancel(ctx: Any, info: Any, id: str) -> dict[str, Any]:
    op = _operation_by_gid(ctx, id)
    if op is None:
        return _payload(None, [rules.Problem(("id",), "Bulk operation does not exist", None).as_user_error()])
    if op.status in model.TERMINAL:
        message = f"A bulk operation cannot be canceled when it is {op.status.lower()}"
        return _payload(op, [rules.Problem(None, message, None).as_user_error()])
    if op.status != model.CANCELING:
        lifecycle.cancel(_env(ctx), op, ctx.now)
    return _payload(op, [])


def node(ctx: Any, value: str) -> Optional[dict[str, Any]]:
    op = _operation_by_gid(ctx, value)
    return view(op) if op is not None else None


@query("bulkOperation")
def resolve_bulk_operation(ctx: Any, info: Any, id: str) -> Optional[dict[str, Any]]:
    parsed = parse_gid(id)
    if parsed is None or parsed[0] != "BulkOperation":
        raise error(f"Invalid id: {id}", "RESOURCE_NOT_FOUND")
    return node(ctx, id)


@query("currentBulkOperation")
def resolve_current_bulk_operation(ctx: Any, info: Any, type: str = model.QUERY) -> Optional[dict[str, Any]]:
    """The app's most recent operation of the type [S]."""
    mine = [op for op in _mine(ctx) if op.type == type]
    if not mine:
        return None
    return view(max(mine, key=lambda op: (op.created_sort or op.created_at, op.id)))


# -- bulkOperations ------------------------------------------------------------------
def _fields() -> dict[str, search.Field]:
    return {
        "created_at": search.Field(search.TIME, lambda op: [op.created_sort or op.created_at]),
        "id": search.Field(search.NUMBER, lambda op: [op.id]),
        "operation_type": search.Field(search.KEYWORD, lambda op: [op.type]),
        "status": search.Field(search.KEYWORD, lambda op: [op.status]),
    }


def _sort_value(op: BulkOperation, key: str) -> Optional[float]:
    if key == "COMPLETED_AT":
        return op.completed_sort if op.completed_at is not None else None
    return op.created_sort or op.created_at


def _cursor_value(value: Optional[float]) -> Any:
    """Shopify's cursors carry the sort time to the microsecond, or no value
    at all when it is null (captured)."""
    if value is None:
        return NO_SORT_VALUE
    return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


@query("bulkOperations")
def resolve_bulk_operations(ctx: Any, info: Any, **args: Any) -> dict[str, Any]:
    """[S] "Defaults to sorting by created_at, with newest operations first";
    filters from the schema's table, warnings in `extensions.search`."""
    expr = search_filters.prepare(ctx, info, "QueryRoot", "bulkOperations", args.get("query"))
    matcher = search.Matcher(_fields(), ())
    key = args.get("sortKey") or "CREATED_AT"
    ops = [op for op in _mine(ctx) if matcher.matches(expr, op)]

    def order(op: BulkOperation) -> tuple:
        value = _sort_value(op, key)
        return (value is not None, value or 0.0, op.id)
    ops.sort(key=order, reverse=not args.get("reverse"))
    return connection(ops, args, key=lambda op: op.id, node=view,
                      sort_value=lambda op: _cursor_value(_sort_value(op, key)))
