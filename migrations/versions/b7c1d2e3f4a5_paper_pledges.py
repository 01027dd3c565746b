"""paper pledges: recorded by the committee for a home

Revision ID: b7c1d2e3f4a5
Revises: ffe0589814c8
Create Date: 2026-11-26 17:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7c1d2e3f4a5'
down_revision = 'ffe0589814c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('evidence', sa.String(length=200), nullable=False, server_default='')
        )
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            'fk_pledge_recorded_by_id_user', 'user', ['recorded_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_constraint('fk_pledge_recorded_by_id_user', type_='foreignkey')
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('evidence')
        batch_op.drop_column('recorded_by_id')
