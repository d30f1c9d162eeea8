"""How a sync is shown: its status object and its report rows (JSON and CSV).

One representation for every reader: the bridge's `GET /syncs/{id}` and
`/report` (cloudinary_bridge.syncs) and the embedded admin's sync history
(shopify_app.ui.api) both build their answers here, so a merchant's download
is byte for byte what the Cloudinary side gets.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field
from sqlalchemy import select

from .extensions import db
from .models import Sync, SyncItem

REPORT_COLUMNS = ("product_id", "product_title", "group_value", "public_id", "action", "position", "media_id",
                  "error", "detail")
Status = Literal["queued", "running", "succeeded", "partially_succeeded", "failed", "aborted"]
# The characters a spreadsheet takes as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Progress(BaseModel):
    products_total: int
    products_done: int
    assets_total: int
    assets_linked: int
    failures: int


class SyncStatus(BaseModel):
    id: str
    kind: Literal["sync", "unlink"]
    status: Status
    dry_run: bool
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    progress: Progress
    errors: list[dict[str, Any]]


class BatchStatus(SyncStatus):
    """The same object for any batch of a store, uploads included (the admin's history)."""

    kind: Literal["sync", "unlink", "upload"]  # type: ignore[assignment]


class ReportRow(BaseModel):
    product_id: Optional[str]
    product_title: Optional[str]
    group_value: Optional[str]
    public_id: Optional[str]
    action: Literal["created", "replaced", "moved", "unchanged", "removed", "skipped", "failed"]
    position: Optional[int] = Field(description="1-based place in the product gallery")
    media_id: Optional[str]
    error: Optional[str]
    detail: Optional[str] = Field(description="Why a row was skipped, removed or replaced")


def sync_status(sync: Sync, model: type[SyncStatus] = SyncStatus) -> dict[str, Any]:
    return model(
        id=sync.id, kind=sync.kind, status=sync.status, dry_run=sync.dry_run, created_at=sync.created_at,  # type: ignore[arg-type]
        started_at=sync.started_at, finished_at=sync.finished_at,
        progress=Progress(products_total=sync.products_total, products_done=sync.products_done,
                          assets_total=sync.assets_total, assets_linked=sync.assets_linked,
                          failures=sync.failures),
        errors=list(sync.errors or [])).model_dump(mode="json")


def report_row(item: SyncItem) -> dict[str, Any]:
    return {column: getattr(item, column) for column in REPORT_COLUMNS}


def report_rows(sync: Sync) -> list[dict[str, Any]]:
    """One row per (product, asset), in report order."""
    items = db.session.scalars(select(SyncItem).where(SyncItem.sync_id == sync.id).order_by(SyncItem.seq)).all()
    return [report_row(item) for item in items]


def report_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row[column]) for column in REPORT_COLUMNS])
    return buffer.getvalue()


def report_filename(sync: Sync, fmt: str) -> str:
    return f"assetlink-sync-{sync.id}.{fmt}"


def _csv_cell(value: Any) -> Any:
    """Cells a spreadsheet would run as a formula get a leading quote (OWASP
    CSV injection): product titles and metadata come from many hands."""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return "" if value is None else value
