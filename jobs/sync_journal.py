"""The executor's journal in the database (jobs.executor.journal.Journal).

Each method commits before it returns: `intend` must be durable before the
executor calls fileCreate, or a worker killed during the call would leave no
trace of what it asked for. Each reads and writes a whole chunk's records in
a few statements, not one per record. Records are stored whole (as JSON), so fields the
executor adds to JournalRecord round-trip without a schema change.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Sequence

from sqlalchemy import delete, insert, select, update

from shopify_app.extensions import db
from shopify_app.models import MediaJournal, utcnow

from .executor.journal import JournalRecord

_FIELDS = {f.name for f in dataclasses.fields(JournalRecord)}
IN_LIST = 500   # values per IN (...) list


def ident_hash(product_id: str, key: Sequence[str], role: str) -> str:
    raw = json.dumps([product_id, list(key), role], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def to_json(record: JournalRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    data["key"] = list(record.key)
    return data


def from_json(data: dict[str, Any]) -> JournalRecord:
    values = {k: v for k, v in data.items() if k in _FIELDS}
    values["key"] = tuple(values["key"])
    return JournalRecord(**values)


class SyncJournal:
    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id

    def records(self, product_ids: Sequence[str]) -> list[JournalRecord]:
        if not product_ids:
            return []
        rows = db.session.scalars(select(MediaJournal).where(MediaJournal.shop_id == self.shop_id,
                                                             MediaJournal.product_id.in_(list(product_ids)))
                                  .order_by(MediaJournal.id)).all()
        return [from_json(row.record) for row in rows]

    def _stored(self, records: Sequence[JournalRecord]) -> dict[str, tuple[int, dict[str, Any]]]:
        """(row id, stored record) of these records, by ident hash (one query per 500)."""
        hashes = list({ident_hash(r.product_id, r.key, r.role) for r in records})
        stored: dict[str, tuple[int, dict[str, Any]]] = {}
        for start in range(0, len(hashes), IN_LIST):
            for row_id, key, record in db.session.execute(select(
                    MediaJournal.id, MediaJournal.ident_hash, MediaJournal.record).where(
                    MediaJournal.shop_id == self.shop_id, MediaJournal.ident_hash.in_(hashes[start:start + IN_LIST]))):
                stored[key] = (row_id, record)
        return stored

    def _write(self, records: Sequence[JournalRecord], *, keep_made: bool) -> None:
        """Insert or replace these records in one multi-row INSERT and one
        UPDATE by id; with `keep_made`, a record whose earlier attempt made a
        file for the same source is left as it is."""
        # Row id (None: inserted by this call) and record, as each record of
        # the batch leaves it: a later record for the same asset is judged
        # against an earlier one of the same batch, as applying them one by one would.
        stored: dict[str, tuple[int | None, dict[str, Any]]] = dict(self._stored(records))
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[int, dict[str, Any]] = {}
        now = utcnow()
        for record in records:
            key = ident_hash(record.product_id, record.key, record.role)
            old = stored.get(key)
            if keep_made and old is not None and old[1].get("file_id") and \
                    old[1].get("delivery_url") == record.delivery_url:
                continue
            if keep_made:
                record = dataclasses.replace(record, file_id=None)
            row_id = old[0] if old is not None else None
            if row_id is None:
                inserts[key] = {"shop_id": self.shop_id, "product_id": record.product_id, "ident_hash": key,
                                "record": to_json(record), "updated_at": now}
            else:
                updates[row_id] = {"id": row_id, "record": to_json(record), "updated_at": now}
            stored[key] = (row_id, to_json(record))
        if inserts:
            db.session.execute(insert(MediaJournal), list(inserts.values()))
        if updates:
            db.session.execute(update(MediaJournal), list(updates.values()))
        db.session.commit()

    def intend(self, records: Sequence[JournalRecord]) -> None:
        # A file an earlier attempt made is kept only for the same source.
        self._write(records, keep_made=True)

    def created(self, records: Sequence[JournalRecord]) -> None:
        self._write(records, keep_made=False)

    def complete(self, product_id: str) -> None:
        self.complete_all([product_id])

    def complete_all(self, product_ids: Sequence[str]) -> None:
        ids = list(product_ids)
        if not ids:
            return
        for start in range(0, len(ids), IN_LIST):
            db.session.execute(delete(MediaJournal).where(MediaJournal.shop_id == self.shop_id,
                                                          MediaJournal.product_id.in_(ids[start:start + IN_LIST])))
        db.session.commit()
