"""Links the product sends use the tenant's canonical URL, redirects stay on the tenant, and a
complaint logged by staff is only ever readable by whoever proved they own the address."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from complaints.models import Channel, Complaint
from complaints.services import log_complaint_on_behalf
from tenancy.models import Tenant
from tests.accounts.conftest import LINK, mailed_path
from tests.api.conftest import COMPLAINTS_URL, bearer_client, request_tokens
from tests.conftest import current_code, deliver_outbox

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker-chose-this-1"
NEW_PASSWORD = "the-owner-chose-this-2"
RESET_KEY = "/accounts/password/reset/key/"


def links_in(body: str) -> list[str]:
    return LINK.findall(body)


@pytest.mark.parametrize("host", ["bank.localhost:9999", "bank.localhost:1", "bank.localhost"])
def test_a_reset_link_requested_with_a_spoofed_host_points_at_the_canonical_url(
    bank: Tenant, consumer: User, host: str
) -> None:
    response = Client(HTTP_HOST=host).post("/accounts/password/reset/", {"email": consumer.email})
    assert response.status_code == 302

    (message,) = deliver_outbox(bank)

    (link,) = [url for url in links_in(message.body) if RESET_KEY in url]
    assert link.startswith(f"{bank.base_url}{RESET_KEY}")
    assert "9999" not in message.body and ":1/" not in message.body


def test_a_confirmation_link_requested_with_a_spoofed_port_points_at_the_canonical_url(
    bank: Tenant,
) -> None:
    response = Client(HTTP_HOST="bank.localhost:9999").post(
        "/accounts/signup/",
        {
            "full_name": "Nova Person",
            "email": "new.person@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302

    (message,) = deliver_outbox(bank)

    (link,) = [url for url in links_in(message.body) if "/accounts/confirm-email/" in url]
    assert link.startswith(f"{bank.base_url}/accounts/confirm-email/")


@pytest.mark.parametrize(
    "target",
    ["http://telco.localhost:8000/console/", "//telco.localhost/", "http://evil.example/"],
)
def test_sign_in_never_redirects_to_another_host(bank: Tenant, consumer: User, target: str) -> None:
    from tests.conftest import PASSWORD

    response = Client(HTTP_HOST=bank.host).post(
        f"/accounts/login/?next={target}", {"login": consumer.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == ""


def log_by_service(bank: Tenant, agent: User) -> Complaint:
    return log_complaint_on_behalf(
        consumer_email=VICTIM,
        actor=agent,
        subject="Card cancelled without notice",
        description="Told us by phone.",
        channel=Channel.PHONE,
    )


def log_by_api(bank: Tenant, agent: User) -> Complaint:
    tokens = request_tokens(bank, agent.email, otp=current_code()).json()
    created = bearer_client(bank, tokens["access"]).post(
        COMPLAINTS_URL,
        {
            "consumer_email": VICTIM,
            "channel": "phone",
            "subject": "Card cancelled without notice",
            "description": "Told us by phone.",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    connection.set_tenant(bank)
    return Complaint.objects.get(reference=created.json()["reference"])


@pytest.mark.parametrize("log", [log_by_service, log_by_api], ids=["console", "api"])
def test_an_unconfirmed_self_registration_never_gets_a_staff_logged_complaint(
    bank: Tenant, agent: User, log: Callable[[Tenant, User], Complaint]
) -> None:
    """The attack: someone registers the victim's address without confirming it; staff later
    log the victim's phone complaint, in the console or through the API; the registrant must
    not be able to read it."""
    attacker = Client(HTTP_HOST=bank.host)
    signed_up = attacker.post(
        "/accounts/signup/",
        {
            "full_name": "Mallory",
            "email": VICTIM,
            "password1": ATTACKER_PASSWORD,
            "password2": ATTACKER_PASSWORD,
        },
    )
    assert signed_up.status_code == 302
    assert request_tokens(bank, VICTIM, ATTACKER_PASSWORD).status_code == 401
    connection.set_tenant(bank)
    (confirmation,) = deliver_outbox(bank)  # went to the victim, not the attacker

    complaint = log(bank, agent)

    # The attacker's password no longer opens anything, in the API or the browser.
    assert request_tokens(bank, VICTIM, ATTACKER_PASSWORD).status_code == 401
    login = Client(HTTP_HOST=bank.host)
    login.post("/accounts/login/", {"login": VICTIM, "password": ATTACKER_PASSWORD})
    assert login.get("/complaints/").status_code == 302
    assert attacker.get(f"/complaints/{complaint.reference}/").status_code in (302, 404)

    # Even once the victim confirms the address, the attacker's password opens nothing.
    (confirm,) = [url for url in links_in(confirmation.body) if "confirm-email" in url]
    Client(HTTP_HOST=bank.host).post(urlsplit(confirm).path)
    assert request_tokens(bank, VICTIM, ATTACKER_PASSWORD).status_code == 401

    # The victim claims the account through the link mailed to the address.
    connection.set_tenant(bank)
    claim = [m for m in deliver_outbox(bank) if "set a password" in m.body]
    assert [m.to for m in claim] == [[VICTIM]]
    link = mailed_path(claim[0], RESET_KEY)
    assert f"{bank.base_url}{link}" in claim[0].body
    owner = Client(HTTP_HOST=bank.host)
    page = owner.get(link, follow=True)
    assert not page.context.get("token_fail", False)
    owner.post(page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    tokens = request_tokens(bank, VICTIM, NEW_PASSWORD)
    assert tokens.status_code == 200, tokens.content
    listed = bearer_client(bank, tokens.json()["access"]).get(COMPLAINTS_URL).json()
    assert complaint.reference in str(listed)
    connection.set_tenant(bank)
    assert Complaint.objects.get(pk=complaint.pk).consumer.email == VICTIM


def test_a_verified_consumer_is_adopted_as_they_are(
    bank: Tenant, agent: User, consumer: User
) -> None:
    complaint = log_complaint_on_behalf(
        consumer_email=consumer.email,
        actor=agent,
        subject="Phone complaint",
        description="Logged by staff.",
        channel=Channel.PHONE,
    )

    consumer.refresh_from_db()
    assert complaint.consumer == consumer
    assert consumer.has_usable_password()
    assert not [m for m in deliver_outbox(bank) if "set a password" in m.body]


@pytest.mark.parametrize("address", ["closed", "reserved"])
def test_staff_intake_refuses_a_closed_account_and_reserved_addresses(
    bank: Tenant, agent: User, consumer: User, address: str
) -> None:
    from complaints.services import ComplaintError

    if address == "closed":
        User.objects.filter(pk=consumer.pk).update(is_active=False)
        email = consumer.email
    else:
        email = "closed-6@closed.invalid"

    with pytest.raises(ComplaintError):
        log_complaint_on_behalf(
            consumer_email=email,
            actor=agent,
            subject="Phone complaint",
            description="Logged by staff.",
            channel=Channel.PHONE,
        )
    assert not Complaint.objects.exists()
    assert not User.objects.filter(email=email, is_active=True).exists()
