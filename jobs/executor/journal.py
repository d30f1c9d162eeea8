"""The executor's idempotency journal: what it is about to create and what it
created, so a worker killed at any instant resumes without duplicates.

Shopify has no idempotency key on `fileCreate`. The executor therefore writes
down, per (product, asset), the filename and source it is about to send
*before* the call, and the file id *after* it. A resumed run

- reuses a recorded file id (when the file still exists);
- for an intent without a file id (killed during the call, answer lost) looks
  the file up by filename (`files(query: "filename:...")`) and source URL,
  among files no product uses yet, instead of creating it again;
- hands the recorded media to `read_product_states`, so media attached to the
  product but not yet listed in `productmedia_v1` (killed between the attach
  and the metafield write) count as AssetLink's and are not added twice, and
  media taken off a gallery to be re-attached in order (role "reattach",
  `move_by_reattaching`) are seen as still there and put back.

The job that calls `execute` owns the storage (a DB table keyed by sync and
product); `MemoryJournal` is the reference implementation and what tests use.
`complete(product_id)` (or `complete_all`) is called once a product's writes
are all done: its records may then be dropped. Records of a failed product are kept on purpose,
so a retry reuses the files that did get made.

Every method may raise (the DB went away): the executor lets it propagate, and
what was recorded before is enough to resume.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Iterable, Protocol, Sequence

from jobs.planner.request import AssetKey

ROLE_GALLERY = "gallery"
ROLE_SWATCH = "swatch"
ROLE_REATTACH = "reattach"  # existing media taken off a gallery to be put back in order


@dataclass(frozen=True)
class JournalRecord:
    """One file AssetLink makes for one (product, asset, role)."""

    product_id: str
    key: AssetKey                 # (resource_type, type, public_id)
    role: str                     # "gallery" or "swatch"
    filename: str
    source_url: str               # what Shopify fetched (the Cloudinary URL, or the staged upload's resourceUrl)
    delivery_url: str             # the Cloudinary URL the asset was delivered from (equal for images)
    file_id: str | None = None    # set once fileCreate answered
    entry_json: str | None = None  # the productmedia_v1 entry this media will carry (gallery role)
    intended_at: float = 0.0       # unix time the intent was recorded (bounds the resume lookup)
    position: int | None = None    # reattach: the media's place in the target gallery

    @property
    def ident(self) -> tuple[str, AssetKey, str]:
        return (self.product_id, self.key, self.role)


class Journal(Protocol):
    """Persistence for JournalRecords; see the module docstring."""

    def records(self, product_ids: Sequence[str]) -> list[JournalRecord]:
        """Everything recorded for these products by earlier attempts."""

    def intend(self, records: Sequence[JournalRecord]) -> None:
        """About to call fileCreate with these (file_id None). Must be durable on return."""

    def created(self, records: Sequence[JournalRecord]) -> None:
        """fileCreate answered: the same records with `file_id` set."""

    def complete(self, product_id: str) -> None:
        """Every write for this product is done; its records can go."""

    def complete_all(self, product_ids: Sequence[str]) -> None:
        """`complete` for each of these products."""


class MemoryJournal:
    """An in-process Journal (tests, the in-process demo mode)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, AssetKey, str], JournalRecord] = {}
        self.completed: list[str] = []

    def records(self, product_ids: Sequence[str]) -> list[JournalRecord]:
        wanted = set(product_ids)
        with self._lock:
            return [r for r in self._records.values() if r.product_id in wanted]

    def intend(self, records: Sequence[JournalRecord]) -> None:
        with self._lock:
            for record in records:
                old = self._records.get(record.ident)
                # A new intent for the same asset keeps a file an earlier
                # attempt made only if it was for the same source.
                if old is not None and old.file_id and old.delivery_url == record.delivery_url:
                    continue
                self._records[record.ident] = replace(record, file_id=None)

    def created(self, records: Sequence[JournalRecord]) -> None:
        with self._lock:
            for record in records:
                self._records[record.ident] = record

    def complete(self, product_id: str) -> None:
        with self._lock:
            for ident in [i for i in self._records if i[0] == product_id]:
                del self._records[ident]
            self.completed.append(product_id)

    def complete_all(self, product_ids: Sequence[str]) -> None:
        for product_id in product_ids:
            self.complete(product_id)

    def all(self) -> Iterable[JournalRecord]:
        with self._lock:
            return list(self._records.values())
