"""LTI 1.3: the tool's signing keys, platform registrations, launch data and nonces, the
LMS courses seen in launches, identity links from NRPS, AGS line items and the ledger of
every score posted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("activated_at", sa.String(32), nullable=True),
        sa.Column("retired_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_lti_keys_kid")),
    )
    op.create_table(
        "lti_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("auth_login_url", sa.Text(), nullable=False),
        sa.Column("auth_token_url", sa.Text(), nullable=False),
        sa.Column("auth_audience", sa.Text(), nullable=True),
        sa.Column("key_set_url", sa.Text(), nullable=False),
        sa.Column("deployment_ids", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False, server_default="manual"),
        sa.Column("platform", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE",
                                name=op.f("fk_lti_registrations_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registrations")),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_registrations_issuer_client"),
    )
    op.create_table(
        "lti_launch_data",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lti_launch_data")),
    )
    op.create_index("ix_lti_launch_data_expires_at", "lti_launch_data", ["expires_at"])
    op.create_table(
        "lti_nonces",
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("nonce", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "nonce", name=op.f("pk_lti_nonces")),
    )
    op.create_index("ix_lti_nonces_expires_at", "lti_nonces", ["expires_at"])
    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.String(255), nullable=False),
        sa.Column("deployment_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("label", sa.String(255), nullable=True),
        sa.Column("class_sourced_id", sa.String(255), nullable=True),
        sa.Column("memberships_url", sa.Text(), nullable=True),
        sa.Column("lineitems_url", sa.Text(), nullable=True),
        sa.Column("ags_scopes", sa.JSON(), nullable=True),
        sa.Column("last_launch_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["lti_registrations.id"], ondelete="CASCADE",
            name=op.f("fk_lti_contexts_registration_id_lti_registrations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_contexts")),
        sa.UniqueConstraint("registration_id", "context_id", name="uq_lti_contexts_reg_context"),
    )
    op.create_table(
        "lti_identity_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(255), nullable=False),
        sa.Column("user_sourced_id", sa.String(255), nullable=True),
        sa.Column("matched_by", sa.String(30), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("name", sa.String(300), nullable=True),
        sa.Column("email", sa.String(300), nullable=True),
        sa.Column("person_sourcedid", sa.String(255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["lti_registrations.id"], ondelete="CASCADE",
            name=op.f("fk_lti_identity_links_registration_id_lti_registrations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_identity_links")),
        sa.UniqueConstraint("registration_id", "sub", name="uq_lti_identity_links_reg_sub"),
    )
    op.create_table(
        "lti_line_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("lineitems_url", sa.Text(), nullable=False),
        sa.Column("line_item_url", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=True),
        sa.Column("tag", sa.String(255), nullable=True),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("resource_link_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["lti_registrations.id"], ondelete="CASCADE",
            name=op.f("fk_lti_line_items_registration_id_lti_registrations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_line_items")),
    )
    op.create_index("ix_lti_line_items_lookup", "lti_line_items",
                    ["registration_id", "resource_id", "tag"])
    op.create_table(
        "lti_score_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("line_item_url", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("score_given", sa.Float(), nullable=True),
        sa.Column("score_maximum", sa.Float(), nullable=True),
        sa.Column("activity_progress", sa.String(20), nullable=False),
        sa.Column("grading_progress", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["lti_registrations.id"], ondelete="CASCADE",
            name=op.f("fk_lti_score_ledger_registration_id_lti_registrations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_score_ledger")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_lti_score_ledger_idempotency_key")),
    )
    op.create_index("ix_lti_score_ledger_item_user", "lti_score_ledger",
                    ["registration_id", "line_item_url", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_lti_score_ledger_item_user", table_name="lti_score_ledger")
    op.drop_table("lti_score_ledger")
    op.drop_index("ix_lti_line_items_lookup", table_name="lti_line_items")
    op.drop_table("lti_line_items")
    op.drop_table("lti_identity_links")
    op.drop_table("lti_contexts")
    op.drop_index("ix_lti_nonces_expires_at", table_name="lti_nonces")
    op.drop_table("lti_nonces")
    op.drop_index("ix_lti_launch_data_expires_at", table_name="lti_launch_data")
    op.drop_table("lti_launch_data")
    op.drop_table("lti_registrations")
    op.drop_table("lti_keys")
