"""The rules for free text and for names: what is kept of what a person typed."""

from __future__ import annotations

import pytest

from complaints.text import clean_name, clean_text

# Zero-width space, word joiner, right-to-left override, byte-order mark: all Unicode "Cf".
INVISIBLE = "\u200b\u2060\u202e\ufeff"


def test_free_text_loses_invisible_characters_only_at_its_ends() -> None:
    # Inside prose they may carry meaning: the joiner in an emoji family, a Persian ZWNJ.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"{INVISIBLE} We need {family} tickets \u200c{INVISIBLE}") == (
        f"We need {family} tickets"
    )


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (f"{INVISIBLE}Ca\u200brds{INVISIBLE}", "Cards"),
        ("  Fees \u200b and\t\tcharges ", "Fees and charges"),
        ("Card\u202e fraud", "Card fraud"),
        ("Cafe\u0301", "Café"),  # NFC, as free text
        (f"{INVISIBLE} \u200d ", ""),
    ],
)
def test_a_name_keeps_no_invisible_character_anywhere_and_one_space_between_words(
    typed: str, kept: str
) -> None:
    assert clean_name(typed) == kept
