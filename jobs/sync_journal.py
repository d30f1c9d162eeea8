"""The executor's journal in the database (jobs.executor.journal.Journal).

Each method commits before it returns: `intend` must be durable before the
executor calls fileCreate, or a worker killed during the call would leave no
trace of what it asked for. Records are stored whole (as JSON), so fields the
executor adds to JournalRecord round-trip without a schema change.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Sequence

from sqlalchemy import delete, select

from shopify_app.extensions import db
from shopify_app.models import MediaJournal

from .executor.journal import JournalRecord

_FIELDS = {f.name for f in dataclasses.fields(JournalRecord)}


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

    def _row(self, record: JournalRecord) -> MediaJournal | None:
        return db.session.scalars(select(MediaJournal).where(
            MediaJournal.shop_id == self.shop_id,
            MediaJournal.ident_hash == ident_hash(record.product_id, record.key, record.role))).first()

    def _store(self, record: JournalRecord) -> None:
        row = self._row(record)
        if row is None:
            row = MediaJournal(shop_id=self.shop_id, product_id=record.product_id,
                               ident_hash=ident_hash(record.product_id, record.key, record.role))
            db.session.add(row)
        row.record = to_json(record)

    def intend(self, records: Sequence[JournalRecord]) -> None:
        for record in records:
            old = self._row(record)
            # A file an earlier attempt made is kept only for the same source.
            if old is not None and old.record.get("file_id") and \
                    old.record.get("delivery_url") == record.delivery_url:
                continue
            self._store(dataclasses.replace(record, file_id=None))
        db.session.commit()

    def created(self, records: Sequence[JournalRecord]) -> None:
        for record in records:
            self._store(record)
        db.session.commit()

    def complete(self, product_id: str) -> None:
        db.session.execute(delete(MediaJournal).where(MediaJournal.shop_id == self.shop_id,
                                                      MediaJournal.product_id == product_id))
        db.session.commit()
