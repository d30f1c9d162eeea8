"""The Admin GraphQL endpoint of a simulated shop:
`POST {sim}/{shop}/admin/api/2026-10/graphql.json`.

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

import functools
import re
import time
import uuid
from typing import Any, Iterable, Mapping, Optional

from flask import Blueprint, Response, current_app, jsonify, request
from graphql import (ArgumentNode, DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError,
                     GraphQLSchema, InlineFragmentNode, ListValueNode, Node, ObjectFieldNode, OperationDefinitionNode,
                     OperationType, StringValueNode, ValidationRule, get_named_type, is_input_object_type,
                     is_list_type, is_non_null_type, parse, specified_rules, type_from_ast, validate)
from graphql.error import GraphQLSyntaxError
from graphql.execution import execute
from graphql.execution.values import get_argument_values
from graphql.utilities import coerce_input_value

from . import faults as faults_mod
from . import processing, schema as schema_mod
from .catalog import catalog_of, parse_gid
from .resolvers import MUTATION, QUERY, Ctx, load_all
from .resolvers.common import (MAX_INPUT_SIZE, access_denied, granted_scopes, not_implemented, required_scopes)

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
ROOT_TYPES = ("QueryRoot", "Mutation")


# -- access scopes from the schema -----------------------------------------
@functools.lru_cache(maxsize=1)
def _access_tables() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    data = schema_mod.introspection()["__schema"]
    fields: dict[tuple[str, str], str] = {}
    types: dict[str, str] = {}
    for t in data["types"]:
        if t.get("requiredAccess"):
            types[t["name"]] = t["requiredAccess"]
        for f in t.get("fields") or []:
            if f.get("requiredAccess"):
                fields[(t["name"], f["name"])] = f["requiredAccess"]
    return fields, types


@functools.lru_cache(maxsize=None)
def _field_access(parent: str, field: str) -> Optional[tuple[str, tuple[str, ...]]]:
    """What a field needs: its own requiredAccess, else that of the object
    type it returns (for a connection: of its nodes)."""
    fields, types = _access_tables()
    text = fields.get((parent, field))
    if text is None:
        parent_type = schema_mod.admin_schema().get_type(parent)
        field_def = getattr(parent_type, "fields", {}).get(field)
        if field_def is not None:
            named = get_named_type(field_def.type)
            text = types.get(named.name)
            if text is None and named.name.endswith("Connection") and "nodes" in getattr(named, "fields", {}):
                text = types.get(get_named_type(named.fields["nodes"].type).name)
    scopes = required_scopes(text)
    return (text, scopes) if scopes else None


@functools.lru_cache(maxsize=None)
def _type_access(type_name: str) -> Optional[tuple[str, tuple[str, ...]]]:
    text = _access_tables()[1].get(type_name)
    scopes = required_scopes(text)
    return (text, scopes) if scopes else None


def _check_access(ctx: Ctx, info: Any) -> None:
    granted = ctx.notes.setdefault("granted", granted_scopes(ctx.token.scopes))
    parent = info.parent_type.name
    need = _field_access(parent, info.field_name)
    if need is not None and not any(s in granted for s in need[1]):
        raise access_denied(info.field_name, need[0])
    # An object reached through an interface (node, nodes) still needs the
    # access its own type requires.
    own = _type_access(parent) if parent not in ROOT_TYPES else None
    if own is not None and not any(s in granted for s in own[1]) and info.field_name in ("id", "__typename"):
        raise access_denied(info.field_name, own[0])


def field_resolver(source: Any, info: Any, **args: Any) -> Any:
    ctx: Ctx = info.context
    _check_access(ctx, info)
    parent = info.parent_type.name
    name = info.field_name
    if parent in ROOT_TYPES:
        registry = QUERY if parent == "QueryRoot" else MUTATION
        fn = registry.get(name)
        if fn is None:
            raise not_implemented(parent, name)
        return fn(ctx, info, **args)
    if isinstance(source, Mapping):
        if name not in source:
            raise not_implemented(parent, name)
        value = source[name]
    else:
        value = getattr(source, name, _MISSING)
        if value is _MISSING:
            raise not_implemented(parent, name)
    if callable(value):
        return value(info, **args)
    return value


_MISSING = object()


# -- validation errors, worded as Shopify (graphql-ruby) words them ----------
_RULES: list[tuple[re.Pattern, Any]] = [
    (re.compile(r"Cannot query field '(?P<f>[^']+)' on type '(?P<t>[^']+)'"),
     lambda m: (f"Field '{m['f']}' doesn't exist on type '{m['t']}'",
                {"code": "undefinedField", "typeName": m["t"], "fieldName": m["f"]})),
    (re.compile(r"Unknown argument '(?P<a>[^']+)' on field '(?:[^'.]+\.)?(?P<f>[^']+)'"),
     lambda m: (f"Field '{m['f']}' doesn't accept argument '{m['a']}'",
                {"code": "argumentNotAccepted", "name": m["f"], "typeName": "Field", "argumentName": m["a"]})),
    (re.compile(r"Unknown argument '(?P<a>[^']+)' on directive '@(?P<d>[^']+)'"),
     lambda m: (f"Directive '{m['d']}' doesn't accept argument '{m['a']}'",
                {"code": "argumentNotAccepted", "name": m["d"], "typeName": "Directive", "argumentName": m["a"]})),
    (re.compile(r"Field '(?P<f>[^']+)' argument '(?P<a>[^']+)' of type '[^']+' is required"),
     lambda m: (f"Field '{m['f']}' is missing required arguments: {m['a']}",
                {"code": "missingRequiredArguments", "className": "Field", "name": m["f"], "arguments": m["a"]})),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is never used(?: in operation '(?P<o>[^']+)')?"),
     lambda m: (f"Variable ${m['v']} is declared by {m['o'] or 'anonymous query'} but not used",
                {"code": "variableNotUsed", "variableName": m["v"]})),
    (re.compile(r"Variable '\$(?P<v>[^']+)' is not defined(?: by operation '(?P<o>[^']+)')?"),
     lambda m: (f"Variable ${m['v']} is used by {m['o'] or 'anonymous query'} but not declared",
                {"code": "variableNotDefined", "variableName": m["v"]})),
    (re.compile(r"Field '(?P<o>[^'.]+)\.(?P<f>[^']+)' of required type '(?P<t>[^']+)' was not provided"),
     lambda m: (f"Argument '{m['f']}' on InputObject '{m['o']}' is required. Expected type {m['t']}",
                {"code": "missingRequiredInputObjectAttribute", "argumentName": m["f"], "argumentType": m["t"],
                 "inputObjectType": m["o"]})),
    (re.compile(r"Field '(?P<f>[^']+)' of type '(?P<t>[^']+)' must have a selection of subfields"),
     lambda m: (f"Field must have selections (field '{m['f']}' returns {m['t'].strip('[]!')} but has no "
                f"selections. Did you mean '{m['f']} {{ ... }}'?)",
                {"code": "selectionMismatch", "nodeName": f"field '{m['f']}'", "typeName": m["t"].strip("[]!")})),
    (re.compile(r"Field '(?P<f>[^']+)' must not have a selection since type '(?P<t>[^']+)' has no subfields"),
     lambda m: (f"Selections can't be made on scalars (field '{m['f']}' returns {m['t'].strip('[]!')} but "
                f"has selections)",
                {"code": "selectionMismatch", "nodeName": f"field '{m['f']}'", "typeName": m["t"].strip("[]!")})),
    (re.compile(r"Unknown fragment '(?P<n>[^']+)'"),
     lambda m: (f"Fragment {m['n']} was used, but not defined",
                {"code": "useAndDefineFragment", "fragmentName": m["n"]})),
    (re.compile(r"Fragment '(?P<n>[^']+)' is never used"),
     lambda m: (f"Fragment {m['n']} was defined, but not used",
                {"code": "useAndDefineFragment", "fragmentName": m["n"]})),
    (re.compile(r"Unknown type '(?P<t>[^']+)'"),
     lambda m: (f"No such type {m['t']}, so it can't be a fragment condition or variable type",
                {"code": "undefinedType", "typeName": m["t"]})),
    (re.compile(r"Unknown directive '@(?P<d>[^']+)'"),
     lambda m: (f"Directive @{m['d']} is not defined", {"code": "undefinedDirective", "directiveName": m["d"]})),
    (re.compile(r"(?P<t>\w+) cannot represent (?:a )?non[- ].*?value: (?P<v>.+)$"),
     lambda m: (f"Argument has an invalid value ({m['v']}). Expected type '{m['t']}'.",
                {"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"})),
]


def _ast_path(document: DocumentNode, target: Any) -> Optional[list[Any]]:
    """graphql-ruby's error path: the operation ("query Name"), then the
    field, argument, input-field names and list indexes leading to the
    offending node."""
    def label(node: Any) -> list[Any]:
        if isinstance(node, OperationDefinitionNode):
            kind = node.operation.value
            return [f"{kind} {node.name.value}" if node.name else kind]
        if isinstance(node, FragmentDefinitionNode):
            return [f"fragment {node.name.value}"]
        if isinstance(node, (FieldNode, ArgumentNode, ObjectFieldNode)):
            return [node.name.value]
        return []

    def search(node: Any, trail: list[Any]) -> Optional[list[Any]]:
        trail = trail + label(node)
        if node is target:
            return trail
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, Node):
                found = search(child, trail)
                if found is not None:
                    return found
            elif isinstance(child, (list, tuple)):
                for index, item in enumerate(child):
                    if isinstance(item, Node):
                        found = search(item, trail + ([index] if isinstance(node, ListValueNode) else []))
                        if found is not None:
                            return found
        return None

    return search(document, [])


def shopify_validation_error(err: GraphQLError, document: Optional[DocumentNode] = None) -> dict[str, Any]:
    message = err.message.split(" Did you mean")[0]
    extensions: dict[str, Any] = dict(err.extensions or {})
    for pattern, build in _RULES:
        m = pattern.search(message)
        if m:
            message, extensions = build(m)
            break
    else:
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    out: dict[str, Any] = {"message": message}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if document is not None and err.nodes:
        path = _ast_path(document, err.nodes[0])
        if path:
            if extensions.get("code") == "missingRequiredInputObjectAttribute":
                path.append(extensions["argumentName"])  # graphql-ruby points at the missing field
            out["path"] = path
    out["extensions"] = extensions
    return out


def _syntax_error(err: GraphQLSyntaxError) -> dict[str, Any]:
    loc = err.locations[0] if err.locations else None
    found = re.search(r"found (.+?)\.?$", err.message)
    token = found.group(1) if found else "input"
    token = "end of file" if token == "<EOF>" else token
    where = f" at [{loc.line}, {loc.column}]" if loc else ""
    out: dict[str, Any] = {"message": f"syntax error, unexpected {token}{where}"}
    if loc:
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    return out


class GlobalIdLiterals(ValidationRule):
    """ID literals must be Shopify global ids, as Shopify's coercion insists."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        input_type = self.context.get_input_type()
        if input_type is not None and get_named_type(input_type).name == "ID" and parse_gid(node.value) is None:
            self.report_error(GraphQLError(f"Invalid global id '{node.value}'", node,
                                           extensions={"code": "argumentLiteralsIncompatible",
                                                       "typeName": "CoercionError"}))


VALIDATION_RULES = list(specified_rules) + [GlobalIdLiterals]


# -- variables -------------------------------------------------------------
def _explain(message: str, type_: Any) -> str:
    if "not to be null" in message or "was not provided" in message:
        return "Expected value to not be null"
    m = re.search(r"Field '([^']+)' is not defined by type '([^']+)'", message)
    if m:
        return f"Field is not defined on {m.group(2)}"
    m = re.search(r"Value '([^']*)' does not exist in '([^']+)' enum", message)
    if m:
        enum = schema_mod.admin_schema().get_type(m.group(2))
        return f"Expected \"{m.group(1)}\" to be one of: {', '.join(enum.values)}"
    return message.split(" Did you mean")[0].rstrip(".")


def _gid_problems(type_: Any, value: Any, path: list) -> Iterable[dict[str, Any]]:
    if value is None:
        return
    if is_non_null_type(type_):
        type_ = type_.of_type
    if is_list_type(type_):
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _gid_problems(type_.of_type, item, path + [i])
        else:
            yield from _gid_problems(type_.of_type, value, path)
        return
    if is_input_object_type(type_) and isinstance(value, Mapping):
        for name, field in type_.fields.items():
            if name in value:
                yield from _gid_problems(field.type, value[name], path + [name])
        return
    if getattr(type_, "name", None) == "ID" and isinstance(value, str) and parse_gid(value) is None:
        text = f"Invalid global id '{value}'"
        yield {"path": path, "explanation": text, "message": text}


def coerce_variables(schema: GraphQLSchema, operation: OperationDefinitionNode,
                     raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Shopify-worded INVALID_VARIABLE errors (empty when all is well)."""
    errors = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        type_text = str(var_type)
        problems: list[dict[str, Any]] = []
        provided = name in raw
        value = raw.get(name)
        if (not provided or value is None) and is_non_null_type(var_type):
            if not provided and definition.default_value is not None:
                continue
            problems.append({"path": [], "explanation": "Expected value to not be null"})
        elif provided and value is not None:
            def on_error(path: list, _invalid: Any, error: GraphQLError) -> None:
                where = list(path)
                # graphql-core reports a missing required field at its
                # object; Shopify at the field itself.
                missing = re.search(r"Field '(?:[^'.]+\.)?([^'.]+)' (?:of required type|is not defined)",
                                    error.message)
                if missing:
                    where.append(missing.group(1))
                problems.append({"path": where, "explanation": _explain(error.message, var_type)})
            coerce_input_value(value, var_type, on_error)
            if not problems:
                problems.extend(_gid_problems(var_type, value, []))
        if not problems:
            continue
        first = problems[0]
        if first["path"]:
            where = ".".join(str(p) for p in first["path"])
            message = f"Variable ${name} of type {type_text} was provided invalid value for {where} " \
                      f"({first['explanation']})"
        else:
            message = f"Variable ${name} of type {type_text} was provided invalid value"
        loc = definition.loc.source.get_location(definition.loc.start) if definition.loc else None
        err = {"message": message}
        if loc:
            err["locations"] = [{"line": loc.line, "column": loc.column}]
        err["extensions"] = {"code": "INVALID_VARIABLE", "value": value, "problems": problems}
        errors.append(err)
    return errors


# -- document helpers ------------------------------------------------------
def select_operation(document: DocumentNode, name: Optional[str]) -> OperationDefinitionNode | str:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for op in operations:
            if op.name and op.name.value == name:
                return op
        return f"No operation named \"{name}\""
    if len(operations) == 1:
        return operations[0]
    if not operations:
        return "No operations in query document"
    return "An operation name is required"


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> list[FieldNode]:
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "type_condition") and hasattr(d, "name")}
    out: list[FieldNode] = []

    def walk(selection_set: Any, seen: set[str]) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                walk(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments \
                    and sel.name.value not in seen:
                walk(fragments[sel.name.value].selection_set, seen | {sel.name.value})
    walk(operation.selection_set, set())
    return out


def _oversized_list(value: Any) -> Optional[int]:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_SIZE:
            return len(value)
        for item in value:
            size = _oversized_list(item)
            if size:
                return size
    elif isinstance(value, Mapping):
        for item in value.values():
            size = _oversized_list(item)
            if size:
                return size
    return None


def input_size_errors(schema: GraphQLSchema, fields: list[FieldNode], root_type: Any,
                      variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Shopify refuses any input array over 250 items before running anything."""
    errors = []
    for node in fields:
        field_def = root_type.fields.get(node.name.value)
        if field_def is None:
            continue
        try:
            args = get_argument_values(field_def, node, variables)
        except GraphQLError:
            continue
        for arg_name, value in args.items():
            size = _oversized_list(value)
            if size:
                loc = node.loc.source.get_location(node.loc.start) if node.loc else None
                err: dict[str, Any] = {
                    "message": f"The input array size of {size} is greater than the maximum allowed of "
                               f"{MAX_INPUT_SIZE}."}
                if loc:
                    err["locations"] = [{"line": loc.line, "column": loc.column}]
                err["path"] = [node.name.value, arg_name]
                err["extensions"] = {"code": "MAX_INPUT_SIZE_EXCEEDED"}
                errors.append(err)
    return errors


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
        if version != schema_mod.API_VERSION:
            entry["errors"].append(f"API version {version}")
            return _finish(shop, entry, _json({"errors": f"API version {version} is not served by this simulator "
                                                         f"(only {schema_mod.API_VERSION})"}, 404, headers))
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
    with state.lock:
        return _finish(shop, entry, _run(state, shop, token, body, entry, headers))


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
         headers: dict) -> Response:
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
        err = _syntax_error(exc)
        entry["errors"].append(err["message"])
        return _json({"errors": [err]}, 200, headers)
    validation = validate(schema, document, VALIDATION_RULES)
    if validation:
        errors = [shopify_validation_error(e, document) for e in validation]
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
    if requested > 1000:
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
    coerced_for_args = _coerced_variables(schema, operation, variables)
    size_errors = input_size_errors(schema, fields, root_type, coerced_for_args)
    if size_errors:
        entry["errors"].extend(e["message"] for e in size_errors)
        return _json({"errors": size_errors,
                      "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                              "throttleStatus": bucket.status(now)}}}, 200, headers)

    catalog = catalog_of(shop)
    processing.settle_jobs(catalog, now)
    ctx = Ctx(state=state, shop=shop, token=token, config=config, now=now,
              base_url=str(config.get("SIM_BASE_URL", "")))
    ctx.notes["root"] = _Root()
    result = execute(schema, document, root_value=ctx.notes["root"], context_value=ctx,
                     variable_values=variables, operation_name=operation_name, field_resolver=field_resolver)
    actual = _actual_cost(schema, document, variables, operation_name, result.data)
    actual = min(actual, requested)
    bucket.refund(requested - actual, now)
    entry["actualCost"] = actual
    out: dict[str, Any] = {}
    if result.errors:
        out["errors"] = [_format_error(e, headers["X-Request-Id"]) for e in result.errors]
        entry["errors"].extend(e["message"] for e in out["errors"])
    out["data"] = result.data
    out["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                                  "throttleStatus": bucket.status(now)}}
    return _json(out, 200, headers)


class _Root:
    """The root value; root fields are resolved from the registry."""


def _coerced_variables(schema: GraphQLSchema, operation: OperationDefinitionNode,
                       variables: Mapping[str, Any]) -> dict[str, Any]:
    from graphql.execution.values import get_variable_values
    coerced = get_variable_values(schema, operation.variable_definitions or [], variables)
    return coerced if isinstance(coerced, dict) else {}


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
