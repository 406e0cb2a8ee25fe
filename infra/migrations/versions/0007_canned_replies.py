"""canned_replies: agents' saved reply snippets; tickets.transferred_from_id: who gave a ticket away

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import infra.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_canned_replies_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies'))
    )
    # A transfer's agent is not given the ticket straight back by dispatch (a plain column: no
    # foreign key, which SQLite would need a table copy for).
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_from_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('transferred_from_id')
    op.drop_table('canned_replies')
