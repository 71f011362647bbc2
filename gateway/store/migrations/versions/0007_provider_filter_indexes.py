"""Filter indexes for the provider API: (tenant, family name) and (tenant, date last
modified) on users, so that ``filter=familyName='…'`` and the delta consumers'
``filter=dateLastModified>'…'`` read a range of an index instead of every user.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {
    "or_users": ("family_name", "date_last_modified"),
}


def upgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, ["tenant_id", column])


def downgrade() -> None:
    for table, columns in INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
