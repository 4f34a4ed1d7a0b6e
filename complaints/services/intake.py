"""A complaint arrives: logged, routed, its clocks started and its receipt acknowledged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import take_back_unproven_account
from complaints.models import (
    ACTIVE_STATUSES,
    Category,
    Channel,
    Complaint,
    Event,
    LetterKind,
    Team,
    reference_for,
)
from complaints.services.clocks import complaint_regulator, plan_deadlines, store_deadlines
from complaints.services.correspondence import attach_files, index_new_complaint
from complaints.services.gate import Actor, ComplaintError, changing, may
from complaints.services.letters import send_letter
from complaints.services.notices import tell_assignee
from complaints.text import clean_text
from configuration.models import AssignmentStrategy, TenantSettings

# The earliest date of receipt a complaint may be logged with. History imported from an
# earlier system keeps its real dates; a date before this one (1970, year 1) is a typing or
# parsing error, would start every clock long breached, and overflows the calendar arithmetic.
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)


def pick_assignee(team: Team, strategy: str) -> User | None:
    """The available agent who should get the next complaint of ``team``."""
    agents = list(
        team.members.filter(role=Role.AGENT, is_active=True, is_available=True).order_by("pk")
    )
    if not agents:
        return None
    if strategy == AssignmentStrategy.LEAST_LOADED:
        loads = dict(
            User.objects.filter(pk__in=[agent.pk for agent in agents])
            .annotate(
                load=Count(
                    "assigned_complaints", filter=Q(assigned_complaints__status__in=ACTIVE_STATUSES)
                )
            )
            .values_list("pk", "load")
        )
        chosen = min(agents, key=lambda agent: (loads[agent.pk], agent.pk))
    else:
        locked = Team.objects.select_for_update().get(pk=team.pk)
        after = [
            agent
            for agent in agents
            if locked.last_assignee_id and agent.pk > locked.last_assignee_id
        ]
        chosen = after[0] if after else agents[0]
        Team.objects.filter(pk=team.pk).update(last_assignee=chosen)
    return chosen


def submit_complaint(
    *,
    consumer: User,
    subject: str,
    description: str,
    category: Category | None = None,
    desired_outcome: str = "",
    channel: Channel | str = Channel.PORTAL,
    received_at: datetime | None = None,
    files: Sequence[UploadedFile] = (),
    actor: Actor,
    savepoint: bool = True,
) -> Complaint:
    """Log a complaint for ``consumer``, received now or (staff intake) at ``received_at``.

    Routes it, starts its clocks and sends the acknowledgement stating the deadline. Raises
    ``ComplaintError`` when the actor may not log it or the details are incomplete.
    ``savepoint=False`` joins the caller's transaction without a savepoint of its own (staff
    intake, whose refusal rolls back the consumer account it opened as well).
    """
    with transaction.atomic(savepoint=savepoint):
        if consumer.role != Role.CONSUMER:
            raise ComplaintError("Complaints can only be logged for a consumer account.")
        if actor.pk != consumer.pk and not may(actor, "complaints.log_on_behalf"):
            raise ComplaintError("You may only log complaints for yourself.")
        subject, description = clean_text(subject), clean_text(description)
        if not subject or not description:
            raise ComplaintError("A complaint needs a subject and a description.")
        if category is not None and not category.is_active:
            raise ComplaintError("That category is no longer in use; choose another.")
        received = received_at or timezone.now()
        if received > timezone.now():
            raise ComplaintError("The time the complaint was received cannot be in the future.")
        if received < EARLIEST_RECEIPT:
            raise ComplaintError(
                f"The date received must be in {EARLIEST_RECEIPT.year} or later; check the date."
            )
        policy = TenantSettings.current()
        team = (category.team if category else None) or Team.default()
        assignee = None
        if team is not None and policy.assignment_strategy != AssignmentStrategy.MANUAL:
            assignee = pick_assignee(team, policy.assignment_strategy)
        complaint = Complaint(
            reference=reference_for(received),
            consumer=consumer,
            subject=subject,
            description=description,
            desired_outcome=clean_text(desired_outcome),
            category=category,
            channel=channel,
            received_at=received,
            team=team,
            assignee=assignee,
        )
        # The acknowledgement goes with the receipt: its clocks are planned met now (and
        # count as met once its e-mail is delivered, ``letter_settled``), so the complaint
        # is inserted with its next deadline, its acknowledgement and its words indexed.
        acknowledged = timezone.now()
        acknowledging = complaint_regulator(complaint).clocks_met_by(LetterKind.ACKNOWLEDGEMENT)
        deadlines = plan_deadlines(complaint, met=dict.fromkeys(acknowledging, acknowledged))
        complaint.acknowledged_at = acknowledged
        index_new_complaint(complaint)
        complaint.save(force_insert=True)
        for expression in ("search_vector", "internal_search_vector"):
            del complaint.__dict__[expression]
        with changing(
            complaint,
            actor=actor,
            permission="complaints.log_complaint",
            refusal="You may only log complaints for yourself.",
            new=True,
        ) as change:
            event = change.record(Event.Kind.SUBMITTED, created_at=received, channel=str(channel))
            send_letter(
                change, LetterKind.ACKNOWLEDGEMENT, system=True, at=acknowledged, planned=deadlines
            )
            store_deadlines(complaint, deadlines)
            # Files are stored last: storage is not rolled back if a step above refuses.
            attach_files(change, event, files)
            if complaint.assignee is not None:
                tell_assignee(complaint, f"routed:{complaint.pk}")
        return complaint


class UnknownConsumer(ComplaintError):
    """No consumer account has the address, and none may be opened for it."""


def consumer_for_intake(
    email: str, full_name: str = "", *, actor: Actor, open_account: bool = True
) -> User:
    """The consumer account for a complaint received by phone, letter or e-mail.

    A person without an account gets one without a password (unless ``open_account`` is
    false: then ``UnknownConsumer``); they can set one with a password reset to follow the
    complaint online. An existing account whose address was never proven is never adopted as
    it is: it is taken back from whoever created it
    (``accounts.services.take_back_unproven_account``), so nothing staff log becomes
    readable by anyone who has not proven they own the address. Raises ``ComplaintError``
    when the address belongs to a staff account or a closed one, or is a reserved address
    that takes no mail (``.invalid``, which closed accounts are given).
    """
    email = email.strip().lower()
    # One look-up by the index on UPPER(email), which is what ``iexact`` compares.
    user = User.objects.filter(email__iexact=email).first()
    if not open_account and (user is None or user.role != Role.CONSUMER):
        raise UnknownConsumer("No consumer account has this e-mail address.")
    if email.endswith(".invalid"):
        raise ComplaintError(f"{email} is not an address that receives mail.")
    if user is not None and not user.is_active:
        raise ComplaintError(
            f"The account of {email} is closed or deactivated; log the complaint under the "
            "consumer's current address."
        )
    if user is None:
        user = User.objects.create_user(
            email, None, full_name=full_name.strip(), role=Role.CONSUMER
        )
    elif user.role != Role.CONSUMER:
        raise ComplaintError(f"{email} belongs to a staff account, not a consumer.")
    else:
        take_back_unproven_account(user, actor=actor)
        # Staff heard the name of someone we only knew by address: letters use it from now.
        name = " ".join(full_name.split())
        if name and not user.full_name:
            user.full_name = name
            user.save(update_fields=["full_name"])
    return user


def log_complaint_on_behalf(
    *,
    consumer_email: str,
    consumer_name: str = "",
    open_account: bool = True,
    actor: Actor,
    **details: Any,
) -> Complaint:
    """Staff intake: a complaint received by phone, letter, e-mail or social media, for the
    consumer with that address (``consumer_for_intake``), in one transaction."""
    if not may(actor, "complaints.log_on_behalf"):
        raise ComplaintError("You may not log complaints on a consumer's behalf.")
    with transaction.atomic():
        consumer = consumer_for_intake(
            consumer_email, consumer_name, actor=actor, open_account=open_account
        )
        return submit_complaint(consumer=consumer, actor=actor, savepoint=False, **details)
