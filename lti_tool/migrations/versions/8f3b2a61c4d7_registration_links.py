"""Single-use, expiring registration links: dynamic registration starts only from one an
administrator made.

Revision ID: 8f3b2a61c4d7
Revises: 5d1e0c7a9b21
Create Date: 2026-12-06 21:48:38.623384

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f3b2a61c4d7'
down_revision = '5d1e0c7a9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lti_registration_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('expected_issuer', sa.String(length=255), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_hash')
    )


def downgrade():
    op.drop_table('lti_registration_link')
