"""batch_retries: when and why an interrupted batch runs again (admin-ui)

Revision ID: admin_ui_batch_retries
Revises: admin_undo_run_snapshots
"""
from alembic import op
import sqlalchemy as sa


revision = 'admin_ui_batch_retries'
down_revision = 'admin_undo_run_snapshots'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('batch_retries',
    sa.Column('sync_id', sa.String(length=32), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('attempts_max', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retry_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sync_id'], ['syncs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sync_id')
    )


def downgrade():
    op.drop_table('batch_retries')
