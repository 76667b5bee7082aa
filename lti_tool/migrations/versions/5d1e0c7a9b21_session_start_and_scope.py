"""Each session's start (a session ends at most SESSION_MAX_HOURS after it, whatever its use)
and scope (the admin pages' sessions are found only by their own cookie).

Revision ID: 5d1e0c7a9b21
Revises: 3de342ed745c
Create Date: 2026-12-06 21:48:38.623384

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e0c7a9b21'
down_revision = '3de342ed745c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=16), server_default='lti', nullable=False))


def downgrade():
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_column('scope')
        batch_op.drop_column('started_at')
