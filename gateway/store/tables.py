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

__all__ = ["api_keys", "connections", "leases", "lti_contexts", "lti_identity_links", "lti_keys",
           "lti_launch_data", "lti_line_items", "lti_nonces", "lti_registrations",
           "lti_score_ledger", "metadata", "oauth1_nonces",
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


# LTI 1.3 (migration 0010): Harbormaster as a tool that LMSs launch, and the services it
# calls back (Deep Linking, NRPS, AGS).

lti_keys = sa.Table(
    "lti_keys", metadata,
    # The tool's RSA signing keys. ``state``: ``active`` signs; ``next`` is published in the
    # JWKS ahead of a rollover so platforms cache it before it signs; ``retired`` stays
    # published until ``retired_at`` + the grace period, for tokens signed just before.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kid", sa.String(64), nullable=False, unique=True),
    sa.Column("private_key", sa.Text, nullable=False),  # PEM, sealed with the store's key
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("activated_at", sa.String(32), nullable=True),
    sa.Column("retired_at", sa.String(32), nullable=True),
)

lti_registrations = sa.Table(
    "lti_registrations", metadata,
    # One platform registration (an LMS install) of a tenant: its issuer and our client id
    # there, its endpoints, and the deployments of the tool it made.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("issuer", sa.String(500), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("auth_login_url", sa.Text, nullable=False),
    sa.Column("auth_token_url", sa.Text, nullable=False),
    sa.Column("auth_audience", sa.Text, nullable=True),
    sa.Column("key_set_url", sa.Text, nullable=False),
    sa.Column("deployment_ids", sa.JSON, nullable=False),
    # ``manual`` or ``dynamic`` (LTI Dynamic Registration), and what the platform said of
    # itself then (product family, version, supported messages).
    sa.Column("source", sa.String(10), nullable=False, server_default="manual"),
    sa.Column("platform", sa.JSON, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("issuer", "client_id", name="uq_lti_registrations_issuer_client"),
)

lti_launch_data = sa.Table(
    "lti_launch_data", metadata,
    # pylti1p3's launch-data storage (OIDC state, login nonces, validated launches), shared
    # by every API process; rows past ``expires_at`` (epoch seconds) are dead and swept.
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("ix_lti_launch_data_expires_at", "expires_at"),
)

lti_nonces = sa.Table(
    "lti_nonces", metadata,
    # Every id_token nonce accepted, per issuer, until the token could no longer be valid:
    # a replayed launch finds its nonce here and is refused, whichever process it reaches.
    sa.Column("issuer", sa.String(500), primary_key=True),
    sa.Column("nonce", sa.String(255), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("ix_lti_nonces_expires_at", "expires_at"),
)

lti_contexts = sa.Table(
    "lti_contexts", metadata,
    # An LMS course seen in a launch: the class of the roster it is (when known), and the
    # service endpoints its launches carried, so later pushes and roster checks know where
    # to go without waiting for a launch.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("registration_id", sa.Integer,
              sa.ForeignKey("lti_registrations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("context_id", sa.String(255), nullable=False),
    sa.Column("deployment_id", sa.String(255), nullable=False),
    sa.Column("title", sa.String(500), nullable=True),
    sa.Column("label", sa.String(255), nullable=True),
    sa.Column("class_sourced_id", sa.String(255), nullable=True),
    sa.Column("memberships_url", sa.Text, nullable=True),
    sa.Column("lineitems_url", sa.Text, nullable=True),
    sa.Column("ags_scopes", sa.JSON, nullable=True),
    sa.Column("last_launch_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("registration_id", "context_id", name="uq_lti_contexts_reg_context"),
)

lti_identity_links = sa.Table(
    "lti_identity_links", metadata,
    # Who an LMS user (``sub`` of a registration) is in the canonical roster, and by which
    # rule that was decided; ``user_sourced_id`` NULL with ``status`` unmatched or conflict
    # waits for review rather than guessing.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("registration_id", sa.Integer,
              sa.ForeignKey("lti_registrations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sub", sa.String(255), nullable=False),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),
    sa.Column("matched_by", sa.String(30), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("name", sa.String(300), nullable=True),
    sa.Column("email", sa.String(300), nullable=True),
    sa.Column("person_sourcedid", sa.String(255), nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("registration_id", "sub", name="uq_lti_identity_links_reg_sub"),
)

lti_line_items = sa.Table(
    "lti_line_items", metadata,
    # AGS line items the gateway found or made in a platform context, by (resourceId, tag).
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("registration_id", sa.Integer,
              sa.ForeignKey("lti_registrations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("lineitems_url", sa.Text, nullable=False),
    sa.Column("line_item_url", sa.Text, nullable=False),
    sa.Column("resource_id", sa.String(255), nullable=True),
    sa.Column("tag", sa.String(255), nullable=True),
    sa.Column("label", sa.String(500), nullable=False),
    sa.Column("score_maximum", sa.Float, nullable=False),
    sa.Column("resource_link_id", sa.String(255), nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Index("ix_lti_line_items_lookup", "registration_id", "resource_id", "tag"),
)

lti_score_ledger = sa.Table(
    "lti_score_ledger", metadata,
    # Every AGS score post, keyed by what it says (line item, user, value, timestamp): a
    # retried push finds the key ``sent`` and sends nothing; a ``pending`` row (crash after
    # the POST) is resent with the same timestamp, which a platform treats as the same score.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("registration_id", sa.Integer,
              sa.ForeignKey("lti_registrations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("idempotency_key", sa.String(128), nullable=False, unique=True),
    sa.Column("line_item_url", sa.Text, nullable=False),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("score_given", sa.Float, nullable=True),
    sa.Column("score_maximum", sa.Float, nullable=True),
    sa.Column("activity_progress", sa.String(20), nullable=False),
    sa.Column("grading_progress", sa.String(20), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("timestamp", sa.String(40), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("response_status", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("sent_at", sa.String(32), nullable=True),
    sa.Index("ix_lti_score_ledger_item_user", "registration_id", "line_item_url", "user_id"),
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


# The learning tables (standards, evidence, mastery, ...) live in their own module; importing
# it here puts them in ``metadata`` for Alembic and create_all, whoever imports the store.
from gateway.store import learning_tables as _learning_tables  # noqa: E402, F401
from gateway.store import push_tables as _push_tables  # noqa: E402, F401
