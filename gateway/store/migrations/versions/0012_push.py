"""Grade pushes: the assignments made in each destination LMS, the ledger of every grade
write, and the grade conversions districts choose (docs/push.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('grade_conversions',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_grade_conversions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'course_sourced_id', name='pk_grade_conversions')
    )
    op.create_table('push_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('class_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('item', sa.String(length=400), nullable=False),
    sa.Column('period_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('period_end', sa.String(length=10), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('points_possible', sa.Float(), nullable=False),
    sa.Column('remote_id', sa.Text(), nullable=True),
    sa.Column('remote_url', sa.Text(), nullable=True),
    sa.Column('remote_extra', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_push_assignments_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_assignments')),
    sa.UniqueConstraint('connection_id', 'key', name='uq_push_assignments_key')
    )
    with op.batch_alter_table('push_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_push_assignments_class', ['connection_id', 'class_sourced_id'], unique=False)

    op.create_table('push_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('grade_key', sa.String(length=300), nullable=False),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('points_possible', sa.Float(), nullable=False),
    sa.Column('level', sa.String(length=50), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('value_hash', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('sent_at', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['push_assignments.id'], name=op.f('fk_push_ledger_assignment_id_push_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_push_ledger_connection_id_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_ledger')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_push_ledger_idempotency_key'))
    )
    with op.batch_alter_table('push_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_push_ledger_assignment', ['assignment_id'], unique=False)
        batch_op.create_index('ix_push_ledger_grade', ['connection_id', 'grade_key', 'id'], unique=False)
        batch_op.create_index('ix_push_ledger_status', ['connection_id', 'status'], unique=False)
        batch_op.create_index('ix_push_ledger_user', ['connection_id', 'user_sourced_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('push_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_push_ledger_user')
        batch_op.drop_index('ix_push_ledger_status')
        batch_op.drop_index('ix_push_ledger_grade')
        batch_op.drop_index('ix_push_ledger_assignment')

    op.drop_table('push_ledger')
    with op.batch_alter_table('push_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_push_assignments_class')

    op.drop_table('push_assignments')
    op.drop_table('grade_conversions')
