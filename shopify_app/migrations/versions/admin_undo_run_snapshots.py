"""admin-undo: per-product before/after snapshots of runs (undo) and the shop's preferences (files clean-up)

Revision ID: admin_undo_run_snapshots
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'admin_undo_run_snapshots'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('run_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sync_id', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['sync_id'], ['syncs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sync_id', 'product_id', name='uq_run_snapshots_product')
    )
    with op.batch_alter_table('run_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_snapshots_sync_id'), ['sync_id'], unique=False)

    op.create_table('shop_preferences',
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('files_cleanup', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id')
    )


def downgrade():
    op.drop_table('shop_preferences')
    with op.batch_alter_table('run_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_run_snapshots_sync_id'))
    op.drop_table('run_snapshots')
