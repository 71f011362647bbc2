"""Filter indexes for the provider API: (tenant, family name, sourcedId) and (tenant, date
last modified, sourcedId) on users, so that ``filter=familyName='…'`` and the delta consumers'
``filter=dateLastModified>'…'`` read a page's keys from an index instead of walking every
user of the tenant.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEXES = {
    "or_users": (("family_name", "sourced_id"), ("date_last_modified", "sourced_id")),
}


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.create_index(f"ix_{table}_{columns[0]}", table, ["tenant_id", *columns])


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        for columns in indexes:
            op.drop_index(f"ix_{table}_{columns[0]}", table_name=table)
