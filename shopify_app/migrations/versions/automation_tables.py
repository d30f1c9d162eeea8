"""automation: automations, their events and runs, products' match values

Revision ID: automation_tables
Revises: admin_ui_batch_retries
"""
from alembic import op
import sqlalchemy as sa


revision = 'automation_tables'
down_revision = 'admin_ui_batch_retries'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('automations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=32), nullable=True),
    sa.Column('cloud_name', sa.String(length=255), nullable=False),
    sa.Column('api_key', sa.String(length=64), nullable=False),
    sa.Column('api_secret_enc', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('credentials_valid', sa.Boolean(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.String(length=16), nullable=True),
    sa.Column('register_triggers', sa.Boolean(), nullable=False),
    sa.Column('notification_token', sa.String(length=64), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['bridge_credentials.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_token'),
    sa.UniqueConstraint('shop_id', 'cloud_name', name='uq_automations_cloud')
    )
    with op.batch_alter_table('automations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automations_shop_id'), ['shop_id'], unique=False)

    op.create_table('automation_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=255), nullable=False),
    sa.Column('values_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'product_id', name='uq_automation_products_product')
    )
    with op.batch_alter_table('automation_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_products_shop_id'), ['shop_id'], unique=False)

    op.create_table('automation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('automation_id', sa.String(length=32), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=64), nullable=True),
    sa.Column('notification_type', sa.String(length=64), nullable=False),
    sa.Column('public_ids', sa.JSON(), nullable=False),
    sa.Column('refs', sa.JSON(), nullable=False),
    sa.Column('hints', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('sync_id', sa.String(length=32), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['automation_id'], ['automations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('automation_id', 'dedup_key', name='uq_automation_events_dedup')
    )
    with op.batch_alter_table('automation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_events_automation_id'), ['automation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_automation_events_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_automation_events_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_automation_events_state'), ['state'], unique=False)

    op.create_table('automation_runs',
    sa.Column('sync_id', sa.String(length=32), nullable=False),
    sa.Column('automation_id', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['automation_id'], ['automations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sync_id'], ['syncs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sync_id')
    )
    with op.batch_alter_table('automation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_runs_automation_id'), ['automation_id'], unique=False)


def downgrade():
    op.drop_table('automation_runs')
    op.drop_table('automation_events')
    op.drop_table('automation_products')
    op.drop_table('automations')
