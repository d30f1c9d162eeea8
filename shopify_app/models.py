"""The app's tables. Every row that belongs to a store carries `shop_id`, and
every query from the bridge is scoped by it."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .batch_status import BatchStatus
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


class UTCDateTime(db.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Shop(db.Model):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    name: Mapped[Optional[str]] = mapped_column(String(255))
    currency: Mapped[Optional[str]] = mapped_column(String(8))
    plan: Mapped[Optional[str]] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text, default="")
    # Tokens are stored encrypted (shopify_app.crypto); never log them.
    access_token_enc: Mapped[Optional[str]] = mapped_column(Text)
    access_token_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    refresh_token_enc: Mapped[Optional[str]] = mapped_column(Text)
    refresh_token_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    installed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    uninstalled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_installed(self) -> bool:
        return self.access_token_enc is not None and self.uninstalled_at is None


class ConnectionCode(db.Model):
    """The code the merchant copies from Settings into Cloudinary.

    Only a hash is stored for lookup. So that Settings can show the current
    code again on every visit without keeping it, the code is derived from a
    random 128-bit `nonce` and the server's TOKEN_ENCRYPTION_KEY
    (shopify_app.crypto.derive_code): the database alone reveals nothing.
    """

    __tablename__ = "connection_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A code ends when used, regenerated, or the app is uninstalled.
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(String(16))


class BridgeCredential(db.Model):
    """A bearer token for the bridge: a Cloudinary connection or an API key.

    Both are stored only as a SHA-256 hash (the token has >=128 bits of
    randomness, so a plain hash is enough; no password stretching needed).
    """

    __tablename__ = "bridge_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "connection" | "api_key"
    label: Mapped[Optional[str]] = mapped_column(String(255))
    cloud_name: Mapped[Optional[str]] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # Signs the completion webhook, so it must be recoverable: encrypted.
    signing_secret_enc: Mapped[Optional[str]] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    shop: Mapped[Shop] = relationship()


class WebhookDelivery(db.Model):
    """Shopify delivers at least once; the webhook id makes handling idempotent."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(255), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    shop_domain: Mapped[str] = mapped_column(String(255), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sync(db.Model):
    """A batch: one piece of work the Cloudinary side asked for, of kind
    `sync` (link to products), `upload` (to Files) or `unlink`. A store's
    batches run one at a time in arrival order (docs/architecture.md)."""

    __tablename__ = "syncs"
    __table_args__ = (UniqueConstraint("shop_id", "idempotency_key", name="uq_syncs_idempotency"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[Optional[str]] = mapped_column(
        ForeignKey("bridge_credentials.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default="sync")  # sync | upload | unlink
    status: Mapped[str] = mapped_column(String(32), default=BatchStatus.QUEUED.value, index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(255))
    request_hash: Mapped[Optional[str]] = mapped_column(String(64))
    abort_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    products_total: Mapped[int] = mapped_column(Integer, default=0)
    products_done: Mapped[int] = mapped_column(Integer, default=0)
    assets_total: Mapped[int] = mapped_column(Integer, default=0)
    assets_linked: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Snapshots taken when the request is accepted, so a queued batch runs
    # with what the caller saw even if settings change or the token is revoked.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cloud_name: Mapped[Optional[str]] = mapped_column(String(255))
    # Set when the job was handed to the queue (jobs.batch_dispatch): one
    # dispatched batch per store at a time, in arrival order.
    dispatched_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Hand-overs so far: a job lost again and again (a worker dying on it) is
    # stopped after a few, so it can't block the store's later batches.
    dispatch_count: Mapped[int] = mapped_column(Integer, default=0)
    # planning -> linking -> finishing; resumes from here after a crash.
    phase: Mapped[str] = mapped_column(String(16), default="planning")
    # The unix time the sync's cache-busting prefix uses: fixed once, so a
    # resumed sync writes the same prefix.
    run_time: Mapped[Optional[int]] = mapped_column(Integer)


class SyncProduct(db.Model):
    """One product of a sync, in link order, and how it ended.

    A product is marked done or failed in the same commit as its report rows,
    so a resumed job never reports it twice; one left pending or planned is
    read and planned again (the media journal keeps that free of duplicates).
    `plan` keeps the plan that was carried out, for support.
    """

    __tablename__ = "sync_products"
    __table_args__ = (UniqueConstraint("sync_id", "product_id", name="uq_sync_products_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # link order (groups' first appearance)
    product_id: Mapped[str] = mapped_column(String(255))  # Shopify GID
    product_title: Mapped[Optional[str]] = mapped_column(Text)
    # [[group value, variant GID or null], ...] in link order
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # pending | planned | done | failed | aborted
    status: Mapped[str] = mapped_column(String(16), default="pending")
    plan: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    error: Mapped[Optional[str]] = mapped_column(Text)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class SyncItem(db.Model):
    """One report row: (product, asset) and what happened or is planned."""

    __tablename__ = "sync_items"
    __table_args__ = (UniqueConstraint("sync_id", "seq", name="uq_sync_items_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)  # report order (jobs.product_batch.row_seq)
    product_id: Mapped[Optional[str]] = mapped_column(String(255))
    product_title: Mapped[Optional[str]] = mapped_column(Text)
    group_value: Mapped[Optional[str]] = mapped_column(Text)
    public_id: Mapped[Optional[str]] = mapped_column(Text)
    # created | replaced | moved | unchanged | removed | skipped | failed
    action: Mapped[str] = mapped_column(String(16))
    position: Mapped[Optional[int]] = mapped_column(Integer)
    media_id: Mapped[Optional[str]] = mapped_column(String(255))
    error: Mapped[Optional[str]] = mapped_column(Text)
    detail: Mapped[Optional[str]] = mapped_column(Text)
    url: Mapped[Optional[str]] = mapped_column(Text)  # uploads: the file's Shopify CDN URL


class AssetLink(db.Model):
    """What AssetLink has linked where now: a Cloudinary asset on a product
    (its gallery media or swatch file, `media_key` "" when it has none), the
    group value it was linked under, kept as syncs and unlinks finish each
    product (jobs.asset_links). Unlike report rows it is never purged with
    the history: an unlink or an automation years later still knows which
    media AssetLink made."""

    __tablename__ = "asset_links"
    __table_args__ = (UniqueConstraint("shop_id", "product_id", "public_id", "media_key",
                                       name="uq_asset_links_media"),
                      # automation looks assets up by public ID
                      Index("ix_asset_links_public_id", "shop_id", "public_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which leads with it.
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    cloud_name: Mapped[Optional[str]] = mapped_column(String(255))
    product_id: Mapped[str] = mapped_column(String(255))
    public_id: Mapped[str] = mapped_column(Text)
    media_key: Mapped[str] = mapped_column(String(255), default="")
    group_value: Mapped[Optional[str]] = mapped_column(Text)
    # The Cloudinary field the group value is a value of (`metadata.sku`, `tags`...):
    # automation judges a link stale only under the field it was made by. None: unknown.
    match_field: Mapped[Optional[str]] = mapped_column(String(255))
    sync_id: Mapped[Optional[str]] = mapped_column(String(32))  # the batch that linked it last (may be purged)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MadeFile(db.Model):
    """A file AssetLink created in the store's Files for a product (gallery
    media or swatch image), recorded as the sync reports it (jobs.made_files)
    and kept until the Files clean-up deletes it or finds it gone. Unlike
    report rows it is never purged with the history, so the clean-up still
    finds an unused file AssetLink made long ago; a merchant's file is never
    here."""

    __tablename__ = "made_files"
    __table_args__ = (UniqueConstraint("shop_id", "file_id", name="uq_made_files_file"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which leads with it.
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(255))
    public_id: Mapped[Optional[str]] = mapped_column(Text)
    product_id: Mapped[Optional[str]] = mapped_column(String(255))  # the product it was made for
    sync_id: Mapped[Optional[str]] = mapped_column(String(32))  # the sync that made it (may be purged)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaJournal(db.Model):
    """The executor's idempotency journal (jobs.executor.journal): per
    (product, asset, role) the file AssetLink is about to create, then the
    file it created, so a resumed sync finds it instead of creating it again.
    Kept per store across syncs: a failed product's files are reused by the
    next attempt. `record` is the executor's JournalRecord as JSON, so fields
    it adds need no schema change."""

    __tablename__ = "media_journal"
    __table_args__ = (UniqueConstraint("shop_id", "ident_hash", name="uq_media_journal_ident"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    ident_hash: Mapped[str] = mapped_column(String(64))  # sha256 of (product, asset key, role)
    product_id: Mapped[str] = mapped_column(String(255), index=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StoreFile(db.Model):
    """A file Upload to Store Files made in Shopify, so uploading the same
    asset version again reuses it (jobs.upload_job). Keyed by what Shopify
    received: cloud, asset, version, transformation and delivered kind
    (`key_hash`). The row is written before `fileCreate` (file_id null) and
    completed after it, so a worker killed in between finds the file by its
    filename and source instead of creating a second one."""

    __tablename__ = "store_files"
    __table_args__ = (UniqueConstraint("shop_id", "key_hash", name="uq_store_files_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    public_id: Mapped[str] = mapped_column(Text)
    resource_type: Mapped[str] = mapped_column(String(16))
    version: Mapped[Optional[int]] = mapped_column(BigInteger)
    transformation: Mapped[str] = mapped_column(Text, default="")
    delivery: Mapped[str] = mapped_column(String(32))            # image | video_placeholder | video
    filename: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text)                # what Shopify fetched
    file_id: Mapped[Optional[str]] = mapped_column(String(255))  # null: fileCreate asked for, answer not recorded
    url: Mapped[Optional[str]] = mapped_column(Text)             # Shopify CDN URL once processed
    intended_at: Mapped[float] = mapped_column(db.Float, default=0.0)
    sync_id: Mapped[Optional[str]] = mapped_column(ForeignKey("syncs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- admin-undo
class RunSnapshot(db.Model):
    """What one product looked like before a run's first write to it, and
    after the run finished it (jobs.undo_plan.Snapshot as JSON), so the run
    can be undone: `before` is written in the commit that marks the product
    planned, before any write; `after` with its report rows. A resumed run
    keeps the first `before`."""

    __tablename__ = "run_snapshots"
    __table_args__ = (UniqueConstraint("sync_id", "product_id", name="uq_run_snapshots_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)


class ShopPreferences(db.Model):
    """The merchant's choices in the embedded admin that are the store's, not
    a Cloudinary connection's (those are BridgeCredential.settings)."""

    __tablename__ = "shop_preferences"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    # Opt-in: "Remove AssetLink files no product uses" may delete from Files.
    files_cleanup: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# --- admin-ui
class BatchRetry(db.Model):
    """The last time a batch's job was interrupted by something that may not
    happen again (Shopify or a service unavailable, the job's time limit) and
    handed back to RQ for a later run: so the admin can say when and why the
    run will go on, instead of showing it as running while nothing runs.
    Written by jobs.batch_run; one row per batch, replaced at each retry."""

    __tablename__ = "batch_retries"

    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer)        # 1 for the first retry
    attempts_max: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)            # in a merchant's words
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- automation
class Automation(db.Model):
    """Linking without opening the dialog (bridge contract, "Automation"): one
    per store and Cloudinary environment. Cloudinary's notifications arrive at
    the unguessable `notification_token` URL and are signed with the
    environment's API secret, kept encrypted (shopify_app.crypto) like Shopify
    tokens; it is never returned or logged."""

    __tablename__ = "automations"
    __table_args__ = (UniqueConstraint("shop_id", "cloud_name", name="uq_automations_cloud"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    # The connection (or API key) that set it up; its settings apply to the syncs.
    credential_id: Mapped[Optional[str]] = mapped_column(ForeignKey("bridge_credentials.id", ondelete="SET NULL"))
    cloud_name: Mapped[str] = mapped_column(String(255))
    api_key: Mapped[str] = mapped_column(String(64))
    api_secret_enc: Mapped[Optional[str]] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    credentials_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    schedule: Mapped[Optional[str]] = mapped_column(String(16))
    # AssetLink registered Cloudinary Admin API triggers for notification_url (and removes them on DELETE).
    register_triggers: Mapped[bool] = mapped_column(Boolean, default=False)
    notification_token: Mapped[str] = mapped_column(String(64), unique=True)
    last_event_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_run_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The daily reconciliation looks at assets changed since this time.
    reconciled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AutomationEvent(db.Model):
    """One notification as received and what came of it. `dedup_key` (the
    hash of the signed body) makes a repeated delivery do the work once;
    `state` is pending until a coalesced run has taken it up."""

    __tablename__ = "automation_events"
    __table_args__ = (UniqueConstraint("automation_id", "dedup_key", name="uq_automation_events_dedup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    automation_id: Mapped[str] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    dedup_key: Mapped[Optional[str]] = mapped_column(String(64))
    notification_type: Mapped[str] = mapped_column(String(64))
    public_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # [{"asset_id", "public_id", "resource_type", "type", "gone"?: bool}] to read again from Cloudinary,
    # and group values the body hints at (only ever used to re-link more groups).
    refs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    hints: Mapped[list[Any]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))  # queued | ignored | rejected
    reason: Mapped[Optional[str]] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | done
    sync_id: Mapped[Optional[str]] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AutomationRun(db.Model):
    """A batch an automation started, and why (upload, delete, new_product, daily)."""

    __tablename__ = "automation_runs"

    sync_id: Mapped[str] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True)
    automation_id: Mapped[str] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(16))


class AutomationProduct(db.Model):
    """The match values a product had when automation last looked, so a
    products/update that changed no match value (our own media writes among
    them) starts nothing."""

    __tablename__ = "automation_products"
    __table_args__ = (UniqueConstraint("shop_id", "product_id", name="uq_automation_products_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(255))
    values_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
