"""Amounts of money are read the way people type them in the tenant's locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale
from django import forms
from django.db import connection
from django.test import Client

from complaints.models import Complaint, RootCause, Status
from complaints.money import (
    AmountError,
    CurrencyField,
    format_amount,
    parse_amount,
    tenant_locale,
)
from tenancy.models import Tenant

ANOTHER_CURRENCY = (
    "Type the amount in GBP in figures, without another currency's sign or code; "
    "choose the currency it is paid in instead."
)
GB = Locale.parse("en_GB")
FR = Locale.parse("fr_FR")
DE = Locale.parse("de_DE")


@pytest.mark.parametrize(
    ("locale", "currency", "typed", "amount"),
    [
        (GB, "GBP", "1,234.56", "1234.56"),
        (GB, "GBP", "£50", "50.00"),
        (GB, "GBP", "£ 50", "50.00"),
        (GB, "GBP", "50.5", "50.50"),
        (GB, "GBP", "GBP 12", "12.00"),
        (GB, "GBP", " 0.75 ", "0.75"),
        (FR, "EUR", "1 234,56", "1234.56"),
        (FR, "EUR", "1\u00a0234,56 €", "1234.56"),
        (FR, "EUR", "50,5", "50.50"),
        (DE, "EUR", "1.234,56", "1234.56"),
        (DE, "EUR", "1 234,56", "1234.56"),
        (GB, "GBP", "1 234.56", "1234.56"),
        (GB, "USD", "$50", "50.00"),
        (GB, "usd", "US$50", "50.00"),
        (GB, "EUR", "€1,234.56", "1234.56"),
        (FR, "GBP", "£50", "50.00"),
    ],
)
def test_amounts_typed_as_people_write_them_are_read_exactly(
    locale: Locale, currency: str, typed: str, amount: str
) -> None:
    assert parse_amount(typed, locale=locale, currency=currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("locale", "typed", "message"),
    [
        (GB, "1e3", "Type the amount in full, without an exponent: for example 1,234.56."),
        (GB, "1E3", "Type the amount in full, without an exponent: for example 1,234.56."),
        (GB, "-5", "The amount cannot be negative or carry a sign."),
        (GB, "£-5", "The amount cannot be negative or carry a sign."),
        (GB, "+5", "The amount cannot be negative or carry a sign."),
        (GB, "1.234", "Give the amount to at most two decimal places."),
        (
            GB,
            "12,34",
            "That is not an amount of money here: the decimal mark is “.”, for example 1,234.56.",
        ),
        (
            DE,
            "12.34",
            "That is not an amount of money here: the decimal mark is “,”, for example 1.234,56.",
        ),
        (GB, "99999999999", "That amount is too large for a redress."),
        (GB, "abc", "Type the amount in figures, for example 1,234.56."),
        (GB, "NaN", "Type the amount in figures, for example 1,234.56."),
        (GB, "Infinity", "Type the amount in figures, for example 1,234.56."),
        (
            GB,
            "12 34.56",
            "That is not an amount of money here: the decimal mark is “.”, for example 1,234.56.",
        ),
        (GB, "£", "Type an amount, for example 1,234.56."),
        (GB, "$50", ANOTHER_CURRENCY),
        (GB, "€50", ANOTHER_CURRENCY),
        (GB, "50 USD", ANOTHER_CURRENCY),
        (GB, "eur 50", ANOTHER_CURRENCY),
    ],
)
def test_amounts_that_are_not_money_are_refused_with_what_to_type(
    locale: Locale, typed: str, message: str
) -> None:
    with pytest.raises(AmountError) as refusal:
        parse_amount(typed, locale=locale, currency="GBP")
    assert str(refusal.value) == message


def test_the_tenants_country_chooses_the_locale(bank: Tenant) -> None:
    assert str(tenant_locale()) == "en_GB"
    connection.tenant.country = "FR"
    try:
        assert str(tenant_locale()) == "fr_FR"
    finally:
        connection.tenant.country = "GB"


def resolve_with(client: Client, complaint: Complaint, root_cause: RootCause, amount: str) -> str:
    response = client.post(
        f"/console/complaints/{complaint.reference}/resolve/",
        {
            "outcome": "upheld",
            "root_cause": root_cause.pk,
            "redress_amount": amount,
            "redress_currency": "",
            "summary": "We refunded the second payment.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_console_resolution_takes_a_redress_written_with_a_pound_sign_and_commas(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    resolve_with(agent_client, complaint, root_cause, "£1,234.56")

    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    assert (complaint.redress_amount, complaint.redress_currency) == (Decimal("1234.56"), "GBP")


def test_console_resolution_refuses_an_exponent_and_says_why(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    page = resolve_with(agent_client, complaint, root_cause, "1e3")

    complaint.refresh_from_db()
    assert complaint.status == Status.NEW
    assert complaint.redress_amount is None
    assert "without an exponent" in page


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("49.99", "GBP", GB, "£49.99"),
        ("1234.5", "GBP", GB, "£1,234.50"),
        ("1234.5", "EUR", FR, "1\u202f234,50\u00a0€"),
        ("20", "USD", GB, "US$20.00"),
    ],
)
def test_amounts_are_shown_as_the_locale_writes_money(
    amount: str, currency: str, locale: Locale, shown: str
) -> None:
    assert format_amount(Decimal(amount), currency, locale=locale) == shown


def test_a_redress_is_shown_with_the_pound_sign_on_the_console_and_the_portal(
    agent_client: Client,
    consumer_client: Client,
    complaint: Complaint,
    root_cause: RootCause,
    bank: Tenant,
) -> None:
    resolved = resolve_with(agent_client, complaint, root_cause, "49.99")
    console = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    portal = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()

    for page in (resolved, console, portal):
        assert "£49.99" in page
        assert "GBP 49.99" not in page


@pytest.mark.parametrize("code", ["ZZZ", "XX", "£££", "GB"])
def test_a_currency_that_is_not_one_is_refused(code: str) -> None:
    field = CurrencyField(required=False)

    with pytest.raises(forms.ValidationError):
        field.clean(code)


def test_a_currency_code_is_read_in_any_case() -> None:
    assert CurrencyField(required=False).clean(" eur ") == "EUR"
    assert CurrencyField(required=False).clean("") == ""
