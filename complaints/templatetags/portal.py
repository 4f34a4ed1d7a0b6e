from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from complaints.formatting import render_markdown
from complaints.money import format_amount
from complaints.plain_words import consumer_status

register = template.Library()


@register.filter
def plain_status(status: str) -> str:
    """A complaint status as the consumer portal says it."""
    return consumer_status(status)


def _luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@register.filter
def readable_on(colour: str) -> str:
    """White or near-black, whichever contrasts more with a brand colour."""
    try:
        luminance = _luminance(colour)
    except (ValueError, IndexError):
        return "#ffffff"
    on_white = 1.05 / (luminance + 0.05)
    on_ink = (luminance + 0.05) / 0.0611  # #111827
    return "#ffffff" if on_white >= on_ink else "#111827"


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """An amount in ``currency`` as the tenant's locale writes it (``£49.99``)."""
    return "" if amount is None else format_amount(amount, currency)


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown as sanitised HTML (``complaints.formatting.render_markdown``)."""
    return render_markdown(text)


@register.simple_tag(takes_context=True)
def site_header(context: template.Context) -> SafeString:
    """The site's header (``jinja2/layout.jinja``), shared with the pages Jinja2 renders."""
    from complaints.fragments import site_header as header

    return header(context)
