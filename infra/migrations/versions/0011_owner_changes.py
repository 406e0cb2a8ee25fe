"""conversations: a count of owner changes, so the bot can tell its state is from before a handoff

`owner_changes`: incremented by `router.tickets.sync_owner` each time a conversation passes between the
bot and a person. The bot owns its state (`bot_state`, `bot/bot_state.py`) and writes the count it saw
with it; a state written before the conversation last changed hands is forgotten when the bot has it
again (it keeps the customer's language). With a server default: SQLite adds it in place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'conversations',
        sa.Column('owner_changes', sa.Integer(), nullable=False, server_default=sa.text('0')),
    )


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('owner_changes')
