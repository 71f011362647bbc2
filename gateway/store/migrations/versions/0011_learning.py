"""The learning half of the store: CASE frameworks, standards and associations, the
crosswalk from vendor skill codes, identity links from other systems, evidence, mastery and
its settings, interventions, placements, learner profiles, and the vendor tools Harbormaster
launches as an LTI platform (docs/learning.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crosswalk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=255), nullable=False),
    sa.Column('standard', sa.String(length=100), nullable=False),
    sa.Column('strength', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_crosswalk_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crosswalk')),
    sa.UniqueConstraint('tenant_id', 'system', 'code', 'standard', name='uq_crosswalk_entry')
    )
    op.create_table('evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('identity_link_id', sa.Integer(), nullable=True),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('activity', sa.String(length=500), nullable=True),
    sa.Column('skill_code', sa.String(length=255), nullable=True),
    sa.Column('standard', sa.String(length=100), nullable=True),
    sa.Column('raw_score', sa.String(length=100), nullable=True),
    sa.Column('scale', sa.String(length=100), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('observed_at', sa.String(length=32), nullable=False),
    sa.Column('usage_minutes', sa.Float(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='active', nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_evidence_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('tenant_id', 'system', 'source_key', name='uq_evidence_source')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_learner', ['tenant_id', 'user_sourced_id', 'standard', 'observed_at'], unique=False)
        batch_op.create_index('ix_evidence_link', ['identity_link_id'], unique=False)

    op.create_table('identity_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('rule', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_identity_links_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_links')),
    sa.UniqueConstraint('tenant_id', 'system', 'external_id', name='uq_identity_links_external')
    )
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.create_index('ix_identity_links_status', ['tenant_id', 'status'], unique=False)

    op.create_table('interventions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('identity_link_id', sa.Integer(), nullable=True),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('skill_code', sa.String(length=255), nullable=True),
    sa.Column('standard', sa.String(length=100), nullable=True),
    sa.Column('given_by', sa.String(length=255), nullable=True),
    sa.Column('started_at', sa.String(length=32), nullable=False),
    sa.Column('minutes', sa.Float(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_interventions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interventions')),
    sa.UniqueConstraint('tenant_id', 'system', 'source_key', name='uq_interventions_source')
    )
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.create_index('ix_interventions_learner', ['tenant_id', 'user_sourced_id', 'started_at'], unique=False)

    op.create_table('learner_profiles',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('interests', sa.JSON(), nullable=True),
    sa.Column('aspirations', sa.JSON(), nullable=True),
    sa.Column('goals', sa.JSON(), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_learner_profiles_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_sourced_id', name='pk_learner_profiles')
    )
    op.create_table('lti_tools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=False),
    sa.Column('deployment_id', sa.String(length=100), nullable=False),
    sa.Column('login_url', sa.Text(), nullable=False),
    sa.Column('launch_url', sa.Text(), nullable=False),
    sa.Column('jwks_url', sa.Text(), nullable=False),
    sa.Column('deep_link_url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_lti_tools_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tools')),
    sa.UniqueConstraint('client_id', name=op.f('uq_lti_tools_client_id')),
    sa.UniqueConstraint('tenant_id', 'name', name='uq_lti_tools_name')
    )
    op.create_table('mastery',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=False),
    sa.Column('standard', sa.String(length=100), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('level', sa.String(length=50), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('evidence_count', sa.Integer(), nullable=False),
    sa.Column('last_evidence_at', sa.String(length=32), nullable=False),
    sa.Column('computed_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mastery_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'user_sourced_id', 'standard', name='pk_mastery')
    )
    with op.batch_alter_table('mastery', schema=None) as batch_op:
        batch_op.create_index('ix_mastery_standard', ['tenant_id', 'standard'], unique=False)

    op.create_table('mastery_settings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('bands', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_mastery_settings_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_mastery_settings'))
    )
    op.create_table('placements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('identity_link_id', sa.Integer(), nullable=True),
    sa.Column('user_sourced_id', sa.String(length=255), nullable=True),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('grade_level', sa.String(length=10), nullable=True),
    sa.Column('struggling', sa.Boolean(), nullable=True),
    sa.Column('observed_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_placements_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placements')),
    sa.UniqueConstraint('tenant_id', 'system', 'identity_link_id', 'subject', name='uq_placements_learner')
    )
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.create_index('ix_placements_user', ['tenant_id', 'user_sourced_id', 'subject'], unique=False)

    op.create_table('standards_frameworks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=100), nullable=False),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('creator', sa.String(length=500), nullable=True),
    sa.Column('version', sa.String(length=100), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('adoption_status', sa.String(length=50), nullable=True),
    sa.Column('last_change', sa.String(length=40), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('imported_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_standards_frameworks_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards_frameworks')),
    sa.UniqueConstraint('tenant_id', 'identifier', name='uq_standards_frameworks_identifier')
    )
    op.create_table('lti_tool_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=500), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('resource_id', sa.String(length=255), nullable=True),
    sa.Column('resource_link_id', sa.String(length=255), nullable=True),
    sa.Column('tag', sa.String(length=255), nullable=True),
    sa.Column('standard', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_tool_line_items_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tool_line_items'))
    )
    with op.batch_alter_table('lti_tool_line_items', schema=None) as batch_op:
        batch_op.create_index('ix_lti_tool_line_items_context', ['tool_id', 'context_id'], unique=False)

    op.create_table('standard_associations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=100), nullable=False),
    sa.Column('association_type', sa.String(length=50), nullable=False),
    sa.Column('origin', sa.String(length=100), nullable=False),
    sa.Column('destination', sa.String(length=100), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['framework_id'], ['standards_frameworks.id'], name=op.f('fk_standard_associations_framework_id_standards_frameworks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_standard_associations_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_associations')),
    sa.UniqueConstraint('tenant_id', 'identifier', name='uq_standard_associations_identifier')
    )
    with op.batch_alter_table('standard_associations', schema=None) as batch_op:
        batch_op.create_index('ix_standard_associations_destination', ['tenant_id', 'association_type', 'destination'], unique=False)
        batch_op.create_index('ix_standard_associations_origin', ['tenant_id', 'association_type', 'origin'], unique=False)

    op.create_table('standards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=100), nullable=False),
    sa.Column('uri', sa.Text(), nullable=True),
    sa.Column('code', sa.String(length=200), nullable=True),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('item_type', sa.String(length=100), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('grade_levels', sa.JSON(), nullable=True),
    sa.Column('list_order', sa.Integer(), nullable=True),
    sa.Column('last_change', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['framework_id'], ['standards_frameworks.id'], name=op.f('fk_standards_framework_id_standards_frameworks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_standards_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standards')),
    sa.UniqueConstraint('tenant_id', 'identifier', name='uq_standards_identifier')
    )
    with op.batch_alter_table('standards', schema=None) as batch_op:
        batch_op.create_index('ix_standards_code', ['tenant_id', 'code'], unique=False)
        batch_op.create_index('ix_standards_framework', ['framework_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('standards', schema=None) as batch_op:
        batch_op.drop_index('ix_standards_framework')
        batch_op.drop_index('ix_standards_code')

    op.drop_table('standards')
    with op.batch_alter_table('standard_associations', schema=None) as batch_op:
        batch_op.drop_index('ix_standard_associations_origin')
        batch_op.drop_index('ix_standard_associations_destination')

    op.drop_table('standard_associations')
    with op.batch_alter_table('lti_tool_line_items', schema=None) as batch_op:
        batch_op.drop_index('ix_lti_tool_line_items_context')

    op.drop_table('lti_tool_line_items')
    op.drop_table('standards_frameworks')
    with op.batch_alter_table('placements', schema=None) as batch_op:
        batch_op.drop_index('ix_placements_user')

    op.drop_table('placements')
    op.drop_table('mastery_settings')
    with op.batch_alter_table('mastery', schema=None) as batch_op:
        batch_op.drop_index('ix_mastery_standard')

    op.drop_table('mastery')
    op.drop_table('lti_tools')
    op.drop_table('learner_profiles')
    with op.batch_alter_table('interventions', schema=None) as batch_op:
        batch_op.drop_index('ix_interventions_learner')

    op.drop_table('interventions')
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_links_status')

    op.drop_table('identity_links')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_link')
        batch_op.drop_index('ix_evidence_learner')

    op.drop_table('evidence')
    op.drop_table('crosswalk')
