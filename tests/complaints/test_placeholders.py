"""One placeholder engine: each use has its list of names, unknown names are refused on save."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from accounts.models import User
from complaints.forms import CannedResponseForm
from complaints.models import CannedResponse, Complaint, LetterTemplate
from complaints.placeholders import (
    CANNED_RESPONSE_PLACEHOLDERS,
    LETTER_PLACEHOLDERS,
    PlaceholderError,
    Placeholders,
)

GREETING = Placeholders({"name": "the name", "reference": "the reference"})


def test_fill_replaces_known_names_and_leaves_missing_values_empty() -> None:
    assert GREETING.fill("Dear {name}, {reference}.", {"name": "Casey"}) == "Dear Casey, ."


def test_fill_refuses_unknown_names_listing_them_and_the_valid_ones() -> None:
    message = "Unknown placeholders {account}, {iban}. Use {name}, {reference}."
    with pytest.raises(PlaceholderError, match=re.escape(message)):
        GREETING.fill("Dear {name}, {iban} {account} {iban}", {"name": "Casey"})


@pytest.mark.parametrize("name", ["Name", "REFERENCE", "reference2"])
def test_misspelt_names_are_unknown_rather_than_sent_as_text(name: str) -> None:
    assert GREETING.unknown(f"Dear {{{name}}},") == [name]
    with pytest.raises(PlaceholderError, match=re.escape(f"Unknown placeholder {{{name}}}.")):
        GREETING.check(f"Dear {{{name}}},")


def test_check_covers_every_text_given() -> None:
    assert GREETING.problem("{name}", "{reference}") == ""
    assert GREETING.unknown("{name}", "{subject}") == ["subject"]


def test_each_use_has_its_own_list() -> None:
    assert CANNED_RESPONSE_PLACEHOLDERS.unknown("{agent_name} {fos_website}") == ["fos_website"]
    assert LETTER_PLACEHOLDERS.unknown("{agent_name} {fos_website}") == ["agent_name"]


# --- canned responses -------------------------------------------------------------------------


def test_canned_response_form_refuses_unknown_names_with_the_valid_ones(bank: object) -> None:
    form = CannedResponseForm({"title": "Typo", "body": "Dear {customer_name}"})

    assert not form.is_valid()
    assert form.errors["body"] == [
        "Unknown placeholder {customer_name}. Use {consumer_name}, {reference}, {agent_name}, "
        "{organisation}."
    ]


def test_editing_a_canned_response_to_an_unknown_name_is_refused(manager_client: Client) -> None:
    made = CannedResponse.objects.create(title="Apology", body="Sorry, {consumer_name}.")

    response = manager_client.post(
        f"/console/canned-responses/{made.pk}/", {"title": "Apology", "body": "Sorry {fos_website}"}
    )

    assert "Unknown placeholder {fos_website}. Use {consumer_name}" in html.unescape(
        response.content.decode()
    )
    made.refresh_from_db()
    assert made.body == "Sorry, {consumer_name}."


def test_filling_a_canned_response_never_keeps_an_unknown_name(
    complaint: Complaint, agent: User
) -> None:
    # Only a row written around the form and the service can hold one; filling refuses it.
    canned = CannedResponse.objects.create(title="Old", body="Dear {customer_name}")

    with pytest.raises(PlaceholderError, match=re.escape("{customer_name}")):
        canned.fill(complaint, agent)


# --- letter templates -------------------------------------------------------------------------


def test_letter_wording_with_an_unknown_name_is_refused_listing_the_valid_ones(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/settings/letters/acknowledgement/",
        {"subject": "Thanks {agent_name}", "body": "Ref {reference}, due {final_response_due}."},
    )

    assert response.status_code == 400
    assert f"Unknown placeholder {{agent_name}}. Use {LETTER_PLACEHOLDERS.listed()}." in (
        html.unescape(response.content.decode())
    )
    assert not LetterTemplate.objects.exists()
