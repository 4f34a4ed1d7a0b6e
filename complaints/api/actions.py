"""``complaints/{reference}/actions/<verb>/``: every console and portal action, each one call
of the service the pages call (``complaints.actions.ACTIONS``), validated by the page's own
form, answering the updated complaint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from django.http import Http404
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from complaints import services
from complaints.actions import ACTIONS
from complaints.api.common import (
    ACT,
    Refused,
    ScopedView,
    complaint_for,
    form_errors,
    form_input,
    if_match,
    serializer_for_form,
)
from complaints.api.views import COMPLAINT_DETAIL, IF_MATCH, represent
from complaints.forms import ProposalDecisionForm
from complaints.idempotency import idempotent
from complaints.models import Status


@dataclass(frozen=True)
class Verb:
    """An API verb: the action it runs, values it fixes, and what it is for."""

    action: str
    summary: str
    fixed: dict[str, str] = field(default_factory=dict)


VERBS: dict[str, Verb] = {
    "claim": Verb("claim", "Take the complaint yourself"),
    "assign": Verb("assign", "Assign to a colleague (or to nobody)"),
    "move-team": Verb("team", "Move to another team's queue"),
    "change-priority": Verb("priority", "Change the priority"),
    "change-category": Verb("category", "Change the category"),
    "change-status": Verb("status", "Move to another status the rules allow"),
    "refer": Verb("refer", "Refer to a support specialist"),
    "hand-back": Verb("hand_back", "Hand back with findings (the referred specialist)"),
    "escalate": Verb("escalate", "Raise the escalation level"),
    "holding-response": Verb("holding_response", "Send the holding response"),
    "in-progress-response": Verb("in_progress", "Send the in-progress response"),
    "resolve": Verb("resolve", "Resolve, or propose a resolution where approval is needed"),
    "propose-resolution": Verb("resolve", "Propose a resolution (sent for approval if needed)"),
    "approve-resolution": Verb("approve_resolution", "Approve the proposed resolution"),
    "return-resolution": Verb("return_resolution", "Return the proposed resolution"),
    "merge": Verb("merge", "Close as a duplicate of another complaint of the consumer"),
    "accept": Verb("accept", "Accept the resolution (the consumer)"),
    "reject": Verb("reject", "Reject the resolution (the consumer)"),
    "withdraw": Verb("status", "Withdraw the complaint", {"status": Status.WITHDRAWN.value}),
    "reopen": Verb("status", "Reopen the complaint", {"status": Status.REOPENED.value}),
    "rate": Verb("rate", "Rate the handling (the consumer)"),
}


class ActionView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """One verb on one complaint; ``verb`` is set per URL."""

    client_scope = ACT
    verb: Verb

    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        spec = ACTIONS[self.verb.action]
        complaint = complaint_for(request, reference, spec.permission)
        data = form_input(request.data, self.verb.fixed)
        form_class = spec.form
        if issubclass(form_class, ProposalDecisionForm) and not data.get("proposal"):
            # The API decides on the proposal waiting now; If-Match pins which one was read.
            proposal = complaint.open_proposal
            data["proposal"] = str(proposal.pk) if proposal is not None else ""
        form = form_class(data, MultiValueDict(), complaint=complaint, actor=request.user)
        if not form.is_valid():
            raise form_errors(form)
        try:
            if_match(
                request,
                complaint,
                lambda: spec.run(complaint, form.cleaned_data, cast(User, request.user)),
            )
        except services.ComplaintError as error:
            raise Refused(str(error)) from error
        try:
            return represent(request, complaint)
        except Http404:
            return Response(status=204)


def action_view(name: str, verb: Verb) -> type[ActionView]:
    """The view of one verb, with its request body described from the action's form."""
    body = serializer_for_form(
        "".join(part.title() for part in name.split("-")) + "Action", ACTIONS[verb.action].form
    )
    for fixed in verb.fixed:
        body._declared_fields.pop(fixed, None)  # type: ignore[attr-defined]
    schema = extend_schema(
        summary=verb.summary,
        description=(
            f"Calls the same service as the console's “{verb.action.replace('_', ' ')}”. "
            "Honours `If-Match` and `Idempotency-Key`. 409 when the complaint's state or the "
            "rules refuse the change."
        ),
        parameters=[IF_MATCH],
        request=body if body._declared_fields else None,  # type: ignore[attr-defined]
        responses={
            200: OpenApiResponse(COMPLAINT_DETAIL, description="The updated complaint."),
            204: OpenApiResponse(description="Done; the complaint is out of your sight now."),
        },
    )

    def post(self: ActionView, request: Request, reference: str) -> Response:
        return ActionView.post(self, request, reference)

    attributes = {"verb": verb, "serializer_class": body, "post": schema(post)}
    return type(f"{body.__name__}View", (ActionView,), attributes)
