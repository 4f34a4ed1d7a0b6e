"""Saved queue views: a person's filters, order and columns, kept under a name."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from complaints.models import QUEUE_COLUMNS, SavedView
from complaints.services.gate import Actor, ComplaintError, may, person
from complaints.text import clean_name

MAX_VIEWS_PER_PERSON = 30


def save_queue_view(
    *, name: str, query: str, columns: Sequence[str], shared: bool, actor: Actor
) -> SavedView:
    """Save the queue ``query`` (the queue's own parameters, already checked by its filter
    form) and ``columns`` under ``name`` for ``actor``; shared with all staff if ``shared``.

    Raises ``ComplaintError`` for an empty or taken name, a share by someone who may not
    share, or more than ``MAX_VIEWS_PER_PERSON`` views.
    """
    owner = person(actor)
    if owner is None or not may(actor, "complaints.save_queue_view"):
        raise ComplaintError("You may not save queue views.")
    if shared and not may(actor, "complaints.share_queue_view"):
        raise ComplaintError("Only managers and admins share views.")
    name = clean_name(name)
    if not name:
        raise ComplaintError("Give the view a name.")
    if SavedView.objects.filter(owner=owner, name__iexact=name).exists():
        raise ComplaintError(f"You already have a view named “{name}”.")
    if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_PERSON:
        raise ComplaintError(f"You have {MAX_VIEWS_PER_PERSON} views; remove one first.")
    view = SavedView(
        name=name,
        owner=owner,
        shared=shared,
        query=query,
        columns=[column for column in QUEUE_COLUMNS if column in columns],
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError as error:
        raise ComplaintError(f"You already have a view named “{name}”.") from error
    return view


def rename_queue_view(view: SavedView, name: str, *, actor: Actor) -> SavedView:
    """Give a saved view a new name: one's own, or a shared one by a manager or admin.

    Raises ``ComplaintError`` for anyone else, an empty name, or a name its owner already
    gave another view.
    """
    if not may(actor, "complaints.rename_queue_view", view):
        raise ComplaintError("You may not rename this view.")
    name = clean_name(name)
    if not name:
        raise ComplaintError("Give the view a name.")
    if name == view.name:
        return view
    mine = view.owner_id == getattr(person(actor), "pk", None)
    taken = SavedView.objects.filter(owner_id=view.owner_id, name__iexact=name)
    if taken.exclude(pk=view.pk).exists():
        whose = "You already have" if mine else "Its owner already has"
        raise ComplaintError(f"{whose} a view named “{name}”.")
    view.name = name
    try:
        with transaction.atomic():
            view.save(update_fields=["name"])
    except IntegrityError as error:
        # Another view took the name between the check and the save.
        raise ComplaintError(f"There is already a view named “{name}”.") from error
    return view


def delete_queue_view(view: SavedView, *, actor: Actor) -> None:
    """Remove a saved view: one's own, or a shared one by a manager or admin. Raises
    ``ComplaintError`` for anyone else."""
    if not may(actor, "complaints.delete_queue_view", view):
        raise ComplaintError("You may not remove this view.")
    view.delete()
