"""conversations: an email address for replies to a customer who has left the chat

`reply_email`: the address the customer left in the web chat (format-checked, not verified);
`away_since`: when their last chat socket closed (None while one is open); `emailed_seq`: the last seq
already sent by email, so each agent reply is emailed at most once. All nullable or with a server
default: SQLite adds them in place (ALTER TABLE ... ADD COLUMN), no table copy.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import infra.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('conversations', sa.Column('reply_email', sa.String(length=320), nullable=True))
    op.add_column(
        'conversations', sa.Column('away_since', infra.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        'conversations',
        sa.Column('emailed_seq', sa.Integer(), nullable=False, server_default=sa.text('0')),
    )
    # The email sweep reads the few conversations whose customer is away: an index, not a table scan.
    op.create_index('ix_conversations_away_since', 'conversations', ['away_since'])


def downgrade() -> None:
    op.drop_index('ix_conversations_away_since', table_name='conversations')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('emailed_seq')
        batch_op.drop_column('away_since')
        batch_op.drop_column('reply_email')
