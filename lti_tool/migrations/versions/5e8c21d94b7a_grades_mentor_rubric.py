"""The mentors' own participation rubric (used when a program grades mentors).

Revision ID: 5e8c21d94b7a
Revises: 7af97e304c3e
Create Date: 2026-12-07 01:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5e8c21d94b7a'
down_revision = '7af97e304c3e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grades_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mentor_rubric', sa.JSON(), server_default='{}',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('grades_policy', schema=None) as batch_op:
        batch_op.drop_column('mentor_rubric')
