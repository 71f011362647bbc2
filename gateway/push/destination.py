"""What a push destination (an LMS gradebook) must do, and what the push engine hands it.

The engine plans (:mod:`gateway.push.plan`), keeps the ledger (:mod:`gateway.push.ledger`)
and drives the writes (:mod:`gateway.push.run`); a destination only speaks its LMS. It is a
connector (``kind = LMS``, ``Capability.PUSH`` in its capabilities) that also subclasses
:class:`Destination`, with a config model deriving :class:`DestinationConfig` (which adds the
``push`` settings the engine reads); :class:`DestinationConnector` is both, with what every
push-only connector says (no streams, nothing to pull).

The three calls, and the promises each must keep:

- :meth:`Destination.find_assignment`: the LMS object this gateway made earlier for an
  :class:`Assignment` (found by the key it was created with: Canvas ``integration_id``, AGS
  ``resourceId``/``tag``, a OneRoster client-chosen ``sourcedId``, a marker in a Classroom
  description), or None. The engine calls it before every creation it cannot prove did not
  happen, so a crash between the LMS's answer and the ledger's update never makes a second
  assignment.
- :meth:`Destination.create_assignment`: make it, carrying that key, and say where it is.
- :meth:`Destination.put_grade`: set one learner's grade on a made assignment. Must be
  idempotent: sending the same :class:`Grade` again (a retry, a resend after a crash) leaves
  the LMS holding that one grade, not two.

Failures are the core's error tree plus two answers of the LMS the engine acts on:
:class:`AssignmentGone` (a teacher deleted it: the engine recreates it or reports it, as the
connection says) and :class:`PeriodClosed` (the LMS locks grades of a closed grading
period: held, not retried). ``RetriableError`` (429/5xx after the HTTP policy's own retries)
leaves the grade pending for the next push; ``SkippableRecordError`` (this learner is not in
that LMS course) skips one grade and reports it; ``ConfigError`` stops the push.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import httpx

from gateway.abc import (
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorKind,
    PullItem,
)
from gateway.errors import ConfigError, HarborError
from gateway.push.spec import PushSpec

if TYPE_CHECKING:
    from gateway.store.store import ConnectionRecord, Store

__all__ = ["Assignment", "AssignmentGone", "ClassRef", "Destination", "DestinationConfig",
           "DestinationConnector", "Grade", "GradeAck", "GradingPeriod", "Learner",
           "PeriodClosed", "PushRuntime", "Remote"]


@dataclasses.dataclass(frozen=True, slots=True)
class GradingPeriod:
    """A OneRoster academicSession (``gradingPeriod``, else the class's term) grades fall in."""

    sourced_id: str
    title: str
    start: str
    """ISO date."""
    end: str
    """ISO date, inclusive: grades are written up to the end of this day (UTC)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ClassRef:
    """The OneRoster class an assignment belongs to; the destination maps it to its course
    (Canvas ``sis_course_id:{sourced_id}``, a Classroom alias ``d:{sourced_id}``, the LTI
    context launched from that class, the same class sourcedId in a OneRoster gradebook)."""

    sourced_id: str
    title: str
    course_sourced_id: str | None = None
    school_sourced_id: str | None = None
    class_code: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Assignment:
    """An assignment (line item, courseWork) the gateway wants in one class's gradebook."""

    key: str
    """Stable and unique per destination connection, ``[a-z0-9-]``, at most 40 characters
    (``hm-`` and a hash of class, item and grading period): the identifier the LMS object is
    created with and found again by."""
    section: ClassRef
    item: str
    """What it grades: ``standard:{CASE identifier}`` or ``activity:{system}:{name}``."""
    title: str
    description: str
    points_possible: float
    period: GradingPeriod | None = None
    due_at: str | None = None
    """ISO 8601 UTC instant, or None (the LMS's "no due date")."""
    standard: str | None = None
    """The CASE item identifier, for destinations that can carry a learning objective."""
    standard_uri: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Learner:
    """A learner as the roster knows them; the destination picks the identifier its LMS
    uses (SIS id, login, email, LTI ``sub``)."""

    sourced_id: str
    identifier: str | None = None
    """The OneRoster ``identifier`` (student number)."""
    username: str | None = None
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Grade:
    """One learner's grade on one assignment, converted to the LMS's scale."""

    key: str
    """``{assignment key}/{learner sourcedId}``: unique per destination connection."""
    assignment: Assignment
    learner: Learner
    score: float
    """Points out of ``assignment.points_possible`` (already converted)."""
    comment: str | None
    timestamp: str
    """When the ledger claimed this grade (ISO 8601, ms, Z): the same on every resend, so an
    LMS that orders grades by time (AGS) treats a resend as the same grade."""
    level: str | None = None
    """The mastery level name behind the score, when it came from mastery."""
    late: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Remote:
    """Where the LMS keeps an assignment the gateway made."""

    id: str
    """The LMS's own id: Canvas assignment id, courseWork id, line item URL, lineItem
    sourcedId."""
    url: str | None = None
    """A link a person can open, if the LMS has one."""
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Anything the destination needs again later (a resolved course id); JSON values."""


@dataclasses.dataclass(frozen=True, slots=True)
class GradeAck:
    """The LMS's answer to a grade write."""

    response_status: int | None = None
    detail: str | None = None
    kept_theirs: bool = False
    """The LMS holds a newer grade it keeps (AGS 409): not an error, nothing to resend."""


class AssignmentGone(HarborError):
    """The LMS no longer has this assignment (a teacher deleted it)."""


class PeriodClosed(HarborError):
    """The LMS refuses grade changes in a closed grading period."""


@dataclasses.dataclass(frozen=True, slots=True)
class PushRuntime:
    """What the engine lends a destination for one push. Most destinations need nothing of
    it; LTI AGS reads the LTI registrations, contexts and identity links through it."""

    store: Store
    connection: ConnectionRecord
    transport: httpx.AsyncBaseTransport | None = None
    """Set by tests (fault injection with ``httpx.MockTransport``); None in production."""


class DestinationConfig(ConnectorConfig):
    """Base of a destination's settings: its own fields plus the engine's ``push`` block."""

    push: PushSpec = PushSpec()


class Destination(abc.ABC):
    """The push half of an LMS connector (see the module doc)."""

    concurrency: ClassVar[int] = 4
    """Writes in flight at once unless ``push.concurrency`` says otherwise."""

    async def open(self, runtime: PushRuntime) -> None:  # noqa: B027 - optional hook
        """Called once before the push's first call (build HTTP clients here)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Called once after the push's last call, even when it failed."""

    @abc.abstractmethod
    async def find_assignment(self, assignment: Assignment) -> Remote | None:
        """The LMS object made earlier for ``assignment.key``, or None."""

    @abc.abstractmethod
    async def create_assignment(self, assignment: Assignment) -> Remote:
        """Make it in the LMS, carrying ``assignment.key`` so :meth:`find_assignment` finds it."""

    @abc.abstractmethod
    async def put_grade(self, remote: Remote, grade: Grade) -> GradeAck:
        """Set ``grade`` on the assignment at ``remote``; idempotent (see the module doc)."""


C = TypeVar("C", bound=DestinationConfig)


class DestinationConnector(Connector[C], Destination, Generic[C]):
    """A push-only LMS connector: kind, capabilities, no streams, and a ``pull`` that says
    what to do instead. Subclasses set ``name``, ``title``, ``config_model`` and the
    :class:`Destination` calls (and ``check``)."""

    kind: ClassVar[ConnectorKind] = ConnectorKind.LMS
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.CHECK,
                                                               Capability.PUSH})

    def streams(self) -> Sequence[str]:
        return ()

    def pull(self, state: Mapping[str, Any] | None) -> AsyncGenerator[PullItem, bool | None]:
        raise ConfigError(f"{self.name} is a push-only destination: it writes assignments and "
                          f"grades to the LMS and has nothing to pull; run a push of this "
                          f"connection (harbor push run), and pull rosters from the SIS")
