from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import Role, User
from complaints.attachments import ALLOWED_DESCRIPTION, MAX_FILES_PER_MESSAGE
from complaints.models import (
    TEXT_MAX_LENGTH,
    Category,
    Channel,
    Complaint,
    Outcome,
    Priority,
    RootCause,
    Status,
    Team,
)


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

    consumer_email = forms.EmailField(label="Consumer's e-mail")
    consumer_name = forms.CharField(label="Consumer's name", max_length=150, required=False)
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
    """A form about one complaint; subclasses narrow their choices to it."""

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint


class MessageForm(ComplaintActionForm):
    body = forms.CharField(
        label="Message",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a message before sending."},
    )
    attachments = MultipleFileField(label="Attachments")


class StatusForm(ComplaintActionForm):
    status = forms.ChoiceField(label="New status", choices=Status.choices)
    note = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def staff_choices(*roles: Role) -> Any:
    return User.objects.filter(role__in=roles, is_active=True).order_by("full_name", "email")


class AssignForm(ComplaintActionForm):
    assignee = forms.ModelChoiceField(
        queryset=staff_choices(Role.AGENT, Role.MANAGER),
        required=False,
        empty_label="Nobody (unassigned)",
    )


class TeamForm(ComplaintActionForm):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), empty_label=None)


class PriorityForm(ComplaintActionForm):
    priority = forms.ChoiceField(choices=Priority.choices)


class CategoryForm(ComplaintActionForm):
    category = forms.ModelChoiceField(queryset=active_categories(), empty_label=None)


class ReferForm(ComplaintActionForm):
    specialist = forms.ModelChoiceField(queryset=staff_choices(Role.SPECIALIST), empty_label=None)
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
        choices=[(o.value, o.label) for o in Outcome if o != Outcome.WITHDRAWN]
    )
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.filter(is_active=True), label="Root cause"
    )
    redress_amount = forms.DecimalField(
        label="Redress", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    redress_currency = forms.CharField(
        label="Currency", max_length=3, required=False, help_text="ISO code, e.g. GBP."
    )
    summary = forms.CharField(
        label="Resolution summary for the consumer",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class HoldingResponseForm(ComplaintActionForm):
    reason = forms.CharField(
        label="Why the final response is not ready",
        max_length=1000,
        help_text="Completes the sentence “…because …”.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected = forms.DateField(label="Expected by", widget=forms.DateInput(attrs={"type": "date"}))


class MergeForm(ComplaintActionForm):
    target = forms.CharField(label="Merge into reference", max_length=20)

    def clean_target(self) -> Complaint:
        reference = self.cleaned_data["target"].strip().upper()
        target = Complaint.objects.filter(
            reference=reference, consumer_id=self.complaint.consumer_id
        ).first()
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
