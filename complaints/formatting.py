"""Markdown for the texts staff write ahead (canned responses), rendered to safe HTML.

The stored text stays Markdown, which reads as plain text: e-mails, letters and the API carry
it as typed. Only pages render it, through ``render_markdown``: markdown-it (CommonMark, raw
HTML refused, so ``<script>`` stays text) and then nh3 (the Ammonia sanitiser) keeps only the
tags and attributes below, links to http(s) and mail addresses only, and gives every link
``rel="noopener noreferrer nofollow"``. Headings and images are not Markdown here: a heading
would break the page's outline, an image would load from anywhere when the page opens.
"""

from __future__ import annotations

import functools

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote", "hr"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# ``breaks``: a single line break stays one, as in the plain-text e-mail of the same text.
_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["heading", "lheading", "image", "html_block", "html_inline"]
)


# A timeline shows the same texts on every view of a page: the HTML of short ones is kept,
# per process, by text (the result depends on nothing else).
REMEMBERED_TEXTS = 512
REMEMBERED_LENGTH = 4000


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as sanitised HTML, safe to put in any page as it is."""
    if len(text) <= REMEMBERED_LENGTH:
        return _remembered_markdown(text)
    return _render_markdown(text)


@functools.lru_cache(maxsize=REMEMBERED_TEXTS)
def _remembered_markdown(text: str) -> SafeString:
    return _render_markdown(text)


def _render_markdown(text: str) -> SafeString:
    html = _markdown.render(text)
    return mark_safe(  # noqa: S308 - nh3 has just removed everything but ALLOWED_TAGS
        nh3.clean(
            html,
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(ALLOWED_URL_SCHEMES),
            link_rel="noopener noreferrer nofollow",
        )
    )
