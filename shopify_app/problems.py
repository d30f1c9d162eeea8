"""RFC 9457 problem documents: the one error shape of every JSON endpoint."""
from __future__ import annotations

from typing import Any, Iterable

from flask import Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE_BASE = "https://assetlink.example/problems/"


class Problem(HTTPException):
    """Raise anywhere in a JSON endpoint to answer with a problem document."""

    def __init__(self, status: int, detail: str, *, title: str | None = None, type_: str | None = None,
                 errors: Iterable[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(description=detail)
        self.code = status
        self.detail = detail
        self.title = title or HTTP_STATUS_CODES.get(status, "Error")
        self.type_ = type_ or (PROBLEM_TYPE_BASE + self.title.lower().replace(" ", "-"))
        self.errors = list(errors) if errors is not None else None
        self.extra_headers = headers or {}
        self.extra = extra

    def get_response(self, environ=None, scope=None) -> Response:  # type: ignore[override]
        return problem_response(self.code, self.detail, title=self.title, type_=self.type_,
                                errors=self.errors, headers=self.extra_headers, **self.extra)


def problem_response(status: int, detail: str, *, title: str | None = None, type_: str | None = None,
                     errors: Iterable[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
                     **extra: Any) -> Response:
    title = title or HTTP_STATUS_CODES.get(status, "Error")
    body: dict[str, Any] = {
        "type": type_ or PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_exception(exc: HTTPException) -> Response:
    """Turn werkzeug's own errors (404, 405, 413, ...) into problem documents."""
    if isinstance(exc, Problem):
        return exc.get_response()
    response = problem_response(exc.code or 500, exc.description or "", title=exc.name)
    for name, value in (exc.get_headers() or []):
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


def wants_problem_document() -> bool:
    """JSON callers (the bridge, the admin's /app/api, anything asking for
    JSON) get problem documents; pages get HTML."""
    from flask import request
    return (request.path.startswith(("/bridge/", "/app/api/", "/webhooks/", "/metrics", "/readyz", "/healthz"))
            or request.accept_mimetypes.best in ("application/json", "application/problem+json"))
