"""People are addressed by their name, and by a neutral word when we do not have it."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from tenancy.models import Tenant
from tests.conftest import PASSWORD, deliver_outbox

SIGNUP = "/accounts/signup/"


def test_sign_up_asks_for_the_name_before_anything_else(anonymous_client: Client) -> None:
    page = anonymous_client.get(SIGNUP).content.decode()

    assert 'name="full_name"' in page
    assert 'autocomplete="name"' in page
    assert page.index('name="full_name"') < page.index('name="email"')


def test_sign_up_keeps_the_name_given_without_stray_spaces(
    anonymous_client: Client, bank: Tenant
) -> None:
    response = anonymous_client.post(
        SIGNUP,
        {
            "full_name": "  Zoë   Müller ",
            "email": "zoe@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    deliver_outbox(bank)

    assert response.status_code == 302
    assert User.objects.get(email="zoe@example.com").full_name == "Zoë Müller"


def test_sign_up_without_a_name_is_refused_with_a_sentence(anonymous_client: Client) -> None:
    response = anonymous_client.post(
        SIGNUP,
        {
            "full_name": "   ",
            "email": "noname@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "Tell us your name, so we know how to address you." in response.content.decode()
    assert not User.objects.filter(email="noname@example.com").exists()
