"""Industry starters: what a new tenant of an industry begins with, so it is usable on day one.

Each starter is data: products and their causes (with the team each routes to), root causes,
teams, SLA targets per priority, and canned responses (Markdown, with the placeholders of
``complaints.placeholders.CANNED_RESPONSE_PLACEHOLDERS``). The letters the tenant's regulator
requires or words itself are copied from ``deadlines.regulation`` (through
``complaints.letters.default_letter``) so the first admin reviews the firm's own wording.

``apply_starter`` runs in the tenant's schema after the schema exists; it only adds what is
missing (matched by name, priority, title or letter kind), so running it again changes
nothing and never undoes an admin's edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction

from complaints.letters import default_letter, regulated_letters
from complaints.models import (
    CannedResponse,
    Category,
    LetterTemplate,
    Priority,
    RootCause,
    Team,
)
from deadlines.models import SlaPolicy
from tenancy.models import Industry

# Business hours for first response and resolution, per priority. The shortest first-response
# target stays above the default at-risk margin (1 hour), or every new complaint would be at risk.
STANDARD_SLA_TARGETS: Mapping[Priority, tuple[int, int]] = {
    Priority.URGENT: (2, 16),
    Priority.HIGH: (4, 40),
    Priority.NORMAL: (8, 80),
    Priority.LOW: (16, 120),
}

COMMON_CANNED_RESPONSES: tuple[tuple[str, str], ...] = (
    (
        "We need more information",
        "Dear {consumer_name},\n\n"
        "Thank you for your complaint **{reference}**. To look into it properly we need:\n\n"
        "- the date it happened\n"
        "- any reference or receipt you were given\n"
        "- copies of letters or e-mails about it\n\n"
        "Reply to this message or add files to your complaint online. Your complaint stays open "
        "while we wait.\n\n{agent_name}\n{organisation}",
    ),
    (
        "We are looking into it",
        "Dear {consumer_name},\n\n"
        "Thank you for telling us. We are looking into complaint **{reference}** now and will "
        "write again as soon as we have an answer.\n\n{agent_name}\n{organisation}",
    ),
)


@dataclass(frozen=True)
class Product:
    """A product (first-level category), the team its complaints go to and its causes."""

    name: str
    team: str
    causes: tuple[str, ...]
    # FCA: payment services and e-money causes run on the shorter 15/35 business-day clock.
    payment_services: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Starter:
    """Everything an industry's new tenant starts with; ``teams[0]`` becomes the default team."""

    industry: Industry
    label: str
    teams: tuple[str, ...]
    products: tuple[Product, ...]
    root_causes: tuple[str, ...]
    canned_responses: tuple[tuple[str, str], ...]
    sla_targets: Mapping[Priority, tuple[int, int]] = field(
        default_factory=lambda: dict(STANDARD_SLA_TARGETS)
    )


BANKING = Starter(
    industry=Industry.BANKING,
    label="Banking (FCA DISP)",
    teams=("Front line", "Payments and fraud", "Lending"),
    products=(
        Product(
            "Current account",
            "Front line",
            ("Fees and charges", "Payment not processed", "Account opening or closing"),
            payment_services=frozenset({"Payment not processed"}),
        ),
        Product(
            "Credit card",
            "Payments and fraud",
            ("Unauthorised transaction", "Interest charged", "Credit limit"),
            payment_services=frozenset({"Unauthorised transaction"}),
        ),
        Product(
            "Mortgage",
            "Lending",
            ("Arrears handling", "Overpayment not applied", "Rate switch"),
        ),
        Product("Loan", "Lending", ("Affordability", "Repayment difficulty")),
        Product("Savings", "Front line", ("Interest paid", "Withdrawal delayed")),
        Product(
            "Online and mobile banking",
            "Front line",
            ("Cannot sign in", "Service unavailable"),
        ),
    ),
    root_causes=(
        "Staff error",
        "System fault",
        "Process gap",
        "Third party",
        "Communication failure",
        "No fault found",
    ),
    canned_responses=(
        *COMMON_CANNED_RESPONSES,
        (
            "Refund made",
            "Dear {consumer_name},\n\n"
            "We got this wrong and we are sorry. We have **refunded the full amount** to your "
            "account; it will show within *two working days*.\n\n"
            "If you are not happy with this answer, reply to this message and we will look at "
            "your complaint {reference} again.\n\n{agent_name}\n{organisation}",
        ),
        (
            "Fraud claim: what happens next",
            "Dear {consumer_name},\n\n"
            "Thank you for reporting a transaction you did not make. We have:\n\n"
            "1. blocked your card, and a new one is on its way;\n"
            "2. started our investigation of complaint **{reference}**.\n\n"
            "We aim to refund unauthorised payments by the end of the next business day unless "
            "we have reason to suspect fraud.\n\n{agent_name}\n{organisation}",
        ),
    ),
)

TELECOMS = Starter(
    industry=Industry.TELECOMS,
    label="Telecoms (Ofcom)",
    teams=("Front line", "Technical support", "Billing"),
    products=(
        Product(
            "Broadband",
            "Technical support",
            ("Slow speed", "Outage", "Installation or engineer visit"),
        ),
        Product("Mobile", "Front line", ("Billing error", "Roaming charges", "Poor coverage")),
        Product("Landline", "Technical support", ("Fault repair", "Number transfer")),
        Product("TV", "Technical support", ("Channels missing", "Equipment fault")),
        Product(
            "Bills and contracts",
            "Billing",
            ("Price rise", "Early termination charge", "Direct debit taken twice"),
        ),
    ),
    root_causes=(
        "Network fault",
        "Engineer or contractor",
        "Billing system error",
        "Staff error",
        "Process gap",
        "No fault found",
    ),
    canned_responses=(
        *COMMON_CANNED_RESPONSES,
        (
            "Engineer visit booked",
            "Dear {consumer_name},\n\n"
            "We have booked an engineer to visit. They will call you the day before to confirm "
            "the time. Please make sure:\n\n"
            "- someone aged 18 or over is at home;\n"
            "- the engineer can reach your router and main socket.\n\n"
            "Complaint **{reference}** stays open until the fault is fixed.\n\n"
            "{agent_name}\n{organisation}",
        ),
        (
            "Bill corrected",
            "Dear {consumer_name},\n\n"
            "You were right: your bill was wrong. We have **credited the difference** to your "
            "account and it will show on your next bill.\n\n{agent_name}\n{organisation}",
        ),
    ),
)

AIRLINE = Starter(
    industry=Industry.AIRLINE,
    label="Airline (passenger rights)",
    teams=("Customer relations", "Baggage", "Refunds"),
    products=(
        Product(
            "Flights",
            "Customer relations",
            ("Delay", "Cancellation", "Denied boarding", "Downgrade"),
        ),
        Product("Baggage", "Baggage", ("Lost", "Delayed", "Damaged")),
        Product("Refunds and compensation", "Refunds", ("Refund not received", "Compensation")),
        Product("Booking and fees", "Customer relations", ("Seat fee", "Change fee")),
        Product(
            "Accessibility",
            "Customer relations",
            ("Assistance not provided", "Mobility aid damaged"),
        ),
    ),
    root_causes=(
        "Weather",
        "Air traffic control",
        "Technical fault",
        "Crew availability",
        "Ground handling",
        "Staff error",
        "No fault found",
    ),
    canned_responses=(
        *COMMON_CANNED_RESPONSES,
        (
            "Refund on its way",
            "Dear {consumer_name},\n\n"
            "We have **approved your refund**. It goes back to the card you paid with and "
            "usually shows within *seven days*.\n\n{agent_name}\n{organisation}",
        ),
        (
            "Baggage claim: what we need",
            "Dear {consumer_name},\n\n"
            "We are sorry your bag did not arrive as it should. To settle complaint "
            "**{reference}** please send:\n\n"
            "1. your bag tag number;\n"
            "2. receipts for anything you had to buy;\n"
            "3. photos of any damage.\n\n{agent_name}\n{organisation}",
        ),
    ),
)

STARTERS: Mapping[str, Starter] = {
    starter.industry.value: starter for starter in (BANKING, TELECOMS, AIRLINE)
}
STARTER_CHOICES = [(code, starter.label) for code, starter in STARTERS.items()]


@transaction.atomic
def apply_starter(starter: Starter, *, profile: str) -> None:
    """Add the starter's rows the current tenant schema does not have yet (idempotent).

    ``profile`` is the tenant's regulatory profile: its regulator's default wording becomes the
    tenant's own wording of each letter it requires. Existing rows are never changed; the first
    team becomes the default team only when the tenant has none.
    """
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in starter.teams}
    if not Team.objects.filter(is_default=True).exists():
        Team.objects.filter(pk=teams[starter.teams[0]].pk).update(is_default=True)
    for priority, (first, resolution) in starter.sla_targets.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={"first_response_hours": first, "resolution_hours": resolution},
        )
    for name in starter.root_causes:
        RootCause.objects.get_or_create(name=name)
    for product in starter.products:
        team = teams[product.team]
        parent, _ = Category.objects.get_or_create(
            name=product.name, parent=None, defaults={"team": team}
        )
        for cause in product.causes:
            Category.objects.get_or_create(
                name=cause,
                parent=parent,
                defaults={"team": team, "payment_services": cause in product.payment_services},
            )
    for title, body in starter.canned_responses:
        CannedResponse.objects.get_or_create(title=title, defaults={"body": body})
    for kind in regulated_letters(profile):
        subject, body = default_letter(profile, kind)
        LetterTemplate.objects.get_or_create(kind=kind, defaults={"subject": subject, "body": body})
