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

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.template import Context, engines
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
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from accounts.credentials import second_factor_pending
from complaints.formatting import render_markdown
from complaints.models import Priority, Status
from complaints.templatetags.portal import money, readable_on
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


# The labels of the statuses and priorities by value, for rows that show many of them (a
# model's ``get_FOO_display`` flattens the field's choices at each call).
STATUS_LABELS: dict[str, str] = dict(Status.choices)
PRIORITY_LABELS: dict[str, str] = dict(Priority.choices)


def status_label(value: str) -> str:
    """The label of complaint status ``value`` ("Awaiting consumer"), or the value itself."""
    return STATUS_LABELS.get(value, value)


def priority_label(value: str) -> str:
    """The label of complaint priority ``value`` ("Urgent"), or the value itself."""
    return PRIORITY_LABELS.get(value, value)


def url(name: str, *args: Any) -> str:
    """The path of the URL named ``name`` with ``args``, as Django's ``{% url %}`` tag; a
    path once built is remembered for the URL configuration (a tenant's or the platform's)
    and prefix it was built under (a complaint page builds some thirty, the same at each
    view of it)."""
    try:
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        return _reversed(urlconf, get_script_prefix(), name, args)
    except TypeError:  # an argument that cannot be a key
        return reverse(name, args=args)


@lru_cache(maxsize=8192)
def _reversed(urlconf: Any, prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, urlconf=urlconf, args=args)


def static_url(path: str) -> str:
    """The URL of the static file ``path``, as Django's ``{% static %}`` tag gives it (its
    name in the manifest of hashed names, in production), remembered per ``STATIC_URL``
    (which carries the script prefix) until a setting changes: a page links five of them."""
    return _static(settings.STATIC_URL, path)


@lru_cache(maxsize=512)
def _static(static_root_url: str, path: str) -> str:
    return static(path)


@receiver(setting_changed, dispatch_uid="complaints.fragments.static_urls")
def _forget_static_urls(**kwargs: Any) -> None:
    _static.cache_clear()


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
        status_label=status_label,
        priority_label=priority_label,
    )
    env.filters["readable_on"] = readable_on
    env.globals.update(url=url, static=static_url)
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


NOTHING = SafeString("")

# What the layout reads of Django's context processors, with its value when a processor gives
# none (no branding on the platform's site, no unread count for consumers).
LAYOUT_VALUES: dict[str, Any] = {
    "user": None,
    "perms": None,
    "tenant": None,
    "is_platform": False,
    "branding": None,
    "csrf_token": "",
    "messages": (),
    "unread_notifications": None,
}


def layout_values(values: Mapping[str, Any] | Context) -> dict[str, Any]:
    """The layout's values (``LAYOUT_VALUES``) taken from ``values``: a Django template's
    context, or what the context processors give a request (``processed``); and whether the
    person has still to prove their second factor (``second_factor_pending``)."""
    taken = {
        name: found if (found := values.get(name)) is not None else default
        for name, default in LAYOUT_VALUES.items()
    }
    taken["second_factor_pending"] = second_factor_pending(taken["user"])
    return taken


def processed(request: HttpRequest) -> dict[str, Any]:
    """What Django's context processors (``TEMPLATES``, and the CSRF token) give ``request``,
    as a Django page's template would have it."""
    values: dict[str, Any] = {}
    for processor in cast(Any, engines["django"]).engine.template_context_processors:
        values.update(processor(request))
    return values


def site_header(values: Mapping[str, Any] | Context) -> SafeString:
    """The site's header (brand, main navigation, the person and Sign out) of
    ``jinja2/layout.jinja``, from a page's context processor values (``layout_values``)."""
    macro = _template("layout.jinja").module.site_header  # type: ignore[attr-defined]
    return mark_safe(str(macro(layout_values(values))))  # noqa: S308 - autoescaped by Jinja2


def render_page(
    request: HttpRequest,
    content: SafeString,
    *,
    title: str,
    main_class: str = "wrap",
    extra_body: SafeString = NOTHING,
    status: int = 200,
) -> HttpResponse:
    """A whole page in the site's layout (``jinja2/layout.jinja``, the markup of
    ``templates/base.html``) around ``content`` (safe HTML), rendered by Jinja2 from the
    values Django's context processors give ``request``: the console's busiest pages, for
    which Django's engine took a tenth of the processor time of each request."""
    macro = _template("layout.jinja").module.page  # type: ignore[attr-defined]
    html = macro(layout_values(processed(request)), title, content, main_class, extra_body)
    return HttpResponse(str(html), status=status)
