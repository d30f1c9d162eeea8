"""One `fileUpdate` call (up to 250 rows) and what its answer means for each
product a row was for.

Shopify refuses a whole call for some errors (a file or reference that does
not exist, a file not READY): the rows that caused it are taken out and the
rest sent again. Row-level errors (`field: ["files", i, ...]`) fail that row
only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Mapping

from shopify_app.admin_api import GraphQLErrors, queries

from .files import FILE_UPDATE_COST, READY, file_statuses
from .record import ProductWork, Work

Kind = Literal["remove", "detach", "reattach", "alt", "add"]
MAX_ATTEMPTS = 4
_GID = re.compile(r"gid://shopify/\w+/\d+")


@dataclass(frozen=True)
class Change:
    """What one fileUpdate row does for one product: `detail` is the media
    id, or the asset key for an added new file."""

    product: ProductWork
    kind: Kind
    detail: Any


def send_file_updates(work: Work, batch: list[dict[str, Any]], changes: Mapping[str, list[Change]]) -> None:
    for _attempt in range(MAX_ATTEMPTS):
        if not batch:
            return
        try:
            data = work.client.execute(queries.FILE_UPDATE, {"files": batch}, expected_cost=FILE_UPDATE_COST,
                                       raise_user_errors=False)
        except GraphQLErrors as exc:
            for item in batch:
                _failed(changes, item["id"], f"fileUpdate refused the batch: {exc}")
            return
        errors = (data.get("fileUpdate") or {}).get("userErrors") or []
        by_index, whole = _split_errors(errors)
        if not whole:
            for index, item in enumerate(batch):
                if index in by_index:
                    _failed(changes, item["id"], by_index[index])
                else:
                    _applied(changes, item["id"])
            return
        kept = _without_culprits(work, batch, whole, changes)
        if kept is None:
            message = "; ".join(f"{e.get('message')} ({e.get('code')})" for e in whole)
            for item in batch:
                _failed(changes, item["id"], f"fileUpdate: {message}")
            return
        batch = kept


def _split_errors(errors: list[Mapping[str, Any]]) -> tuple[dict[int, str], list[Mapping[str, Any]]]:
    """Row errors by row index, and the errors that refused the whole call."""
    by_index: dict[int, str] = {}
    whole: list[Mapping[str, Any]] = []
    for error in errors:
        path = error.get("field") or []
        if len(path) >= 2 and str(path[1]).isdigit():
            by_index[int(path[1])] = f"{error.get('message')} ({error.get('code')})"
        else:
            whole.append(error)
    return by_index, whole


def _without_culprits(work: Work, batch: list[dict[str, Any]], whole: list[Mapping[str, Any]],
                      changes: Mapping[str, list[Change]]) -> list[dict[str, Any]] | None:
    """The batch without the rows that made Shopify refuse it (those fail),
    or None when they can't be told apart."""
    codes = {e.get("code") for e in whole}
    named = {g for e in whole for g in _GID.findall(e.get("message") or "")}
    kept: list[dict[str, Any]] = []
    dropped = False
    if codes & {"FILE_DOES_NOT_EXIST", "REFERENCE_TARGET_DOES_NOT_EXIST"} and named:
        message = "; ".join(e.get("message") or "" for e in whole)
        for item in batch:
            refs = set(item.get("referencesToAdd", [])) | set(item.get("referencesToRemove", []))
            if item["id"] in named or refs & named:
                _failed(changes, item["id"], message)
                dropped = True
            else:
                kept.append(item)
    elif "NON_READY_STATE" in codes:
        statuses = file_statuses(work.client, [item["id"] for item in batch])
        for item in batch:
            if statuses.get(item["id"]) == READY:
                kept.append(item)
            else:
                _failed(changes, item["id"], "Non-ready files cannot be updated.")
                dropped = True
    return kept if dropped else None


def _failed(changes: Mapping[str, list[Change]], file_id: str, message: str) -> None:
    for change in changes.get(file_id, []):
        product = change.product
        if change.kind == "remove":
            product.removal_errors[change.detail] = message
        elif change.kind == "detach":
            pass  # still on the gallery: the reorder puts it in place
        elif change.kind == "reattach":
            product.errors.append(f"{change.detail} could not be put back on the product: {message}")
        elif change.kind == "alt":
            product.alt_errors[change.detail] = message
        else:
            product.add_errors[change.detail] = message


def _applied(changes: Mapping[str, list[Change]], file_id: str) -> None:
    for change in changes.get(file_id, []):
        product = change.product
        product.wrote = True
        if change.kind == "remove":
            product.removed.add(file_id)
        elif change.kind == "detach":
            product.detached.add(file_id)
        elif change.kind == "reattach":
            product.reattached.add(file_id)
