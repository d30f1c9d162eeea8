"""What a Cloudinary notification names (pure): its type, the assets to
read again and the group values it hints at. Nothing in a body is trusted
for what the assets are now: the flush reads them from Cloudinary. Hints
(a metadata change's previous values, removed tags) only ever add groups to
re-link, which is harmless when they are wrong.

Body shapes: https://cloudinary.com/documentation/notifications and the
public AsyncAPI description cloudinary/shared notes (`resources` is a list
in some types and a map keyed by public ID in others: both are accepted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable, Mapping

# notification_type -> the run trigger it counts as
HANDLED = {
    "upload": "upload",
    "restore_asset_version": "upload",
    "resource_metadata_changed": "upload",
    "resource_tags_changed": "upload",
    "resource_context_changed": "upload",
    "resource_display_name_changed": "upload",
    "move": "upload",
    "rename": "upload",
    "delete": "delete",
}
MAX_REFS = 1000
# A Shopify product created or changed (jobs.automation.products): an event of
# its own kind, coalesced with Cloudinary's notifications but not one of them
# (GET /automation/events lists notifications only).
PRODUCT_EVENT = "shopify_product"


class EventOutcome(StrEnum):
    """What became of a notification (the contract's words for
    `GET /automation/events`): joined a sync, ignored with why, or rejected
    (bad signature). `queued` stays until the run it joined is created."""

    QUEUED = "queued"
    IGNORED = "ignored"
    REJECTED = "rejected"


@dataclass
class Notice:
    notification_type: str
    refs: list[dict[str, Any]] = field(default_factory=list)
    hints: list[list[str]] = field(default_factory=list)  # [field, value]: "tags" or a metadata key
    ignored: str | None = None

    @property
    def public_ids(self) -> list[str]:
        return list(dict.fromkeys(r["public_id"] for r in self.refs if r.get("public_id")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= 1024 else None


def _ref(item: Mapping[str, Any], public_id: Any = None) -> dict[str, Any] | None:
    ref = {"asset_id": _text(item.get("asset_id")), "public_id": _text(public_id or item.get("public_id")),
           "resource_type": _text(item.get("resource_type")) or "image", "type": _text(item.get("type")) or "upload"}
    return ref if ref["asset_id"] or ref["public_id"] else None


def _resources(body: Mapping[str, Any]) -> Iterable[tuple[Mapping[str, Any], Any]]:
    """(item, public_id) of `resources`, a list or a map keyed by public ID."""
    resources = body.get("resources")
    if isinstance(resources, list):
        return [(r, r.get("public_id")) for r in resources if isinstance(r, Mapping)]
    if isinstance(resources, Mapping):
        return [(r, r.get("public_id") or key) for key, r in resources.items() if isinstance(r, Mapping)]
    return []


def _hints(item: Mapping[str, Any]) -> list[list[str]]:
    hints: list[list[str]] = []
    previous = item.get("previous_metadata")
    if isinstance(previous, Mapping):
        for key, value in previous.items():
            for each in value if isinstance(value, list) else [value]:
                if isinstance(each, (str, int, float)) and not isinstance(each, bool):
                    hints.append([str(key), str(each)])
    removed = item.get("removed")
    if isinstance(removed, list):
        hints += [["tags", t] for t in removed if isinstance(t, str)]
    return hints


def read_notice(body: Any) -> Notice:
    """The notice a (verified) notification body gives."""
    if not isinstance(body, Mapping):
        return Notice("unknown", ignored="the body is not a JSON object")
    kind = _text(body.get("notification_type")) or "unknown"
    if kind not in HANDLED:
        return Notice(kind[:64], ignored=f"notification type {kind!r} does not change what is linked")
    notice = Notice(kind)
    if kind == "rename":
        for public_id in (body.get("to_public_id"), body.get("from_public_id")):
            if (ref := _ref(body, public_id)) is not None:
                notice.refs.append(ref)
    elif "resources" in body:
        for item, public_id in _resources(body):
            if (ref := _ref(item, public_id)) is not None:
                notice.refs.append(ref)
                notice.hints += _hints(item)
    elif (ref := _ref(body)) is not None:
        notice.refs.append(ref)
    notice.refs = notice.refs[:MAX_REFS]
    notice.hints = notice.hints[:MAX_REFS]
    if not notice.refs:
        notice.ignored = "the notification names no asset"
    return notice
