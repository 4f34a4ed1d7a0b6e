"""The guided complaint form: linked product and cause selects, bad input, the promises."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role
from complaints.models import Category, Complaint
from tenancy.models import Tenant
from tests.conftest import create_user, sign_in, tenant_client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def catalogue(bank: Tenant) -> dict[str, Category]:
    card = Category.objects.create(name="Cards")
    loans = Category.objects.create(name="Loans")
    return {
        "card": card,
        "loans": loans,
        "fraud": Category.objects.create(name="Fraud", parent=card),
        "fees": Category.objects.create(name="Fees", parent=card),
        "rates": Category.objects.create(name="Interest rates", parent=loans),
    }


def test_choosing_a_product_by_htmx_returns_only_its_causes(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    response = consumer_client.get(f"/complaints/new/?product={catalogue['card'].pk}", **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="cause-field"')
    assert "<html" not in content
    assert ">Fraud<" in content and ">Fees<" in content
    assert "Something else about Cards" in content
    assert "Interest rates" not in content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("product", ["", "not-a-number", "999999"])
def test_no_or_unknown_product_returns_every_cause_grouped_by_product(
    consumer_client: Client, catalogue: dict[str, Category], product: str
) -> None:
    response = consumer_client.get(f"/complaints/new/?product={product}", **HTMX)

    content = response.content.decode()
    assert '<optgroup label="Cards">' in content
    assert '<optgroup label="Loans">' in content
    assert "Interest rates" in content and "Fraud" in content


def test_full_page_without_javascript_offers_every_cause_in_one_select(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    content = consumer_client.get("/complaints/new/").content.decode()

    assert content.count('name="category"') == 1
    assert '<optgroup label="Loans">' in content
    assert 'hx-get="/complaints/new/"' in content  # the product select upgrades with htmx
    for step in ("What is it about?", "What happened?", "What would put it right?"):
        assert step in content
    assert "Documents or photos" in content


def test_a_cause_is_saved_as_the_category(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    response = consumer_client.post(
        "/complaints/new/",
        {
            "product": catalogue["card"].pk,
            "category": catalogue["fraud"].pk,
            "subject": "Card used abroad",
            "description": "Payments I did not make.",
            "desired_outcome": "A refund.",
        },
    )

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.category == catalogue["fraud"]
    assert complaint.desired_outcome == "A refund."


def test_a_product_without_a_cause_is_saved_as_the_category(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    consumer_client.post(
        "/complaints/new/",
        {"product": catalogue["loans"].pk, "subject": "Loan", "description": "Slow."},
    )
    assert Complaint.objects.get().category == catalogue["loans"]


def test_a_cause_of_another_product_is_refused_with_a_linked_error(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    response = consumer_client.post(
        "/complaints/new/",
        {
            "product": catalogue["loans"].pk,
            "category": catalogue["fraud"].pk,
            "subject": "Mixed up",
            "description": "Wrong pair.",
        },
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "That is not one of the choices for Loans." in content
    assert 'class="error-summary"' in content
    assert 'href="#id_category"' in content
    assert 'aria-invalid="true"' in content
    # The cause list stays narrowed to the chosen product after the error.
    assert "Interest rates" in content and ">Fraud<" not in content
    assert not Complaint.objects.exists()


def test_missing_fields_are_listed_in_the_error_summary_linked_to_their_fields(
    consumer_client: Client,
) -> None:
    response = consumer_client.post("/complaints/new/", {"subject": "", "description": ""})

    content = response.content.decode()
    assert 'href="#id_subject"' in content
    assert 'href="#id_description"' in content
    assert 'aria-describedby="id_subject_helptext id_subject_error"' in content
    assert not Complaint.objects.exists()


def test_an_inactive_product_cannot_be_chosen(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    Category.objects.filter(pk=catalogue["loans"].pk).update(is_active=False)
    response = consumer_client.post(
        "/complaints/new/",
        {"product": catalogue["loans"].pk, "subject": "Loan", "description": "Slow."},
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Complaint.objects.exists()


def test_bank_form_promises_a_final_response_within_8_weeks(consumer_client: Client) -> None:
    content = consumer_client.get("/complaints/new/").content.decode()
    assert "We will send you our final response within 8 weeks." in content
    assert "payments or e-money" not in content


def test_bank_form_mentions_15_business_days_when_it_handles_payment_services(
    consumer_client: Client, catalogue: dict[str, Category]
) -> None:
    Category.objects.filter(pk=catalogue["card"].pk).update(payment_services=True)
    content = consumer_client.get("/complaints/new/").content.decode()
    assert "For complaints about payments or e-money: within 15 business days." in content


def test_telco_form_promises_adr_rights_after_8_weeks(
    telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(telco)
    client = sign_in(tenant_client(telco), create_user(Role.CONSUMER, "pat@example.com"))

    content = client.get("/complaints/new/").content.decode()

    assert "We aim to settle it within 8 weeks." in content
    assert "independent dispute resolution (ADR) scheme" in content
    assert "final response within" not in content


def test_outsider_htmx_causes_never_list_bank_categories(
    outsider_at_bank: Client, catalogue: dict[str, Category]
) -> None:
    """The outsider's own telco session, on the bank host, is sent to sign in."""
    response = outsider_at_bank.get(f"/complaints/new/?product={catalogue['card'].pk}", **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert "Fraud" not in response.content.decode()
    assert "Cards" not in response.content.decode()


def test_staff_cannot_load_the_causes(agent_client: Client, catalogue: dict[str, Category]) -> None:
    response = agent_client.get(f"/complaints/new/?product={catalogue['card'].pk}", **HTMX)
    assert response.status_code == 403
    assert b"Fraud" not in response.content


def test_visitor_loading_the_causes_is_sent_to_sign_in(
    anonymous_client: Client, catalogue: dict[str, Category]
) -> None:
    response = anonymous_client.get(f"/complaints/new/?product={catalogue['card'].pk}", **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert b"Fraud" not in response.content
