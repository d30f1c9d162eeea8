"""Typed failures of the Admin API, so callers can tell "try later" from
"Shopify refused this input" from "this shop can't be reached"."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


class AdminApiError(Exception):
    """Any failure talking to a shop's Admin API."""

    def __init__(self, message: str, *, status: int | None = None, errors: Sequence[dict[str, Any]] = (),
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = list(errors)
        # Seconds after which trying again can succeed, when the client knows
        # (it gave up rather than wait that long: AdminApiClient's max_wait).
        self.retry_after = retry_after

    @property
    def codes(self) -> list[str]:
        return [str((e.get("extensions") or {}).get("code")) for e in self.errors
                if (e.get("extensions") or {}).get("code")]


class TransientError(AdminApiError):
    """5xx, timeouts, dropped connections: still failing after every retry."""


class ThrottledError(TransientError):
    """Still THROTTLED (or HTTP 429) after every retry."""


class AuthenticationError(AdminApiError):
    """The shop rejected our token even after it was refreshed."""


class GraphQLErrors(AdminApiError):
    """Top-level `errors`: the document, its variables or our access were refused."""


@dataclass(frozen=True)
class UserError:
    field: tuple[str, ...] | None
    message: str
    code: str | None = None

    @classmethod
    def from_payload(cls, raw: dict[str, Any]) -> "UserError":
        field = raw.get("field")
        return cls(field=tuple(str(p) for p in field) if field else None,
                   message=str(raw.get("message") or ""), code=raw.get("code"))


class UserErrors(AdminApiError):
    """A mutation answered with `userErrors` (or `mediaUserErrors`).

    `data` keeps the whole response: some mutations apply the valid part of
    a batch and report only the rest.
    """

    def __init__(self, root_field: str, user_errors: Sequence[UserError], data: dict[str, Any]) -> None:
        summary = "; ".join(
            (".".join(e.field) + ": " if e.field else "") + e.message for e in user_errors[:5])
        super().__init__(f"{root_field} rejected the input: {summary}")
        self.root_field = root_field
        self.user_errors = list(user_errors)
        self.data = data
