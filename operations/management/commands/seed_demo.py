from __future__ import annotations

import base64
import functools
import random
from argparse import ArgumentParser
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role, User
from complaints.models import (
    Category,
    Channel,
    Complaint,
    Outcome,
    Priority,
    RootCause,
    Status,
    Team,
)
from complaints.services import (
    accept_resolution,
    add_internal_note,
    change_status,
    refresh_deadlines,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from configuration.models import TenantSettings
from deadlines.models import SlaPolicy
from outbox.services import deliver_due, deliveries_held
from tenancy.models import Domain, Industry, RegulatoryProfile, Tenant, host_url

# Demo credentials exist only here, and this command refuses to run in production.
DEMO_PASSWORD = "demo-complaints-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_TOTP_KEY_HEX = base64.b32decode(DEMO_TOTP_SECRET).hex()
OPERATOR_EMAIL = "operator@example.com"
# Business hours for first response and resolution, per priority.
SLA_TARGETS = {
    Priority.URGENT: (2, 16),
    Priority.HIGH: (4, 40),
    Priority.NORMAL: (8, 80),
    Priority.LOW: (16, 120),
}
ROOT_CAUSES = ["Staff error", "System fault", "Process gap", "Third party", "No fault found"]
PAYMENT_SERVICES_CAUSES = {"Payment not processed", "Unauthorised transaction"}


def current_demo_code() -> str:
    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}"


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    industry: Industry
    profile: RegulatoryProfile
    country: str
    time_zone: str
    categories: dict[str, list[str]]
    stories: list[tuple[str, str]]


DEMO_TENANTS = [
    DemoTenant(
        "bank",
        "Northwind Bank",
        Industry.BANKING,
        RegulatoryProfile.UK_FCA,
        "GB",
        "Europe/London",
        {
            "Current account": ["Fees and charges", "Payment not processed"],
            "Credit card": ["Unauthorised transaction", "Interest charged"],
            "Mortgage": ["Arrears handling", "Overpayment not applied"],
        },
        [
            (
                "Card payment taken twice",
                "I paid £84.20 at a supermarket and it left my account twice.",
            ),
            (
                "Overdraft fee I did not expect",
                "I was charged £25 though I stayed inside my limit.",
            ),
            ("Standing order not paid", "My rent standing order did not go out on the 1st."),
            (
                "Fraud claim ignored",
                "I reported a card transaction I did not make three weeks ago.",
            ),
            ("Mortgage overpayment missing", "My £1,000 overpayment is not shown on my balance."),
            ("Branch closed without notice", "I travelled to the branch and found it closed."),
        ],
    ),
    DemoTenant(
        "telco",
        "Contoso Telecom",
        Industry.TELECOMS,
        RegulatoryProfile.UK_OFCOM,
        "GB",
        "Europe/London",
        {
            "Broadband": ["Slow speed", "Outage"],
            "Mobile": ["Billing error", "Roaming charges"],
            "Landline": ["Fault repair"],
        },
        [
            ("Broadband down for a week", "My connection has dropped every evening since Monday."),
            (
                "Roaming charges in France",
                "I was charged £60 for data though my plan includes EU roaming.",
            ),
            ("Bill higher than contract", "My monthly bill went from £32 to £45 without notice."),
            ("Engineer did not arrive", "I took a day off work and nobody came."),
            ("Speed far below promise", "I pay for 500 Mb/s and measure 40 Mb/s."),
        ],
    ),
    DemoTenant(
        "airline",
        "Fabrikam Air",
        Industry.AIRLINE,
        RegulatoryProfile.US_DOT_AIRLINE,
        "US",
        "America/New_York",
        {
            "Flights": ["Delay", "Cancellation"],
            "Baggage": ["Lost", "Damaged"],
            "Refunds": ["Refund not received"],
        },
        [
            (
                "Flight FA102 cancelled",
                "My flight to Boston was cancelled and no hotel was offered.",
            ),
            ("Suitcase lost", "My bag did not arrive in Chicago and nobody has called me."),
            ("Refund still missing", "I was promised a refund for a cancelled flight 6 weeks ago."),
            ("Damaged stroller", "Our stroller came back with a broken wheel."),
            ("Seat I paid for not given", "I paid $45 for an exit-row seat and was moved."),
        ],
    ),
]

STAFF = [
    (Role.AGENT, "agent", "Alex Agent"),
    (Role.SPECIALIST, "specialist", "Sam Specialist"),
    (Role.MANAGER, "manager", "Morgan Manager"),
    (Role.ADMIN, "admin", "Avery Admin"),
]
EXTRA_CONSUMERS = [("jordan", "Jordan Lee"), ("priya", "Priya Shah"), ("chris", "Chris Novak")]


@functools.cache
def demo_password_hash() -> str:
    """The demo password hashed once: hashing it for each account took most of the seed."""
    return make_password(DEMO_PASSWORD)


def ensure_user(email: str, role: Role, full_name: str, *, with_second_factor: bool) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, role=role, full_name=full_name)
        user.password = demo_password_hash()
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    if with_second_factor and not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", key=DEMO_TOTP_KEY_HEX, confirmed=True
        )
    return user


class Command(BaseCommand):
    help = "Create the demo platform, tenants, accounts and complaints (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-summary", action="store_true", help="do not print the demo addresses"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is never created in production mode.")
        public = Tenant.objects.filter(schema_name="public").first()
        if public is None:
            public = Tenant(schema_name="public", name="Platform", slug="platform")
            public.save(verbosity=0)
        Domain.objects.get_or_create(
            domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        with schema_context("public"):
            ensure_user(OPERATOR_EMAIL, Role.OPERATOR, "Olivia Operator", with_second_factor=True)
        for demo in DEMO_TENANTS:
            tenant = Tenant.objects.filter(slug=demo.slug).first()
            if tenant is None:
                self.stdout.write(f"Creating tenant {demo.name}…")
                tenant = Tenant(
                    schema_name=f"t_{demo.slug}",
                    slug=demo.slug,
                    name=demo.name,
                    industry=demo.industry,
                    regulatory_profile=demo.profile,
                    country=demo.country,
                    time_zone=demo.time_zone,
                )
                tenant.save(verbosity=0)
            Domain.objects.get_or_create(
                domain=tenant.host, defaults={"tenant": tenant, "is_primary": True}
            )
            # The demo's history is not mailed to anyone. Its e-mails are queued as they are
            # written and delivered afterwards in batches (a task each would be far slower).
            with (
                tenant_context(tenant),
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            ):
                with deliveries_held():
                    self.seed_tenant(demo)
                deliver_due(limit=100_000)
        if not options["no_summary"]:
            self.print_summary()

    @transaction.atomic
    def seed_tenant(self, demo: DemoTenant) -> None:
        domain = f"{demo.slug}.example"
        staff = {
            role: ensure_user(f"{local}@{domain}", role, name, with_second_factor=True)
            for role, local, name in STAFF
        }
        consumers = [
            ensure_user(
                f"consumer@{domain}", Role.CONSUMER, "Casey Consumer", with_second_factor=False
            )
        ] + [
            ensure_user(f"{local}@{domain}", Role.CONSUMER, name, with_second_factor=False)
            for local, name in EXTRA_CONSUMERS
        ]
        manager = staff[Role.MANAGER]
        front_line, _ = Team.objects.get_or_create(name="Front line", defaults={"manager": manager})
        complex_cases, _ = Team.objects.get_or_create(
            name="Complex cases", defaults={"manager": manager}
        )
        front_line.members.add(staff[Role.AGENT])
        complex_cases.members.add(manager)
        if Team.default() is None:
            front_line.is_default = True
            front_line.save(update_fields=["is_default"])
            tenant_settings = TenantSettings.editable()
            tenant_settings.currency = "USD" if demo.country == "US" else "GBP"
            tenant_settings.save(update_fields=["currency"])
        for priority, (first, resolution) in SLA_TARGETS.items():
            SlaPolicy.objects.get_or_create(
                priority=priority,
                defaults={"first_response_hours": first, "resolution_hours": resolution},
            )
        for name in ROOT_CAUSES:
            RootCause.objects.get_or_create(name=name)
        causes = []
        for index, (product_name, cause_names) in enumerate(demo.categories.items()):
            product, _ = Category.objects.get_or_create(
                name=product_name,
                parent=None,
                defaults={"team": complex_cases if index == 2 else front_line},
            )
            for cause_name in cause_names:
                causes.append(
                    Category.objects.get_or_create(
                        name=cause_name,
                        parent=product,
                        defaults={
                            "team": product.team,
                            "payment_services": cause_name in PAYMENT_SERVICES_CAUSES,
                        },
                    )[0]
                )
        if Complaint.objects.exists():
            return
        self.seed_complaints(demo, staff, consumers, causes, [front_line, complex_cases])

    def seed_complaints(
        self,
        demo: DemoTenant,
        staff: dict[Role, User],
        consumers: list[User],
        causes: list[Category],
        teams: list[Team],
    ) -> None:
        rng = random.Random(demo.slug)  # noqa: S311 - repeatable demo data, not security
        agent, manager = staff[Role.AGENT], staff[Role.MANAGER]
        now = timezone.now()
        for number in range(30):
            subject, story = demo.stories[number % len(demo.stories)]
            consumer = consumers[number % len(consumers)]
            channel = rng.choice([Channel.PORTAL, Channel.PHONE, Channel.EMAIL, Channel.LETTER])
            # Portal complaints arrive now; the others were received earlier and logged by staff.
            online = channel == Channel.PORTAL
            complaint = submit_complaint(
                consumer=consumer,
                actor=consumer if online else agent,
                subject=subject,
                description=story,
                category=rng.choice(causes),
                desired_outcome="Please put this right and explain what happened.",
                channel=channel,
                received_at=None
                if online
                else now - timedelta(days=rng.randint(0, 50), hours=rng.randint(0, 23)),
            )
            complaint.priority = rng.choice(list(Priority))
            complaint.assignee = (
                (agent if complaint.team == teams[0] else manager) if number % 3 == 0 else None
            )
            complaint.save(update_fields=["priority", "assignee"])
            refresh_deadlines(complaint)
            handler = agent if complaint.team == teams[0] else manager
            stage = number % 6
            if stage >= 1:
                reply_to_complaint(
                    complaint,
                    "Thank you for telling us. We are looking into this now.",
                    actor=handler,
                )
            if stage == 2:
                add_internal_note(
                    complaint, "Checked the records: the consumer is right.", actor=handler
                )
                change_status(complaint, Status.AWAITING_CONSUMER, actor=handler)
            if stage >= 3:
                add_internal_note(
                    complaint, "Root cause found; drafting the final response.", actor=handler
                )
                upheld = number % 4 != 1
                resolve_complaint(
                    complaint,
                    outcome=Outcome.UPHELD if upheld else Outcome.NOT_UPHELD,
                    summary="We have corrected the error and refunded the amount in full."
                    if upheld
                    else "We checked every record and the charge was applied correctly.",
                    root_cause=RootCause.objects.order_by("?").first(),
                    redress_amount=Decimal("25.00") if upheld else None,
                    actor=handler,
                )
            if stage == 4:
                accept_resolution(complaint, actor=consumer)
            if stage == 5:
                reject_resolution(complaint, "The refund has not arrived.", actor=consumer)

    def print_summary(self) -> None:
        lines = [
            "",
            "Demo data is ready.",
            f"  Platform console: {host_url(settings.BASE_DOMAIN)}/  ({OPERATOR_EMAIL})",
        ]
        for demo in DEMO_TENANTS:
            lines.append(
                f"  {demo.name:<16} {host_url(f'{demo.slug}.{settings.BASE_DOMAIN}')}/  "
                f"consumer@ agent@ specialist@ manager@ admin@{demo.slug}.example"
            )
        lines += [
            f"  Password for every demo account: {DEMO_PASSWORD}",
            f"  Staff two-factor secret (add to any authenticator app): {DEMO_TOTP_SECRET}",
            f"  Current code: {current_demo_code()}   (print a fresh one with `make totp`)",
            "",
        ]
        self.stdout.write("\n".join(lines))
