from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import password_validation

from accounts.models import ContactChannel, User


class PersonNameField(forms.CharField):
    """A person's name as they write it; surrounding and repeated spaces are dropped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "name"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return " ".join(str(super().to_python(value)).split())


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class AcceptInvitationForm(forms.Form):
    full_name = PersonNameField(label="Full name")
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        elif first:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class SignupNameForm(forms.Form):
    """What allauth's consumer sign-up asks besides the address and password: the name
    letters and replies address the consumer by."""

    field_order = ["full_name", "email", "password1", "password2"]

    full_name = PersonNameField(
        label="Your name",
        help_text="How we address you in letters and e-mails.",
        error_messages={"required": "Tell us your name, so we know how to address you."},
    )

    def signup(self, request: Any, user: User) -> None:
        """allauth's hook after the account is saved; the adapter already set the name."""


class ContactDetailsForm(forms.ModelForm):
    """A consumer's name and how to reach them, changed by themself or by staff."""

    full_name = PersonNameField(label="Name", required=False)

    class Meta:
        model = User
        fields = [
            "full_name",
            "phone",
            "postal_address",
            "preferred_channel",
            "accessibility_needs",
        ]
        labels = {
            "phone": "Phone number",
            "postal_address": "Postal address",
            "preferred_channel": "How should we contact you?",
            "accessibility_needs": "Accessibility or other needs",
        }
        help_texts = {
            "accessibility_needs": "For example large print, a call instead of letters, or "
            "someone who speaks for you.",
        }
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "postal_address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data["phone"].split())
        if phone and not re.fullmatch(r"\+?[0-9][0-9 ()-]{5,38}", phone):
            raise forms.ValidationError(
                "Type the phone number in figures, for example 020 7946 0000 or +44 20 7946 0000."
            )
        return phone

    def clean_postal_address(self) -> str:
        return "\n".join(
            line.strip()
            for line in self.cleaned_data["postal_address"].splitlines()
            if line.strip()
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A field already refused (a number not in figures) keeps its one error: the missing
        # value's error would only repeat it less clearly.
        channel = cleaned.get("preferred_channel")
        if (
            channel == ContactChannel.PHONE
            and not cleaned.get("phone")
            and not self.has_error("phone")
        ):
            self.add_error("phone", "Give a phone number to be contacted by phone.")
        if (
            channel == ContactChannel.LETTER
            and not cleaned.get("postal_address")
            and not self.has_error("postal_address")
        ):
            self.add_error("postal_address", "Give a postal address to be contacted by letter.")
        return cleaned

    def _post_clean(self) -> None:
        # The details are saved by ``update_contact_details``, not on the form's instance.
        pass
