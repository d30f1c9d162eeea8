"""asset_links: what AssetLink linked where, kept apart from the purgeable report rows

Revision ID: asset_links
Revises: automation_tables

The table is filled from the report rows still held, folded in the order
the batches ran (jobs/asset_links.py states the rule; it is restated here
because a migration must not change when that module does).
"""
import json

from alembic import op
import sqlalchemy as sa


revision = 'asset_links'
down_revision = 'automation_tables'
branch_labels = None
depends_on = None

OWN_MEDIA_ACTIONS = ("created", "replaced", "moved", "unchanged")


def upgrade():
    op.create_table('asset_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('cloud_name', sa.String(length=255), nullable=True),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('public_id', sa.Text(), nullable=False),
    sa.Column('media_key', sa.String(length=255), nullable=False),
    sa.Column('group_value', sa.Text(), nullable=True),
    sa.Column('match_field', sa.String(length=255), nullable=True),
    sa.Column('sync_id', sa.String(length=32), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'product_id', 'public_id', 'media_key', name='uq_asset_links_media')
    )
    with op.batch_alter_table('asset_links', schema=None) as batch_op:
        batch_op.create_index('ix_asset_links_public_id', ['shop_id', 'public_id'], unique=False)
    _fill_from_report_rows()


def _fill_from_report_rows():
    rows = op.get_bind().execute(sa.text(
        "SELECT s.shop_id, s.cloud_name, s.kind, s.id, s.finished_at, s.created_at, s.request, i.product_id, "
        "i.public_id, i.media_id, i.group_value, i.action FROM sync_items i JOIN syncs s ON s.id = i.sync_id "
        "WHERE s.dry_run = false AND s.kind IN ('sync', 'unlink') "
        "AND i.product_id IS NOT NULL AND i.public_id IS NOT NULL "
        "ORDER BY s.created_at, s.id, i.seq"))
    links = {}  # (shop, product, public ID) -> media key -> columns
    for shop_id, cloud_name, kind, sync_id, finished_at, created_at, request, product_id, public_id, media_id, \
            group, action in rows:
        if action == "removed" and kind == "unlink":
            links.pop((shop_id, product_id, public_id), None)
        elif action == "removed":
            links.get((shop_id, product_id, public_id), {}).pop(media_id or "", None)
        elif kind == "sync" and action in OWN_MEDIA_ACTIONS:
            links.setdefault((shop_id, product_id, public_id), {})[media_id or ""] = {
                "cloud_name": cloud_name, "group_value": group, "match_field": _match_field(request),
                "sync_id": sync_id, "linked_at": finished_at or created_at}
    if links:
        table = sa.table('asset_links', sa.column('shop_id'), sa.column('cloud_name'), sa.column('product_id'),
                         sa.column('public_id'), sa.column('media_key'), sa.column('group_value'),
                         sa.column('match_field'), sa.column('sync_id'),
                         sa.column('linked_at', sa.DateTime(timezone=True)))
        op.bulk_insert(table, [{"shop_id": shop_id, "product_id": product_id, "public_id": public_id,
                                "media_key": media_key, **columns}
                               for (shop_id, product_id, public_id), media in links.items()
                               for media_key, columns in media.items()])


def _match_field(request):
    """The Cloudinary field a sync matched on, from its stored request (JSON
    text on SQLite, already decoded on PostgreSQL)."""
    if isinstance(request, str):
        try:
            request = json.loads(request)
        except ValueError:
            return None
    field = ((request or {}).get("match") or {}).get("cloudinary_field") if isinstance(request, dict) else None
    return field if isinstance(field, str) else None


def downgrade():
    op.drop_table('asset_links')
