"""How a batch is shown: the status objects of syncs, unlinks and uploads,
and the report rows (JSON and CSV).

The one home of these representations, for every reader: the bridge's
`GET /syncs/{id}`, `GET /uploads/{id}` and reports (cloudinary_bridge), the
embedded admin's sync history (shopify_app.ui.api) and the completion
webhook (jobs.sync_webhook) all build their bodies here, so a merchant's
download is byte for byte what the Cloudinary side gets, and a webhook
carries exactly what a poll would show. It depends on the models only, so
the engine (jobs) can use it without the bridge.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field
from sqlalchemy import select

from .extensions import db
from .batch_status import FINISHED, UNFINISHED, BatchStatus
from .models import AutomationRun, RunSnapshot, Sync, SyncItem, SyncProduct

REPORT_COLUMNS = ("product_id", "product_title", "group_value", "public_id", "action", "position", "media_id",
                  "error", "detail")
# Report words (SyncItem.action) of an upload -> the per-asset status of GET /uploads/{id}.
ASSET_STATUS = {"created": "uploaded", "unchanged": "reused", "failed": "failed", "skipped": "skipped"}
AssetStatus = Literal["pending", "uploaded", "reused", "skipped", "failed"]
# The characters a spreadsheet takes as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Progress(BaseModel):
    products_total: int
    products_done: int
    assets_total: int
    assets_linked: int
    failures: int


class SyncStatus(BaseModel):
    """GET /syncs/{id}: a sync, an unlink or the undo of one."""

    id: str
    kind: Literal["sync", "unlink", "undo"]
    status: BatchStatus
    dry_run: bool
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    progress: Progress
    errors: list[dict[str, Any]]
    # automation (jobs/automation): who started the batch, and on what
    source: Literal["bridge", "automation"] = "bridge"
    trigger: Optional[Literal["upload", "delete", "new_product", "daily"]] = Field(
        None, description="What started an automation batch: an upload (or other change), a deletion, a new or "
                          "changed product, the daily reconciliation.")


class UndoRefusal(BaseModel):
    product_id: str
    product_title: Optional[str]
    reason: str


class RunActions(BaseModel):
    """What the merchant can do with a batch now (the admin's buttons)."""

    abort: bool
    retry: bool
    undo: bool
    undo_refused: list[UndoRefusal] = Field(description="Products the latest undo of this run refused, and why")


class HistoryStatus(SyncStatus):
    """The same object for any batch of a store, uploads and clean-ups included (the admin's history)."""

    kind: Literal["sync", "unlink", "upload", "undo", "cleanup"]  # type: ignore[assignment]
    actions: RunActions


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


class UploadProgress(BaseModel):
    assets_total: int
    assets_done: int
    assets_uploaded: int
    assets_reused: int
    assets_skipped: int
    failures: int


class UploadAsset(BaseModel):
    public_id: str
    resource_type: str
    type: str
    version: Optional[int]
    status: AssetStatus
    file_id: Optional[str]
    url: Optional[str]
    error: Optional[str]
    detail: Optional[str]


class UploadStatus(BaseModel):
    """GET /uploads/{id}."""

    id: str
    kind: Literal["upload"]
    status: BatchStatus
    created_at: datetime
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    progress: UploadProgress
    errors: list[dict[str, Any]]
    assets: list[UploadAsset]


def sync_status(sync: Sync, model: type[SyncStatus] = SyncStatus, **extra: Any) -> dict[str, Any]:
    return model(
        id=sync.id, kind=sync.kind, status=BatchStatus(sync.status), dry_run=sync.dry_run,  # type: ignore[arg-type]
        created_at=sync.created_at,
        started_at=sync.started_at, finished_at=sync.finished_at,
        progress=Progress(products_total=sync.products_total, products_done=sync.products_done,
                          assets_total=sync.assets_total, assets_linked=sync.assets_linked,
                          failures=sync.failures),
        errors=list(sync.errors or []), **_origin(sync), **extra).model_dump(mode="json")


def _origin(sync: Sync) -> dict[str, Any]:
    """`source` and `trigger` of a batch (an automation's runs are recorded in AutomationRun)."""
    run = db.session.get(AutomationRun, sync.id)
    return {"source": "automation", "trigger": run.trigger} if run is not None else {}


def history_status(sync: Sync) -> dict[str, Any]:
    """The admin's history entry of any batch kind."""
    return sync_status(sync, HistoryStatus, actions=run_actions(sync))


# -- what can be done with a run (shopify_app.ui.run_actions acts on these rules) ------------------
UNDOABLE_KINDS = ("sync", "unlink")
RETRYABLE_KINDS = ("sync", "unlink", "upload", "cleanup")
# How an undo says it left a product alone (jobs.undo_job).
UNDO_REFUSED_PREFIX = "Not undone: "


def undos_of(sync: Sync) -> list[Sync]:
    """The undo runs of this run, newest first."""
    return list(db.session.scalars(select(Sync).where(
        Sync.shop_id == sync.shop_id, Sync.kind == "undo", Sync.request["undo_of"].as_string() == sync.id)
        .order_by(Sync.created_at.desc(), Sync.id.desc())))


def can_abort(sync: Sync) -> bool:
    return sync.status in UNFINISHED and not sync.abort_requested


def can_retry(sync: Sync) -> bool:
    """A finished run can run its request again; an undo's retry is a new
    undo of the same run, allowed as that is."""
    if sync.kind == "undo":
        undone = db.session.get(Sync, str((sync.request or {}).get("undo_of") or ""))
        return sync.status in FINISHED and undone is not None and can_undo(undone)
    return sync.kind in RETRYABLE_KINDS and sync.status in FINISHED


def can_undo(sync: Sync, undos: list[Sync] | None = None) -> bool:
    """A finished, real sync or unlink that changed products, not undone
    yet (an undo that left products alone may be run again)."""
    if sync.kind not in UNDOABLE_KINDS or sync.dry_run or sync.status not in FINISHED:
        return False
    undos = undos_of(sync) if undos is None else undos
    if any(u.status in UNFINISHED or u.status == BatchStatus.SUCCEEDED for u in undos):
        return False
    return db.session.scalar(select(RunSnapshot.id).where(RunSnapshot.sync_id == sync.id).limit(1)) is not None


def undo_refusals(undo: Sync) -> list[UndoRefusal]:
    products = db.session.scalars(select(SyncProduct).where(
        SyncProduct.sync_id == undo.id, SyncProduct.error.startswith(UNDO_REFUSED_PREFIX))
        .order_by(SyncProduct.seq)).all()
    return [UndoRefusal(product_id=p.product_id, product_title=p.product_title,
                        reason=(p.error or "").removeprefix(UNDO_REFUSED_PREFIX)) for p in products]


def run_actions(sync: Sync) -> RunActions:
    undos = undos_of(sync) if sync.kind in UNDOABLE_KINDS else []
    latest = sync if sync.kind == "undo" else (undos[0] if undos else None)
    return RunActions(abort=can_abort(sync), retry=can_retry(sync), undo=can_undo(sync, undos),
                      undo_refused=undo_refusals(latest) if latest is not None else [])


def upload_status(sync: Sync) -> dict[str, Any]:
    """GET /uploads/{id}: the request's assets in order, each with its outcome
    once the job has reached it (`pending` before)."""
    items = {item.seq: item for item in db.session.scalars(select(SyncItem).where(SyncItem.sync_id == sync.id))}
    assets = []
    counts = dict.fromkeys(ASSET_STATUS.values(), 0)
    for index, raw in enumerate((sync.request or {}).get("assets") or []):
        item = items.get(index)
        status = ASSET_STATUS.get(item.action, "failed") if item is not None else "pending"
        if item is not None:
            counts[status] += 1
        assets.append(UploadAsset(
            public_id=str(raw.get("public_id")), resource_type=str(raw.get("resource_type") or "image"),
            type=str(raw.get("type") or "upload"), version=raw.get("version"), status=status,  # type: ignore[arg-type]
            file_id=item.media_id if item else None, url=item.url if item else None,
            error=item.error if item else None, detail=item.detail if item else None))
    progress = UploadProgress(assets_total=len(assets), assets_done=len(items), assets_uploaded=counts["uploaded"],
                              assets_reused=counts["reused"], assets_skipped=counts["skipped"],
                              failures=counts["failed"])
    return UploadStatus(id=sync.id, kind="upload", status=BatchStatus(sync.status), created_at=sync.created_at,
                        started_at=sync.started_at, finished_at=sync.finished_at, progress=progress,
                        errors=list(sync.errors or []), assets=assets).model_dump(mode="json")


def status_object(sync: Sync) -> dict[str, Any]:
    """What a poll of this batch answers: GET /uploads/{id} for an upload,
    GET /syncs/{id} for a sync or an unlink."""
    return upload_status(sync) if sync.kind == "upload" else sync_status(sync)


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
