"""tickets: indexes for the queue, agents' loads and a conversation's active ticket

`ix_tickets_queue` (status, team, priority DESC, id) replaces `ix_tickets_status_team`, its prefix: the
head of a team's queue and a ticket's queue position read one stretch of it. `ix_tickets_queue_any` is the
whole queue in the same order, `ix_tickets_assignee_status` the agents' loads and
`ix_tickets_conversation_status` a conversation's active ticket, which every handoff looks up.

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


def downgrade() -> None:
    op.drop_index('ix_tickets_conversation_status', table_name='tickets')
    op.drop_index('ix_tickets_assignee_status', table_name='tickets')
    op.drop_index('ix_tickets_queue_any', table_name='tickets')
    op.drop_index('ix_tickets_queue', table_name='tickets')
    op.create_index('ix_tickets_status_team', 'tickets', ['status', 'team'])
