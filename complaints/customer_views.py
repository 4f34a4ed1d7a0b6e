"""The console's view of a consumer: profile, all their complaints, and staff notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.forms import ContactDetailsForm
from accounts.models import Role, User
from accounts.services import AccountError, update_contact_details
from complaints.models import Complaint, CustomerNote
from complaints.services import ComplaintError
from complaints.services.customers import CUSTOMER_NOTE_MAX_LENGTH, add_customer_note

# The newest complaints and notes shown; a consumer with more is rare and sees a count.
COMPLAINTS_SHOWN = 50
NOTES_SHOWN = 20
# The largest id a bigint column holds; a larger number in the URL is no customer.
MAX_ID = 2**63 - 1


class CustomerNoteForm(forms.Form):
    body = forms.CharField(
        label="Note about this customer (staff only)",
        max_length=CUSTOMER_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the note before adding it."},
    )


def get_customer_for(request: AuthenticatedRequest, consumer_id: int, permission: str) -> User:
    """The consumer if the user may see one of their complaints (else 404) and holds
    ``permission`` on them (else 403)."""
    if consumer_id > MAX_ID:
        raise Http404("No such customer.")
    consumer = User.objects.filter(pk=consumer_id, role=Role.CONSUMER).first()
    if consumer is None or not request.user.has_perm("complaints.view_customer", consumer):
        raise Http404("No such customer.")
    if not request.user.has_perm(permission, consumer):
        raise PermissionDenied
    return consumer


@require_http_methods(["GET", "POST"])
@permission_required("complaints.use_console")
def console_customer(request: AuthenticatedRequest, consumer_id: int) -> HttpResponse:
    """The customer page; a POST changes their contact details or adds a note about them."""
    consumer = get_customer_for(request, consumer_id, "complaints.view_customer")
    user = request.user
    details_form = ContactDetailsForm(instance=consumer, prefix="details")
    note_form = CustomerNoteForm(prefix="note")
    if request.method == "POST":
        if "note-body" in request.POST:
            consumer = get_customer_for(request, consumer_id, "complaints.add_customer_note")
            note_form = CustomerNoteForm(request.POST, prefix="note")
            if note_form.is_valid():
                try:
                    add_customer_note(consumer, note_form.cleaned_data["body"], actor=user)
                except ComplaintError as error:
                    note_form.add_error("body", str(error))
                else:
                    messages.success(request, "Note added.")
                    return redirect("console_customer", consumer_id=consumer.pk)
        else:
            consumer = get_customer_for(request, consumer_id, "complaints.edit_customer")
            details_form = ContactDetailsForm(request.POST, instance=consumer, prefix="details")
            if details_form.is_valid():
                try:
                    changed = update_contact_details(
                        consumer, actor=user, **details_form.cleaned_data
                    )
                except AccountError as error:
                    details_form.add_error(None, str(error))
                else:
                    messages.success(
                        request, "Details saved." if changed else "Nothing changed in the details."
                    )
                    return redirect("console_customer", consumer_id=consumer.pk)
    complaints = list(
        Complaint.objects.visible_to(user)
        .filter(consumer_id=consumer.pk)
        .select_related("team", "assignee")
        .only(
            "reference",
            "subject",
            "status",
            "received_at",
            "team__name",
            "assignee__full_name",
            "assignee__email",
        )
        .order_by("-received_at", "-id")[: COMPLAINTS_SHOWN + 1]
    )
    context: dict[str, Any] = {
        "customer": consumer,
        "complaints": complaints[:COMPLAINTS_SHOWN],
        "more_complaints": len(complaints) > COMPLAINTS_SHOWN,
        "notes": list(
            CustomerNote.objects.filter(consumer=consumer).select_related("author")[:NOTES_SHOWN]
        ),
        "details_form": details_form
        if user.has_perm("complaints.edit_customer", consumer)
        else None,
        "note_form": note_form if user.has_perm("complaints.add_customer_note", consumer) else None,
    }
    return render(request, "complaints/console_customer.html", context)
