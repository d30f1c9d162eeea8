"""Problem documents for the bridge: request parsing, validation errors with
field paths, and the blueprint's error handlers.

Every answer that is not a success is `application/problem+json`
(shopify_app.problems); bad input is a 4xx and never reaches the database.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence, TypeVar

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shopify_app import json_input
from shopify_app.admin_api import AdminApiError, AuthenticationError, ThrottledError, TransientError
from shopify_app.problems import PROBLEM_TYPE_BASE, Problem, from_http_exception, problem_response

log = logging.getLogger("cloudinary_bridge")

MAX_ASSETS = 1000
MAX_BODY_MB = 5

Model = TypeVar("Model", bound=BaseModel)


def field_path(loc: Sequence[Any]) -> str:
    """pydantic's ('assets', 3, 'public_id') -> 'assets[3].public_id'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


# pydantic puts the failing member of a Union into `loc` ("str", "int",
# "constrained-str", "function-after[...]"); they are not part of the path.
_UNION_TAGS = {"str", "int", "float", "bool", "none", "list", "dict"}


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or "[" in part or part.startswith(
        ("constrained-", "function-", "lax-or-strict", "json-or-python", "nullable", "tagged-union", "model-")))


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    # "Value error, ..." is pydantic's prefix for our own validators' messages.
    return message.removeprefix("Value error, ")


def validation_problem(exc: ValidationError, *, prefix: Sequence[Any] = ()) -> Problem:
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False, include_input=False):
        loc = [p for p in error.get("loc", ()) if not _is_union_tag(p)]
        path = field_path([*prefix, *loc]) or "body"
        # A union reports each member's failure; one message per field is enough.
        if path not in seen:
            seen.add(path)
            errors.append({"field": path, "message": _message(error)})
    limit = next((e for e in exc.errors(include_url=False) if e.get("type") == "too_long"
                  and e.get("ctx", {}).get("max_length") == MAX_ASSETS), None)
    if limit is not None:
        return invalid_body(errors, f"At most {MAX_ASSETS} items per request (the Cloudinary selection limit); "
                                    "see `errors`.")
    return invalid_body(errors)


def invalid_body(errors: list[dict[str, str]], detail: str = "The request body is not valid; see `errors`."
                 ) -> Problem:
    """The 422 for a body that parsed but breaks the contract, each error naming its field."""
    return Problem(422, detail, title="Unprocessable Content", type_=PROBLEM_TYPE_BASE + "validation-error",
                   errors=errors)


def json_body() -> Any:
    """The request's JSON body (shopify_app.json_input: size, UTF-8, depth,
    text PostgreSQL can store); a problem document otherwise."""
    return json_input.json_body()


def parse_body(model: type[Model], *, context: Mapping[str, Any] | None = None) -> Model:
    """The JSON body validated as `model`; a 422 with field paths if it isn't."""
    data = json_body()
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise validation_problem(exc) from None


def upstream_problem(exc: AdminApiError) -> Problem:
    """Shopify failed us; say so without leaking internals. Retry-After is
    the client's own estimate when it gave up rather than wait that long."""
    retry_after = str(int(exc.retry_after)) if exc.retry_after else "5"
    if isinstance(exc, ThrottledError):
        return Problem(503, "Shopify is rate limiting this store; try again shortly.",
                       title="Service Unavailable", headers={"Retry-After": retry_after})
    if isinstance(exc, AuthenticationError):
        return Problem(502, "Shopify refused the app's access to this store; the merchant must open the app in "
                            "the Shopify admin to reauthorize it.", title="Bad Gateway")
    if isinstance(exc, TransientError):
        return Problem(503, "Shopify did not answer; try again shortly.", title="Service Unavailable",
                       headers={"Retry-After": retry_after})
    return Problem(502, "Shopify rejected the request the app made.", title="Bad Gateway")


def register(bp: Blueprint) -> None:
    @bp.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return problem_response(413, f"The request body is larger than {MAX_BODY_MB} MB.",
                                title="Content Too Large", type_=PROBLEM_TYPE_BASE + "body-too-large",
                                limit=f"{MAX_BODY_MB} MB")

    @bp.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> Response:
        return validation_problem(exc).get_response()

    @bp.errorhandler(AdminApiError)
    def upstream(exc: AdminApiError) -> Response:
        log.warning("Admin API call failed: %s (%s)", exc, type(exc).__name__)
        return upstream_problem(exc).get_response()

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return from_http_exception(exc)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # PostgreSQL or Redis unreachable: a 503 with Retry-After, not a bug.
        # (This catch-all is found before the app's handlers for those errors.)
        from shopify_app import outages
        if outages.is_outage(exc):
            return outages.handle_outage(exc)
        # A bug, not bad input: keep the detail in the log, not the answer.
        log.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        from shopify_app.extensions import db
        db.session.rollback()
        return problem_response(500, "Something went wrong on our side; it has been logged.")

