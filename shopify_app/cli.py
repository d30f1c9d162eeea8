"""`flask --app shopify_app assetlink ...`: what an operator needs.

  reencrypt        re-encrypt every stored token and signing secret under the
                   first TOKEN_ENCRYPTION_KEY (key rotation)
  failed-jobs      list the jobs that failed for good, per queue
  retry-jobs       put failed jobs back on their queue
  purge-history    delete finished batches (and their reports) past the
                   retention period
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, select

from . import crypto, logs
from .batch_status import FINISHED
from .extensions import db
from .models import (AutomationEvent, BridgeCredential, ConnectionCode, RunSnapshot, Shop, Sync, SyncItem, SyncProduct,
                     utcnow)

CHUNK = 500


@click.group("assetlink", help="Operate AssetLink: key rotation, failed jobs, history retention.")
def assetlink_cli() -> None:
    pass


# -- key rotation -----------------------------------------------------------------------------------

def _rotate_column(model: Any, column: str, dry_run: bool) -> tuple[int, list[str]]:
    """Re-encrypt one column of every row; (rows re-encrypted, ids that failed)."""
    done, failed = 0, []
    key = model.__mapper__.primary_key[0]
    last = None
    while True:
        query = select(model).where(getattr(model, column).is_not(None)).order_by(key).limit(CHUNK)
        if last is not None:
            query = query.where(key > last)
        rows = list(db.session.scalars(query))
        if not rows:
            break
        for row in rows:
            try:
                rotated = crypto.reencrypt(getattr(row, column))
            except ValueError:
                failed.append(str(getattr(row, key.key)))
                continue
            if not dry_run:
                setattr(row, column, rotated)
            done += 1
        last = getattr(rows[-1], key.key)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return done, failed


def rederive_connection_codes(dry_run: bool = False) -> int:
    """Live connection codes are derived from the first key (crypto.derive_code):
    after a rotation each one is re-derived, so the code Settings shows is
    the one that connects. A code copied before the rotation stops working."""
    rows = list(db.session.scalars(select(ConnectionCode).where(ConnectionCode.ended_at.is_(None))))
    changed = 0
    for row in rows:
        code_hash = crypto.hash_secret(crypto.derive_code(row.nonce))
        if code_hash != row.code_hash:
            row.code_hash = code_hash
            changed += 1
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return changed


@assetlink_cli.command("reencrypt")
@click.option("--dry-run", is_flag=True, help="check that everything decrypts; change nothing")
@with_appcontext
def reencrypt_command(dry_run: bool) -> None:
    """Re-encrypt stored secrets under the first TOKEN_ENCRYPTION_KEY.

    Rotation: set TOKEN_ENCRYPTION_KEY=NEW,OLD everywhere (web and workers),
    run this, then drop OLD once it reports no failures.
    """
    failures = []
    for model, column, what in ((Shop, "access_token_enc", "shop access tokens"),
                                (Shop, "refresh_token_enc", "shop refresh tokens"),
                                (BridgeCredential, "signing_secret_enc", "webhook signing secrets")):
        done, failed = _rotate_column(model, column, dry_run)
        click.echo(f"{'would re-encrypt' if dry_run else 're-encrypted'} {done} {what}"
                   + (f"; {len(failed)} can't be decrypted with any key: {', '.join(failed)}" if failed else ""))
        failures.extend(failed)
    changed = rederive_connection_codes(dry_run)
    click.echo(f"{'would re-derive' if dry_run else 're-derived'} {changed} live connection code(s)")
    if failures:
        raise click.ClickException("some secrets can't be decrypted: keep the key they were written with in "
                                   "TOKEN_ENCRYPTION_KEY, or reinstall those shops")


# -- failed jobs ------------------------------------------------------------------------------------

def _failed_registries() -> Iterable[tuple[str, Any]]:
    from jobs import queues
    for role in queues.ROLES:
        yield role, queues.get_queue(current_app.config, role).failed_job_registry


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return logs.redact(lines[-1].strip()) if lines else ""


@assetlink_cli.command("failed-jobs")
@click.option("--queue", "role", help="only this queue role (webhooks, media, default)")
@with_appcontext
def failed_jobs_command(role: str | None) -> None:
    """List jobs that failed for good (retries exhausted)."""
    from rq.job import Job
    total = 0
    for name, registry in _failed_registries():
        if role and role != name:
            continue
        ids = registry.get_job_ids()
        for job in Job.fetch_many(ids, connection=registry.connection):
            if job is None:
                continue
            total += 1
            result = job.latest_result()
            error = _last_line(result.exc_string if result is not None else None)
            ended = job.ended_at.isoformat(timespec="seconds") if job.ended_at else "-"
            meta = job.meta or {}
            shop = meta.get("shop") or meta.get("shop_id") or "-"
            click.echo(f"{job.id}\t{name}\t{job.func_name}\t{ended}\tshop={shop}\t{error}")
    click.echo(f"{total} failed job(s)", err=True)


@assetlink_cli.command("retry-jobs")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="every failed job of every queue")
@with_appcontext
def retry_jobs_command(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs back on their queues (batches resume from what they committed)."""
    from rq.exceptions import InvalidJobOperationError, NoSuchJobError
    if not job_ids and not retry_all:
        raise click.UsageError("name the job ids to retry, or pass --all")
    wanted = set(job_ids)
    retried = 0
    for _, registry in _failed_registries():
        for job_id in registry.get_job_ids():
            if retry_all or job_id in wanted:
                try:
                    registry.requeue(job_id)
                except (InvalidJobOperationError, NoSuchJobError):
                    continue
                wanted.discard(job_id)
                retried += 1
    click.echo(f"requeued {retried} job(s)")
    if wanted:
        raise click.ClickException(f"not among the failed jobs: {', '.join(sorted(wanted))}")


# -- retention --------------------------------------------------------------------------------------


def purge_history(days: int, dry_run: bool = False) -> dict[str, int]:
    """Delete batches that finished more than `days` ago, with their products
    and report rows, connection codes that ended that long ago, and automation
    notifications handled that long ago (a replay of one is refused by its
    two-hour signature window, so its dedup row isn't needed). What AssetLink
    has linked where (asset_links) stays: unlinks and automation need it; so
    do the files it made (made_files): the Files clean-up's candidates."""
    from sqlalchemy import func
    cutoff = utcnow() - timedelta(days=days)
    old_batches = select(Sync.id).where(Sync.status.in_(FINISHED), Sync.finished_at.is_not(None),
                                        Sync.finished_at < cutoff)
    ended_codes = (ConnectionCode.ended_at.is_not(None), ConnectionCode.ended_at < cutoff)
    old_events = (AutomationEvent.state == "done", AutomationEvent.received_at < cutoff)
    if dry_run:
        count = lambda query: db.session.scalar(select(func.count()).select_from(query.subquery())) or 0  # noqa: E731
        return {"batches": count(old_batches),
                "products": count(select(SyncProduct.id).where(SyncProduct.sync_id.in_(old_batches))),
                "report_rows": count(select(SyncItem.id).where(SyncItem.sync_id.in_(old_batches))),
                "connection_codes": count(select(ConnectionCode.id).where(*ended_codes)),
                "automation_events": count(select(AutomationEvent.id).where(*old_events))}
    counts = {"batches": 0, "products": 0, "report_rows": 0, "connection_codes": 0, "automation_events": 0}
    while True:
        # In chunks, each its own transaction: no long lock on a busy table.
        ids = list(db.session.scalars(old_batches.order_by(Sync.finished_at).limit(CHUNK)))
        if not ids:
            break
        # Children first: SQLite development databases don't cascade.
        counts["report_rows"] += db.session.execute(delete(SyncItem).where(SyncItem.sync_id.in_(ids))).rowcount
        counts["products"] += db.session.execute(delete(SyncProduct).where(SyncProduct.sync_id.in_(ids))).rowcount
        db.session.execute(delete(RunSnapshot).where(RunSnapshot.sync_id.in_(ids)))  # undo's before/after states
        counts["batches"] += db.session.execute(delete(Sync).where(Sync.id.in_(ids))).rowcount
        db.session.commit()
    counts["connection_codes"] = db.session.execute(delete(ConnectionCode).where(*ended_codes)).rowcount
    counts["automation_events"] = db.session.execute(delete(AutomationEvent).where(*old_events)).rowcount
    db.session.commit()
    return counts


@assetlink_cli.command("purge-history")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="keep this many days (default: HISTORY_RETENTION_DAYS)")
@click.option("--dry-run", is_flag=True, help="count what would go; delete nothing")
@with_appcontext
def purge_history_command(days: int | None, dry_run: bool) -> None:
    """Delete finished batches and ended connection codes older than the retention period."""
    days = days or current_app.config["HISTORY_RETENTION_DAYS"]
    counts = purge_history(days, dry_run)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {counts['batches']} batch(es) finished more than {days} days ago "
               f"({counts['products']} product rows, {counts['report_rows']} report rows) and "
               f"{counts['connection_codes']} ended connection code(s), "
               f"{counts['automation_events']} automation notification(s)")
