"""The executor's journal in the database (jobs.executor.journal.Journal).

Each method commits before it returns: `intend` must be durable before the
executor calls fileCreate, or a worker killed during the call would leave no
trace of what it asked for.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Sequence

from sqlalchemy import delete, select

from shopify_app.extensions import db
from shopify_app.models import MediaJournal

from .executor.journal import JournalRecord


def ident_hash(product_id: str, key: Sequence[str], role: str) -> str:
    raw = json.dumps([product_id, list(key), role], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _record(row: MediaJournal) -> JournalRecord:
    return JournalRecord(product_id=row.product_id, key=(row.resource_type, row.delivery_type, row.public_id),
                         role=row.role, filename=row.filename, source_url=row.source_url,
                         delivery_url=row.delivery_url, file_id=row.file_id, entry_json=row.entry_json,
                         intended_at=row.intended_at)


class SyncJournal:
    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id

    def records(self, product_ids: Sequence[str]) -> list[JournalRecord]:
        if not product_ids:
            return []
        rows = db.session.scalars(select(MediaJournal).where(MediaJournal.shop_id == self.shop_id,
                                                             MediaJournal.product_id.in_(list(product_ids)))).all()
        return [_record(row) for row in rows]

    def _row(self, record: JournalRecord) -> MediaJournal | None:
        return db.session.scalars(select(MediaJournal).where(
            MediaJournal.shop_id == self.shop_id,
            MediaJournal.ident_hash == ident_hash(record.product_id, record.key, record.role))).first()

    def _store(self, record: JournalRecord) -> None:
        row = self._row(record)
        if row is None:
            row = MediaJournal(shop_id=self.shop_id,
                               ident_hash=ident_hash(record.product_id, record.key, record.role))
            db.session.add(row)
        row.product_id = record.product_id
        row.resource_type, row.delivery_type, row.public_id = record.key
        row.role = record.role
        row.filename = record.filename
        row.source_url = record.source_url
        row.delivery_url = record.delivery_url
        row.file_id = record.file_id
        row.entry_json = record.entry_json
        row.intended_at = record.intended_at

    def intend(self, records: Sequence[JournalRecord]) -> None:
        for record in records:
            old = self._row(record)
            # A file an earlier attempt made is kept only for the same source.
            if old is not None and old.file_id and old.delivery_url == record.delivery_url:
                continue
            self._store(replace(record, file_id=None))
        db.session.commit()

    def created(self, records: Sequence[JournalRecord]) -> None:
        for record in records:
            self._store(record)
        db.session.commit()

    def complete(self, product_id: str) -> None:
        db.session.execute(delete(MediaJournal).where(MediaJournal.shop_id == self.shop_id,
                                                      MediaJournal.product_id == product_id))
        db.session.commit()
