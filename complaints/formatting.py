"""Markdown for the texts staff write ahead (canned responses), rendered to safe HTML.

The stored text stays Markdown (the API carries it as typed). Pages render it through
``render_markdown``; e-mails and letters carry ``markdown_to_plain``, the same text without
its marks (``**``, ``*``, link brackets). ``render_markdown``: markdown-it (CommonMark, raw
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


def markdown_to_plain(text: str) -> str:
    """``text`` (Markdown) as plain text for e-mails and letters: no ``**`` or ``*`` marks,
    links as ``words (address)``, list items kept with their ``-`` or number, paragraphs
    apart. Whatever markdown-it does not read as formatting stays as typed."""
    tokens = _markdown.parse(text)
    out: list[str] = []
    numbers: list[int | None] = []  # the next number of each open list (None: bullets)
    for token in tokens:
        if token.type == "bullet_list_open":
            numbers.append(None)
        elif token.type == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            out.append("\n")
        elif token.type == "list_item_open":
            number = numbers[-1] if numbers else None
            indent = "  " * (len(numbers) - 1)
            out.append(f"{indent}- " if number is None else f"{indent}{number}. ")
            if number is not None:
                numbers[-1] = number + 1
        elif token.type == "paragraph_close":
            out.append("\n" if numbers else "\n\n")
        elif token.type in ("code_block", "fence"):
            out.append(token.content + "\n")
        elif token.type == "hr":
            out.append("---\n\n")
        elif token.type == "inline":
            out.append(_inline_plain(token.children or []))
    plain = "".join(out)
    while "\n\n\n" in plain:
        plain = plain.replace("\n\n\n", "\n\n")
    return plain.strip()


def _inline_plain(children: list) -> str:  # type: ignore[type-arg]
    """One paragraph's inline tokens as text: emphasis marks dropped, links spelled out."""
    parts: list[str] = []
    href: list[str] = []
    start: list[int] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href.append(str(child.attrGet("href") or ""))
            start.append(len(parts))
        elif child.type == "link_close" and href:
            address, first = href.pop(), start.pop()
            words = "".join(parts[first:])
            if address and address not in (words, f"mailto:{words}"):
                parts.append(f" ({address.removeprefix('mailto:')})")
    return "".join(parts)
