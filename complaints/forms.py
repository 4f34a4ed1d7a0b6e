from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone

from accounts.directory import StaffChoiceField
from accounts.forms import PersonNameField
from accounts.models import EMAIL_MAX_LENGTH, Role
from complaints.attachments import ALLOWED_DESCRIPTION, MAX_FILES_PER_MESSAGE
from complaints.choices import CachedModelChoiceField
from complaints.models import (
    ENGLISH_STOP_WORDS,
    QUEUE_COLUMNS,
    REFERENCE_PATTERN,
    TEXT_MAX_LENGTH,
    CannedResponse,
    Category,
    Channel,
    Complaint,
    ComplaintQuerySet,
    Outcome,
    Priority,
    RankedMatches,
    RootCause,
    Status,
    Team,
)
from complaints.money import AmountField, CurrencyField, amount_example, tenant_locale
from complaints.placeholders import CANNED_RESPONSE_PLACEHOLDERS
from complaints.services.gate import manual_moves
from configuration.models import TenantSettings


class CalendarDateField(forms.DateField):
    """A date a person picks for this product: from 2000 to 2099. Far dates (year 1, 9999)
    would overflow the day arithmetic of filters and clocks; they get a form error instead."""

    first, last = date(2000, 1, 1), date(2099, 12, 31)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not self.first <= value <= self.last:
            raise forms.ValidationError("Choose a date between 2000 and 2099.")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by content in the service."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            f"Up to {MAX_FILES_PER_MESSAGE} files: {ALLOWED_DESCRIPTION}.",
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def active_categories() -> Any:
    return Category.objects.filter(is_active=True).select_related("parent")


class ComplaintForm(forms.ModelForm):
    category = forms.ModelChoiceField(
        queryset=active_categories(),
        required=False,
        empty_label="Not sure",
        help_text="The product or service the complaint is about.",
    )
    attachments = MultipleFileField(label="Documents or photos")

    class Meta:
        model = Complaint
        fields = ["subject", "category", "description", "desired_outcome"]
        labels = {
            "subject": "Summary",
            "description": "What happened?",
            "desired_outcome": "What would put it right for you?",
        }
        help_texts = {"subject": "One line, for example “Card payment taken twice”."}
        error_messages = {
            "subject": {"required": "Please give your complaint a short summary."},
            "description": {"required": "Please tell us what happened."},
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "desired_outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError("Please give your complaint a short summary.")
        return subject

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if not description:
            raise forms.ValidationError("Please tell us what happened.")
        return description


class IntakeForm(ComplaintForm):
    """A complaint received by phone, letter, e-mail or social media, logged by staff."""

    consumer_email = forms.EmailField(label="Consumer's e-mail", max_length=EMAIL_MAX_LENGTH)
    consumer_name = PersonNameField(
        label="Consumer's name",
        help_text="As they gave it: letters and replies address them by it.",
        error_messages={"required": "Ask the consumer's name: letters address them by it."},
    )
    channel = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in Channel.choices
            if value not in (Channel.PORTAL, Channel.API)
        ]
    )
    received_at = forms.DateTimeField(
        label="Received at",
        help_text="When the complaint reached us: the regulatory clock starts then.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    field_order = [
        "consumer_email",
        "consumer_name",
        "channel",
        "received_at",
        "subject",
        "category",
        "description",
        "desired_outcome",
        "attachments",
    ]

    def clean_received_at(self) -> Any:
        received = self.cleaned_data["received_at"]
        if received > timezone.now():
            raise forms.ValidationError("The time received cannot be in the future.")
        return received


class ComplaintActionForm(forms.Form):
    """A form about one complaint, filled in by ``actor``; subclasses narrow their choices.

    Every one carries ``seen``, the id of the newest timeline entry on the page the person
    acted from (the complaint's version they saw: a change on an older one is refused), and
    ``token``, a random key of this form so a second send of the same form (a double click)
    changes nothing. Both are optional: a client without them gets neither check.
    """

    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    token = forms.RegexField(
        regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput, required=False, max_length=32
    )

    def __init__(self, *args: Any, complaint: Complaint, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.actor = actor
        self.fields["token"].initial = uuid.uuid4().hex


class MessageForm(ComplaintActionForm):
    body = forms.CharField(
        label="Message",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a message before sending."},
    )
    attachments = MultipleFileField(label="Attachments")


# A resolution's outcomes: a withdrawal is the consumer's, never a handler's resolution.
RESOLUTION_OUTCOMES = [(o.value, o.label) for o in Outcome if o != Outcome.WITHDRAWN]

# What a resolution must say, chosen on purpose: neither starts at a value.
OUTCOME_REQUIRED = "Choose an outcome: upheld, partly upheld or not upheld."
ROOT_CAUSE_REQUIRED = "Choose the root cause, for root-cause analysis."


# The status moves a staff reply may make in the same change, and their buttons.
REPLY_MOVES = {"await_consumer": "Send and mark awaiting consumer"}
# A staff reply may also resolve the complaint in the same step, with the resolution's fields.
REPLY_RESOLVES = "resolve"
# The reply form's fields that only "Send and resolve" reads.
REPLY_RESOLUTION_FIELDS = (
    "outcome",
    "root_cause",
    "redress_amount",
    "redress_currency",
    "summary",
)


class ReplyForm(MessageForm):
    """A reply; staff may also move the status in the same step (``REPLY_MOVES``), or send
    the reply and resolve the complaint (``REPLY_RESOLVES``) with the resolution's fields."""

    then = forms.ChoiceField(
        choices=[("", "Send reply"), *REPLY_MOVES.items(), (REPLY_RESOLVES, "Send and resolve")],
        required=False,
        widget=forms.HiddenInput,
    )
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "Choose…"), *RESOLUTION_OUTCOMES], required=False
    )
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.filter(is_active=True), label="Root cause", required=False
    )
    redress_amount = AmountField(label="Redress", required=False)
    redress_currency = CurrencyField(label="Currency", required=False)
    summary = forms.CharField(
        label="Resolution summary for the final response",
        max_length=TEXT_MAX_LENGTH,
        required=False,
        help_text="Leave it empty to use the reply as the summary.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        amount = self.fields["redress_amount"]
        assert isinstance(amount, AmountField)
        # Read the amount with the symbol of the currency it will be paid in (the tenant's
        # settings are read only when an amount is given).
        if self.data.get("redress_amount"):
            amount.currency = str(
                self.data.get("redress_currency") or TenantSettings.current().currency
            ).strip()
        self.resolution_offered = False

    # What "Send and resolve" needs, though a plain reply does not.
    RESOLUTION_NEEDED = ("outcome", "root_cause")

    def offer_resolution(self, resolve_form: forms.Form) -> None:
        """Show "Send and resolve" with its fields, which share the root causes already read
        for the page's resolve form (``resolve_form``): the page reads them once."""
        theirs, own = resolve_form.fields["root_cause"], self.fields["root_cause"]
        assert isinstance(theirs, forms.ModelChoiceField)
        assert isinstance(own, forms.ModelChoiceField)
        # Iterated, not listed: a list would ask the iterator its length, a COUNT query.
        choices: list[Any] = list(iter(theirs.choices))  # type: ignore[arg-type]
        theirs.choices = choices
        own.choices = [("", "Choose…"), *[choice for choice in choices if choice[0] != ""]]
        amount = self.fields["redress_amount"]
        amount.help_text = resolve_form.fields["redress_amount"].help_text
        self.resolution_offered = True

    def hidden_fields(self) -> list[Any]:
        """None of ``then``: the button pressed says it each time. Kept in the form, a refused
        "Send and resolve" would make the plain "Send reply" resolve too."""
        return [field for field in super().hidden_fields() if field.name != "then"]

    def visible_fields(self) -> list[Any]:
        """The message and attachments; the resolution's fields are shown on their own."""
        return [
            field for field in super().visible_fields() if field.name not in REPLY_RESOLUTION_FIELDS
        ]

    def resolution_fields(self) -> list[Any]:
        return [self[name] for name in REPLY_RESOLUTION_FIELDS] if self.resolution_offered else []

    def resolution_errors(self) -> bool:
        return any(name in self.errors for name in REPLY_RESOLUTION_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("then") == REPLY_RESOLVES:
            if not data.get("outcome") and "outcome" not in self.errors:
                self.add_error("outcome", OUTCOME_REQUIRED)
            if data.get("root_cause") is None and "root_cause" not in self.errors:
                self.add_error("root_cause", ROOT_CAUSE_REQUIRED)
        return data

    @property
    def then_buttons(self) -> list[tuple[str, str]]:
        """The extra send buttons the actor may use on the complaint as it is now."""
        if self.actor is None or self.actor.pk == self.complaint.consumer_id:
            return []
        allowed = {move.name for move in manual_moves(self.complaint, self.actor)}
        return [(name, label) for name, label in REPLY_MOVES.items() if name in allowed]


class StatusForm(ComplaintActionForm):
    status = forms.ChoiceField(label="New status", choices=Status.choices)
    note = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# Who complaints can be given to.
ASSIGNEE_ROLES = (Role.AGENT, Role.MANAGER)


class AssignForm(ComplaintActionForm):
    """Who has the complaint: it starts at the person who has it now, so sending it unchanged
    changes nothing (the service refuses it) instead of unassigning."""

    assignee = StaffChoiceField(
        *ASSIGNEE_ROLES, label="Assignee", required=False, empty_label="Nobody (unassigned)"
    )

    def __init__(self, *args: Any, complaint: Complaint, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, complaint=complaint, actor=actor, **kwargs)
        self.fields["assignee"].initial = complaint.assignee_id


class CurrentValueForm(ComplaintActionForm):
    """A form that changes one column of the complaint: its choice starts at the current
    value (``field`` is the form field, ``column`` the complaint's attribute it sets)."""

    field = ""
    column = ""

    def __init__(self, *args: Any, complaint: Complaint, actor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, complaint=complaint, actor=actor, **kwargs)
        self.fields[self.field].initial = getattr(complaint, self.column)


class TeamForm(CurrentValueForm):
    field, column = "team", "team_id"
    team = CachedModelChoiceField(queryset=Team.objects.all(), empty_label=None)


class PriorityForm(CurrentValueForm):
    field, column = "priority", "priority"
    priority = forms.ChoiceField(choices=Priority.choices)


class CategoryForm(CurrentValueForm):
    field, column = "category", "category_id"
    category = CachedModelChoiceField(queryset=active_categories(), empty_label=None)


class ReferForm(ComplaintActionForm):
    specialist = StaffChoiceField(Role.SPECIALIST, empty_label=None)
    note = forms.CharField(
        label="What do you need?",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FindingsForm(ComplaintActionForm):
    findings = forms.CharField(
        label="Findings", max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )


class EscalateForm(ComplaintActionForm):
    reason = forms.CharField(
        label="Why escalate?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(ComplaintActionForm):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Choose…"), *RESOLUTION_OUTCOMES],
        error_messages={"required": OUTCOME_REQUIRED},
    )
    root_cause = CachedModelChoiceField(
        queryset=RootCause.objects.filter(is_active=True),
        label="Root cause",
        empty_label="Choose…",
        error_messages={"required": ROOT_CAUSE_REQUIRED},
    )
    redress_amount = AmountField(
        label="Redress",
        required=False,
        help_text="The amount as you would write it, for example 1,234.56 or £50.",
    )
    redress_currency = CurrencyField(label="Currency", required=False)
    summary = forms.CharField(
        label="Resolution summary for the consumer",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read the amount with the symbol of the currency it will be paid in.
        amount = self.fields["redress_amount"]
        assert isinstance(amount, AmountField)
        amount.currency = str(
            self.data.get("redress_currency") or TenantSettings.current().currency
        ).strip()
        amount.help_text = (
            f"The amount as you would write it, for example {amount_example(tenant_locale())}."
        )


class ProposalDecisionForm(ComplaintActionForm):
    """A decision on the resolution waiting for approval: the very one the manager was shown."""

    proposal = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, complaint=complaint, **kwargs)
        if complaint.open_proposal is not None:
            self.initial["proposal"] = complaint.open_proposal.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        proposal = self.complaint.open_proposal
        if proposal is None or data.get("proposal") != proposal.pk:
            raise forms.ValidationError(
                "That resolution is no longer waiting for approval. Reload the page to see why."
            )
        data["proposal"] = proposal
        return data


class ReturnResolutionForm(ProposalDecisionForm):
    comment = forms.CharField(
        label="What needs to change?",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what needs to change before returning the resolution."},
    )


class HoldingResponseForm(ComplaintActionForm):
    reason = forms.CharField(
        label="Why the final response is not ready",
        max_length=1000,
        help_text="Completes the sentence “…because …”.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected = CalendarDateField(
        label="Expected by", widget=forms.DateInput(attrs={"type": "date"})
    )


class InProgressForm(ComplaintActionForm):
    steps = forms.CharField(
        label="Steps taken so far",
        max_length=2000,
        help_text="The consumer is told the complaint is in progress and what has been done.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MergeForm(ComplaintActionForm):
    target = forms.CharField(label="Merge into reference", max_length=20)

    def clean_target(self) -> Complaint:
        reference = self.cleaned_data["target"].strip().upper()
        # Through the read path: a complaint the person may not see is not found, the same
        # answer as one that does not exist.
        target = (
            Complaint.objects.visible_to(self.actor)
            .filter(reference=reference, consumer_id=self.complaint.consumer_id)
            .first()
        )
        if target is None:
            raise forms.ValidationError(
                f"This consumer has no complaint with the reference {reference}."
            )
        return target


class RejectResolutionForm(ComplaintActionForm):
    reason = forms.CharField(
        label="What is still wrong?",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RatingForm(ComplaintActionForm):
    score = forms.TypedChoiceField(
        label="How well did we handle your complaint?",
        choices=[
            (n, f"{n} — {w}")
            for n, w in enumerate(["very poorly", "poorly", "fair", "well", "very well"], start=1)
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EmptyForm(ComplaintActionForm):
    """Actions that need nothing but the button (claim, accept)."""


# --- Console queue ----------------------------------------------------------------------------

# The queue's orders: the column and direction of each, every one a keyset path through an
# index on (column, id) (next deadline ascending only: its undated rows come last). Priority
# sorts by severity (``priority_rank``); assignee by the person's id, so each person's
# complaints come together (the unassigned last), not by name, which would need a join.
QUEUE_SORTS = {
    "received": ("received_at", False),
    "-received": ("received_at", True),
    "due": ("next_due_at", False),
    "-priority": ("priority_rank", True),
    "priority": ("priority_rank", False),
    "reference": ("reference", False),
    "-reference": ("reference", True),
    "assignee": ("assignee_id", False),
    "-assignee": ("assignee_id", True),
}
# The status filter's value for complaints in any status, closed ones included.
EVERY_STATUS = "all"
# A search's own order: by rank and recency (``ComplaintQuerySet.best_matches``).
BEST_MATCH = "best"


class SharedFields(dict[str, forms.Field]):
    """A form class's fields that every form of the class shares instead of copying them: a
    form's ``self.fields`` is a new dict of the same field objects. Django copies each field
    (and its widget and choices) for every form so that one form may change its own; for a
    form built on every request that never does (the queue's filters: two thirds of the form's
    processor time were the copies), the copies are waste. Such a form must never change a
    field or a widget (``tests/complaints/test_queue_filters.py`` checks that rendering and
    validating leave them as they were); set ``self.fields[name]`` to a new field instead."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class SharedFieldsMetaclass(forms.forms.DeclarativeFieldsMetaclass):
    """Forms of this metaclass (and their subclasses) share their fields (``SharedFields``)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class.base_fields = SharedFields(new_class.base_fields)  # type: ignore[attr-defined]
        return new_class


class QueueFilterForm(forms.Form, metaclass=SharedFieldsMetaclass):
    """The queue's filters, read from the query string. A value that does not fit lists
    nothing, beside its error: never a queue wider than the one asked for. Its fields are
    shared by every form (``SharedFields``): nothing may change them per form."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": 'Words, "a phrase", -exclude'}
        ),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any active"), *Status.choices, (EVERY_STATUS, "Any status")],
    )
    priority = forms.ChoiceField(required=False, choices=[("", "Any"), *Priority.choices])
    category = CachedModelChoiceField(
        queryset=Category.objects.select_related("parent"), required=False, empty_label="Any"
    )
    team = CachedModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="Any")
    assignee = StaffChoiceField(*ASSIGNEE_ROLES, required=False, empty_label="Anyone")
    channel = forms.ChoiceField(required=False, choices=[("", "Any"), *Channel.choices])
    received_from = CalendarDateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = CalendarDateField(
        label="Received to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # What the dashboard's figures count, so each figure opens the complaints it counts.
    age_min = forms.IntegerField(
        label="At least days old", required=False, min_value=0, max_value=36_500
    )
    age_max = forms.IntegerField(
        label="Less than days old", required=False, min_value=1, max_value=36_500
    )
    resolved_from = CalendarDateField(
        label="Resolved from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    resolved_to = CalendarDateField(
        label="Resolved to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    responded = forms.ChoiceField(
        label="First reply",
        required=False,
        choices=[("", "Either"), ("yes", "Sent"), ("no", "Not yet")],
    )
    rating = forms.TypedChoiceField(
        label="Rating",
        required=False,
        coerce=int,
        choices=[("", "Any"), *[(n, f"{n} out of 5") for n in range(1, 6)]],
    )
    root_cause = CachedModelChoiceField(
        label="Root cause", queryset=RootCause.objects.all(), required=False, empty_label="Any"
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Queue default"),
            ("received", "Oldest received first"),
            ("-received", "Newest received first"),
            ("due", "Next deadline first"),
            ("-priority", "Most urgent first"),
            ("priority", "Least urgent first"),
            ("reference", "Reference, first to last"),
            ("-reference", "Reference, last to first"),
            ("assignee", "Assignee, grouped"),
            ("-assignee", "Assignee, grouped, reversed"),
            (BEST_MATCH, "Best match first (searches)"),
        ],
    )

    # (first, last, what goes wrong): pairs of bounds whose first must not pass the last.
    RANGES = (
        ("received_from", "received_to", "Received to must be on or after Received from."),
        ("resolved_from", "resolved_to", "Resolved to must be on or after Resolved from."),
        ("age_min", "age_max", "Less than days old must be more than At least days old."),
    )

    def clean(self) -> dict[str, Any]:
        """Each range's bounds in order: a range that holds no day is an error on its upper
        bound, not an empty queue without a word."""
        data = super().clean() or {}
        for first, last, message in self.RANGES:
            low, high = data.get(first), data.get(last)
            if low is None or high is None:
                continue
            if high < low or (first == "age_min" and high <= low):
                self.add_error(last, message)
        return data

    def clean_q(self) -> str:
        """The search text. One with no word to look for (only common words such as "the",
        which the text search drops, or only punctuation) is refused with a sentence rather
        than listing nothing without saying why."""
        text = str(self.cleaned_data.get("q") or "")
        words = re.findall(r"[^\W_]+", text)
        if text.strip() and all(word.lower() in ENGLISH_STOP_WORDS for word in words):
            raise forms.ValidationError(
                "Type a word to search for: common words such as “the” and punctuation alone "
                "find nothing."
            )
        return text

    def valid_data(self) -> dict[str, Any]:
        """The filters that were given and make sense; the others are dropped."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }

    def chosen_sort(self, queue_default: str) -> str:
        """The order chosen: a search is read best match first unless another order is asked."""
        data = self.valid_data()
        if "sort" in data and (data["sort"] != BEST_MATCH or data.get("q", "").strip()):
            return str(data["sort"])
        return BEST_MATCH if data.get("q", "").strip() else queue_default

    # Filters only a resolved complaint can match: without a status they look at every status
    # (the active ones alone would list nothing).
    RESOLVED_ONLY = frozenset({"resolved_from", "resolved_to", "rating", "root_cause"})

    def apply(self, queryset: ComplaintQuerySet, *, actor: Any, now: datetime) -> ComplaintQuerySet:
        """``queryset`` narrowed by the filters and the search (``ranked`` orders a search's
        matches best first).

        Without a status, the active complaints, or every status when a filter only resolved
        complaints can match is given (``RESOLVED_ONLY``); ``EVERY_STATUS`` keeps every status.
        With a filter that does not fit (a NUL in the search, a date that is not one), none.
        """
        if self.errors:
            return queryset.none()
        data = self.valid_data()
        exact = {
            name: data[name]
            for name in ("status", "priority", "category", "team", "assignee", "channel")
            if name in data and data[name] != EVERY_STATUS
        }
        if "status" not in data and not self.RESOLVED_ONLY & data.keys():
            queryset = queryset.active()
        queryset = queryset.filter(**exact)
        if "rating" in data:
            queryset = queryset.filter(satisfaction_score=data["rating"])
        if "root_cause" in data:
            queryset = queryset.filter(root_cause=data["root_cause"])
        if "responded" in data:
            queryset = queryset.filter(first_responded_at__isnull=data["responded"] == "no")
        queryset = queryset.filter(self._age(data, now))
        for field in ("received", "resolved"):
            queryset = queryset.filter(self._local_days(field, data))
        if data.get("q", "").strip():
            queryset = queryset.search(data["q"], actor=actor)
        return queryset

    def ranked(self, matches: ComplaintQuerySet, *, actor: Any, now: datetime) -> RankedMatches:
        """The matches ``apply`` left of the search, best first (``best_matches``)."""
        return matches.best_matches(self.valid_data()["q"], actor=actor, now=now)

    @staticmethod
    def _age(data: dict[str, Any], now: datetime) -> Q:
        """Received at least ``age_min`` and less than ``age_max`` whole days ago, counted
        from the local day of receipt to today in the current (the tenant's) time zone, as
        the dashboard's backlog counts them."""
        zone = timezone.get_current_timezone()
        today = now.astimezone(zone).date()

        def midnight_after(days_ago: int) -> datetime:
            return datetime.combine(today - timedelta(days=days_ago - 1), time.min, tzinfo=zone)

        condition = Q()
        if "age_min" in data:
            condition &= Q(received_at__lt=midnight_after(data["age_min"]))
        if "age_max" in data:
            condition &= Q(received_at__gte=midnight_after(data["age_max"]))
        return condition

    @staticmethod
    def _local_days(field: str, data: dict[str, Any]) -> Q:
        """``<field>_at`` within the local days ``<field>_from`` to ``<field>_to``: from 00:00
        on the first to 00:00 after the last, in the current (the tenant's) time zone."""
        zone = timezone.get_current_timezone()
        condition = Q()
        if f"{field}_from" in data:
            start = datetime.combine(data[f"{field}_from"], time.min, tzinfo=zone)
            condition &= Q(**{f"{field}_at__gte": start})
        if f"{field}_to" in data:
            end = datetime.combine(data[f"{field}_to"] + timedelta(days=1), time.min, tzinfo=zone)
            condition &= Q(**{f"{field}_at__lt": end})
        return condition

    # Filters a person rarely sets by hand (the dashboard's links set them): shown apart.
    MORE = (
        "age_min",
        "age_max",
        "resolved_from",
        "resolved_to",
        "responded",
        "rating",
        "root_cause",
    )

    def main_fields(self) -> list[Any]:
        return [field for field in self if field.name not in self.MORE]

    def more_fields(self) -> list[Any]:
        """The rarer filters; the root cause only when one is given, valid or not (its list
        would cost every queue page a query for a filter only the dashboard's links set)."""
        return [
            field
            for field in self
            if field.name in self.MORE
            and (field.name != "root_cause" or self.data.get("root_cause", "") != "")
        ]

    def more_given(self) -> bool:
        return any(name in self.valid_data() or self.errors.get(name) for name in self.MORE)

    def query_params(self) -> dict[str, str]:
        """The given, valid filters as they were written, in the form's order."""
        data = self.valid_data()
        return {name: str(self.data[name]) for name in self.fields if name in data}


class ReferenceListField(forms.Field):
    """Complaint references ticked in a list."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Select at least one complaint."}

    def to_python(self, value: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        references = list(dict.fromkeys(str(item).strip().upper() for item in values if item))
        if len(references) > MAX_BULK_ROWS:
            raise forms.ValidationError(f"Select at most {MAX_BULK_ROWS} complaints at a time.")
        if not all(re.fullmatch(REFERENCE_PATTERN, reference) for reference in references):
            raise forms.ValidationError("Tick complaints in the list; that is not a reference.")
        return references


MAX_BULK_ROWS = 100


BULK_ACTIONS = [
    ("claim", "Assign to me"),
    ("assign", "Assign to…"),
    ("priority", "Change priority to…"),
    ("merge", "Close as duplicate of…"),
]


class BulkActionForm(forms.Form):
    """One action for the ticked complaints; each runs through the single-complaint action."""

    action = forms.ChoiceField(label="With selected", choices=BULK_ACTIONS)
    complaints = ReferenceListField()
    assignee = StaffChoiceField(
        *ASSIGNEE_ROLES, required=False, empty_label="Choose a person", label="Assignee"
    )
    priority = forms.ChoiceField(
        required=False, choices=[("", "Choose a priority"), *Priority.choices]
    )
    target = forms.CharField(label="Duplicate of reference", required=False, max_length=20)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_perm("complaints.reassign_complaints"):
            del self.fields["assignee"]
            action = self.fields["action"]
            assert isinstance(action, forms.ChoiceField)
            action.choices = [choice for choice in BULK_ACTIONS if choice[0] != "assign"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who gets the complaints.")
        if action == "priority" and not data.get("priority"):
            self.add_error("priority", "Choose the new priority.")
        if action == "merge":
            reference = (data.get("target") or "").strip().upper()
            target = (
                Complaint.objects.visible_to(self.user).filter(reference=reference).first()
                if reference
                else None
            )
            if target is None:
                self.add_error(
                    "target", f"There is no complaint {reference or 'reference'} you can see."
                )
            data["target"] = target
        return data


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
        labels = {"body": "Text"}

    def clean_body(self) -> str:
        """Refuse placeholders canned responses do not have, listing the ones they do."""
        body: str = self.cleaned_data["body"]
        problem = CANNED_RESPONSE_PLACEHOLDERS.problem(body)
        if problem:
            raise forms.ValidationError(problem)
        return body


class RenameViewForm(forms.Form):
    """A saved view's new name."""

    name = forms.CharField(
        label="New name",
        max_length=60,
        error_messages={"required": "Give the view a name."},
    )


class SavedViewForm(forms.Form):
    """Save the queue on screen under a name: its filters and order, and the columns shown."""

    name = forms.CharField(
        label="Name of the view",
        max_length=60,
        error_messages={"required": "Give the view a name."},
    )
    columns = forms.MultipleChoiceField(
        label="Columns",
        choices=list(QUEUE_COLUMNS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shared = forms.BooleanField(label="Share with all staff", required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not user.has_perm("complaints.share_queue_view"):
            del self.fields["shared"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data.setdefault("shared", False)
        return data
