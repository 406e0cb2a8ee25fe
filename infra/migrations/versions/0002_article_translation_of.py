"""articles.translation_of: linked language versions of an article

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_of', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_translation_of'), ['translation_of'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_translation_of'))
        batch_op.drop_column('translation_of')
