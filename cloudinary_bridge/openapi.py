"""The bridge's OpenAPI 3.1 document, generated from the code.

Each view declares itself with `@openapi.operation(...)`: summary, request
model, response models. The document is built from the app's URL map and
those declarations, with schemas from the pydantic models the views validate
with, so it can't drift from what the code does. A bridge route without a
declaration is listed by `undocumented()`, and a test keeps that list empty.

The same declaration says whether a route is public (no bearer token):
cloudinary_bridge.auth reads it, so docs and enforcement agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, Union

from flask import Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

ModelOrSchema = Union[type[BaseModel], Mapping[str, Any]]
# A response: a model (JSON), None (no body) or {media type: model or schema}.
ResponseSpec = Union[type[BaseModel], None, Mapping[str, ModelOrSchema]]

TITLE = "AssetLink for Shopify: Cloudinary bridge"
VERSION = "1.0.0"
REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    responses: Mapping[int, ResponseSpec]
    request: type[BaseModel] | None = None
    public: bool = False
    description: str | None = None
    parameters: Sequence[Mapping[str, Any]] = ()
    # Calls Shopify: may answer 502/503 when Shopify fails.
    upstream: bool = False
    # Statuses with a problem document beyond the generic 4XX (e.g. 429).
    problems: Mapping[int, str] = field(default_factory=dict)


def operation(summary: str, *, tag: str, responses: Mapping[int, ResponseSpec],
              request: type[BaseModel] | None = None, public: bool = False, description: str | None = None,
              parameters: Sequence[Mapping[str, Any]] = (), upstream: bool = False,
              problems: Mapping[int, str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi_operation = Operation(  # type: ignore[attr-defined]
            summary=summary, tag=tag, responses=responses, request=request, public=public,
            description=description, parameters=tuple(parameters), upstream=upstream, problems=dict(problems or {}))
        return view
    return mark


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    return getattr(view, "openapi_operation", None)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem document.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "required": ["field", "message"],
                      "properties": {"field": {"type": "string", "description": "e.g. `assets[3].public_id`"},
                                     "message": {"type": "string"}}},
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# shopify_app.json_input's rules, stated in the schema so it is as strict as
# the server: no string or key anywhere holds U+0000 or an unpaired surrogate,
# and a value the models leave open (metadata, context, unknown fields) is
# any JSON built from such strings. Nesting deeper than MAX_DEPTH (32) levels
# in the whole body is refused too; JSON Schema can't state that for a
# recursive value, so the description says it.
# (Unpaired surrogates are no Unicode scalar values, so they are not JSON
# Schema strings at all, and a regex can't name them in every dialect; the
# description says they are refused.)
TEXT_PATTERN = "^[^\\u0000]*$"
JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "title": "JsonValue",
    "description": "Any JSON value. Its strings and keys hold no U+0000 or unpaired surrogate (neither does any "
                   "other string of a request body); numbers fit a "
                   "64-bit double; the whole request body nests at most 32 arrays and objects.",
    "anyOf": [{"type": "string", "pattern": TEXT_PATTERN}, {"type": "number"}, {"type": "boolean"},
              {"type": "null"}, {"type": "array", "items": JSON_VALUE_REF},
              {"type": "object", "propertyNames": {"pattern": TEXT_PATTERN},
               "additionalProperties": JSON_VALUE_REF}],
}


def _state_text_rules(node: Any) -> Any:
    """`node` with the text rules above added wherever strings or open
    objects appear (a pure walk over a JSON Schema)."""
    if isinstance(node, list):
        return [_state_text_rules(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node == {}:
        return dict(JSON_VALUE_REF)  # pydantic's Any
    out = {key: (value if key in ("not", "enum", "const", "examples", "default") else _state_text_rules(value))
           for key, value in node.items()}
    types = out.get("type")
    # A field's own pattern already leaves out NUL (tests check every one).
    if types == "string" and "enum" not in out and "const" not in out and "pattern" not in out:
        out["pattern"] = TEXT_PATTERN
    if types == "object" and out.get("additionalProperties") is not False:
        if out.get("additionalProperties") in (None, True):
            out["additionalProperties"] = dict(JSON_VALUE_REF)
        out.setdefault("propertyNames", {"pattern": TEXT_PATTERN})
    return out


def _state_deployment_rules(schemas: dict[str, Any], *, development: bool) -> None:
    """Rules that depend on the deployment: the webhook URL (https to a
    public host outside development), as jobs.planner.settings states them."""
    from jobs.planner.settings import webhook_url_schema
    rule = webhook_url_schema(development=development)
    for name in ("Settings", "SettingsOverride"):
        field = (schemas.get(name) or {}).get("properties", {}).get("sync_completed_webhook_url")
        if field is None:
            continue
        for branch in field.get("anyOf", [field]):
            if branch.get("type") == "string":
                branch["allOf"] = [*branch.get("allOf", []), rule]
PROBLEM_CONTENT = {"application/problem+json": {"schema": PROBLEM_REF}}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": {"type": "string"}}}


def _bridge_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(OpenAPI path, method, endpoint) of every bridge route."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("bridge."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((path, method.lower(), rule.endpoint))
    return sorted(routes)


def undocumented(app: Flask) -> list[str]:
    return [f"{method.upper()} {path}" for path, method, endpoint in _bridge_routes(app)
            if operation_of(app.view_functions.get(endpoint)) is None]


def _models(ops: Sequence[Operation]) -> list[tuple[type[BaseModel], str]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {}
    for op in ops:
        if op.request is not None:
            wanted[(op.request, "validation")] = None
        for spec in op.responses.values():
            for model in _spec_models(spec):
                wanted[(model, "serialization")] = None
    return list(wanted)


def _spec_models(spec: ResponseSpec) -> list[type[BaseModel]]:
    if spec is None:
        return []
    if isinstance(spec, type) and issubclass(spec, BaseModel):
        return [spec]
    return [v for v in spec.values() if isinstance(v, type) and issubclass(v, BaseModel)]


def build_document(app: Flask) -> dict[str, Any]:
    routes = [(path, method, app.view_functions.get(endpoint)) for path, method, endpoint in _bridge_routes(app)]
    ops = [op for _, _, view in routes if (op := operation_of(view)) is not None]
    key_map, defs = models_json_schema(_models(ops), ref_template=REF)
    schemas: dict[str, Any] = _state_text_rules(dict(defs.get("$defs", {})))
    schemas["JsonValue"] = JSON_VALUE_SCHEMA
    _state_deployment_rules(schemas, development=bool(app.config.get("ASSETLINK_DEVELOPMENT")))
    schemas["Problem"] = PROBLEM_SCHEMA

    def schema_for(model_or_schema: ModelOrSchema, mode: str) -> Mapping[str, Any]:
        if isinstance(model_or_schema, type):
            return _state_text_rules(key_map[(model_or_schema, mode)])
        return model_or_schema

    paths: dict[str, dict[str, Any]] = {}
    for path, method, view in routes:
        op = operation_of(view)
        if op is None:
            continue
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag],
                                 "operationId": getattr(view, "__name__", method + path)}
        if op.description:
            entry["description"] = op.description
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in re.findall(r"{([^}]+)}", path)]
        params += [dict(p) for p in op.parameters]
        if params:
            entry["parameters"] = params
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": schema_for(op.request, "validation")}}}
        responses: dict[str, Any] = {}
        for status, spec in op.responses.items():
            responses[str(status)] = _response(status, spec, schema_for)
        for status, description in op.problems.items():
            responses[str(status)] = {"description": description, "content": PROBLEM_CONTENT}
            if status in (429, 503):
                responses[str(status)]["headers"] = RETRY_AFTER
        if op.upstream:
            responses.setdefault("502", {"description": "Shopify refused or failed the app's request.",
                                         "content": PROBLEM_CONTENT})
            responses.setdefault("503", {"description": "Shopify is throttling or unavailable; retry later.",
                                         "content": PROBLEM_CONTENT, "headers": RETRY_AFTER})
        if not op.public:
            responses.setdefault("401", {"description": "No bearer token, or not a live one.",
                                         "content": PROBLEM_CONTENT})
        responses["4XX"] = {"description": "The request was refused (problem document).", "content": PROBLEM_CONTENT}
        entry["responses"] = responses
        entry["security"] = [] if op.public else [{"bearerAuth": []}]
        paths.setdefault(path, {})[method] = entry

    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "The API the Cloudinary side of AssetLink calls. Errors are RFC 9457 problem "
                                "documents. Limits of every request body: at most 5 MB (413 beyond, also when "
                                "sent chunked); at most 1000 assets per request (422); arrays and objects nested "
                                "at most 32 deep (422, `limit: nesting depth 32`); no string or key holding "
                                "U+0000 or an unpaired surrogate (422 naming the field); numbers within a 64-bit "
                                "double (422); integers in query parameters at most 20 digits and within the "
                                "documented range (400)."},
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                          "description": "A connection token from POST "
                                                                         "/bridge/v1/connect or an API key."}}},
        "security": [{"bearerAuth": []}],
    }


def _response(status: int, spec: ResponseSpec, schema_for: Callable[[ModelOrSchema, str], Any]) -> dict[str, Any]:
    description = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(status, "Response")
    if spec is None:
        return {"description": description}
    if isinstance(spec, type):
        return {"description": description,
                "content": {"application/json": {"schema": schema_for(spec, "serialization")}}}
    return {"description": description,
            "content": {media: {"schema": schema_for(s, "serialization")} for media, s in spec.items()}}


from . import bp  # noqa: E402  (the blueprint module imports this one first)


@bp.get("/openapi.json")
@operation("This document", tag="Meta", public=True,
           responses={200: {"application/json": {"type": "object", "required": ["openapi", "paths"]}}})
def openapi_document():
    return jsonify(build_document(current_app._get_current_object()))
