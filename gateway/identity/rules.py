"""A connection's identity rules: for each kind of identifier its system sends, which roster
fields of a user it is compared with.

The rules come from the ``identity`` section of the tool's mapping or the connection's
config (docs/learning.md, "Identity")::

    identity:
      learner_id_kind: username            # the kind of ``learner`` when a record omits it
      match:
        sis_id: [sourcedId, identifier]    # roster fields, all tried: two users is a conflict
        state_id: ["userIds:state", identifier]

A kind the section does not name keeps its default (:data:`DEFAULT_MATCH`). ``tool_id`` is
the tool's own id for the person: no roster field holds it, so only a link an admin confirmed
(or one another rule made for the same id earlier) resolves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import ConfigError
from gateway.learning.records import ID_KINDS

__all__ = ["DEFAULT_MATCH", "ROSTER_FIELDS", "IdentityRules"]

ROSTER_FIELDS = ("sourcedId", "identifier", "username", "email", "userMasterIdentifier",
                 "lti")
"""What a rule can compare with: a users column (``email`` ignoring case), ``lti`` (the
user an LTI identity link resolved the ``sub`` to), or ``userIds:TYPE`` (the ``userIds``
entry of that type, such as ``{state:1234}``; types compared ignoring case)."""

DEFAULT_MATCH: dict[str, tuple[str, ...]] = {
    "sis_id": ("sourcedId", "identifier"),
    "state_id": ("userIds:state", "userIds:StateID", "identifier"),
    "username": ("username",),
    "email": ("email",),
    "lti_sub": ("lti",),
    "tool_id": (),
}


def _check_field(name: str, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: {name!r} is not a roster field name")
    name = name.strip()
    if name in ROSTER_FIELDS:
        return name
    prefix, sep, kind = name.partition(":")
    if prefix == "userIds" and sep and kind.strip() and not set(kind) & set("{}"):
        return f"userIds:{kind.strip()}"
    raise ConfigError(f"{where}: {name!r} is not a roster field; use one of "
                      f"{', '.join(ROSTER_FIELDS)} or userIds:TYPE (such as userIds:state)")


@dataclass(frozen=True, slots=True)
class IdentityRules:
    """Per id kind, the roster fields it is matched against (in order; all are tried)."""

    match: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_MATCH))
    learner_id_kind: str | None = None
    """The kind of a record's ``learner`` when the record does not say."""

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None, *,
                    where: str = "identity") -> IdentityRules:
        """Rules from an ``identity`` section (None: the defaults). A ConfigError names the
        bad key and what it may be."""
        if config is None:
            return cls()
        if not isinstance(config, Mapping):
            raise ConfigError(f"{where} must be a mapping with learner_id_kind and match")
        unknown = set(config) - {"learner_id_kind", "match"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; it takes "
                              f"learner_id_kind and match")
        kind = config.get("learner_id_kind")
        if kind is not None and kind not in ID_KINDS:
            raise ConfigError(f"{where}.learner_id_kind: {kind!r} is not an id kind; use one "
                              f"of {', '.join(ID_KINDS)}")
        match = dict(DEFAULT_MATCH)
        given = config.get("match") or {}
        if not isinstance(given, Mapping):
            raise ConfigError(f"{where}.match must map id kinds to lists of roster fields")
        for key, fields in given.items():
            at = f"{where}.match.{key}"
            if key not in ID_KINDS:
                raise ConfigError(f"{at}: {key!r} is not an id kind; use one of "
                                  f"{', '.join(ID_KINDS)}")
            if key == "tool_id":
                raise ConfigError(f"{at}: a tool's own ids are in no roster field; they "
                                  f"resolve only through links an admin confirms")
            names = [fields] if isinstance(fields, str) else fields
            if not isinstance(names, list | tuple) or not names:
                raise ConfigError(f"{at} must list at least one roster field")
            match[key] = tuple(_check_field(n, at) for n in names)
        return cls(match=match, learner_id_kind=kind)

    @classmethod
    def merged(cls, *sections: Mapping[str, Any] | None, where: str = "identity"
               ) -> IdentityRules:
        """Rules from several sections, later ones winning per key and per kind (a
        mapping's rules, then a connection's own)."""
        out: dict[str, Any] = {}
        for section in sections:
            if not section:
                continue
            if not isinstance(section, Mapping):
                raise ConfigError(f"{where} must be a mapping with learner_id_kind and match")
            for key, value in section.items():
                if key == "match" and isinstance(value, Mapping):
                    out["match"] = {**out.get("match", {}), **value}
                else:
                    out[key] = value
        return cls.from_config(out or None, where=where)

    def fields(self, kind: str) -> tuple[str, ...]:
        return tuple(self.match.get(kind, ()))
