"""SQLAlchemy tables of grade pushes (migration 0012): the assignments the gateway made in
each destination LMS, the ledger of every grade write, and the grade conversions districts
choose. Which module writes which table: docs/push.md.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.store.tables import metadata

__all__ = ["grade_conversions", "push_assignments", "push_ledger"]

push_assignments = sa.Table(
    "push_assignments", metadata,
    # An assignment (line item, courseWork) the gateway wants in one destination: one per
    # class, push item and grading period. ``status``: pending (creation claimed, the LMS's
    # answer not recorded yet: find it before making it again), active, gone (deleted in the
    # LMS and reported, not recreated), skipped (the LMS cannot take it: ``message`` says).
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("key", sa.String(40), nullable=False),
    sa.Column("class_sourced_id", sa.String(255), nullable=False),
    sa.Column("item", sa.String(400), nullable=False),
    sa.Column("period_sourced_id", sa.String(255), nullable=True),
    sa.Column("period_end", sa.String(10), nullable=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("points_possible", sa.Float, nullable=False),
    sa.Column("remote_id", sa.Text, nullable=True),
    sa.Column("remote_url", sa.Text, nullable=True),
    sa.Column("remote_extra", sa.JSON, nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("connection_id", "key", name="uq_push_assignments_key"),
    sa.Index("ix_push_assignments_class", "connection_id", "class_sourced_id"),
)

push_ledger = sa.Table(
    "push_ledger", metadata,
    # Every grade the gateway decided to write to a destination, with its idempotency key and
    # the value sent. A grade is claimed (``pending``) before the write and marked when the
    # LMS answers, so a crash between the two resends the same value and nothing else.
    # Statuses: pending, sent, kept (the LMS keeps a newer grade of its own), superseded (a
    # newer value, or a recreated assignment, replaced it), held (closed grading period),
    # skipped (the LMS refused this learner: ``message`` says why).
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("assignment_id", sa.Integer,
              sa.ForeignKey("push_assignments.id", ondelete="CASCADE"), nullable=False),
    sa.Column("grade_key", sa.String(300), nullable=False),
    sa.Column("user_sourced_id", sa.String(255), nullable=False),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("points_possible", sa.Float, nullable=False),
    sa.Column("level", sa.String(50), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("value_hash", sa.String(64), nullable=False),
    sa.Column("timestamp", sa.String(32), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("sent_at", sa.String(32), nullable=True),
    sa.Index("ix_push_ledger_grade", "connection_id", "grade_key", "id"),
    sa.Index("ix_push_ledger_status", "connection_id", "status"),
    sa.Index("ix_push_ledger_assignment", "assignment_id"),
    sa.Index("ix_push_ledger_user", "connection_id", "user_sourced_id"),
)

grade_conversions = sa.Table(
    "grade_conversions", metadata,
    # How a district turns a mastery or activity score into an LMS grade: the tenant's
    # default (``course_sourced_id`` = "") and per-course overrides. ``spec`` is validated by
    # gateway.push.conversion.Conversion.
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("course_sourced_id", sa.String(255), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "course_sourced_id", name="pk_grade_conversions"),
)
