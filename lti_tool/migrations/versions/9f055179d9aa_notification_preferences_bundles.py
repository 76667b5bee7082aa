"""Notification choices per person and topic, the hour's e-mail per person, and what the
delivery rules write on a notification (held, bundle, footer link).

Revision ID: 9f055179d9aa
Revises: 84e935d8b4fe
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9f055179d9aa'
down_revision = '84e935d8b4fe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notify_preference',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=32), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'topic'),
    )
    op.create_table(
        'notify_mailbox',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id'),
    )
    with op.batch_alter_table('notify_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_link', sa.String(length=2048), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('held', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('bundle_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_notify_notification_bundle_id', ['bundle_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('notify_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_notification_bundle_id')
        batch_op.drop_column('bundle_id')
        batch_op.drop_column('held')
        batch_op.drop_column('manage_link')
    op.drop_table('notify_mailbox')
    op.drop_table('notify_preference')
