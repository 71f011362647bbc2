"""SQLAlchemy tables of the learning half of the store (migration 0011): academic standards
(CASE), the crosswalk from vendor skill codes, identity links from other systems, evidence,
mastery, interventions, placements and learner profiles. Every row is scoped by tenant.

The design and which module writes which table: docs/learning.md.
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.store.tables import metadata

__all__ = ["assessment_results", "crosswalk", "evidence", "identity_links", "interventions",
           "learner_profiles", "lti_tool_line_items", "lti_tools", "mastery",
           "mastery_settings", "placements", "standard_associations", "standards",
           "standards_frameworks"]


def _tenant() -> sa.Column[int]:
    return sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
                     nullable=False)


standards_frameworks = sa.Table(
    "standards_frameworks", metadata,
    # A CASE CFDocument imported into a tenant (from a CFPackage file or a CASE provider).
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("identifier", sa.String(100), nullable=False),  # the CFDocument GUID
    sa.Column("uri", sa.Text, nullable=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("creator", sa.String(500), nullable=True),
    sa.Column("version", sa.String(100), nullable=True),
    sa.Column("subject", sa.String(200), nullable=True),
    sa.Column("adoption_status", sa.String(50), nullable=True),
    sa.Column("last_change", sa.String(40), nullable=True),
    sa.Column("source", sa.Text, nullable=True),  # the file or provider URL it came from
    sa.Column("imported_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "identifier", name="uq_standards_frameworks_identifier"),
)

standards = sa.Table(
    "standards", metadata,
    # A CASE CFItem: the unit mastery is computed against.
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("framework_id", sa.Integer,
              sa.ForeignKey("standards_frameworks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("identifier", sa.String(100), nullable=False),  # the CFItem GUID
    sa.Column("uri", sa.Text, nullable=True),
    sa.Column("code", sa.String(200), nullable=True),  # humanCodingScheme
    sa.Column("statement", sa.Text, nullable=False),  # fullStatement
    sa.Column("item_type", sa.String(100), nullable=True),
    sa.Column("subject", sa.String(200), nullable=True),
    sa.Column("grade_levels", sa.JSON, nullable=True),  # educationLevel codes: "KG", "04"
    sa.Column("list_order", sa.Integer, nullable=True),
    sa.Column("last_change", sa.String(40), nullable=True),
    sa.UniqueConstraint("tenant_id", "identifier", name="uq_standards_identifier"),
    sa.Index("ix_standards_code", "tenant_id", "code"),
    sa.Index("ix_standards_framework", "framework_id"),
)

standard_associations = sa.Table(
    "standard_associations", metadata,
    # A CASE CFAssociation between two items (or an item and its document): isChildOf,
    # precedes (prerequisite: origin precedes destination), exactMatchOf, isRelatedTo, ...
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("framework_id", sa.Integer,
              sa.ForeignKey("standards_frameworks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("identifier", sa.String(100), nullable=False),
    sa.Column("association_type", sa.String(50), nullable=False),
    sa.Column("origin", sa.String(100), nullable=False),  # an item (or document) identifier
    sa.Column("destination", sa.String(100), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=True),
    sa.UniqueConstraint("tenant_id", "identifier", name="uq_standard_associations_identifier"),
    sa.Index("ix_standard_associations_origin", "tenant_id", "association_type", "origin"),
    sa.Index("ix_standard_associations_destination", "tenant_id", "association_type",
             "destination"),
)

crosswalk = sa.Table(
    "crosswalk", metadata,
    # A vendor's skill code (in ``system``, the mapping's or connection's name) aligned to a
    # standard, with how strongly (1.0: the same skill).
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("system", sa.String(100), nullable=False),
    sa.Column("code", sa.String(255), nullable=False),
    sa.Column("standard", sa.String(100), nullable=False),  # standards.identifier
    sa.Column("strength", sa.Float, nullable=False),
    sa.Column("source", sa.String(30), nullable=False),  # mapping, admin, learningObjectiveSet
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "code", "standard", name="uq_crosswalk_entry"),
)

identity_links = sa.Table(
    "identity_links", metadata,
    # Who a person of another system is (``system``: a connection's name, ``kind``: which of
    # its identifiers, e.g. username, email, state id) in the canonical roster; unmatched and
    # conflicting ones wait for review with their candidates in ``detail``.
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("system", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),
    sa.Column("rule", sa.String(30), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),  # matched confirmed unmatched conflict
    sa.Column("attributes", sa.JSON, nullable=True),  # name, email, ... as the system sent
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "external_id", name="uq_identity_links_external"),
    sa.Index("ix_identity_links_status", "tenant_id", "status"),
)

evidence = sa.Table(
    "evidence", metadata,
    # One observation of a learner (score, level, usage) from a source, as reported and
    # normalized to [0, 1] through its scale. ``source_key`` is the record's id in the
    # connection, so a re-pull updates instead of duplicating.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    _tenant(),
    # Where it came from: a connection's name, or ``lti-tool:<name>`` for scores a tool
    # launched by Harbormaster posted over AGS.
    sa.Column("system", sa.String(100), nullable=False),
    sa.Column("connection_id", sa.Integer, nullable=True),
    sa.Column("source_key", sa.String(255), nullable=False),
    sa.Column("identity_link_id", sa.Integer, nullable=True),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),  # NULL until resolved
    sa.Column("activity", sa.String(500), nullable=True),
    sa.Column("skill_code", sa.String(255), nullable=True),
    sa.Column("standard", sa.String(100), nullable=True),  # standards.identifier
    sa.Column("raw_score", sa.String(100), nullable=True),
    sa.Column("scale", sa.String(100), nullable=True),  # e.g. percent, rubric-1-4, level:A-Z
    sa.Column("score", sa.Float, nullable=True),  # normalized, 0..1
    sa.Column("observed_at", sa.String(32), nullable=False),
    sa.Column("usage_minutes", sa.Float, nullable=True),
    sa.Column("payload", sa.JSON, nullable=True),
    sa.Column("status", sa.String(12), nullable=False, server_default="active"),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "source_key", name="uq_evidence_source"),
    sa.Index("ix_evidence_learner", "tenant_id", "user_sourced_id", "standard", "observed_at"),
    sa.Index("ix_evidence_link", "identity_link_id"),
)

mastery = sa.Table(
    "mastery", metadata,
    # A learner's mastery of a standard, computed from their evidence by the tenant's method.
    _tenant(),
    sa.Column("user_sourced_id", sa.String(255), nullable=False),
    sa.Column("standard", sa.String(100), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("level", sa.String(50), nullable=False),
    sa.Column("method", sa.String(30), nullable=False),
    sa.Column("evidence_count", sa.Integer, nullable=False),
    sa.Column("last_evidence_at", sa.String(32), nullable=False),
    sa.Column("computed_at", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "user_sourced_id", "standard", name="pk_mastery"),
    sa.Index("ix_mastery_standard", "tenant_id", "standard"),
)

mastery_settings = sa.Table(
    "mastery_settings", metadata,
    # A tenant's mastery method, its parameters and level bands (default when absent).
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("method", sa.String(30), nullable=False),
    sa.Column("params", sa.JSON, nullable=True),
    sa.Column("bands", sa.JSON, nullable=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
)

interventions = sa.Table(
    "interventions", metadata,
    # A small-group or individual support a learner received, as a tool (or teacher) recorded.
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("system", sa.String(100), nullable=False),
    sa.Column("connection_id", sa.Integer, nullable=True),
    sa.Column("source_key", sa.String(255), nullable=False),
    sa.Column("identity_link_id", sa.Integer, nullable=True),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),
    sa.Column("kind", sa.String(30), nullable=False),  # small-group, individual
    sa.Column("skill_code", sa.String(255), nullable=True),
    sa.Column("standard", sa.String(100), nullable=True),
    sa.Column("given_by", sa.String(255), nullable=True),
    sa.Column("started_at", sa.String(32), nullable=False),
    sa.Column("minutes", sa.Float, nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "source_key", name="uq_interventions_source"),
    sa.Index("ix_interventions_learner", "tenant_id", "user_sourced_id", "started_at"),
)

placements = sa.Table(
    "placements", metadata,
    # Where a tool placed a learner in a subject (a grade level), and whether it flags them
    # as struggling: what "meet learners where they are" starts from. Keyed by the tool's
    # person (the identity link), so a placement of a learner not matched yet is kept with
    # no user and gets one when an admin confirms the link.
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("identity_link_id", sa.Integer, nullable=True),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),  # NULL until resolved
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("system", sa.String(100), nullable=False),
    sa.Column("grade_level", sa.String(10), nullable=True),  # "KG", "04"
    sa.Column("struggling", sa.Boolean, nullable=True),
    sa.Column("observed_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "identity_link_id", "subject",
                        name="uq_placements_learner"),
    sa.Index("ix_placements_user", "tenant_id", "user_sourced_id", "subject"),
)

learner_profiles = sa.Table(
    "learner_profiles", metadata,
    # What a learner (or their teacher) says of them: interests, aspirations, goals, languages.
    _tenant(),
    sa.Column("user_sourced_id", sa.String(255), nullable=False),
    sa.Column("interests", sa.JSON, nullable=True),
    sa.Column("aspirations", sa.JSON, nullable=True),
    sa.Column("goals", sa.JSON, nullable=True),
    sa.Column("languages", sa.JSON, nullable=True),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "user_sourced_id", name="pk_learner_profiles"),
)

lti_tools = sa.Table(
    "lti_tools", metadata,
    # A vendor tool Harbormaster launches as an LTI 1.3 platform (for tools without a REST
    # feed): where to send the login, where it publishes its keys, the client id we gave it.
    sa.Column("id", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=False, unique=True),
    sa.Column("deployment_id", sa.String(100), nullable=False),
    sa.Column("login_url", sa.Text, nullable=False),
    sa.Column("launch_url", sa.Text, nullable=False),
    sa.Column("jwks_url", sa.Text, nullable=False),
    sa.Column("deep_link_url", sa.Text, nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "name", name="uq_lti_tools_name"),
)

lti_tool_line_items = sa.Table(
    "lti_tool_line_items", metadata,
    # AGS line items a launched tool made (or Harbormaster made for it) in a class context;
    # scores posted to them become evidence, aligned to ``standard`` or a crosswalked tag.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tool_id", sa.Integer, sa.ForeignKey("lti_tools.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("context_id", sa.String(255), nullable=False),  # the class sourcedId
    sa.Column("label", sa.String(500), nullable=False),
    sa.Column("score_maximum", sa.Float, nullable=False),
    sa.Column("resource_id", sa.String(255), nullable=True),
    sa.Column("resource_link_id", sa.String(255), nullable=True),
    sa.Column("tag", sa.String(255), nullable=True),
    sa.Column("standard", sa.String(100), nullable=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Index("ix_lti_tool_line_items_context", "tool_id", "context_id"),
)


assessment_results = sa.Table(
    "assessment_results", metadata,
    # One administration of a normed assessment (MAP Growth, i-Ready, Star, IXL) to a
    # learner, as the vendor's export reports it (docs/assessments.md). ``source_key`` is the
    # record's id in the connection (a test id, or learner + window + subject), so a re-drop
    # of the same export updates instead of duplicating.
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    _tenant(),
    sa.Column("system", sa.String(100), nullable=False),  # the connection's name
    sa.Column("connection_id", sa.Integer, nullable=True),
    sa.Column("source_key", sa.String(255), nullable=False),
    sa.Column("identity_link_id", sa.Integer, nullable=True),
    sa.Column("user_sourced_id", sa.String(255), nullable=True),  # NULL until resolved
    sa.Column("assessment", sa.String(30), nullable=False),  # map-growth i-ready star ixl
    sa.Column("subject", sa.String(30), nullable=False),  # math reading language science
    sa.Column("school_year", sa.String(4), nullable=False),  # the year it ends: "2027"
    sa.Column("window", sa.String(10), nullable=False),  # fall winter spring summer
    sa.Column("administered_at", sa.String(32), nullable=False),
    # Whether this test counts for growth (MAP GrowthMeasureYN; the last of retests).
    sa.Column("growth_measure", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("grade", sa.String(10), nullable=True),  # the learner's grade when tested
    sa.Column("scale_score", sa.Float, nullable=True),  # RIT, i-Ready or Star scale score
    sa.Column("standard_error", sa.Float, nullable=True),
    sa.Column("percentile", sa.Float, nullable=True),  # national percentile rank
    sa.Column("performance_level", sa.String(100), nullable=True),  # quintile, tier, level
    sa.Column("grade_placement", sa.String(30), nullable=True),  # placement level: "03", "KG"
    sa.Column("grade_equivalent", sa.String(10), nullable=True),  # "4.5", "PP", ">12.9"
    sa.Column("lexile", sa.String(20), nullable=True),  # "850L", "BR400L"
    sa.Column("quantile", sa.String(20), nullable=True),  # "720Q", "EM300Q"
    sa.Column("domains", sa.JSON, nullable=True),  # [{name, scale_score, placement, ...}]
    sa.Column("vendor_growth", sa.JSON, nullable=True),  # the vendor's growth fields, as sent
    sa.Column("payload", sa.JSON, nullable=True),  # the export row
    sa.Column("status", sa.String(12), nullable=False, server_default="active"),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.UniqueConstraint("tenant_id", "system", "source_key", name="uq_assessment_results_source"),
    sa.Index("ix_assessment_results_learner", "tenant_id", "user_sourced_id", "subject",
             "administered_at"),
    sa.Index("ix_assessment_results_link", "identity_link_id"),
)

growth_results = sa.Table(
    "growth_results", metadata,
    # Years of growth per year for a learner, subject and school year on one assessment
    # (gateway/assessments/growth.py, docs/assessments-growth.md), recomputed from
    # assessment_results. ``years`` is NULL when there is no growth to report (one
    # administration, a window too short), with ``reason`` saying why.
    _tenant(),
    sa.Column("user_sourced_id", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(30), nullable=False),
    sa.Column("school_year", sa.String(4), nullable=False),
    sa.Column("assessment", sa.String(30), nullable=False),
    sa.Column("years", sa.Float, nullable=True),
    sa.Column("method", sa.Text, nullable=False),  # how the number was made, in words
    sa.Column("reason", sa.Text, nullable=True),  # why there is no number
    sa.Column("detail", sa.JSON, nullable=True),  # the inputs: scores, typical growth, weeks
    sa.Column("from_window", sa.String(10), nullable=True),
    sa.Column("to_window", sa.String(10), nullable=True),
    sa.Column("computed_at", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "user_sourced_id", "subject", "school_year",
                            "assessment", name="pk_growth_results"),
    sa.Index("ix_growth_results_year", "tenant_id", "school_year", "subject"),
)

readiness_benchmarks = sa.Table(
    "readiness_benchmarks", metadata,
    # A tenant's cut score: a learner of ``grade`` tested on ``assessment`` in ``subject``
    # in ``window`` meets the benchmark at or above ``cut_score`` on ``measure``
    # (gateway/assessments/benchmarks.py).
    _tenant(),
    sa.Column("assessment", sa.String(30), nullable=False),
    sa.Column("subject", sa.String(30), nullable=False),
    sa.Column("grade", sa.String(10), nullable=False),
    sa.Column("window", sa.String(10), nullable=False),
    sa.Column("measure", sa.String(20), nullable=False, server_default="scale_score"),
    sa.Column("cut_score", sa.Float, nullable=False),
    sa.Column("label", sa.String(100), nullable=True),  # "college ready", "on track"
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "assessment", "subject", "grade", "window",
                            name="pk_readiness_benchmarks"),
)

__all__ += ["growth_results", "readiness_benchmarks"]
