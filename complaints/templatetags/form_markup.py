"""The form markup of ``jinja2/_forms.jinja`` for Django templates: ``_form.html``,
``_field.html``, ``complaints/_action_form.html`` and ``complaints/_feedback.html`` are these
tags, so the markup is written once and rendered by Jinja2 (several times faster than
Django's engine for the many fields of a complaint page) whichever engine renders the page."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.messages import get_messages
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe

from complaints.fragments import form_macro

register = template.Library()


@register.simple_tag(takes_context=True)
def form_fields(context: template.Context) -> SafeString:
    """``form``'s fields (and its errors first unless ``summarised``), from the context."""
    return form_macro("fields")(context["form"], bool(context.get("summarised")))


@register.simple_tag(takes_context=True)
def form_field(context: template.Context) -> SafeString:
    """``field`` with its label, help and errors; ``needed`` names fields a step requires."""
    return form_macro("field")(context["field"], context.get("needed") or ())


@register.simple_tag(takes_context=True)
def action_form(context: template.Context) -> SafeString:
    """The action form of ``form`` posting to ``url``, from the context (``label``,
    ``button_class``, ``title``, ``preview``, ``resolution_preview``)."""
    request: Any = getattr(context, "request", None)
    return form_macro("action_form")(
        context["form"],
        context["url"],
        context["label"],
        csrf_input(request) if request is not None else mark_safe(""),
        *(context.get(name) or "" for name in ("button_class", "title", "preview")),
        context.get("resolution_preview") or "",
    )


@register.simple_tag(takes_context=True)
def action_feedback(context: template.Context) -> SafeString:
    """The region confirming the action just done (``acted_url``), with the messages after an
    htmx action."""
    request: Any = getattr(context, "request", None)
    htmx = bool(getattr(request, "htmx", False))
    return form_macro("feedback")(
        context.get("acted_url") or "", get_messages(request) if htmx else []
    )
