"""The consumer's own account pages: overview, data export and closing the account."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.forms import ContactDetailsForm
from accounts.services import AccountError, update_contact_details
from audit.models import AuditEvent
from audit.services import record_event
from complaints.account_closure import close_consumer_account
from complaints.data_export import consumer_data
from complaints.models import Complaint
from complaints.portal_forms import CloseAccountForm

OWN_ACCOUNT = "accounts.manage_own_account"


@require_http_methods(["GET", "POST"])
@permission_required(OWN_ACCOUNT)
def account(request: AuthenticatedRequest) -> HttpResponse:
    """The consumer's account: their name and contact details, which they may change."""
    form = ContactDetailsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        changed = update_contact_details(request.user, actor=request.user, **form.cleaned_data)
        messages.success(
            request, "Your details are saved." if changed else "Nothing changed in your details."
        )
        return redirect("portal_account")
    return render(request, "complaints/account.html", {"form": form})


@require_GET
@permission_required(OWN_ACCOUNT)
def data_export(request: AuthenticatedRequest) -> HttpResponse:
    """Everything we hold about the consumer, as a JSON file download."""
    data = consumer_data(request.user, request.tenant)  # type: ignore[attr-defined]
    record_event(AuditEvent.Action.DATA_EXPORTED, actor=request.user, request=request)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"my-complaints-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(OWN_ACCOUNT)
def close(request: AuthenticatedRequest) -> HttpResponse:
    """Close the consumer's account after they confirm with their password."""
    form = CloseAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            close_consumer_account(request.user, actor=request.user)
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            messages.success(
                request, "Your account is closed. We keep the complaint records the law requires."
            )
            return redirect("home")
    active = Complaint.objects.filter(consumer=request.user).active().only("reference", "subject")
    return render(request, "complaints/close_account.html", {"form": form, "active": list(active)})
