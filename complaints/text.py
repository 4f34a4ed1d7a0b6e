"""What the product does to every piece of free text a person sends it."""

from __future__ import annotations

import unicodedata

# Unicode "format" characters (zero-width space, joiners, direction marks, the byte-order mark)
# print as nothing: a subject made only of them is blank to every reader.
_INVISIBLE = "Cf"


def clean_text(value: str) -> str:
    """``value`` in Unicode NFC form, without NUL characters (which no text column stores) and
    without leading or trailing white space or invisible format characters. Lengths are
    counted on this form, never on what was sent."""
    text = unicodedata.normalize("NFC", value.replace("\x00", ""))
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end]


def clean_name(value: str) -> str:
    """A name or label kept on one line (a saved view, a category, a team, an API client):
    ``clean_text`` without invisible format characters anywhere, not only at the ends, and
    each run of white space as one space. Two names that read the same are the same name."""
    visible = "".join(c for c in clean_text(value) if unicodedata.category(c) != _INVISIBLE)
    return " ".join(visible.split())


def _blank(character: str) -> bool:
    return character.isspace() or unicodedata.category(character) == _INVISIBLE
