from __future__ import annotations

from django import forms

from accounts.models import ClientScope
from integrations.addresses import URL_MAX_LENGTH
from integrations.clients import NAME_MAX_LENGTH
from integrations.models import WebhookEvent


class ApiClientForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH, help_text="The integration, e.g. “CRM” or “Web chat bot”."
    )
    scopes = forms.MultipleChoiceField(
        choices=ClientScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the client may do. It never reads internal notes.",
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=URL_MAX_LENGTH,
        assume_scheme="https",
        help_text="A public https:// address that answers 2xx within 10 seconds.",
    )
    description = forms.CharField(max_length=100, required=False)
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    internal = forms.BooleanField(
        label="Internal receiver",
        required=False,
        help_text="Payloads may then carry internal notes and staff names. Only for systems "
        "of your own organisation.",
    )
