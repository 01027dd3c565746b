"""community data version: the key of the cached page sections (core/cache.py)

Revision ID: c4d5e6f7a8b9
Revises: b7c1d2e3f4a5
Create Date: 2026-11-27 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4d5e6f7a8b9'
down_revision = 'b7c1d2e3f4a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('data_version', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('data_version')
