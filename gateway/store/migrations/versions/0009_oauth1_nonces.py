"""OAuth 1.0a nonces of the OneRoster 1.1 provider: one row per accepted (consumer key,
nonce, timestamp), so that a replayed signed request is refused by every API process.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth1_nonces",
        sa.Column("consumer_key", sa.String(40), nullable=False),
        sa.Column("nonce", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_key", "nonce", "timestamp",
                                name=op.f("pk_oauth1_nonces")),
    )
    op.create_index("ix_oauth1_nonces_timestamp", "oauth1_nonces", ["timestamp"])


def downgrade() -> None:
    op.drop_index("ix_oauth1_nonces_timestamp", table_name="oauth1_nonces")
    op.drop_table("oauth1_nonces")
