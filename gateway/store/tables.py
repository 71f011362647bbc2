"""SQLAlchemy tables: tenants, connections, runs, and one table per OneRoster stream.

Stream tables are built from :mod:`gateway.model.schema`, so a column added there is a
column here (and needs an Alembic migration). Payload values are stored as normalized text
(ISO dates, ``true``/``false``, comma lists) exactly as the CSV binding spells them, which
keeps bulk loads at COPY speed and comparisons of ISO timestamps correct.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gateway.model.schema import ALL_STREAMS, Stream

__all__ = ["api_keys", "connections", "leases", "metadata", "oauth1_nonces",
           "provider_access_log", "provider_clients", "record_select", "run_problems", "runs",
           "schedules", "stream_tables", "tenants"]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tenants = sa.Table(
    "tenants", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("last_version", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", sa.String(32), nullable=False),
)

connections = sa.Table(
    "connections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("connector", sa.String(100), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("secrets", sa.Text, nullable=True),
    sa.Column("state", sa.JSON, nullable=True),
    # The engine's own memory of each stream's last applied source (digest, version), so an
    # unchanged file can be skipped; kept apart from the connector's cursor state.
    sa.Column("marks", sa.JSON, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "name", name="uq_connections_tenant_name"),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("connection_id", sa.Integer, sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("started_at", sa.String(32), nullable=True),
    # The daemon's queue: who asked (cli, api, schedule, approval, shutdown), with which
    # options, and how far a running run got (progress; the last checkpoint it committed).
    sa.Column("trigger", sa.String(20), nullable=False, server_default="cli"),
    sa.Column("requested_by", sa.String(200), nullable=True),
    sa.Column("options", sa.JSON, nullable=True),
    sa.Column("queued_at", sa.String(32), nullable=True),
    sa.Column("worker", sa.String(200), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("progress", sa.JSON, nullable=True),
    sa.Column("checkpoint", sa.String(300), nullable=True),
    sa.Column("approves", sa.Integer, nullable=True),
    sa.Column("finished_at", sa.String(32), nullable=True),
    sa.Column("version", sa.BigInteger, nullable=True),
    sa.Column("counts", sa.JSON, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("problem_count", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_runs_connection", "connection_id", "id"),
    # One queued or running run per connection, enforced by the database itself: a second
    # trigger finds the first instead of queueing twice (see Store.request_run).
    sa.Index("ux_runs_active", "connection_id", unique=True,
             sqlite_where=sa.text("status IN ('queued', 'running')"),
             postgresql_where=sa.text("status IN ('queued', 'running')")),
    sa.Index("ix_runs_status", "status", "id"),
)

schedules = sa.Table(
    "schedules", metadata,
    sa.Column("connection_id", sa.Integer,
              sa.ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cron", sa.String(100), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    # A seasonal pause, inclusive ISO dates in the schedule's time zone (a summer break).
    sa.Column("pause_from", sa.String(10), nullable=True),
    sa.Column("pause_until", sa.String(10), nullable=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

leases = sa.Table(
    "leases", metadata,
    # "connection:17", "scheduler": one holder at a time until expires_at (epoch seconds).
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("acquired_at", sa.String(32), nullable=False),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key_id", sa.String(40), nullable=False, unique=True),
    # SHA-256 of the secret half; the secret itself is shown once, when the key is made.
    sa.Column("secret_hash", sa.String(64), nullable=False),
    # NULL: the key administers every tenant (an operator's key).
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
              nullable=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("last_used_at", sa.String(32), nullable=True),
    sa.Column("revoked_at", sa.String(32), nullable=True),
)

run_problems = sa.Table(
    "run_problems", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("line", sa.Integer, nullable=True),
    sa.Column("column", sa.String(100), nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_run_problems_run", "run_id"),
)


provider_clients = sa.Table(
    "provider_clients", metadata,
    # A vendor reading (and writing gradebook data of) one tenant through the OneRoster API.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.String(40), nullable=False, unique=True),
    # SHA-256 of the secret, for OAuth 2 client credentials ...
    sa.Column("secret_hash", sa.String(64), nullable=False),
    # ... and the secret sealed with the store's key, for OAuth 1.0a HMAC signatures,
    # which need the secret itself.
    sa.Column("secret_sealed", sa.Text, nullable=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("sharing", sa.JSON, nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("revoked_at", sa.String(32), nullable=True),
    sa.Column("last_used_at", sa.String(32), nullable=True),
)

provider_access_log = sa.Table(
    "provider_access_log", metadata,
    # Who read or wrote what, when: for a district's privacy audits.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer,
              sa.ForeignKey("provider_clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("query", sa.Text, nullable=True),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Index("ix_provider_access_log_client", "client_id", "id"),
)

oauth1_nonces = sa.Table(
    "oauth1_nonces", metadata,
    # OAuth 1.0a nonces of accepted OneRoster 1.1 requests (RFC 5849 section 3.3), kept
    # while their timestamp is acceptable so that a replay is refused by every process.
    sa.Column("consumer_key", sa.String(40), primary_key=True),
    sa.Column("nonce", sa.String(255), primary_key=True),
    sa.Column("timestamp", sa.BigInteger, primary_key=True),
    sa.Index("ix_oauth1_nonces_timestamp", "timestamp"),
)


LOOKUP_INDEXES: dict[str, tuple[str, ...]] = {
    "roles": ("user_sourced_id", "org_sourced_id"),
    "userProfiles": ("user_sourced_id",),
    "enrollments": ("user_sourced_id", "class_sourced_id"),
    "classes": ("school_sourced_id", "course_sourced_id"),
    "lineItems": ("class_sourced_id",),
    "results": ("line_item_sourced_id", "student_sourced_id"),
    # Created with their tables (migration 0008).
    "assessmentLineItems": ("class_sourced_id",),
    "assessmentResults": ("assessment_line_item_sourced_id", "student_sourced_id"),
}
"""References the provider API follows from the other end (a user's roles, a class's
enrollments, a school's classes): each gets a (tenant, reference) index. They cost about
1 s per 100,000 students on a first load; without them a page of a school's students
scans every role of the tenant once per user."""

FILTER_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "users": (("family_name", "sourced_id"), ("date_last_modified", "sourced_id")),
}
"""Provider filters common enough to deserve an index (migration 0007), each (tenant, the
filtered column, sourcedId) and named after the filtered column: a user by family name, and
the users changed since a delta consumer's last sync (``dateLastModified>'…'``). With the
sourcedId in it a page's keys come from the index alone (see ``Reader.page``), and an
equality filter reads them already in page order. Every index slows the bulk ingest, so the
list stays short."""


def _stream_table(stream: Stream) -> sa.Table:
    payload = [sa.Column(c.db_name, sa.Text, nullable=True) for c in stream.columns]
    return sa.Table(
        stream.table, metadata,
        # No foreign keys on the hot tables: they would be checked per row on every bulk
        # load; the store is the only writer and scopes every statement by tenant.
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("date_last_modified", sa.String(32), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("content_hash", sa.BigInteger, nullable=False),
        sa.Column("connection_id", sa.Integer, nullable=False),
        sa.Column("source_modified", sa.String(32), nullable=True),
        *payload,
        sa.Column("metadata", sa.Text, nullable=True),
        # The key is a unique index rather than a primary key so that the first load of an
        # empty table can drop it and build it once at the end (see SyncSession.bulk_load).
        sa.Index(f"ux_{stream.table}_key", "tenant_id", "sourced_id", unique=True),
        sa.Index(f"ix_{stream.table}_version", "tenant_id", "version"),
        *(sa.Index(f"ix_{stream.table}_{column}", "tenant_id", column)
          for column in LOOKUP_INDEXES.get(stream.name, ())),
        *(sa.Index(f"ix_{stream.table}_{columns[0]}", "tenant_id", *columns)
          for columns in FILTER_INDEXES.get(stream.name, ())),
    )


stream_tables: dict[str, sa.Table] = {name: _stream_table(s)
                                      for name, s in ALL_STREAMS.items()}
"""The table of every stream, the assessment streams included (``schema.ALL_STREAMS``)."""


def record_select(stream: str) -> sa.Select[Any]:
    """SELECT of a stream's records as flat OneRoster rows, labelled with the CSV column
    names (``sourcedId``, ``status``, ``dateLastModified``, the columns, ``metadata``)."""
    t = stream_tables[stream]
    return sa.select(t.c.sourced_id.label("sourcedId"), t.c.status,
                     t.c.date_last_modified.label("dateLastModified"),
                     *(t.c[c.db_name].label(c.name) for c in ALL_STREAMS[stream].columns),
                     t.c.metadata)
