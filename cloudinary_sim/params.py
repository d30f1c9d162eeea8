"""Reading request parameters the way Cloudinary's APIs take them.

Upload API: a multipart or url-encoded form (or a JSON body), arrays as
repeated `name[]` fields (the SDK's `call_api`), the file as the `file` field
(bytes, a remote URL or a data URI). Admin API: query parameters for GET
(arrays as `name[]`, booleans as `true`/`false`: the SDK's `bracketize_seq` and
`normalize_params`) and a JSON body otherwise (`call_json_api`).

Pipe-separated maps (`context`, `metadata`: "key=value|key2=value2") follow the
Upload API reference (https://cloudinary.com/documentation/image_upload_api_reference
#upload_optional_parameters): "The = and | characters can be supported as values
when escaped with a prepended backslash"; the SDK's `encode_context` writes
lists as JSON.
"""
from __future__ import annotations

import json
from typing import Any, Union

from flask import Request

from .errors import bad_request

Value = Union[str, list[str]]
FileParam = Union[tuple[str, bytes], str, None]


def _add(params: dict[str, Value], key: str, value: str) -> None:
    if key.endswith("[]"):
        existing = params.setdefault(key[:-2], [])
        if isinstance(existing, list):
            existing.append(value)
        return
    params[key] = value


def upload_params(request: Request) -> tuple[dict[str, Value], FileParam]:
    """The Upload API call's parameters (everything but the file) and the file."""
    params: dict[str, Value] = {}
    upload: FileParam = None
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON body")
        for key, value in body.items():
            if key == "file":
                upload = str(value)
            elif isinstance(value, list):
                params[key.removesuffix("[]")] = [_scalar(v) for v in value]
            elif value is not None:
                params[key] = _scalar(value)
        return params, upload
    for key, values in request.form.lists():
        for value in values:
            if key == "file":
                upload = value
            else:
                _add(params, key, value)
    stored = request.files.get("file")
    if stored is not None:
        upload = (stored.filename or "file", stored.read())
    return params, upload


def admin_params(request: Request) -> dict[str, Any]:
    """Query parameters merged with a JSON body (the body wins)."""
    params: dict[str, Any] = {}
    for key, values in request.args.lists():
        for value in values:
            _add(params, key, value)
    if request.data:
        if not request.is_json:
            # The SDK sends form fields for a few non-JSON calls.
            for key, values in request.form.lists():
                for value in values:
                    _add(params, key, value)
            return params
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON body")
        for key, value in body.items():
            params[key.removesuffix("[]")] = value
    return params


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def as_bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    """Cloudinary booleans: true/false or 1/0 (the SDK sends "1"/"0" to the
    Upload API and "true"/"false" to the Admin API)."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise bad_request(f"Invalid value {value} for parameter {name}")


def as_int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise bad_request(f"Invalid value {value} for parameter {name}") from None
    if not low <= number <= high:
        raise bad_request(f"Invalid value {value} for parameter {name}, must be between {low} and {high}")
    return number


def as_list(params: dict[str, Any], name: str) -> list[str]:
    """An array parameter: `name[]` fields, a JSON array, or one comma-separated string."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def split_tags(value: Any) -> list[str]:
    """`tags`: a comma-separated list of tag names, or an array (tags_param in the
    Upload API schema). Blank names are dropped, duplicates kept once."""
    items = value if isinstance(value, list) else str(value).split(",")
    tags: list[str] = []
    for item in items:
        name = str(item).strip()
        if name and name not in tags:
            tags.append(name)
    return tags


def parse_pipe_map(value: Any, name: str) -> dict[str, Any]:
    """`key=value|key2=value2` with `\\=`, `\\|` (and `\\\\`, `\\"`) escapes; a JSON
    object or a dict is accepted too (the schema's map form)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    text = str(value)
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return {str(k): v for k, v in parsed.items()}
    pairs: dict[str, Any] = {}
    for chunk in _split_unescaped(text, "|"):
        if chunk == "":
            continue
        parts = _split_unescaped(chunk, "=", maxsplit=1)
        if len(parts) != 2 or parts[0].strip() == "":
            raise bad_request(f"Invalid {name} - {chunk}")
        pairs[_unescape(parts[0]).strip()] = _unescape(parts[1])
    return pairs


def _split_unescaped(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)
