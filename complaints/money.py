"""Amounts of money as people type them, read in the tenant's locale.

``1,234.56``, ``£50`` and ``50.5`` in the United Kingdom; ``1 234,56`` or ``1.234,56 €`` where
the comma is the decimal mark. Exponents (``1e3``), negative amounts, fractions of a minor
unit and sizes no redress reaches are refused with a sentence saying what to type instead.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
    parse_decimal,
)
from django import forms

from tenancy import current

# Ten digits before the decimal mark: the stored column's precision (12 digits, 2 decimals).
MAX_AMOUNT = Decimal("9999999999.99")
# Currency signs people type: what is left of them once the chosen currency's own sign is
# taken out belongs to another currency (as does another currency's ISO code).
CURRENCY_SIGNS = re.compile(r"[$£€¥₹₩₽₺₪₫฿₴₦¢]")
# Spaces people type between thousands: plain, no-break and narrow no-break.
SPACES = re.compile(r"[ \u00a0\u202f\u2009]")


class AmountError(ValueError):
    """Text that is not an amount of money; the message says what to type instead."""


def tenant_locale() -> Locale:
    """The locale amounts are read in: the tenant's country's usual language (``GB`` → en_GB).

    A country babel does not know reads as British English.
    """
    return _country_locale(current.tenant().country)


@functools.lru_cache(maxsize=256)
def _country_locale(country: str) -> Locale:
    try:
        return Locale.parse(f"und_{country}")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en_GB")


def format_amount(amount: Decimal | int, currency: str, *, locale: Locale | None = None) -> str:
    """An amount as people read it in the tenant's locale, with its currency's symbol:
    ``£49.99``, ``$1,234.00``, ``49,99 €``. An unknown currency code keeps its code."""
    return format_currency(
        Decimal(amount), (currency or "GBP").upper(), locale=locale or tenant_locale()
    )


def amount_example(locale: Locale) -> str:
    """One thousand two hundred and thirty-four and 56 hundredths as the locale writes it."""
    group_mark = get_group_symbol(locale)
    return (
        f"1{' ' if SPACES.fullmatch(group_mark) else group_mark}234{get_decimal_symbol(locale)}56"
    )


def parse_amount(text: str, *, locale: Locale, currency: str = "") -> Decimal:
    """The amount ``text`` stands for, in major units (pounds), exact to the minor unit.

    Accepts the locale's decimal mark and its grouping of thousands (or spaces between them),
    with or without the symbol or ISO code of ``currency``. Raises AmountError for another
    currency's symbol or code (``$50`` when the redress is paid in GBP), exponents, signs,
    more than two decimals, wrongly placed separators and amounts above ``MAX_AMOUNT``.
    """
    value = text.strip()
    if currency:
        code = currency.upper()
        # Its code, its sign in the tenant's locale (``US$`` in Britain) and its plain sign
        # (``$``), longest first.
        own = {code, get_currency_symbol(code, locale), get_currency_symbol(code, "en")}
        for symbol in sorted(own, key=len, reverse=True):
            value = value.replace(symbol, "")
    value = value.strip()
    codes = {word.upper() for word in re.findall(r"[A-Za-z]{3}", value)}
    if CURRENCY_SIGNS.search(value) or codes & CURRENCY_CODES:
        named = f" in {currency.upper()}" if currency else ""
        raise AmountError(
            f"Type the amount{named} in figures, without another currency's sign or code; "
            "choose the currency it is paid in instead."
        )
    decimal_mark, group_mark = get_decimal_symbol(locale), get_group_symbol(locale)
    example = amount_example(locale)
    if not value:
        raise AmountError(f"Type an amount, for example {example}.")
    if re.search(r"[eE]", value):
        raise AmountError(f"Type the amount in full, without an exponent: for example {example}.")
    if re.search(r"[-+\u2212]", value):
        raise AmountError("The amount cannot be negative or carry a sign.")
    # A space groups thousands everywhere people write by hand (1 234,56; 1 234.56).
    value = SPACES.sub(group_mark, value)
    if not re.fullmatch(r"[0-9.,'\u00a0\u202f\u2019]+", value):
        raise AmountError(f"Type the amount in figures, for example {example}.")
    try:
        amount = parse_decimal(value, locale=locale, strict=True)
    except NumberFormatError:
        raise AmountError(
            f"That is not an amount of money here: the decimal mark is “{decimal_mark}”, "
            f"for example {example}."
        ) from None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise AmountError("Give the amount to at most two decimal places.")
    if amount > MAX_AMOUNT:
        raise AmountError("That amount is too large for a redress.")
    return amount.quantize(Decimal("0.01"))


CURRENCY_CODES = frozenset(list_currencies())


class CurrencyField(forms.CharField):
    """An ISO 4217 currency code (``GBP``, ``EUR``), any case; cleans to upper case. A code
    that is not a currency (``ZZZ``) is refused, so no letter names one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("help_text", "ISO code, e.g. GBP.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        code = str(super().clean(value) or "").strip().upper()
        if code and code not in CURRENCY_CODES:
            raise forms.ValidationError(
                "That is not a currency: use a three-letter ISO 4217 code, e.g. GBP.",
                code="currency",
            )
        return code


class AmountField(forms.Field):
    """A form field for an amount of money typed in the tenant's locale; cleans to a Decimal
    in major units (None when left empty and not required)."""

    widget = forms.TextInput
    # Longer text is no amount anyone types; it is refused before it is read.
    MAX_TEXT = 40

    def __init__(self, *, currency: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.currency = currency

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "maxlength": str(self.MAX_TEXT),
        }

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > self.MAX_TEXT:
            raise forms.ValidationError("That amount is too long to be an amount of money.")
        try:
            return parse_amount(text, locale=tenant_locale(), currency=self.currency)
        except AmountError as error:
            raise forms.ValidationError(str(error), code="amount") from None
