"""Years of growth per learner, subject, school year and assessment (growth_results), and a
tenant's readiness cut scores (readiness_benchmarks): docs/assessments-growth.md.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('growth_results',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('school_year', sa.String(length=4), nullable=False),
    sa.Column('assessment', sa.String(length=30), nullable=False),
    sa.Column('years', sa.Float(), nullable=True),
    sa.Column('method', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('from_window', sa.String(length=10), nullable=True),
    sa.Column('to_window', sa.String(length=10), nullable=True),
    sa.Column('computed_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_growth_results_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_sourced_id', 'subject', 'school_year', 'assessment', name='pk_growth_results')
    )
    with op.batch_alter_table('growth_results', schema=None) as batch_op:
        batch_op.create_index('ix_growth_results_year', ['tenant_id', 'school_year', 'subject'], unique=False)

    op.create_table('readiness_benchmarks',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('assessment', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('grade', sa.String(length=10), nullable=False),
    sa.Column('window', sa.String(length=10), nullable=False),
    sa.Column('measure', sa.String(length=20), server_default='scale_score', nullable=False),
    sa.Column('cut_score', sa.Float(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_readiness_benchmarks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'assessment', 'subject', 'grade', 'window', name='pk_readiness_benchmarks')
    )


def downgrade() -> None:
    op.drop_table('readiness_benchmarks')
    with op.batch_alter_table('growth_results', schema=None) as batch_op:
        batch_op.drop_index('ix_growth_results_year')

    op.drop_table('growth_results')
