"""shop_events, proactive_rules, proactive_offers: shop events on the customer's timeline and proactive help

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:39:19.911005
"""
from alembic import op
import sqlalchemy as sa
import infra.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proactive_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proactive_rules')),
    sa.UniqueConstraint('key', name=op.f('uq_proactive_rules_key'))
    )
    op.create_table('shop_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=True),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_shop_events_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_events')),
    sa.UniqueConstraint('signature', name=op.f('uq_shop_events_signature'))
    )
    with op.batch_alter_table('shop_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_shop_events_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shop_events_name'), ['name'], unique=False)

    op.create_table('proactive_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('opened_at', infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_proactive_offers_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['shop_events.id'], name=op.f('fk_proactive_offers_event_id_shop_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proactive_offers'))
    )
    with op.batch_alter_table('proactive_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proactive_offers_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_proactive_offers_customer_rule', ['customer_id', 'rule_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proactive_offers', schema=None) as batch_op:
        batch_op.drop_index('ix_proactive_offers_customer_rule')
        batch_op.drop_index(batch_op.f('ix_proactive_offers_created_at'))

    op.drop_table('proactive_offers')
    with op.batch_alter_table('shop_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_events_name'))
        batch_op.drop_index('ix_shop_events_customer')
        batch_op.drop_index(batch_op.f('ix_shop_events_created_at'))

    op.drop_table('shop_events')
    op.drop_table('proactive_rules')
