"""The one gate every change to a complaint passes through, and the one table of status moves.

``changing()`` opens the transaction, re-reads the complaint under ``SELECT … FOR UPDATE``
(dropping every cached related object, so decisions are made on the fresh row), checks the
actor's ``rules`` permission, and hands the service a ``Change``: the only way to move the
status (through ``MOVES``) and to write the change's one timeline event. When the service's
block ends, the gate saves the columns the change touched in one UPDATE and refuses to commit
a change that wrote no event, or more than one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import rules
from django.db import transaction
from django.utils import timezone

from accounts.models import SystemActor, User
from accounts.predicates import is_manager, is_system
from complaints.models import ACTIVE_STATUSES, Complaint, Event, Outcome, Status
from complaints.predicates import approves_resolutions, handles_complaint, owns_complaint
from tenancy import current

Actor: TypeAlias = User | SystemActor


class ComplaintError(Exception):
    """A refused complaint change; the message is meant for the person who asked."""


@dataclass(frozen=True)
class Move:
    """One named row of the status table: from which statuses, to which, and who may."""

    name: str
    sources: frozenset[Status]
    target: Status
    who: rules.Predicate
    # Offered as a plain status change in the console and the portal.
    manual: bool = False


RESOLVABLE = frozenset({Status.NEW, Status.OPEN, Status.AWAITING_CONSUMER, Status.REOPENED})

# Every status move in the product. Services move a status only by naming its row here.
MOVES: dict[str, Move] = {
    move.name: move
    for move in (
        Move(
            "start_work",
            frozenset({Status.NEW, Status.AWAITING_CONSUMER, Status.REOPENED}),
            Status.OPEN,
            handles_complaint,
            manual=True,
        ),
        Move(
            "await_consumer",
            frozenset({Status.NEW, Status.OPEN, Status.REOPENED}),
            Status.AWAITING_CONSUMER,
            handles_complaint,
            manual=True,
        ),
        Move("withdraw", frozenset(ACTIVE_STATUSES), Status.WITHDRAWN, owns_complaint, manual=True),
        Move("close", frozenset({Status.RESOLVED}), Status.CLOSED, handles_complaint, manual=True),
        Move(
            "reopen", frozenset({Status.RESOLVED}), Status.REOPENED, handles_complaint, manual=True
        ),
        Move("reopen_closed", frozenset({Status.CLOSED}), Status.REOPENED, is_manager, manual=True),
        # A first reply by staff starts the work on a new complaint.
        Move("first_reply", frozenset({Status.NEW}), Status.OPEN, handles_complaint),
        # The consumer's reply brings a waiting complaint back to work.
        Move("consumer_reply", frozenset({Status.AWAITING_CONSUMER}), Status.OPEN, owns_complaint),
        Move("resolve", RESOLVABLE, Status.RESOLVED, handles_complaint | approves_resolutions),
        Move("accept", frozenset({Status.RESOLVED}), Status.CLOSED, owns_complaint),
        Move("reject", frozenset({Status.RESOLVED}), Status.REOPENED, owns_complaint),
        Move("merge", frozenset(ACTIVE_STATUSES), Status.CLOSED, handles_complaint),
        # An unanswered resolution closes by itself after the tenant's number of days.
        Move("auto_close", frozenset({Status.RESOLVED}), Status.CLOSED, is_system),
    )
}


def manual_moves_from(status: str) -> list[Move]:
    """The plain (manual) rows of the status table that start from ``status``."""
    return [move for move in MOVES.values() if move.manual and status in move.sources]


def manual_moves(complaint: Complaint, actor: Any) -> list[Move]:
    """The plain status changes ``actor`` may make to ``complaint`` now."""
    return [move for move in manual_moves_from(complaint.status) if move.who.test(actor, complaint)]


def person(actor: Actor) -> User | None:
    """The user behind ``actor`` for the record; None for the system actor."""
    return actor if isinstance(actor, User) else None


def may(actor: Any, permission: str, obj: Any = None) -> bool:
    """Whether ``actor`` (a user or the system actor) holds the ``rules`` permission."""
    return rules.has_perm(permission, actor, obj)


class Change:
    """A change in progress on one locked complaint; given out by ``changing()`` only."""

    def __init__(self, complaint: Complaint, actor: Actor, *, new: bool = False) -> None:
        self.complaint = complaint
        self.actor = actor
        self.event: Event | None = None
        # A new complaint's event records its first status as a move from nothing.
        self.previous_status = "" if new else complaint.status
        self.new = new
        # The locked row's values before the change (none for a new complaint), for
        # observers that keep figures derived from the row (the report rollups).
        self.before: dict[str, Any] = (
            {} if new else {name: getattr(complaint, name) for name in LOCKED_FIELDS}
        )
        self._dirty: set[str] = set()

    @property
    def by_consumer(self) -> bool:
        return self.actor.pk is not None and self.actor.pk == self.complaint.consumer_id

    def set(self, **values: Any) -> None:
        """Change columns of the complaint; they are saved once, when the change ends."""
        for name, value in values.items():
            setattr(self.complaint, name, value)
        self._dirty.update(values)

    def move(self, name: str) -> Status:
        """Move the status along row ``name`` of ``MOVES``; returns the status before.

        Keeps the milestone timestamps and the SLA pause right. Raises ``ComplaintError``
        when the complaint's status is not a source of the row or the actor may not make it.
        """
        from complaints.services import clocks

        move = MOVES[name]
        complaint = self.complaint
        previous = Status(complaint.status)
        if previous not in move.sources:
            raise ComplaintError(
                f"A complaint that is {previous.label.lower()} cannot be moved to "
                f"{move.target.label.lower()}."
            )
        if not move.who.test(self.actor, complaint):
            raise ComplaintError(
                f"You may not move this complaint from {previous.label.lower()} to "
                f"{move.target.label.lower()}."
            )
        now = timezone.now()
        target = move.target
        self.set(status=target)
        if target == Status.RESOLVED:
            self.set(resolved_at=now)
        elif target in (Status.CLOSED, Status.WITHDRAWN):
            self.set(closed_at=now)
        elif target == Status.REOPENED:
            self.set(resolved_at=None, closed_at=None, reopened_at=now, sla_paused_for=timedelta())
        if target == Status.WITHDRAWN:
            self.set(outcome=Outcome.WITHDRAWN)
        if target == Status.AWAITING_CONSUMER:
            clocks.pause_sla(complaint)
        elif previous == Status.AWAITING_CONSUMER:
            clocks.resume_sla(complaint)
        elif target == Status.REOPENED:
            clocks.restart_resolution_clock(complaint)
        else:
            clocks.update_next_due(complaint)
        if target in (Status.CLOSED, Status.WITHDRAWN):
            clocks.stop_clocks(complaint)
        return previous

    def record(
        self,
        kind: Event.Kind,
        *,
        body: str = "",
        internal: bool = False,
        created_at: datetime | None = None,
        **data: Any,
    ) -> Event:
        """Write the change's one timeline event (a second call is a programming error)."""
        if self.event is not None:
            raise RuntimeError("A complaint change writes exactly one timeline event.")
        complaint = self.complaint
        moved = self.previous_status != complaint.status
        self.event = Event.objects.create(
            complaint=complaint,
            kind=kind,
            actor=person(self.actor),
            body=body,
            is_internal=internal,
            from_status=self.previous_status if moved else "",
            to_status=complaint.status if moved else "",
            data=data,
            **({"created_at": created_at} if created_at is not None else {}),
        )
        return self.event

    def save(self) -> None:
        """Write the touched columns, and ``updated_at``, in one UPDATE (none for a new
        complaint whose change touched nothing after its INSERT)."""
        if self.new and not self._dirty:
            return
        self._dirty.add("updated_at")
        self.complaint.save(update_fields=sorted(self._dirty))
        self._dirty.clear()


# Every column but the search vectors, which no change reads: a lock re-reads these, also on
# an instance that was loaded with some of them deferred.
LOCKED_FIELDS = [
    field.attname
    for field in Complaint._meta.concrete_fields
    if field.attname not in ("search_vector", "internal_search_vector")
]


def lock(complaint: Complaint) -> Complaint:
    """Re-read ``complaint`` under a row lock, in place, dropping every cached relation.

    ``refresh_from_db`` with a locking queryset clears cached foreign keys and reverse
    relations; the cached properties and prefetches of the instance go too.
    """
    complaint.refresh_from_db(
        fields=LOCKED_FIELDS,
        from_queryset=Complaint.objects.select_for_update(of=("self",)),
    )
    complaint.__dict__.pop("open_proposal", None)
    complaint.__dict__.pop("_prefetched_objects_cache", None)
    return complaint


#: Called inside the gate's transaction, after each change is saved, with the ``Change`` (its
#: complaint, actor, event and previous status). Apps above the complaint domain (webhooks,
#: staff notifications, report rollups) register theirs from ``AppConfig.ready`` with
#: ``observe_changes``; what they write commits or rolls back with the change itself.
CHANGE_OBSERVERS: list[Callable[[Change], None]] = []


def observe_changes(observer: Callable[[Change], None]) -> Callable[[Change], None]:
    """Register ``observer`` to run after every committed-with-the-change complaint change.

    An observer must not raise for an ordinary change: an exception rolls the change back.
    Registering the same callable twice is a no-op.
    """
    if observer not in CHANGE_OBSERVERS:
        CHANGE_OBSERVERS.append(observer)
    return observer


@contextmanager
def changing(
    complaint: Complaint,
    *,
    actor: Actor,
    permission: str | None,
    refusal: str = "",
    also: Sequence[Complaint] = (),
    new: bool = False,
) -> Iterator[Change]:
    """The gate: one transaction, the locked fresh row, the permission, one event.

    ``permission`` is a ``rules`` permission checked on the fresh row; None only for a plain
    status change, whose permission is the ``who`` of its row in ``MOVES`` (``Change.move``).

    ``also`` names other complaints the change reads or writes (a merge's target); all are
    locked in primary-key order, so two changes over the same pair never deadlock. A ``new``
    complaint, inserted in the caller's transaction, is seen by nobody else and needs no
    lock. Raises
    ``ComplaintError(refusal)`` when ``actor`` lacks ``permission`` on the fresh complaint, and
    whatever ``ComplaintError`` the service raises; either way nothing is written.
    """
    if actor is None:
        raise TypeError("Every change names its actor; the product itself is SYSTEM.")
    # A new complaint's change needs no savepoint: it is refused only by rolling back the
    # caller's transaction, which inserted the complaint.
    with transaction.atomic(savepoint=not new):
        if not new:
            for item in sorted([complaint, *also], key=lambda item: item.pk):
                lock(item)
        if permission is not None and not may(actor, permission, complaint):
            raise ComplaintError(refusal)
        change = Change(complaint, actor, new=new)
        yield change
        if change.event is None:
            raise RuntimeError("A complaint change writes exactly one timeline event.")
        change.save()
        for observer in CHANGE_OBSERVERS:
            observer(change)


class StaleComplaint(ComplaintError):
    """A change asked for on a version of the complaint older than the current one.

    ``events`` are the timeline entries the person has not seen (those they may read), oldest
    first; the message names them, and who made them when ``names_staff``.
    """

    def __init__(self, events: Sequence[Event], *, lead: str, names_staff: bool) -> None:
        self.events = list(events)
        what = "; ".join(
            f"{event.headline}"
            f"{' by ' + event.actor.display_name if event.actor and names_staff else ''}"
            f" ({current.readable_moment(event.created_at)})"
            for event in self.events
        )
        super().__init__(f"{lead} {what}.")


STALE = "This complaint changed since you opened it, so nothing was changed:"
NEWER_MESSAGE = (
    "A newer message arrived since you opened this complaint; your reply was not sent. "
    "Read it, then send again if your reply still fits:"
)


@contextmanager
def unchanged_since(
    complaint: Complaint, seen: int | None, *, actor: Actor, only_messages: bool = False
) -> Iterator[None]:
    """A transaction in which ``complaint`` is locked and has no timeline entry, readable by
    ``actor``, newer than entry ``seen`` (the last one the person was shown).

    Every change writes exactly one event, so the newest event id is the complaint's version.
    With ``only_messages`` only public replies count (a reply conflicts with a newer message,
    not with a changed priority). The changes made inside the block join this transaction and
    its lock, so nobody can slip a change in between the check and the change. ``seen=None``
    (a client that sent no version, the API) checks nothing. Raises ``StaleComplaint`` and
    writes nothing when the complaint moved on.
    """
    with transaction.atomic():
        if seen is not None:
            lock(complaint)
            newer = Event.objects.visible_to(actor).filter(complaint=complaint, pk__gt=seen)
            if only_messages:
                newer = newer.filter(kind=Event.Kind.REPLY, is_internal=False)
            unseen = list(newer.select_related("actor"))
            if unseen:
                # Consumers are never told which member of staff did what, as on their page.
                raise StaleComplaint(
                    unseen,
                    lead=NEWER_MESSAGE if only_messages else STALE,
                    names_staff=getattr(actor, "is_staff_member", False),
                )
        yield
