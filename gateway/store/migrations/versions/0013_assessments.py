"""Normed assessment results (MAP Growth, i-Ready, Star, IXL) as their exports report them
(docs/assessments.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('identity_link_id', sa.Integer(), nullable=True),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('assessment', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('school_year', sa.String(length=4), nullable=False),
    sa.Column('window', sa.String(length=10), nullable=False),
    sa.Column('administered_at', sa.String(length=32), nullable=False),
    sa.Column('growth_measure', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.Column('scale_score', sa.Float(), nullable=True),
    sa.Column('standard_error', sa.Float(), nullable=True),
    sa.Column('percentile', sa.Float(), nullable=True),
    sa.Column('performance_level', sa.String(length=100), nullable=True),
    sa.Column('grade_placement', sa.String(length=30), nullable=True),
    sa.Column('grade_equivalent', sa.String(length=10), nullable=True),
    sa.Column('lexile', sa.String(length=20), nullable=True),
    sa.Column('quantile', sa.String(length=20), nullable=True),
    sa.Column('domains', sa.JSON(), nullable=True),
    sa.Column('vendor_growth', sa.JSON(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_assessment_results_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_results')),
    sa.UniqueConstraint('tenant_id', 'system', 'source_key', name='uq_assessment_results_source')
    )
    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_results_learner', ['tenant_id', 'user_sourced_id', 'subject', 'administered_at'], unique=False)
        batch_op.create_index('ix_assessment_results_link', ['identity_link_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_results_link')
        batch_op.drop_index('ix_assessment_results_learner')

    op.drop_table('assessment_results')
