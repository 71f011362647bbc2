"""Lookup indexes for the provider API: (tenant, reference) on roles, profiles, enrollments,
classes, line items and results.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "or_roles": ("user_sourced_id", "org_sourced_id"),
    "or_user_profiles": ("user_sourced_id",),
    "or_enrollments": ("user_sourced_id", "class_sourced_id"),
    "or_classes": ("school_sourced_id", "course_sourced_id"),
    "or_line_items": ("class_sourced_id",),
    "or_results": ("line_item_sourced_id", "student_sourced_id"),
}


def upgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, ["tenant_id", column])


def downgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
