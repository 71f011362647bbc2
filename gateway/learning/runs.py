"""The tool side of a run: what the engine keeps for a connection's tool streams across the
parts of one pull (its identity rules and the links decided so far), and the intake of each
part, wired to the real crosswalk, scales and mastery recompute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from gateway.errors import Problem
from gateway.identity import IdentityResolver, IdentityRules
from gateway.learning.intake import ToolIntake
from gateway.mastery import normalize, recompute
from gateway.standards.crosswalk import Crosswalk
from gateway.standards.store import standards_by_code
from gateway.store.store import ConnectionRecord

__all__ = ["ToolRun", "identity_rules"]


def identity_rules(connection: ConnectionRecord, connector: object) -> IdentityRules:
    """The connection's rules: its connector's (a mapping's ``identity`` section, exposed
    as the connector's ``identity`` attribute), overridden per key and kind by the
    ``identity`` section of the connection's own config."""
    from_mapping = getattr(connector, "identity", None)
    own = connection.config.get("identity")
    return IdentityRules.merged(
        from_mapping if isinstance(from_mapping, Mapping) else None,
        own if isinstance(own, Mapping) else None,
        where=f"connection {connection.label}: identity")


class ToolRun:
    """One pull's tool streams, part after part."""

    def __init__(self, connection: ConnectionRecord, connector: object, *,
                 max_delete_share: float = 0.2, approve_deletions: bool = False) -> None:
        self.connection = connection
        self.connector = connector
        self.max_delete_share = max_delete_share
        self.approve_deletions = approve_deletions
        self._resolver: IdentityResolver | None = None
        self._crosswalk_loaded = False

    @property
    def resolver(self) -> IdentityResolver:
        # Built at the first tool batch, so a connection without tool streams never reads
        # (or trips over) an identity section.
        if self._resolver is None:
            rules = identity_rules(self.connection, self.connector)
            self._resolver = IdentityResolver(self.connection.tenant_id, self.connection.name,
                                              rules)
        return self._resolver

    def load_crosswalk(self, conn: sa.Connection) -> list[Problem]:
        """Write the mapping's ``crosswalk:`` (the connector's ``crosswalk`` attribute) for
        this connection, once per pull, before the first tool batch is aligned. Entries
        naming a standard the tenant has not imported are left out and reported, so a
        district that has not imported that framework yet still gets its other evidence."""
        entries = getattr(self.connector, "crosswalk", None)
        if self._crosswalk_loaded or not entries:
            return []
        self._crosswalk_loaded = True
        known = standards_by_code(conn, self.connection.tenant_id,
                                  [str(e.get("standard", "")) for e in entries
                                   if isinstance(e, Mapping)])
        usable = [e for e in entries if isinstance(e, Mapping)
                  and len(known.get(str(e.get("standard", "")), ())) == 1]
        left_out = [e for e in entries if e not in usable]
        Crosswalk.load(conn, self.connection.tenant_id, self.connection.name, usable,
                       source="mapping", label=f"{self.connection.label} mapping crosswalk",
                       replace=True)
        if not left_out:
            return []
        names = ", ".join(f"{e.get('code')} -> {e.get('standard')}" for e in left_out[:5]
                          if isinstance(e, Mapping))
        more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
        return [Problem("mapping crosswalk", None, "standard",
                        f"{len(left_out)} crosswalk entries name a standard this tenant does "
                        f"not have, or has more than once, and were left out ({names}{more});"
                        f" import the framework (`harbor standards import`) or give the "
                        f"standard's CASE identifier")]

    def intake(self, conn: sa.Connection, **hooks: Any) -> ToolIntake:
        """The intake of one part, in that part's transaction ``conn``; ``hooks`` replace
        ``crosswalk_lookup``, ``normalize`` or ``recompute``. The mapping's crosswalk is
        loaded first (see :meth:`load_crosswalk`)."""
        notices = self.load_crosswalk(conn)
        intake = ToolIntake(
            conn, self.connection.tenant_id, self.connection.id, self.connection.name,
            resolver=self.resolver,
            crosswalk_lookup=hooks.get("crosswalk_lookup", Crosswalk.lookup_many),
            normalize=hooks.get("normalize", normalize),
            recompute=hooks.get("recompute", recompute),
            max_delete_share=self.max_delete_share, approve_deletions=self.approve_deletions)
        intake.report.problems.extend(notices)
        return intake
