"""Roles that hold in Moodle: each platform's LMS role mapping, and the roles the roster
(NRPS) lists kept apart from those of launches.

Revision ID: 7af97e304c3e
Revises: 9f055179d9aa
Create Date: 2026-12-07 01:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7af97e304c3e'
down_revision = '9f055179d9aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_platform') as batch_op:
        batch_op.add_column(sa.Column('role_mapping', sa.JSON(), server_default='{}',
                                      nullable=False))
    with op.batch_alter_table('enrolment') as batch_op:
        batch_op.add_column(sa.Column('roster_roles', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('enrolment') as batch_op:
        batch_op.drop_column('roster_roles')
    with op.batch_alter_table('lti_platform') as batch_op:
        batch_op.drop_column('role_mapping')
