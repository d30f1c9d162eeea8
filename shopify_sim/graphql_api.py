"""The Admin GraphQL endpoint of a simulated shop:
`POST {sim}/{shop}/admin/api/{version}/graphql.json` (versions.py: which
versions are served and what changes with them).

A request goes through the steps Shopify's own API takes, answering each
failure the way Shopify does: authenticate the access token (401), parse and
validate against the real 2026-10 schema (HTTP 200 with graphql-ruby style
`errors`), coerce variables (INVALID_VARIABLE), price the query
(MAX_COST_EXCEEDED) and charge the app's leaky bucket (THROTTLED), refuse
input arrays over 250 (MAX_INPUT_SIZE_EXCEEDED), execute (ACCESS_DENIED per
field from the schema's `requiredAccess`), refund to the actual cost and
report `extensions.cost`. Every request is logged on the shop.
"""
from __future__ import annotations

import re
import time
import uuid
from typing import Any, Mapping, Optional

from flask import Blueprint, Response, current_app, jsonify, request
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationType, parse, validate
from graphql.error import GraphQLSyntaxError
from graphql.execution import execute

from . import faults as faults_mod
from . import limits, processing, schema as schema_mod, versions
from .bulk import lifecycle as bulk_lifecycle
from .catalog import catalog_of
from .execution import field_resolver
from .resolvers import Ctx, load_all
from .validation import (VALIDATION_RULES, coerce_variables, coerced_variables, input_size_errors, root_fields,
                         select_operation, shopify_validation_errors, syntax_error)

bp = Blueprint("graphql_api", __name__)

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
THROTTLE_DOC = "https://shopify.dev/api/usage/rate-limits"
MAX_COST_MESSAGE = (
    "Query cost is {cost}, which exceeds the single query max cost limit (1000).\n\n"
    "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
    "cost of a query is calculated.\n\n"
    "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
    "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n")
REQUEST_LOG_LIMIT = 5000


# -- cost ------------------------------------------------------------------
def _requested_cost(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any],
                    operation_name: Optional[str]) -> int:
    from . import cost
    return int(cost.requested_cost(schema, document, variables, operation_name))


def _actual_cost(schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any],
                 operation_name: Optional[str], data: Any) -> int:
    from . import cost
    return int(cost.actual_cost(schema, document, variables, operation_name, data))


def _bucket(shop: Any, client_id: str) -> Any:
    from .throttle import Bucket
    bucket = shop.buckets.get(client_id)
    if bucket is None:
        bucket = shop.buckets[client_id] = Bucket.for_plan(shop.plan, current_app.config.get("SIM_PLANS"))
    return bucket


# -- the endpoint ----------------------------------------------------------
def _now() -> float:
    clock = current_app.config.get("SIM_CLOCK")
    return float(clock()) if callable(clock) else time.time()


def _json(body: Any, status: int = 200, headers: Optional[dict[str, str]] = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _log(shop: Any, entry: dict[str, Any]) -> None:
    shop.request_log.append(entry)
    if len(shop.request_log) > REQUEST_LOG_LIMIT:
        del shop.request_log[: len(shop.request_log) - REQUEST_LOG_LIMIT]


@bp.post("/<shop_domain>/admin/api/<version>/graphql.json")
def graphql_endpoint(shop_domain: str, version: str) -> Response:
    from . import get_state
    state = get_state()
    started = time.time()
    request_id = str(uuid.uuid4())
    headers = {"X-Request-Id": request_id}
    with state.lock:
        shop = state.shops.get(shop_domain)
        if shop is None:
            return _json({"errors": "Not Found"}, 404, headers)
        body = request.get_json(silent=True)
        entry: dict[str, Any] = {
            "id": request_id, "at": started, "clientId": None,
            "operationName": body.get("operationName") if isinstance(body, dict) else None,
            "mutation": False, "rootFields": [], "requestedCost": None, "actualCost": None, "throttled": False,
            "status": 200, "fault": None, "errors": [],
        }
        # Refusals are logged too: a test can see the app's rejected calls.
        token = state.lookup_token(request.headers.get("X-Shopify-Access-Token"))
        if token is None or token.shop != shop_domain:
            entry["errors"].append("invalid access token")
            return _finish(shop, entry, _json({"errors": INVALID_TOKEN}, 401, headers))
        entry["clientId"] = token.client_id
        api_version = versions.served(version, current_app.config)
        if api_version is None:
            entry["errors"].append(f"API version {version}")
            return _finish(shop, entry, _json({"errors": f"API version {version} is not served by this simulator "
                                                         f"(quarterly versions up to {versions.NEWEST})"}, 404,
                                              headers))
        # The version that answers (an unsupported one falls forward), as Shopify names it.
        headers["X-Shopify-API-Version"] = api_version
        entry["apiVersion"] = api_version
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            entry["errors"].append("missing query")
            return _finish(shop, entry, _json({"errors": {"query": "Required parameter missing or invalid"}}, 400,
                                              headers))
        catalog = catalog_of(shop)
        fault = faults_mod.take_request_fault(catalog.faults, body.get("operationName")
                                              or _guess_operation_name(body["query"]))
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind != "timeout":
                return _finish(shop, entry, _fault_response(fault, shop, token, entry, headers))
    if fault is not None:  # timeout: hold the response without blocking the simulator
        time.sleep(fault.seconds)
        with state.lock:
            return _finish(shop, entry, _json({"errors": "Gateway Timeout"}, 504, headers))
    processing.wait_for_due_downloads(state, shop, _now(), float(current_app.config.get("SIM_PROCESSING_DELAY", 0.5)))
    with state.lock:
        return _finish(shop, entry, _run(state, shop, token, body, entry, headers, api_version))


def _finish(shop: Any, entry: dict[str, Any], response: Response) -> Response:
    entry["status"] = response.status_code
    entry["durationMs"] = round((time.time() - entry["at"]) * 1000, 2)
    _log(shop, entry)
    return response


def _guess_operation_name(text: str) -> Optional[str]:
    m = re.search(r"\b(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)", text)
    return m.group(1) if m else None


def _fault_response(fault: Any, shop: Any, token: Any, entry: dict[str, Any], headers: dict) -> Response:
    if fault.kind == "500":
        return _json({"errors": "Internal Server Error"}, 500, headers)
    if fault.kind == "429":
        return _json({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                                "uninterrupted service."}, 429, {**headers, "Retry-After": "1.0"})
    if fault.kind == "internal_error":
        return _json({"errors": [{
            "message": f"Internal error. Looks like something went wrong on our end.\nRequest ID: "
                       f"{headers['X-Request-Id']} (include this in support requests).",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": headers["X-Request-Id"]}}]},
            200, headers)
    # "throttle": Shopify's THROTTLED answer with an empty bucket.
    entry["throttled"] = True
    now = _now()
    status = _bucket(shop, token.client_id).status(now)
    status["currentlyAvailable"] = 0
    return _json({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                                                                     "documentation": THROTTLE_DOC}}],
                  "extensions": {"cost": {"requestedQueryCost": None, "actualQueryCost": None,
                                          "throttleStatus": status}}}, 200, headers)


def _run(state: Any, shop: Any, token: Any, body: dict[str, Any], entry: dict[str, Any],
         headers: dict, api_version: str) -> Response:
    load_all()
    schema = schema_mod.admin_schema()
    now = _now()
    config = current_app.config
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        return _json({"errors": [{"message": "Variables must be a JSON object",
                                  "extensions": {"code": "INVALID_VARIABLE"}}]}, 200, headers)
    try:
        document = parse(body["query"])
    except GraphQLSyntaxError as exc:
        err = syntax_error(exc)
        entry["errors"].append(err["message"])
        return _json({"errors": [err]}, 200, headers)
    validation = validate(schema, document, VALIDATION_RULES)
    if validation:
        errors = shopify_validation_errors(validation, document)
        entry["errors"].extend(e["message"] for e in errors)
        return _json({"errors": errors}, 200, headers)
    operation = select_operation(document, body.get("operationName"))
    if isinstance(operation, str):
        entry["errors"].append(operation)
        return _json({"errors": [{"message": operation}]}, 200, headers)
    entry["operationName"] = operation.name.value if operation.name else body.get("operationName")
    is_mutation = operation.operation == OperationType.MUTATION
    entry["mutation"] = is_mutation
    if operation.operation == OperationType.SUBSCRIPTION:
        return _json({"errors": [{"message": "Subscriptions are not supported"}]}, 200, headers)
    fields = root_fields(document, operation)
    entry["rootFields"] = [f.name.value for f in fields]
    variable_errors = coerce_variables(schema, operation, variables)
    if variable_errors:
        entry["errors"].extend(e["message"] for e in variable_errors)
        return _json({"errors": variable_errors}, 200, headers)
    operation_name = operation.name.value if operation.name else None

    requested = _requested_cost(schema, document, variables, operation_name)
    entry["requestedCost"] = requested
    bucket = _bucket(shop, token.client_id)
    if requested > limits.MAX_QUERY_COST:
        entry["errors"].append("MAX_COST_EXCEEDED")
        return _json({"errors": [{"message": MAX_COST_MESSAGE.format(cost=requested),
                                  "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": 1000}}],
                      "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                              "throttleStatus": bucket.status(now)}}}, 200, headers)
    if not bucket.try_spend(requested, now):
        entry["throttled"] = True
        return _json({"errors": [{"message": "Throttled",
                                  "extensions": {"code": "THROTTLED", "documentation": THROTTLE_DOC}}],
                      "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                              "throttleStatus": bucket.status(now)}}}, 200, headers)
    root_type = schema.mutation_type if is_mutation else schema.query_type
    coerced_for_args = coerced_variables(schema, operation, variables)
    size_errors = input_size_errors(schema, fields, root_type, coerced_for_args)
    if size_errors:
        entry["errors"].extend(e["message"] for e in size_errors)
        return _json({"errors": size_errors,
                      "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                              "throttleStatus": bucket.status(now)}}}, 200, headers)

    catalog = catalog_of(shop)
    processing.settle_jobs(catalog, now)
    bulk_lifecycle.settle(bulk_lifecycle.Env(state, shop, config), now)
    ctx = Ctx(state=state, shop=shop, token=token, config=config, now=now,
              base_url=str(config.get("SIM_BASE_URL", "")), api_version=api_version,
              request_bytes=len(request.get_data()))
    ctx.notes["root"] = _Root()
    result = execute(schema, document, root_value=ctx.notes["root"], context_value=ctx,
                     variable_values=variables, operation_name=operation_name, field_resolver=field_resolver)
    actual = _actual_cost(schema, document, variables, operation_name, result.data)
    actual = min(actual, requested)
    bucket.refund(requested - actual, now)
    entry["actualCost"] = actual
    out: dict[str, Any] = {}
    errors = [_format_error(e, headers["X-Request-Id"]) for e in result.errors or ()]
    errors.extend(ctx.notes.get("errors", ()))  # errors recorded beside a null (denied list items)
    if errors:
        out["errors"] = errors
        entry["errors"].extend(e["message"] for e in errors)
    out["data"] = result.data
    out["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                                  "throttleStatus": bucket.status(now)}}
    if ctx.notes.get("search"):
        # Warnings about the `query:` arguments (search_filters.py).
        out["extensions"]["search"] = ctx.notes["search"]
    return _json(out, 200, headers)


class _Root:
    """The root value; root fields are resolved from the registry."""


def _format_error(err: GraphQLError, request_id: str) -> dict[str, Any]:
    original = err.original_error
    if original is not None and not isinstance(original, GraphQLError):
        current_app.logger.error("simulator resolver failed", exc_info=original)
        out = {"message": f"Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} "
                          "(include this in support requests).",
               "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id,
                              "simulatorError": f"{type(original).__name__}: {original}"}}
        if err.path:
            out["path"] = list(err.path)
        return out
    return err.formatted


# -- staged upload targets ---------------------------------------------------
def _find_upload(state: Any, upload_id: str) -> Any:
    for shop in state.shops.values():
        if shop.catalog is not None and upload_id in shop.catalog.staged_uploads:
            return shop.catalog.staged_uploads[upload_id]
    return None


@bp.route("/_sim/uploads/<upload_id>", methods=["POST", "PUT"])
def receive_upload(upload_id: str) -> Response:
    from . import get_state
    state = get_state()
    with state.lock:
        upload = _find_upload(state, upload_id)
        if upload is None:
            return _json({"error": "NoSuchUpload", "message": "No staged upload with this id."}, 404)
        if request.method == "POST":
            file = request.files.get("file")
            if file is None:
                return _json({"error": "InvalidArgument", "message": "POST requires a 'file' form field "
                                                                    "after the target parameters."}, 400)
            data = file.read()
        else:
            data = request.get_data()
        if not data:
            return _json({"error": "InvalidArgument", "message": "The upload is empty."}, 400)
        if upload.file_size is not None and len(data) > upload.file_size:
            return _json({"error": "EntityTooLarge", "message": "The upload is larger than the declared fileSize."},
                         400)
        upload.data = data
        upload.uploaded_at = time.time()
    if request.method == "POST":
        return Response(f"<PostResponse><Key>{upload.filename}</Key></PostResponse>", status=201,
                        mimetype="application/xml")
    return Response(status=200)


@bp.get("/_sim/uploads/<upload_id>/<path:filename>")
def serve_upload(upload_id: str, filename: str) -> Response:
    from . import get_state
    state = get_state()
    with state.lock:
        upload = _find_upload(state, upload_id)
        if upload is None or upload.data is None or upload.filename != filename:
            return _json({"error": "NoSuchKey"}, 404)
        return Response(upload.data, mimetype=upload.mime_type)
