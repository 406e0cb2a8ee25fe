"""audit_log (who read or changed personal data) and erased_stats (anonymous counts of erased conversations)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import infra.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_kind', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_id', ['action', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)

    op.create_table('erased_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.Integer(), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_stats'))
    )
    with op.batch_alter_table('erased_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erased_stats_day'), ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erased_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erased_stats_day'))
    op.drop_table('erased_stats')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))
        batch_op.drop_index('ix_audit_log_action_id')
    op.drop_table('audit_log')
