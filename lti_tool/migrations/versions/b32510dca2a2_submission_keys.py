"""One-time submission keys: a form that creates something, sent twice, creates it once.

Revision ID: b32510dca2a2
Revises: 8f3b2a61c4d7
Create Date: 2026-12-06 21:48:38.623384

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b32510dca2a2'
down_revision = '8f3b2a61c4d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('result', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'key')
    )
    with op.batch_alter_table('web_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_submission_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('web_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_submission_created_at'))

    op.drop_table('web_submission')
