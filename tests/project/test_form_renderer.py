"""Widgets written in Python: the same markup, character for character, as Django's templates."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import Client
from django.test.utils import override_settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from complaints.models import Category, Complaint
from project.form_renderer import FastWidgetRenderer

TEMPLATES = "django.forms.renderers.DjangoTemplates"
# The masked CSRF token and each action form's one-time token differ on every read.
CSRF = re.compile(
    r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": "|name="token" value=")[^"]+"'
)


class EveryWidget(forms.Form):
    text = forms.CharField(
        widget=forms.TextInput(attrs={"placeholder": 'Say "hi" & <go>', "autofocus": True})
    )
    empty = forms.CharField(required=False, widget=forms.TextInput(attrs={"hidden": False}))
    number = forms.IntegerField(min_value=0, max_value=10)
    search = forms.CharField(widget=forms.TextInput(attrs={"type": "search"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField()
    hidden = forms.CharField(widget=forms.HiddenInput)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    flag = forms.BooleanField(required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    blank_body = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(
        choices=[
            ("", "Any"),
            ("a", "A & <b>"),
            ("Group <1>", [("g1", gettext_lazy("Lazy")), ("g2", mark_safe("<i>Safe</i>"))]),
            (3, 3),
        ]
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")])
    radio = forms.ChoiceField(
        widget=forms.RadioSelect, choices=[("1", "One"), ("2", "Two <2>")], required=False
    )
    boxes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple(attrs={"class": "boxes"}),
        choices=[("p", "P"), ("Group", [("q", "Q")])],
    )
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label="Any")
    upload = forms.FileField(required=False)


def widgets(form: forms.Form) -> list[str]:
    """Each field's widget, and each choice of the radio and checkbox lists rendered alone
    (``BoundWidget.tag``, as the queue's columns choice does)."""
    alone = [
        str(choice.tag(wrap_label=wrap))
        for name in ("radio", "boxes")
        for choice in form[name].subwidgets
        for wrap in (False, True)
    ]
    return [str(form[name]) for name in form.fields] + alone


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "text": 'It\'s "quoted" & <tagged>',
            "number": "7",
            "day": "2026-03-04",
            "secret": "s3cret&",
            "flag": "on",
            "body": "Line one\n<b>two</b>",
            "choice": "g2",
            "many": ["x", "z"],
            "radio": "2",
            "boxes": ["q"],
            "hidden": "h&h",
        },
    ],
)
def test_every_common_widget_renders_as_the_templates_do(
    category: Category, data: dict[str, object]
) -> None:
    Category.objects.create(name='Fees & "charges" <x>')
    form = EveryWidget(data or None, auto_id="id_%s")
    fast, slow = FastWidgetRenderer(), DjangoTemplates()
    assert [field.as_widget() for field in form] == [  # sanity: the default is the fast one
        str(form[name]) for name in form.fields
    ]
    form.renderer = fast
    written = widgets(form)
    form.renderer = slow
    assert written == widgets(form)


def pages_with(renderer: str, client: Client, paths: list[str]) -> list[str]:
    with override_settings(FORM_RENDERER=renderer):
        return [CSRF.sub(r'\1"', client.get(path).content.decode()) for path in paths]


def test_the_queue_and_complaint_pages_are_the_same_with_either_renderer(
    manager_client: Client,
    agent_client: Client,
    make_complaint: Callable[..., Complaint],
    complaint: Complaint,
    category: Category,
) -> None:
    make_complaint(subject="Another <one>")
    paths = [
        "/console/",
        "/console/?q=card&status=any",
        f"/console/complaints/{complaint.reference}/",
    ]
    for client in (manager_client, agent_client):
        fast = pages_with("project.form_renderer.FastWidgetRenderer", client, paths)
        slow = pages_with(TEMPLATES, client, paths)
        for one, other in zip(fast, slow, strict=True):
            assert one == other, "\n".join(
                difflib.unified_diff(other.splitlines(), one.splitlines(), lineterm="", n=1)
            )
        assert all("<select" in page for page in fast)
