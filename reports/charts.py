"""Bar charts drawn on the server as inline SVG: no JavaScript, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString

WIDTH = 640
LABEL_WIDTH = 200
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 16
LABEL_CHARACTERS = 28


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    links: Sequence[str | None] = (),
) -> SafeString:
    """A horizontal bar chart; every bar carries its label and value as text and a <title>.

    ``links`` (one URL or None per bar) make bars clickable for pointer users
    (``static/js/charts.js`` follows a bar's ``data-href``); the chart stays one image, with
    nothing interactive inside, to keyboards and assistive technology, whose users follow the
    same links in the table printed with every chart.
    """
    if not bars:
        return SafeString("")
    largest = max((value for _, value in bars), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = ROW_HEIGHT * len(bars) + 8
    drawn = []
    for index, (label, value) in enumerate(bars):
        length = round(room * value / largest, 1)
        bar = format_html(
            "<g><title>{}: {}{}</title>"
            '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"></rect>'
            '<text x="{}" y="{}" class="chart-value">{}{}</text></g>',
            label,
            _number(value),
            unit,
            LABEL_WIDTH - 8,
            index * ROW_HEIGHT + 17,
            _short(label),
            LABEL_WIDTH,
            index * ROW_HEIGHT + 4,
            length,
            BAR_HEIGHT,
            LABEL_WIDTH + length + 6,
            index * ROW_HEIGHT + 17,
            _number(value),
            unit,
        )
        url = links[index] if index < len(links) else None
        if url:
            bar = format_html('<g class="chart-link" data-href="{}">{}</g>', url, bar)
        drawn.append(bar)
    rows = SafeString("".join(drawn))
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        title,
        WIDTH,
        height,
        title,
        rows,
    )
