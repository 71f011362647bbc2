"""Identity resolution across systems: who a tool's (or any other system's) person is in the
canonical roster, by the connection's rules, and the review queue of those no rule decides.

Never guesses: two candidates, or rules naming different users, is a ``conflict`` for an
admin, as is no candidate (``unmatched``). See docs/learning.md, "Identity".
"""

from __future__ import annotations

from gateway.identity.links import (
    RESOLVED,
    IdentityLink,
    IdentityResolver,
    LearnerRef,
    LinkCounts,
    resolve,
)
from gateway.identity.review import (
    WAITING,
    confirm,
    for_review,
    get_link,
    ignore,
    list_links,
    relink,
)
from gateway.identity.rules import DEFAULT_MATCH, ROSTER_FIELDS, IdentityRules

__all__ = ["DEFAULT_MATCH", "RESOLVED", "ROSTER_FIELDS", "WAITING", "IdentityLink",
           "IdentityResolver", "IdentityRules", "LearnerRef", "LinkCounts", "confirm",
           "for_review", "get_link", "ignore", "list_links", "relink", "resolve"]
