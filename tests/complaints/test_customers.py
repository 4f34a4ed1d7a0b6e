"""The customer behind the complaints: profile, all their complaints, staff-only notes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import ContactChannel, Role, User
from audit.models import AuditEvent
from complaints.letters import compose
from complaints.models import Complaint, CustomerNote, LetterKind, Team
from complaints.services import ComplaintError
from complaints.services.customers import add_customer_note
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user
from tests.conftest import sign_in, tenant_client


def customer_url(consumer: User) -> str:
    return f"/console/customers/{consumer.pk}/"


def test_agent_sees_profile_needs_and_every_complaint_they_may_see(
    agent_client: Client,
    consumer: User,
    complaint: Complaint,
    make_complaint: Callable[..., Complaint],
    other_team: Team,
) -> None:
    User.objects.filter(pk=consumer.pk).update(
        phone="020 7946 0000",
        preferred_channel=ContactChannel.PHONE,
        accessibility_needs="Large print, please.",
    )
    elsewhere = make_complaint(subject="Mortgage letter never came")
    Complaint.objects.filter(pk=elsewhere.pk).update(team=other_team)

    page = agent_client.get(customer_url(consumer)).content.decode()

    assert "Casey Consumer" in page
    assert "020 7946 0000" in page
    assert "Large print, please." in page
    assert complaint.reference in page
    # Another team's complaint is not on the agent's read path, so not on the page.
    assert elsewhere.reference not in page


def test_console_complaint_page_links_to_the_customer_and_shows_their_needs(
    agent_client: Client, consumer: User, complaint: Complaint
) -> None:
    User.objects.filter(pk=consumer.pk).update(accessibility_needs="Calls only after 5pm.")

    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()

    assert f'href="/console/customers/{consumer.pk}/"' in page
    assert "Calls only after 5pm." in page


def test_customer_page_is_a_404_without_a_visible_complaint_and_for_unknown_ids(
    other_agent_client: Client, consumer: User, complaint: Complaint, agent_client: Client
) -> None:
    assert other_agent_client.get(customer_url(consumer)).status_code == 404
    assert agent_client.get("/console/customers/999999/").status_code == 404
    assert agent_client.get(f"/console/customers/{2**70}/").status_code == 404


def test_consumer_cannot_open_the_console_customer_page(
    consumer_client: Client, consumer: User, complaint: Complaint
) -> None:
    assert consumer_client.get(customer_url(consumer)).status_code == 403


def test_staff_note_is_kept_audited_and_never_reaches_the_consumer(
    agent_client: Client, consumer_client: Client, consumer: User, complaint: Complaint
) -> None:
    response = agent_client.post(
        customer_url(consumer), {"note-body": "Prefers to be called Mrs Consumer."}
    )

    assert response.status_code == 302
    note = CustomerNote.objects.get(consumer=consumer)
    assert note.body == "Prefers to be called Mrs Consumer."
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CUSTOMER_NOTE_ADDED)
    assert audit.target == f"user:{consumer.pk}"
    assert "Mrs" not in str(audit.detail)
    assert "Prefers to be called" in agent_client.get(customer_url(consumer)).content.decode()
    for path in ("/account/", "/account/data.json", f"/complaints/{complaint.reference}/"):
        assert "Prefers to be called" not in consumer_client.get(path).content.decode()


def test_referred_specialist_reads_the_customer_but_keeps_no_notes(
    specialist: User, referred: Complaint, consumer: User, bank: Tenant
) -> None:
    client = sign_in(tenant_client(bank), specialist)

    assert client.get(customer_url(consumer)).status_code == 200
    assert client.post(customer_url(consumer), {"note-body": "x"}).status_code == 403
    assert not CustomerNote.objects.exists()


def test_empty_note_is_refused_with_a_sentence(
    agent: User, consumer: User, complaint: Complaint
) -> None:
    with pytest.raises(ComplaintError) as refusal:
        add_customer_note(consumer, " \u200b ", actor=as_request_user(agent))
    assert str(refusal.value) == "A note cannot be empty."


def test_staff_change_contact_details_and_the_audit_names_only_the_fields(
    agent_client: Client, consumer: User, complaint: Complaint
) -> None:
    response = agent_client.post(
        customer_url(consumer),
        {
            "details-full_name": "Casey  Consumer-Smith",
            "details-phone": "+44 20 7946 0000",
            "details-postal_address": "1 High Street\n\nLondon",
            "details-preferred_channel": "letter",
            "details-accessibility_needs": "",
        },
    )

    assert response.status_code == 302
    consumer.refresh_from_db()
    assert consumer.full_name == "Casey Consumer-Smith"
    assert consumer.postal_address == "1 High Street\nLondon"
    assert consumer.preferred_channel == ContactChannel.LETTER
    audit = AuditEvent.objects.get(action=AuditEvent.Action.CONTACT_DETAILS_CHANGED)
    assert audit.detail["fields"] == ["full_name", "phone", "postal_address", "preferred_channel"]


def test_phone_preference_without_a_number_is_refused(
    consumer_client: Client, consumer: User
) -> None:
    response = consumer_client.post(
        "/account/",
        {"full_name": "Casey", "phone": "", "postal_address": "", "preferred_channel": "phone"},
    )

    assert response.status_code == 200
    assert "Give a phone number to be contacted by phone." in response.content.decode()


PHONE_IN_FIGURES = (
    "Type the phone number in figures, for example 020 7946 0000 or +44 20 7946 0000."
)


def test_a_bad_number_with_phone_preferred_gets_one_clear_error(
    consumer_client: Client, consumer: User
) -> None:
    response = consumer_client.post(
        "/account/",
        {
            "full_name": "Casey",
            "phone": "call me",
            "postal_address": "",
            "preferred_channel": "phone",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [PHONE_IN_FIGURES]
    assert "Give a phone number" not in page
    # Once beside the field, once in the summary at the top that links to it.
    assert page.count(PHONE_IN_FIGURES) == 2
    assert User.objects.get(pk=consumer.pk).preferred_channel != ContactChannel.PHONE


def test_staff_changing_a_customers_details_get_the_same_single_phone_error(
    agent_client: Client, consumer: User, complaint: Complaint
) -> None:
    response = agent_client.post(
        customer_url(consumer),
        {
            "details-full_name": "Casey",
            "details-phone": "ring after six",
            "details-postal_address": "",
            "details-preferred_channel": "phone",
            "details-accessibility_needs": "",
        },
    )

    assert response.status_code == 200
    assert response.context["details_form"].errors["phone"] == [PHONE_IN_FIGURES]
    assert "Give a phone number" not in response.content.decode()


def test_consumer_changes_their_own_name_on_the_account_page(
    consumer_client: Client, consumer: User
) -> None:
    response = consumer_client.post(
        "/account/",
        {
            "full_name": "Casey Newname",
            "phone": "",
            "postal_address": "",
            "preferred_channel": "email",
            "accessibility_needs": "Screen reader user.",
        },
    )

    assert response.status_code == 302
    consumer.refresh_from_db()
    assert (consumer.full_name, consumer.accessibility_needs) == (
        "Casey Newname",
        "Screen reader user.",
    )
    assert "Your details are saved." in consumer_client.get("/account/").content.decode()


def test_letters_greet_a_consumer_without_a_name_neutrally_never_by_address(
    bank: Tenant, make_user: Callable[..., User], make_complaint: Callable[..., Complaint]
) -> None:
    nameless = make_user(Role.CONSUMER, "newbie@example.org")
    complaint = make_complaint(owner=nameless)

    _, body = compose(complaint, bank, LetterKind.ACKNOWLEDGEMENT)

    assert body.startswith("Dear customer,")
    assert "newbie@example.org" not in body


def test_letters_greet_a_named_consumer_by_name(bank: Tenant, complaint: Complaint) -> None:
    _, body = compose(complaint, bank, LetterKind.ACKNOWLEDGEMENT)

    assert body.startswith("Dear Casey Consumer,")


def test_staff_intake_asks_the_consumers_name_and_names_a_nameless_account(
    agent: User, make_user: Callable[..., User]
) -> None:
    from complaints.forms import IntakeForm
    from complaints.services import log_complaint_on_behalf

    nameless = make_user(Role.CONSUMER, "newbie@example.org")
    form = IntakeForm({"consumer_email": "newbie@example.org", "consumer_name": " "})
    form.is_valid()
    assert form.errors["consumer_name"] == ["Ask the consumer's name: letters address them by it."]

    log_complaint_on_behalf(
        consumer_email="newbie@example.org",
        consumer_name="Nell  Newbie",
        actor=as_request_user(agent),
        subject="Phoned in",
        description="By phone.",
        channel="phone",
    )

    nameless.refresh_from_db()
    assert nameless.full_name == "Nell Newbie"


def test_closing_the_account_forgets_the_contact_details(consumer: User) -> None:
    from complaints.account_closure import close_consumer_account

    User.objects.filter(pk=consumer.pk).update(
        phone="020 7946 0000", postal_address="1 High Street", accessibility_needs="Braille."
    )
    person = as_request_user(consumer)

    close_consumer_account(person, actor=person)

    person.refresh_from_db()
    assert (person.full_name, person.phone, person.postal_address, person.accessibility_needs) == (
        "",
        "",
        "",
        "",
    )
