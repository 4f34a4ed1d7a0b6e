from __future__ import annotations

import base64
import random
from argparse import ArgumentParser
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

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
    ACTIVE_STATUSES,
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
    rate_complaint,
    refresh_deadlines,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from configuration.models import TenantSettings
from deadlines.models import Deadline
from operations.services import start_tenant
from operations.starters import AIRLINE, BANKING, TELECOMS, Starter
from outbox.services import deliver_due, deliveries_held
from reports.rollups import rebuild_counts
from tenancy.models import Domain, RegulatoryProfile, Tenant, host_url

# Demo credentials exist only here, and this command refuses to run in production.
DEMO_PASSWORD = "demo-complaints-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DEMO_TOTP_KEY_HEX = base64.b32decode(DEMO_TOTP_SECRET).hex()
OPERATOR_EMAIL = "operator@example.com"
# Complaints per tenant: received in the last four weeks (the dashboard's default period),
# and closed ones received in the last complete half-year (the regulatory return's default).
RECENT_COMPLAINTS = 54
PAST_HALF_YEAR_COMPLAINTS = 24
# Older complaints nobody has answered yet, so the breached list and the backlog have entries.
NEGLECTED_COMPLAINTS = 4
# What happens to a recent complaint, by its number: most are still being worked, so the
# agent's queue runs to more than one page.
RECENT_STAGES = ("new", "open", "new", "awaiting", "open", "resolved", "closed", "reopened")
RATING_COMMENTS = {
    5: "Sorted quickly and politely.",
    4: "Good outcome, though it took a while.",
    3: "Fine in the end.",
    2: "I had to chase twice.",
    1: "Nobody listened until I complained again.",
}


def last_complete_half_year(today: date) -> tuple[date, date]:
    """First and last day of the last half-year that has ended (the return's default period)."""
    if today.month > 6:
        return date(today.year, 1, 1), date(today.year, 6, 30)
    return date(today.year - 1, 7, 1), date(today.year - 1, 12, 31)


def current_demo_code() -> str:
    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY_HEX)):06d}"


@dataclass(frozen=True)
class Story:
    """A demo complaint's category (product and cause, as the starter names them) and words."""

    product: str
    cause: str
    subject: str
    description: str


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    starter: Starter
    profile: RegulatoryProfile
    country: str
    time_zone: str
    stories: tuple[Story, ...]
    # Managers approve final responses: the agent's resolutions wait in "Awaiting my approval".
    manager_approval: bool = False


DEMO_TENANTS = [
    DemoTenant(
        "bank",
        "Northwind Bank",
        BANKING,
        RegulatoryProfile.UK_FCA,
        "GB",
        "Europe/London",
        (
            Story(
                "Current account",
                "Payment not processed",
                "Card payment taken twice",
                "I paid £84.20 at a supermarket and it left my account twice.",
            ),
            Story(
                "Current account",
                "Fees and charges",
                "Overdraft fee I did not expect",
                "I was charged £25 though I stayed inside my limit.",
            ),
            Story(
                "Credit card",
                "Unauthorised transaction",
                "Card transaction I did not make",
                "I reported a card payment I did not make three weeks ago and heard nothing.",
            ),
            Story(
                "Current account",
                "Payment not processed",
                "Standing order not paid",
                "My rent standing order did not go out on the 1st.",
            ),
            Story(
                "Mortgage",
                "Overpayment not applied",
                "Mortgage overpayment missing",
                "My £1,000 overpayment is not shown on my balance.",
            ),
            Story(
                "Online and mobile banking",
                "Cannot sign in",
                "Locked out of the app",
                "The app has refused my password for a week and the helpline keeps me on hold.",
            ),
            Story(
                "Savings",
                "Interest paid",
                "Savings interest lower than promised",
                "My savings account paid 2.1% though the rate I signed up for was 4.5%.",
            ),
            Story(
                "Credit card",
                "Interest charged",
                "Interest charged after paying in full",
                "I cleared my balance on time and was still charged £18 interest.",
            ),
            Story(
                "Current account",
                "Account opening or closing",
                "Account closed without warning",
                "My account was closed and nobody told me why.",
            ),
            Story(
                "Loan",
                "Repayment difficulty",
                "No help when I asked for a payment break",
                "I lost my job and asked for a break; I was told to keep paying.",
            ),
        ),
    ),
    DemoTenant(
        "telco",
        "Contoso Telecom",
        TELECOMS,
        RegulatoryProfile.UK_OFCOM,
        "GB",
        "Europe/London",
        (
            Story(
                "Broadband",
                "Outage",
                "Broadband down for a week",
                "My connection has dropped every evening since Monday.",
            ),
            Story(
                "Mobile",
                "Roaming charges",
                "Roaming charges in France",
                "I was charged £60 for data though my plan includes EU roaming.",
            ),
            Story(
                "Bills and contracts",
                "Price rise",
                "Bill higher than my contract",
                "My monthly bill went from £32 to £45 without notice.",
            ),
            Story(
                "Broadband",
                "Installation or engineer visit",
                "Engineer did not arrive",
                "I took a day off work and nobody came.",
            ),
            Story(
                "Broadband",
                "Slow speed",
                "Speed far below promise",
                "I pay for 500 Mb/s and measure 40 Mb/s.",
            ),
            Story(
                "Mobile",
                "Billing error",
                "Charged for a bolt-on I cancelled",
                "I cancelled the data bolt-on in March and still pay £10 a month for it.",
            ),
            Story(
                "Landline",
                "Fault repair",
                "Line crackles and drops calls",
                "My landline has crackled for a month; the repair was booked twice and missed.",
            ),
            Story(
                "TV",
                "Channels missing",
                "Sports channels missing since the upgrade",
                "Since the new box was fitted the sports channels I pay for are gone.",
            ),
            Story(
                "Mobile",
                "Poor coverage",
                "No signal at home",
                "I have had no mobile signal at home since the mast work in my street.",
            ),
        ),
        manager_approval=True,
    ),
    DemoTenant(
        "airline",
        "Fabrikam Air",
        AIRLINE,
        RegulatoryProfile.US_DOT_AIRLINE,
        "US",
        "America/New_York",
        (
            Story(
                "Flights",
                "Cancellation",
                "Flight FA102 cancelled",
                "My flight to Boston was cancelled and no hotel was offered.",
            ),
            Story(
                "Baggage",
                "Lost",
                "Suitcase lost",
                "My bag did not arrive in Chicago and nobody has called me.",
            ),
            Story(
                "Refunds and compensation",
                "Refund not received",
                "Refund still missing",
                "I was promised a refund for a cancelled flight 6 weeks ago.",
            ),
            Story(
                "Baggage",
                "Damaged",
                "Damaged stroller",
                "Our stroller came back with a broken wheel.",
            ),
            Story(
                "Booking and fees",
                "Seat fee",
                "Seat I paid for not given",
                "I paid $45 for an exit-row seat and was moved.",
            ),
            Story(
                "Flights",
                "Delay",
                "Five-hour delay with no information",
                "We waited five hours at the gate and nobody told us anything.",
            ),
            Story(
                "Flights",
                "Denied boarding",
                "Bumped from an overbooked flight",
                "I was refused boarding with a confirmed seat and no compensation was offered.",
            ),
            Story(
                "Accessibility",
                "Assistance not provided",
                "No wheelchair at the gate",
                "I booked assistance for my mother and nobody met her at the gate.",
            ),
            Story(
                "Baggage",
                "Delayed",
                "Bag arrived three days late",
                "My bag came three days after me and I had to buy clothes.",
            ),
        ),
    ),
]

STAFF = [
    (Role.AGENT, "agent", "Alex Agent"),
    (Role.SPECIALIST, "specialist", "Sam Specialist"),
    (Role.MANAGER, "manager", "Morgan Manager"),
    (Role.ADMIN, "admin", "Avery Admin"),
]
EXTRA_CONSUMERS = [("jordan", "Jordan Lee"), ("priya", "Priya Shah"), ("chris", "Chris Novak")]


@cache
def demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once for every demo account (hashing takes most of a second)."""
    return make_password(DEMO_PASSWORD)


def ensure_user(email: str, role: Role, full_name: str, *, with_second_factor: bool) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create(
            email=email, password=demo_password_hash(), role=role, full_name=full_name
        )
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
                    industry=demo.starter.industry,
                    regulatory_profile=demo.profile,
                    country=demo.country,
                    time_zone=demo.time_zone,
                )
                tenant.save(verbosity=0)
            Domain.objects.get_or_create(
                domain=tenant.host, defaults={"tenant": tenant, "is_primary": True}
            )
            # A starter is applied as provisioning applies it, as a step of its own.
            start_tenant(tenant, demo.starter.industry.value)
            # The demo's history is mailed to nobody: its e-mails are queued in the outbox and
            # delivered in batches to a backend that drops them, at the moment each was sent.
            with (
                tenant_context(tenant),
                override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
                deliveries_held(),
            ):
                self.seed_tenant(demo)
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
        # The starter's teams: the agent works the first two queues, the manager the third,
        # and the manager is told about all of them.
        agent, manager = staff[Role.AGENT], staff[Role.MANAGER]
        teams = [Team.objects.get(name=name) for name in demo.starter.teams]
        Team.objects.filter(pk__in=[team.pk for team in teams], manager=None).update(
            manager=manager
        )
        for team in teams[:2]:
            team.members.add(agent)
        teams[2].members.add(manager)
        tenant_settings = TenantSettings.editable()
        currency = "USD" if demo.country == "US" else "GBP"
        if tenant_settings.currency != currency:
            tenant_settings.currency = currency
            tenant_settings.save(update_fields=["currency"])
        first_run = not Complaint.objects.exists()
        if first_run:
            self.seed_complaints(demo, staff, consumers)
        # Approval is turned on after the history, which was resolved without it.
        if demo.manager_approval and not tenant_settings.final_response_approval:
            tenant_settings.final_response_approval = True
            tenant_settings.save(update_fields=["final_response_approval"])
        if first_run and demo.manager_approval:
            self.propose_for_approval(staff[Role.AGENT])
        self.make_one_at_risk(timezone.now())
        # The demo sets some columns directly (assignees, priorities, a moved deadline), past
        # the gate whose observer keeps the report rollups: count them once, from the rows.
        rebuild_counts()

    def seed_complaints(
        self, demo: DemoTenant, staff: dict[Role, User], consumers: list[User]
    ) -> None:
        """Write the demo's history through the services, each step at the moment it happened.

        Time is moved (time-machine, a development dependency like this command) to each
        step, so deadlines, response times and the clocks letters meet are what they would
        have been. E-mails wait in the outbox and go out in batches: right after a step that
        sends a letter (a letter meets its clock when delivered), the rest with them.
        """
        import time_machine

        rng = random.Random(demo.slug)  # noqa: S311 - repeatable demo data, not security
        now = timezone.now()
        categories = {
            (cause.parent.name if cause.parent else "", cause.name): cause
            for cause in Category.objects.filter(parent__isnull=False).select_related("parent")
        }
        root_causes = list(RootCause.objects.all())
        handlers = {
            team.pk: staff[Role.MANAGER] if index >= 2 else staff[Role.AGENT]
            for index, team in enumerate(Team.objects.filter(name__in=demo.starter.teams))
        }
        plans = [
            # Recent complaints, from 27 days ago to today.
            (now - timedelta(days=27 * (RECENT_COMPLAINTS - 1 - n) / RECENT_COMPLAINTS), stage)
            # Counted back from the newest, which is new.
            for n in range(RECENT_COMPLAINTS)
            for stage in [RECENT_STAGES[(RECENT_COMPLAINTS - 1 - n) % len(RECENT_STAGES)]]
        ]
        plans += [
            (now - timedelta(days=rng.randint(30, 60), hours=rng.randint(0, 23)), "new")
            for _ in range(NEGLECTED_COMPLAINTS)
        ]
        first_day, last_day = last_complete_half_year(now.date())
        span = (last_day - first_day).days - 21
        plans += [
            (
                datetime.combine(
                    first_day + timedelta(days=span * n // PAST_HALF_YEAR_COMPLAINTS),
                    time(9 + n % 8, 15 * (n % 4)),
                    tzinfo=ZoneInfo(demo.time_zone),
                ),
                "closed",
            )
            for n in range(PAST_HALF_YEAR_COMPLAINTS)
        ]
        with time_machine.travel(now, tick=False) as clock:

            def at(moment: datetime) -> None:
                clock.move_to(min(moment, now))

            for number, (received_at, stage) in enumerate(plans):
                story = demo.stories[number % len(demo.stories)]
                consumer = consumers[number % len(consumers)]
                channel = rng.choice([Channel.PORTAL, Channel.PHONE, Channel.EMAIL, Channel.LETTER])
                at(received_at)
                online = channel == Channel.PORTAL
                complaint = submit_complaint(
                    consumer=consumer,
                    actor=consumer if online else staff[Role.AGENT],
                    subject=story.subject,
                    description=story.description,
                    category=categories[(story.product, story.cause)],
                    desired_outcome="Please put this right and explain what happened.",
                    channel=channel,
                    received_at=None if online else received_at,
                )
                # Letters meet their clocks when delivered: the acknowledgement, now.
                deliver_due(limit=1000)
                handler = handlers.get(complaint.team_id or 0, staff[Role.MANAGER])
                complaint.priority = rng.choice(list(Priority))
                complaint.assignee = handler if stage != "new" or number % 3 == 0 else None
                complaint.save(update_fields=["priority", "assignee"])
                refresh_deadlines(complaint)
                if stage == "new":
                    continue
                at(received_at + timedelta(hours=rng.randint(1, 30)))
                reply_to_complaint(
                    complaint,
                    "Thank you for telling us. We are looking into this now.",
                    actor=handler,
                )
                if stage == "open":
                    continue
                if stage == "awaiting":
                    add_internal_note(
                        complaint, "Checked the records: the consumer is right.", actor=handler
                    )
                    change_status(complaint, Status.AWAITING_CONSUMER, actor=handler)
                    continue
                resolved_at = received_at + timedelta(
                    days=rng.choice([1, 2, 5, 9, 14, 20, 30, 45, 62]), hours=rng.randint(0, 6)
                )
                at(resolved_at)
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
                    root_cause=rng.choice(root_causes),
                    redress_amount=Decimal(rng.choice(["25.00", "50.00", "84.20"]))
                    if upheld
                    else None,
                    actor=handler,
                )
                deliver_due(limit=1000)  # the final response, now
                if stage == "resolved":
                    continue
                at(resolved_at + timedelta(days=rng.randint(0, 2), hours=rng.randint(1, 8)))
                if stage == "reopened":
                    reject_resolution(complaint, "The refund has not arrived.", actor=consumer)
                    continue
                accept_resolution(complaint, actor=consumer)
                score = rng.choice([5, 5, 4, 4, 4, 3, 2, 1] if upheld else [3, 2, 2, 1])
                rate_complaint(complaint, score, RATING_COMMENTS[score], actor=consumer)
            at(now)
            deliver_due(limit=1000)

    def propose_for_approval(self, agent: User) -> None:
        """The agent resolves two of their open complaints; with approval on, each waits for
        the manager (the manager's "Awaiting my approval" queue and notifications)."""
        waiting = Complaint.objects.filter(assignee=agent, status=Status.OPEN).order_by("pk")[:2]
        root_cause = RootCause.objects.order_by("name").first()
        for complaint, (outcome, redress) in zip(
            waiting, [(Outcome.UPHELD, Decimal("30.00")), (Outcome.NOT_UPHELD, None)], strict=False
        ):
            resolve_complaint(
                complaint,
                outcome=outcome,
                summary="We have refunded the charge and fixed the account so it cannot recur."
                if redress
                else "We checked the account and the charges were applied correctly.",
                root_cause=root_cause,
                redress_amount=redress,
                actor=agent,
            )
        deliver_due(limit=1000)

    def make_one_at_risk(self, now: datetime) -> None:
        """Keep one complaint at risk now, so the at-risk list shows what it is for.

        Being at risk is a matter of the present (a deadline within the tenant's margin), so
        this runs on every seeding: when nothing is at risk, the earliest running deadline
        still ahead is brought forward to half the margin from now.
        """
        margin = TenantSettings.current().at_risk_margin
        if Complaint.objects.at_risk(now, margin).exists():
            return
        deadline = (
            Deadline.objects.filter(
                enforced=True,
                met_at__isnull=True,
                stopped_at__isnull=True,
                due_at__gt=now,
                complaint__status__in=ACTIVE_STATUSES,
            )
            .order_by("due_at")
            .first()
        )
        if deadline is None:
            return
        due = now + margin / 2
        Deadline.objects.filter(pk=deadline.pk).update(due_at=due)
        Complaint.objects.filter(pk=deadline.complaint_id).update(next_due_at=due)

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
