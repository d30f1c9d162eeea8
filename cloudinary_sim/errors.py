"""Errors as Cloudinary answers them, and problem documents for the control API.

Cloudinary's APIs answer every failure with `{"error": {"message": "..."}}` and
the HTTP status that names the failure class (400 bad request, 401
authorization, 403 not allowed, 404 not found, 409 already exists, 420/429 rate
limited) — `api_error` in Cloudinary's OpenAPI documents
(github.com/cloudinary/api-schemas, asset-management/schema.yml) and the status
map of the SDK (cloudinary/api_client/execute_request.py EXCEPTION_CODES).
Delivery URLs answer an error with an empty body and the reason in the
`X-Cld-Error` header (https://cloudinary.com/documentation/image_transformations
"Error handling": "the X-Cld-Error header contains the error message").
"""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class CloudinaryError(Exception):
    """An API failure, answered as Cloudinary does."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        response = jsonify({"error": {"message": self.message}})
        response.status_code = self.status
        return response


class DeliveryError(Exception):
    """A delivery URL that can't be served: status and X-Cld-Error text."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        response = Response(b"", status=self.status, mimetype="text/plain")
        response.headers["X-Cld-Error"] = self.message
        return response


class ControlProblem(Exception):
    """Bad input to the simulator's own /_sim API: an RFC 9457 problem document."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra

    def response(self) -> Response:
        body = {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail, **self.extra}
        response = jsonify(body)
        response.status_code = self.status
        response.mimetype = "application/problem+json"
        return response


def bad_request(message: str) -> CloudinaryError:
    return CloudinaryError(400, message)


def not_found(message: str) -> CloudinaryError:
    return CloudinaryError(404, message)
