"""The daemon: a run queue (one active run per connection), schedules, leases, API keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # Runs left "running" by a process that died before this version can never finish;
    # the new unique index allows one active run per connection, so close them first.
    op.execute("UPDATE runs SET status = 'failed', message = 'interrupted before it "
               "finished; nothing was applied' WHERE status = 'running'")
    with op.batch_alter_table("runs") as batch_op:
        batch_op.alter_column("started_at", existing_type=sa.String(32), nullable=True)
        batch_op.add_column(sa.Column("trigger", sa.String(20), server_default="cli",
                                      nullable=False))
        batch_op.add_column(sa.Column("requested_by", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("queued_at", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("checkpoint", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("approves", sa.Integer(), nullable=True))
        batch_op.create_index("ux_runs_active", ["connection_id"], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index("ix_runs_status", ["status", "id"], unique=False)
    op.create_table(
        "schedules",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("pause_from", sa.String(10), nullable=True),
        sa.Column("pause_until", sa.String(10), nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_schedules_connection_id_connections"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_schedules")),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("acquired_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_used_at", sa.String(32), nullable=True),
        sa.Column("revoked_at", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_api_keys_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_keys_key_id")),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("leases")
    op.drop_table("schedules")
    op.execute("UPDATE runs SET started_at = queued_at WHERE started_at IS NULL")
    op.execute("DELETE FROM runs WHERE started_at IS NULL")
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_index("ix_runs_status")
        batch_op.drop_index("ux_runs_active")
        for name in ("approves", "checkpoint", "progress", "attempts", "worker", "queued_at",
                     "options", "requested_by", "trigger"):
            batch_op.drop_column(name)
        batch_op.alter_column("started_at", existing_type=sa.String(32), nullable=False)
