"""Reading a JSON request body: the one way every JSON endpoint of the app
(the bridge, the embedded admin's API, Shopify's webhooks) turns bytes into
data, so a rule about what the app accepts holds everywhere at once.

The body is refused at the door, before anything is hashed, stored or
queued, when it is

- larger than MAX_CONTENT_LENGTH (5 MB) — also when it arrives chunked,
  without a Content-Length (413);
- not UTF-8 JSON, or uses NaN/Infinity, which JSON doesn't have (400);
- nested deeper than MAX_DEPTH arrays/objects (422), because every later
  step (job arguments, the JSON columns, the planner) walks it recursively;
- holding a number too large for a double (`1e999` reads as infinity, which
  PostgreSQL's json type refuses) (422);
- holding text PostgreSQL or UTF-8 can't store, in any key or value (422):
  U+0000 (PostgreSQL text and jsonb can't hold it) and unpaired surrogates
  U+D800-U+DFFF (a JSON `"\\ud800"` escape decodes to one; it can't be
  encoded as UTF-8, so hashing or storing it fails).

The checks are pure functions (`parse`, `first_bad_value`, `text_problem`)
with a thin request wrapper (`read_body`, `json_body`).
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterator

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from .problems import PROBLEM_TYPE_BASE, Problem

# Arrays and objects inside one another. The deepest body the contract needs
# is a sync's `assets[i].context.custom.<key>` (5); Cloudinary's metadata and
# context are flat key/value maps. 32 leaves room for clients' extra fields.
MAX_DEPTH = 32


class JsonInputError(ValueError):
    """Why a body was refused: `status` 400 (not JSON) or 422 (JSON the app
    can't take), `field` the path of the offending value, if any."""

    def __init__(self, status: int, message: str, *, field: str | None = None, limit: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.limit = limit


# -- pure checks ----------------------------------------------------------------------------------

def text_problem(value: str) -> str | None:
    """Why `value` can't be stored as text, or None."""
    if "\x00" in value:
        return "must not contain NUL (U+0000)"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "must not contain an unpaired surrogate (U+D800-U+DFFF)"
    return None


def _path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _walk(data: Any) -> Iterator[tuple[str, int, Any, bool]]:
    """(path, depth, value, is_key) of every value and key, depth-first
    without recursion (a deep body must not exhaust the stack here either)."""
    stack: list[tuple[str, int, Any]] = [("", 0, data)]
    while stack:
        path, depth, value = stack.pop()
        yield path, depth, value, False
        if isinstance(value, dict):
            for key in reversed(list(value)):
                yield _path(path, key), depth + 1, key, True
                stack.append((_path(path, key), depth + 1, value[key]))
        elif isinstance(value, list):
            for index in range(len(value) - 1, -1, -1):
                stack.append((_path(path, index), depth + 1, value[index]))


def first_bad_value(data: Any, *, max_depth: int = MAX_DEPTH) -> JsonInputError | None:
    """The first thing in parsed JSON the app can't take, in document order."""
    for path, depth, value, is_key in _walk(data):
        # `depth` counts the containers around a value: the body's own object
        # is level 1, so a container at depth d is level d + 1.
        if isinstance(value, (dict, list)) and depth + 1 > max_depth:
            return JsonInputError(422, f"The body is nested deeper than {max_depth} levels.",
                                  field=path or "body", limit=f"nesting depth {max_depth}")
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return JsonInputError(422, ("a key " if is_key else "") + problem, field=path or "body")
        elif isinstance(value, float) and not math.isfinite(value):
            return JsonInputError(422, "is a number too large to represent (beyond a 64-bit double)",
                                  field=path or "body")
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`raw` as JSON the app can take; JsonInputError otherwise."""
    if not raw.strip():
        raise JsonInputError(400, "The request body is empty; send a JSON object.")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise JsonInputError(422, f"The body is nested deeper than {max_depth} levels.",
                             limit=f"nesting depth {max_depth}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        detail = "The request body is not valid UTF-8 JSON"
        if isinstance(exc, json.JSONDecodeError):
            detail += f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        raise JsonInputError(400, detail + "; send a JSON object.") from None
    problem = first_bad_value(data, max_depth=max_depth)
    if problem is not None:
        raise problem
    return data


# -- the request ----------------------------------------------------------------------------------

def read_body() -> bytes:
    """The raw body, at most MAX_CONTENT_LENGTH bytes; 413 beyond.

    With a Content-Length over the limit werkzeug raises 413 itself. A
    chunked body (no Content-Length; the server sets wsgi.input_terminated)
    is read through a stream capped at the limit that stops there without an
    error, which would hand on a truncated body; so when the cap was reached,
    one more byte from the server's stream tells "exactly the limit" from
    "more than the limit".
    """
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(raw) >= limit:
        if request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge()
    return raw


def problem_for(error: JsonInputError) -> Problem:
    """The problem document for a refused body."""
    if error.status == 400:
        return Problem(400, error.message, title="Bad Request", type_=PROBLEM_TYPE_BASE + "malformed-json")
    extra: dict[str, Any] = {"limit": error.limit} if error.limit else {}
    errors = [{"field": error.field or "body", "message": error.message}]
    detail = error.message if error.limit else "The request body is not valid; see `errors`."
    return Problem(422, detail, title="Unprocessable Content", type_=PROBLEM_TYPE_BASE + "validation-error",
                   errors=errors, **extra)


def json_body() -> Any:
    """The request's JSON body under the rules above; a problem document
    (400, 413, 415 or 422) otherwise."""
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(415, "Send the body as application/json.", title="Unsupported Media Type")
    try:
        return parse(read_body())
    except JsonInputError as exc:
        raise problem_for(exc) from None
