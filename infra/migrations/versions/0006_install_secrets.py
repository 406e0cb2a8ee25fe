"""install_secrets: secrets generated once per installation (demo mode), shared by every process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import infra.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('install_secrets',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_install_secrets'))
    )


def downgrade() -> None:
    op.drop_table('install_secrets')
