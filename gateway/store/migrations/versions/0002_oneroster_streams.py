"""OneRoster 1.2 stream tables: one per CSV-binding file, keyed by (tenant, sourcedId).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('or_academic_sessions',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Text(), nullable=True),
    sa.Column('end_date', sa.Text(), nullable=True),
    sa.Column('parent_sourced_id', sa.Text(), nullable=True),
    sa.Column('school_year', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_academic_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_or_academic_sessions_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_academic_sessions_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_categories',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('weight', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_categories', schema=None) as batch_op:
        batch_op.create_index('ix_or_categories_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_categories_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_class_resources',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('resource_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_class_resources', schema=None) as batch_op:
        batch_op.create_index('ix_or_class_resources_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_class_resources_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_classes',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('grades', sa.Text(), nullable=True),
    sa.Column('course_sourced_id', sa.Text(), nullable=True),
    sa.Column('class_code', sa.Text(), nullable=True),
    sa.Column('class_type', sa.Text(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('school_sourced_id', sa.Text(), nullable=True),
    sa.Column('term_sourced_ids', sa.Text(), nullable=True),
    sa.Column('subjects', sa.Text(), nullable=True),
    sa.Column('subject_codes', sa.Text(), nullable=True),
    sa.Column('periods', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_classes', schema=None) as batch_op:
        batch_op.create_index('ix_or_classes_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_classes_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_course_resources',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('course_sourced_id', sa.Text(), nullable=True),
    sa.Column('resource_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_course_resources', schema=None) as batch_op:
        batch_op.create_index('ix_or_course_resources_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_course_resources_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_courses',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('school_year_sourced_id', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('course_code', sa.Text(), nullable=True),
    sa.Column('grades', sa.Text(), nullable=True),
    sa.Column('org_sourced_id', sa.Text(), nullable=True),
    sa.Column('subjects', sa.Text(), nullable=True),
    sa.Column('subject_codes', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_courses', schema=None) as batch_op:
        batch_op.create_index('ix_or_courses_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_courses_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_demographics',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('birth_date', sa.Text(), nullable=True),
    sa.Column('sex', sa.Text(), nullable=True),
    sa.Column('american_indian_or_alaska_native', sa.Text(), nullable=True),
    sa.Column('asian', sa.Text(), nullable=True),
    sa.Column('black_or_african_american', sa.Text(), nullable=True),
    sa.Column('native_hawaiian_or_other_pacific_islander', sa.Text(), nullable=True),
    sa.Column('white', sa.Text(), nullable=True),
    sa.Column('demographic_race_two_or_more_races', sa.Text(), nullable=True),
    sa.Column('hispanic_or_latino_ethnicity', sa.Text(), nullable=True),
    sa.Column('country_of_birth_code', sa.Text(), nullable=True),
    sa.Column('state_of_birth_abbreviation', sa.Text(), nullable=True),
    sa.Column('city_of_birth', sa.Text(), nullable=True),
    sa.Column('public_school_residence_status', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_demographics', schema=None) as batch_op:
        batch_op.create_index('ix_or_demographics_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_demographics_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_enrollments',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('school_sourced_id', sa.Text(), nullable=True),
    sa.Column('user_sourced_id', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('primary', sa.Text(), nullable=True),
    sa.Column('begin_date', sa.Text(), nullable=True),
    sa.Column('end_date', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_or_enrollments_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_enrollments_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_line_item_learning_objective_ids',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('line_item_sourced_id', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('learning_objective_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_line_item_learning_objective_ids', schema=None) as batch_op:
        batch_op.create_index('ix_or_line_item_learning_objective_ids_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_line_item_learning_objective_ids_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_line_item_score_scales',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('line_item_sourced_id', sa.Text(), nullable=True),
    sa.Column('score_scale_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_line_item_score_scales', schema=None) as batch_op:
        batch_op.create_index('ix_or_line_item_score_scales_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_line_item_score_scales_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_line_items',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('assign_date', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Text(), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('category_sourced_id', sa.Text(), nullable=True),
    sa.Column('academic_session_sourced_id', sa.Text(), nullable=True),
    sa.Column('result_value_min', sa.Text(), nullable=True),
    sa.Column('result_value_max', sa.Text(), nullable=True),
    sa.Column('school_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_line_items', schema=None) as batch_op:
        batch_op.create_index('ix_or_line_items_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_line_items_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_orgs',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('identifier', sa.Text(), nullable=True),
    sa.Column('parent_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_orgs', schema=None) as batch_op:
        batch_op.create_index('ix_or_orgs_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_orgs_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_resources',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('vendor_resource_id', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('roles', sa.Text(), nullable=True),
    sa.Column('importance', sa.Text(), nullable=True),
    sa.Column('vendor_id', sa.Text(), nullable=True),
    sa.Column('application_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_resources', schema=None) as batch_op:
        batch_op.create_index('ix_or_resources_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_resources_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_result_learning_objective_ids',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('result_sourced_id', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('learning_objective_id', sa.Text(), nullable=True),
    sa.Column('score', sa.Text(), nullable=True),
    sa.Column('text_score', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_result_learning_objective_ids', schema=None) as batch_op:
        batch_op.create_index('ix_or_result_learning_objective_ids_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_result_learning_objective_ids_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_result_score_scales',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('result_sourced_id', sa.Text(), nullable=True),
    sa.Column('score_scale_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_result_score_scales', schema=None) as batch_op:
        batch_op.create_index('ix_or_result_score_scales_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_result_score_scales_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_results',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('line_item_sourced_id', sa.Text(), nullable=True),
    sa.Column('student_sourced_id', sa.Text(), nullable=True),
    sa.Column('score_status', sa.Text(), nullable=True),
    sa.Column('score', sa.Text(), nullable=True),
    sa.Column('score_date', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('text_score', sa.Text(), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('in_progress', sa.Text(), nullable=True),
    sa.Column('incomplete', sa.Text(), nullable=True),
    sa.Column('late', sa.Text(), nullable=True),
    sa.Column('missing', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_results', schema=None) as batch_op:
        batch_op.create_index('ix_or_results_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_results_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_roles',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('user_sourced_id', sa.Text(), nullable=True),
    sa.Column('role_type', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('begin_date', sa.Text(), nullable=True),
    sa.Column('end_date', sa.Text(), nullable=True),
    sa.Column('org_sourced_id', sa.Text(), nullable=True),
    sa.Column('user_profile_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_roles', schema=None) as batch_op:
        batch_op.create_index('ix_or_roles_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_roles_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_score_scales',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('type', sa.Text(), nullable=True),
    sa.Column('org_sourced_id', sa.Text(), nullable=True),
    sa.Column('course_sourced_id', sa.Text(), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('score_scale_value', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_score_scales', schema=None) as batch_op:
        batch_op.create_index('ix_or_score_scales_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_score_scales_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_user_profiles',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('user_sourced_id', sa.Text(), nullable=True),
    sa.Column('profile_type', sa.Text(), nullable=True),
    sa.Column('vendor_id', sa.Text(), nullable=True),
    sa.Column('application_id', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('credential_type', sa.Text(), nullable=True),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('password', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_user_profiles', schema=None) as batch_op:
        batch_op.create_index('ix_or_user_profiles_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_user_profiles_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_user_resources',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('user_sourced_id', sa.Text(), nullable=True),
    sa.Column('org_sourced_id', sa.Text(), nullable=True),
    sa.Column('class_sourced_id', sa.Text(), nullable=True),
    sa.Column('resource_sourced_id', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_user_resources', schema=None) as batch_op:
        batch_op.create_index('ix_or_user_resources_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_user_resources_key', ['tenant_id', 'sourced_id'], unique=True)

    op.create_table('or_users',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('date_last_modified', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('source_modified', sa.String(length=32), nullable=True),
    sa.Column('enabled_user', sa.Text(), nullable=True),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('user_ids', sa.Text(), nullable=True),
    sa.Column('given_name', sa.Text(), nullable=True),
    sa.Column('family_name', sa.Text(), nullable=True),
    sa.Column('middle_name', sa.Text(), nullable=True),
    sa.Column('identifier', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('sms', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('agent_sourced_ids', sa.Text(), nullable=True),
    sa.Column('grades', sa.Text(), nullable=True),
    sa.Column('password', sa.Text(), nullable=True),
    sa.Column('user_master_identifier', sa.Text(), nullable=True),
    sa.Column('preferred_given_name', sa.Text(), nullable=True),
    sa.Column('preferred_middle_name', sa.Text(), nullable=True),
    sa.Column('preferred_family_name', sa.Text(), nullable=True),
    sa.Column('primary_org_sourced_id', sa.Text(), nullable=True),
    sa.Column('pronouns', sa.Text(), nullable=True),
    sa.Column('metadata', sa.Text(), nullable=True)
    )
    with op.batch_alter_table('or_users', schema=None) as batch_op:
        batch_op.create_index('ix_or_users_version', ['tenant_id', 'version'], unique=False)
        batch_op.create_index('ux_or_users_key', ['tenant_id', 'sourced_id'], unique=True)


STREAM_TABLES = (
    "or_academic_sessions",
    "or_categories",
    "or_class_resources",
    "or_classes",
    "or_course_resources",
    "or_courses",
    "or_demographics",
    "or_enrollments",
    "or_line_item_learning_objective_ids",
    "or_line_item_score_scales",
    "or_line_items",
    "or_orgs",
    "or_resources",
    "or_result_learning_objective_ids",
    "or_result_score_scales",
    "or_results",
    "or_roles",
    "or_score_scales",
    "or_user_profiles",
    "or_user_resources",
    "or_users",
)


def downgrade() -> None:
    for table in STREAM_TABLES:
        op.drop_table(table)  # drops its indexes too
