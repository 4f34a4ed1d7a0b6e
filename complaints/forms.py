from __future__ import annotations

from django import forms

from complaints.models import TEXT_MAX_LENGTH, Category, Complaint, Status


class ComplaintForm(forms.ModelForm):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
        empty_label="Not sure",
        help_text="The product or service the complaint is about.",
    )

    class Meta:
        model = Complaint
        fields = ["subject", "category", "description", "desired_outcome"]
        labels = {
            "subject": "Summary",
            "description": "What happened?",
            "desired_outcome": "What would put it right for you?",
        }
        help_texts = {"subject": "One line, for example “Card payment taken twice”."}
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


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write a message before sending."},
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=Status.choices)
    note = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
