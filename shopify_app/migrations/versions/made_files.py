"""made_files: the files AssetLink created, kept apart from the purgeable report rows

Revision ID: made_files
Revises: asset_links

The table is filled from the report rows still held: a sync's (not a dry
run's) "created" rows with a media id, first report first (jobs/made_files.py
states the rule; it is restated here because a migration must not change
when that module does).
"""
from alembic import op
import sqlalchemy as sa


revision = 'made_files'
down_revision = 'asset_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('made_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=False),
    sa.Column('public_id', sa.Text(), nullable=True),
    sa.Column('product_id', sa.String(length=255), nullable=True),
    sa.Column('sync_id', sa.String(length=32), nullable=True),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'file_id', name='uq_made_files_file')
    )
    _fill_from_report_rows()


def _fill_from_report_rows():
    rows = op.get_bind().execute(sa.text(
        "SELECT s.shop_id, s.id, s.finished_at, s.created_at, i.media_id, i.public_id, i.product_id "
        "FROM sync_items i JOIN syncs s ON s.id = i.sync_id "
        "WHERE s.kind = 'sync' AND s.dry_run = false AND i.action = 'created' AND i.media_id IS NOT NULL "
        "ORDER BY s.created_at, s.id, i.seq"))
    files = {}  # (shop, file id) -> columns
    for shop_id, sync_id, finished_at, created_at, file_id, public_id, product_id in rows:
        files.setdefault((shop_id, file_id), {"public_id": public_id, "product_id": product_id, "sync_id": sync_id,
                                              "made_at": finished_at or created_at})
    if files:
        table = sa.table('made_files', sa.column('shop_id'), sa.column('file_id'), sa.column('public_id'),
                         sa.column('product_id'), sa.column('sync_id'),
                         sa.column('made_at', sa.DateTime(timezone=True)))
        op.bulk_insert(table, [{"shop_id": shop_id, "file_id": file_id, **columns}
                               for (shop_id, file_id), columns in files.items()])


def downgrade():
    op.drop_table('made_files')
