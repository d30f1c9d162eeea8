"""Helpers every resolver module shares: errors, pagination, user errors,
access scopes."""
from __future__ import annotations

import base64
import bisect
import contextvars
import json
import re
from typing import Any, Callable, Iterable, Optional, Sequence

from graphql import GraphQLError

from ..limits import MAX_INPUT_SIZE, MAX_PAGE_SIZE  # noqa: F401  (re-exported)
ACCESS_SCOPES_DOC = "https://shopify.dev/api/usage/access-scopes"


def error(message: str, code: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


def bad_request(message: str) -> GraphQLError:
    return error(message, "BAD_REQUEST")


def not_implemented(type_name: str, field_name: str) -> GraphQLError:
    where = field_name if type_name in ("QueryRoot", "Mutation") else f"{type_name}.{field_name}"
    return error(f"Field '{where}' is not implemented by the AssetLink Shopify simulator",
                 "NOT_IMPLEMENTED", typeName=type_name, fieldName=field_name)


def user_error(field: Optional[Sequence[Any]], message: str, code: Optional[str] = None,
               **extra: Any) -> dict[str, Any]:
    """One userErrors entry. `field` paths are strings, as Shopify sends them
    (["files", "0", "alt"])."""
    out: dict[str, Any] = {"field": None if field is None else [str(p) for p in field], "message": message}
    if code is not None:
        out["code"] = code
    out.update(extra)
    return out


# -- access scopes ---------------------------------------------------------
_SCOPE_RE = re.compile(r"`((?:unauthenticated_)?(?:read|write)_[a-z0-9_]+)`")


def granted_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes a token effectively holds: write_X implies read_X."""
    out: set[str] = set()
    for raw in scopes:
        for scope in str(raw).split(","):
            scope = scope.strip()
            if not scope:
                continue
            out.add(scope)
            if scope.startswith("write_"):
                out.add("read_" + scope[len("write_"):])
            elif scope.startswith("unauthenticated_write_"):
                out.add("unauthenticated_read_" + scope[len("unauthenticated_write_"):])
    return frozenset(out)


def required_scopes(required_access: Optional[str]) -> tuple[str, ...]:
    """The access scopes a schema `requiredAccess` text names; any one of
    them suffices ("`write_files` access scope, `write_themes` access scope
    or `write_images` access scope"). Empty when the text names none (then
    the requirement is a per-resource rule the resolver enforces)."""
    if not required_access:
        return ()
    return tuple(dict.fromkeys(_SCOPE_RE.findall(required_access)))


def access_denied(field_name: str, required_access: Optional[str] = None) -> GraphQLError:
    message = f"Access denied for {field_name} field."
    extensions: dict[str, Any] = {"documentation": ACCESS_SCOPES_DOC}
    if required_access:
        message += f" Required access: {required_access}"
        extensions["requiredAccess"] = required_access
    return error(message, "ACCESS_DENIED", **extensions)


def has_any_scope(ctx: Any, scopes: Iterable[str]) -> bool:
    granted = granted_scopes(ctx.token.scopes)
    return any(s in granted for s in scopes)


# -- pagination ------------------------------------------------------------
# A sort value that is null: Shopify's cursor then names the id alone
# (captured: `{"last_id":7749063934258}` for a bulk operation without completedAt).
NO_SORT_VALUE = object()
# While a bulk operation reads the store, a connection without `first`/`last`
# is read whole (bulk/export.py); everywhere else one of them is required.
UNBOUNDED = contextvars.ContextVar("unbounded_connections", default=False)


def encode_cursor(key: Any, value: Any = None) -> str:
    """Shopify's cursor: base64 of compact JSON naming the last id and the
    sort value there (`{"last_id":1,"last_value":"1"}`)."""
    payload = {"last_id": key} if value is NO_SORT_VALUE else \
        {"last_id": key, "last_value": key if value is None else value}
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def cursor_value(value: Any, *, indexed: bool, moment: bool = False) -> Any:
    """A sort value as a cursor's `last_value`. Shopify answers a list either
    from its database or from its search index, and their cursors differ
    (every capture agrees): the database writes the value as a string — the
    id (`"10231260152114"`), a position (`"1"`), a time to the microsecond
    (`"2026-07-04 04:15:10.000000"`) — the search index the raw value — the
    id as a number, a time in epoch milliseconds (`1776430361000`)."""
    if moment:
        if indexed:
            return int(round(value * 1000))
        from datetime import datetime, timezone
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value if indexed else str(value)


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.b64decode(padded.encode(), validate=True))
        return data["last_id"]
    except Exception:
        raise bad_request("Malformed cursor") from None


def check_page_args(args: dict[str, Any]) -> dict[str, Any]:
    """The page arguments after Shopify's checks (BAD_REQUEST when missing,
    both given or over the page size); in a bulk read, none means every item."""
    first, last = args.get("first"), args.get("last")
    if UNBOUNDED.get() and first is None and last is None:
        return {**args, "first": 1 << 62}
    if first is None and last is None:
        raise bad_request("you must provide one of first or last")
    if first is not None and last is not None:
        raise bad_request("providing both first and last is not supported")
    for name in ("first", "last"):
        size = args.get(name)
        if size is not None and size > MAX_PAGE_SIZE:
            raise bad_request(f"The value of '{name}' ({size}) exceeds the maximum page size of {MAX_PAGE_SIZE}.")
        if size is not None and size < 0:
            raise bad_request(f"The value of '{name}' must be positive.")
    return args


def connection(items: Sequence[Any], args: dict[str, Any], *, key: Callable[[Any], Any],
               node: Callable[[Any], Any], keys_sorted: bool = False,
               sort_value: Optional[Callable[[Any], Any]] = None) -> dict[str, Any]:
    """A Relay connection page over `items` (already filtered and ordered).

    Cursors carry the item's key; `keys_sorted` says the keys ascend in
    `items`, so a cursor whose item has since disappeared still finds its
    place."""
    args = check_page_args(args)
    # Only the page is looked at: a cursor is found by bisection when the
    # keys ascend, else by one pass; nothing is built for the whole list
    # without a cursor (a page of a 100,000-product store costs the page).
    position: Optional[dict[Any, int]] = None

    def locate(cursor: str, after: bool) -> int:
        nonlocal position
        k = decode_cursor(cursor)
        if keys_sorted:
            try:
                at = bisect.bisect_left(items, k, key=key)
            except TypeError:
                raise bad_request("Malformed cursor") from None
            found = at < len(items) and key(items[at]) == k
            return at + 1 if after and found else at
        if position is None:
            position = {key(item): n for n, item in enumerate(items)}
        if k in position:
            return position[k] + 1 if after else position[k]
        raise bad_request("Malformed cursor")

    start, end = 0, len(items)
    if args.get("after"):
        start = max(start, locate(args["after"], True))
    if args.get("before"):
        end = min(end, locate(args["before"], False))
    start = min(start, end)
    if args.get("first") is not None:
        page_start, page_end = start, min(end, start + args["first"])
    else:
        page_start, page_end = max(start, end - args["last"]), end
    page = items[page_start:page_end]
    page_keys = [key(i) for i in page]
    nodes = [node(i) for i in page]
    values = [sort_value(i) for i in page] if sort_value is not None else [None] * len(page)
    edges = [{"cursor": encode_cursor(k, v), "node": n} for k, v, n in zip(page_keys, values, nodes)]
    return {
        "edges": edges,
        "nodes": nodes,
        "pageInfo": {
            # Shopify reports neighbours in the whole filtered list, whichever
            # direction the page was read in.
            "hasNextPage": page_end < len(items),
            "hasPreviousPage": page_start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def count(n: int, limit: Optional[int] = None) -> dict[str, Any]:
    if limit is not None and n > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": n, "precision": "EXACT"}
