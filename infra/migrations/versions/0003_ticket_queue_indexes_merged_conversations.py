"""tickets: indexes for the queue, agents' loads and a conversation's active ticket; conversations.merged_into_id

`ix_tickets_queue` (status, team, priority DESC, id) replaces `ix_tickets_status_team`, its prefix: the
head of a team's queue and a ticket's queue position read one stretch of it. `ix_tickets_queue_any` is the
whole queue in the same order, `ix_tickets_assignee_status` the agents' loads and
`ix_tickets_conversation_status` a conversation's active ticket, which every handoff looks up.
`conversations.merged_into_id` marks a conversation a merge folded into another, so the customer's
conversation is that other one even where the folded one is older.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain index operations, no batch: SQLite creates and drops indexes in place (no table copy).
    op.drop_index('ix_tickets_status_team', table_name='tickets')
    op.create_index('ix_tickets_queue', 'tickets', ['status', 'team', sa.text('priority DESC'), 'id'])
    op.create_index('ix_tickets_queue_any', 'tickets', ['status', sa.text('priority DESC'), 'id'])
    op.create_index('ix_tickets_assignee_status', 'tickets', ['assignee_id', 'status'])
    op.create_index('ix_tickets_conversation_status', 'tickets', ['conversation_id', 'status'])
    # Nullable, no foreign key: SQLite adds it in place (ALTER TABLE ... ADD COLUMN), no table copy.
    op.add_column('conversations', sa.Column('merged_into_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
    op.drop_index('ix_tickets_conversation_status', table_name='tickets')
    op.drop_index('ix_tickets_assignee_status', table_name='tickets')
    op.drop_index('ix_tickets_queue_any', table_name='tickets')
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_status_team', 'tickets', ['status', 'team'])
