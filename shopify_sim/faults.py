"""Faults a test can inject into one shop through the control API.

Request faults answer the next N Admin API requests (optionally only those of
one operation name) with:
- "500": HTTP 500, as an upstream outage does;
- "internal_error": HTTP 200 with Shopify's INTERNAL_SERVER_ERROR GraphQL error;
- "timeout": the response is held for `seconds` (default 30) and then answered
  HTTP 504, so a client with a shorter timeout sees a timeout;
- "throttle": Shopify's THROTTLED answer (HTTP 200, bucket reported empty);
- "429": HTTP 429 with Retry-After, as Shopify's edge answers floods.
File faults make files whose source URL or filename contains `match` fail
processing with `code` (a MediaErrorCode/FileErrorCode), `count` times
(default: until cleared).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

REQUEST_KINDS = ("500", "internal_error", "timeout", "throttle", "429")


class FaultError(ValueError):
    """Bad fault specification (answered 422 by the control API)."""


@dataclass
class RequestFault:
    kind: str
    remaining: int
    operation: Optional[str] = None
    seconds: float = 30.0


@dataclass
class FileFault:
    match: str
    code: str
    remaining: Optional[int] = None  # None: every matching file


@dataclass
class Faults:
    requests: list[RequestFault] = field(default_factory=list)
    files: list[FileFault] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": [vars(f).copy() for f in self.requests],
            "files": [vars(f).copy() for f in self.files],
        }


def add(faults: Faults, spec: dict[str, Any]) -> None:
    """Queue one fault from its control-API JSON."""
    if not isinstance(spec, dict):
        raise FaultError("a fault is a JSON object")
    kind = spec.get("kind")
    if kind == "file_failure":
        match = spec.get("match")
        if not isinstance(match, str) or not match:
            raise FaultError("file_failure needs 'match' (a substring of the source URL or filename)")
        code = spec.get("code", "IMAGE_DOWNLOAD_FAILURE")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise FaultError("'count' must be a positive integer")
        faults.files.append(FileFault(match=match, code=str(code), remaining=count))
        return
    if kind not in REQUEST_KINDS:
        raise FaultError(f"'kind' must be one of {', '.join(REQUEST_KINDS + ('file_failure',))}")
    count = spec.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise FaultError("'count' must be a positive integer")
    seconds = spec.get("seconds", 30.0)
    if not isinstance(seconds, (int, float)) or seconds < 0:
        raise FaultError("'seconds' must be a non-negative number")
    operation = spec.get("operation")
    if operation is not None and not isinstance(operation, str):
        raise FaultError("'operation' must be an operation name")
    faults.requests.append(RequestFault(kind=kind, remaining=count, operation=operation, seconds=float(seconds)))


def take_request_fault(faults: Faults, operation_name: Optional[str]) -> Optional[RequestFault]:
    """The fault the next request answers with, if any (consumes one use)."""
    for fault in faults.requests:
        if fault.operation is not None and fault.operation != operation_name:
            continue
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.requests.remove(fault)
        return fault
    return None


def file_fail_code(faults: Optional[Faults], *candidates: Optional[str]) -> Optional[str]:
    """The error code a new or replaced file fails with, if a file fault matches."""
    if faults is None:
        return None
    for fault in faults.files:
        if any(c and fault.match in c for c in candidates):
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.files.remove(fault)
            return fault.code
    return None
