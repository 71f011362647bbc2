"""Where a class and a learner are in the LMS: the LTI context launched from the class, and
the LTI user (``sub``) linked to the learner, both as the tool's launches recorded them.

Lookups are plain database reads with no await between reading a cache and filling it, so
the push's concurrent calls share the caches safely.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from gateway.errors import SkippableRecordError
from gateway.lti.ags import LINEITEM, LINEITEM_READONLY, AgsEndpoint
from gateway.lti.contexts import ContextRecord, Contexts
from gateway.lti.identity import IdentityLinks
from gateway.lti.registrations import Registration
from gateway.push.destination import ClassRef, Learner

__all__ = ["Course", "Roster"]


@dataclasses.dataclass(frozen=True, slots=True)
class Course:
    """The LMS course of a class, with the AGS endpoint its launches carried."""

    context: ContextRecord
    endpoint: AgsEndpoint

    @property
    def name(self) -> str:
        title = self.context.title or self.context.label or "untitled"
        return f"LMS course {title!r} (LTI context {self.context.context_id})"

    @property
    def lineitems_url(self) -> str:
        assert self.endpoint.lineitems is not None
        return self.endpoint.lineitems


def _class_name(section: ClassRef) -> str:
    return f"class {section.title!r} ({section.sourced_id})"


def _learner_name(learner: Learner) -> str:
    names = " ".join(n for n in (learner.given_name, learner.family_name) if n)
    return f"learner {learner.sourced_id}" + (f" ({names})" if names else "")


class Roster:
    """The contexts and identity links of one registration, read once per push."""

    def __init__(self, engine: sa.Engine, registration: Registration) -> None:
        self.engine = engine
        self.registration = registration
        self._courses: dict[str, ContextRecord] | None = None
        self._subs: dict[str, str | None] = {}

    def contexts(self) -> dict[str, ContextRecord]:
        """Each matched class's context; of several, the one launched from last (a course
        copied or re-made in the LMS keeps the class's SIS id, and teachers use the new one)."""
        if self._courses is None:
            found: dict[str, ContextRecord] = {}
            for record in Contexts(self.engine).list(self.registration.tenant_id):
                if record.registration_id != self.registration.id or \
                        record.class_sourced_id is None:
                    continue
                seen = found.get(record.class_sourced_id)
                if seen is None or (record.last_launch_at, record.id) > (seen.last_launch_at,
                                                                         seen.id):
                    found[record.class_sourced_id] = record
            self._courses = found
        return self._courses

    def course(self, section: ClassRef, *scopes: str) -> Course:
        """The class's LMS course where the launches granted every one of ``scopes``;
        SkippableRecordError saying what to do in the LMS otherwise."""
        registration = self.registration.name
        context = self.contexts().get(section.sourced_id)
        if context is None:
            code = f" or a course label equal to its class code {section.class_code!r}" \
                if section.class_code else ""
            raise SkippableRecordError(
                f"{_class_name(section)} has no LMS course for LTI registration "
                f"{registration!r} yet: a teacher must launch Harbormaster once from that "
                f"course in the LMS (the course is matched by its SIS section id "
                f"{section.sourced_id!r}{code})")
        course = Course(context, AgsEndpoint(lineitems=context.lineitems_url,
                                             scopes=frozenset(context.ags_scopes)))
        if context.lineitems_url is None:
            raise SkippableRecordError(
                f"{_class_name(section)}: its {course.name} sent no AGS line items URL in "
                f"its launches, so the gateway cannot make gradebook columns there; turn on "
                f"Assignment and Grade Services (with line item management) for the tool in "
                f"the LMS, then launch Harbormaster from the course again")
        for scope in scopes:
            # Managing line items includes reading them.
            if not course.endpoint.allows(scope) and not (
                    scope == LINEITEM_READONLY and course.endpoint.allows(LINEITEM)):
                granted = ", ".join(sorted(context.ags_scopes)) or "none"
                raise SkippableRecordError(
                    f"{_class_name(section)}: the LMS did not grant the scope {scope} in "
                    f"launches from its {course.name} (granted: {granted}); enable it for "
                    f"the tool in the LMS (the developer key's or tool's AGS settings), then "
                    f"launch Harbormaster from the course again")
        return course

    def sub(self, learner: Learner) -> str:
        """The LTI user id of ``learner`` in this registration; SkippableRecordError naming
        the learner when no LMS user is linked to them."""
        if learner.sourced_id not in self._subs:
            links = IdentityLinks(self.engine).of_user(self.registration.id, learner.sourced_id)
            self._subs[learner.sourced_id] = links[0].sub if links else None
        sub = self._subs[learner.sourced_id]
        if sub is None:
            raise SkippableRecordError(
                f"{_learner_name(learner)} has no linked LMS user in LTI registration "
                f"{self.registration.name!r} yet: they must launch Harbormaster once from the "
                f"LMS, or a teacher's launch of their course links its members (NRPS) in the "
                f"background; LMS users who could not be matched wait for review (harbor lti "
                f"identities list)")
        return sub
