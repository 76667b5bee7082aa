"""Notifications carry an HTML version beside the plain text; mentors write a short bio.

Revision ID: c4e1a7d20b15
Revises: b32510dca2a2
Create Date: 2026-12-07 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e1a7d20b15'
down_revision = 'b32510dca2a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notify_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
    with op.batch_alter_table('intake_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bio', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('intake_profile', schema=None) as batch_op:
        batch_op.drop_column('bio')
    with op.batch_alter_table('notify_notification', schema=None) as batch_op:
        batch_op.drop_column('html')
