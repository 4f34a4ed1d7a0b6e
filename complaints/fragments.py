"""The Jinja2 environment of the pages' busiest parts.

Pages are Django templates (``templates/``). The parts that cost the most to render are
Jinja2 templates (``jinja2/``), which Jinja2 compiles to Python: the queue page's content
and rows, the console complaint page's workspace and timeline entries, and the form markup
every page uses (``_forms.jinja``, through ``complaints.templatetags.form_markup``).
Rendering 25 queue rows through Django's template engine took two thirds of the queue
page's processor time at a million complaints (issue 13's profile), through Jinja2 a tenth
of that. They are rendered by ``render_fragment`` (a whole template or one macro of it) and
placed in the Django page as safe HTML. Autoescaping is on, as in Django templates; an
undefined name is an error, not an empty string. Filters that write as Django's do
(``local_date``, ``urlencode``, ``timeuntil``, ``pluralize`` …) are Django's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.template.defaultfilters import (
    date,
    filesizeformat,
    linebreaks_filter,
    pluralize,
    timeuntil_filter,
    truncatechars,
    urlencode,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from complaints.formatting import render_markdown
from complaints.templatetags.portal import money
from jinja2 import Environment, StrictUndefined, Template
from tenancy.current import readable_moment


def iso_local(moment: datetime) -> str:
    """``moment`` in the current time zone in ISO 8601, as Django's ``c`` date format."""
    return timezone.localtime(moment).isoformat()


def local_date(moment: datetime | None, format_string: str) -> str:
    """``moment`` in the current time zone in a Django date format, as ``{{ moment|date:… }}``
    writes it in a Django template."""
    if moment is not None and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date(moment, format_string)


def url(name: str, *args: Any) -> str:
    """The path of the URL named ``name`` with ``args``, as Django's ``{% url %}`` tag."""
    return reverse(name, args=args)


def environment(**options: Any) -> Environment:
    """The environment Django's Jinja2 backend builds (``TEMPLATES`` names this function)."""
    options["undefined"] = StrictUndefined
    env = Environment(**options)  # noqa: S701 - the backend passes autoescape=True
    env.filters.update(
        day_and_time=readable_moment,
        iso_local=iso_local,
        timesince=timesince,
        filesizeformat=filesizeformat,
        linebreaks=linebreaks_filter,
        markdown=render_markdown,
        urlencode=urlencode,
        local_date=local_date,
        timeuntil=timeuntil_filter,
        truncatechars=truncatechars,
        pluralize=pluralize,
        money=money,
    )
    env.globals["url"] = url
    return env


def _template(name: str) -> Template:
    """The Jinja2 template ``name`` (under ``jinja2/``) from the environment Django built."""
    return cast(Jinja2, engines["jinja2"]).env.get_template(name)


def form_macro(name: str) -> Callable[..., SafeString]:
    """The macro ``name`` of ``jinja2/_forms.jinja`` (the forms' markup), as a function that
    returns safe HTML."""
    macro = getattr(_template("_forms.jinja").module, name)
    return lambda *args: mark_safe(str(macro(*args)))  # noqa: S308 - autoescaped by Jinja2


def render_fragment(name: str, context: dict[str, Any], macro: str = "") -> SafeString:
    """The Jinja2 template ``name`` (under ``jinja2/``) rendered with ``context``, or only its
    ``macro`` (called without arguments): autoescaped HTML, marked safe for the Django page
    that includes it."""
    template = _template(name)
    if not macro:
        return mark_safe(template.render(context))  # noqa: S308 - autoescaped by Jinja2
    module = template.make_module(context)
    return mark_safe(str(getattr(module, macro)()))  # noqa: S308 - autoescaped by Jinja2
