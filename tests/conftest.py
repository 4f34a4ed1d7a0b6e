"""Shared fixtures: tenants created once per test session, users and clients per role.

Every test runs inside a transaction that is rolled back, so users and complaints made by
the fixtures below vanish after each test while the tenant schemas stay. Creating the test
database migrates the template schema (tenancy/template.py); the test tenants are copies of
it, as in production.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import Model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from accounts.directory import forget_rendered_options
from accounts.models import Role, User
from complaints.choices import forget_read_choices
from complaints.models import Category, Complaint, Team
from complaints.services import submit_complaint
from configuration.cache import forget_pending_changes
from configuration.models import forget_current_settings
from outbox.services import deliver_due
from reports.rollups import rebuild_counts
from tenancy.models import Domain, RegulatoryProfile, Tenant

PASSWORD = "correct-horse-battery-staple"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"

TEST_TENANTS = {
    "bank": ("Northwind Bank", RegulatoryProfile.UK_FCA),
    "telco": ("Contoso Telecom", RegulatoryProfile.UK_OFCOM),
}


def current_code(key_hex: str = TOTP_KEY_HEX) -> str:
    return f"{totp(bytes.fromhex(key_hex)):06d}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Create the public tenant and two customer tenants (with their schemas) once."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        public = Tenant(schema_name="public", name="Platform", slug="platform")
        public.save(verbosity=0)
        Domain.objects.create(domain="localhost", tenant=public, is_primary=True)
        for slug, (name, profile) in TEST_TENANTS.items():
            tenant = Tenant(
                schema_name=f"t_{slug}", slug=slug, name=name, regulatory_profile=profile
            )
            tenant.save(verbosity=0)
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)


@pytest.fixture(autouse=True)
def _fresh_cache_and_schema() -> Iterator[None]:
    cache.clear()
    # Each test's changes to the settings row roll back; so must the copy read in the test,
    # and the note of configuration changed in a transaction that never committed.
    forget_current_settings()
    forget_pending_changes()
    forget_rendered_options()
    forget_read_choices()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def public_tenant(db: None) -> Tenant:
    connection.set_schema_to_public()
    return Tenant.objects.get(schema_name="public")


def _activate(slug: str) -> Tenant:
    connection.set_schema_to_public()
    tenant = Tenant.objects.get(slug=slug)
    connection.set_tenant(tenant)
    return tenant


@pytest.fixture
def bank(db: None) -> Tenant:
    """The tenant most tests run in; the connection is switched to its schema."""
    return _activate("bank")


@pytest.fixture
def telco(db: None) -> Tenant:
    return _activate("telco")


@pytest.fixture
def activate() -> Callable[[Tenant], Tenant]:
    """Switch the test's own database work to a tenant (requests switch it themselves)."""

    def switch(tenant: Tenant) -> Tenant:
        connection.set_tenant(tenant)
        return tenant

    return switch


def deliver_outbox(tenant: Tenant) -> list[EmailMessage]:
    """Deliver ``tenant``'s pending outbox as the worker's sweep would; returns every mail sent.

    A test's transaction never commits, so messages queued in it wait for this (or for
    ``django_capture_on_commit_callbacks(execute=True)``) before anything is sent.
    """
    with schema_context(tenant.schema_name):
        deliver_due()
    return list(mail.outbox)


def create_user(role: Role, email: str, *, second_factor: bool = True, full_name: str = "") -> User:
    """A user of the current schema with a verified address and, for staff, an authenticator."""
    user = User.objects.create_user(email, PASSWORD, role=role, full_name=full_name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if second_factor and user.is_staff_member:
        TOTPDevice.objects.create(user=user, name="Phone", key=TOTP_KEY_HEX, confirmed=True)
    return user


@pytest.fixture
def make_user(bank: Tenant) -> Callable[..., User]:
    counter = iter(range(10_000))

    def make(role: Role = Role.CONSUMER, email: str | None = None, **kwargs: Any) -> User:
        # Always a bank account, even when a fixture set up earlier switched to another tenant.
        previous = connection.tenant
        connection.set_tenant(bank)
        try:
            return create_user(role, email or f"{role}{next(counter)}@example.com", **kwargs)
        finally:
            connection.set_tenant(previous)

    return make


@pytest.fixture
def consumer(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSUMER, "casey@example.com", full_name="Casey Consumer")


@pytest.fixture
def other_consumer(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSUMER, "jordan@example.com", full_name="Jordan Lee")


@pytest.fixture
def front_line(bank: Tenant) -> Team:
    return Team.objects.create(name="Front line")


@pytest.fixture
def agent(make_user: Callable[..., User], front_line: Team) -> User:
    user = make_user(Role.AGENT, "alex@example.com", full_name="Alex Agent")
    front_line.members.add(user)
    return user


@pytest.fixture
def specialist(make_user: Callable[..., User]) -> User:
    return make_user(Role.SPECIALIST, "sam@example.com", full_name="Sam Specialist")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.MANAGER, "morgan@example.com", full_name="Morgan Manager")


@pytest.fixture
def tenant_admin(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, "avery@example.com", full_name="Avery Admin")


@pytest.fixture
def category(bank: Tenant) -> Category:
    product = Category.objects.create(name="Current account")
    return Category.objects.create(name="Fees and charges", parent=product)


@pytest.fixture
def make_complaint(consumer: User) -> Callable[..., Complaint]:
    def make(owner: User | None = None, **kwargs: Any) -> Complaint:
        owner = owner or consumer
        kwargs.setdefault("subject", "Card payment taken twice")
        kwargs.setdefault("description", "The payment of £84.20 left my account twice.")
        return submit_complaint(consumer=owner, actor=kwargs.pop("actor", owner), **kwargs)

    return make


@pytest.fixture
def complaint(make_complaint: Callable[..., Complaint], front_line: Team) -> Complaint:
    """A new complaint of ``consumer`` in the front-line team's queue."""
    made = make_complaint()
    made.team = front_line
    made.save(update_fields=["team"])
    rebuild_counts()  # placed in the queue directly, so the report counts are recounted
    return made


def tenant_client(tenant: Tenant) -> Client:
    return Client(HTTP_HOST=tenant.host)


def sign_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """Log ``user`` in on ``client``; staff also pass their second factor unless told not to."""
    client.force_login(user, backend="accounts.sessions.AccountBackend")
    if second_factor and user.is_staff_member:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def anonymous_client(bank: Tenant) -> Client:
    return tenant_client(bank)


@pytest.fixture
def consumer_client(bank: Tenant, consumer: User) -> Client:
    return sign_in(tenant_client(bank), consumer)


@pytest.fixture
def agent_client(bank: Tenant, agent: User) -> Client:
    return sign_in(tenant_client(bank), agent)


@pytest.fixture
def unverified_agent_client(bank: Tenant, agent: User) -> Client:
    """An agent who passed the password step but not the second factor."""
    return sign_in(tenant_client(bank), agent, second_factor=False)


@pytest.fixture
def specialist_client(bank: Tenant, specialist: User) -> Client:
    return sign_in(tenant_client(bank), specialist)


@pytest.fixture
def manager_client(bank: Tenant, manager: User) -> Client:
    return sign_in(tenant_client(bank), manager)


@pytest.fixture
def admin_client(bank: Tenant, tenant_admin: User) -> Client:
    return sign_in(tenant_client(bank), tenant_admin)


def _advance_id_sequence(model: type[Model]) -> None:
    """Move the current schema's id sequence of ``model`` past the ids in use.

    Rows made with an explicit id leave the sequence behind; the next plain insert would
    collide with them. ``setval`` is not undone by the test's rollback, which only skips ids.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
            f" GREATEST((SELECT MAX(id) FROM {connection.ops.quote_name(table)}),"
            " nextval(pg_get_serial_sequence(%s, 'id'))))",
            [table, table],
        )


def make_twin(user: User, home: Tenant, tenant: Tenant, *, full_name: str) -> User:
    """An account of ``tenant`` identical to ``user`` (of ``home``) in every key.

    Same id, e-mail, password hash, role and authenticator id. A credential the twin gets from
    its own tenant (session, JWT) would, if the other tenant honoured it, act there as
    ``user`` with all of ``user``'s rights; so when it is refused, only the credential's tenant
    binding can be the reason. The connection is left on ``home``.
    """
    connection.set_tenant(home)
    devices = list(TOTPDevice.objects.filter(user=user))
    connection.set_tenant(tenant)
    twin = User.objects.create(
        pk=user.pk,
        email=user.email,
        password=user.password,
        last_login=user.last_login,
        role=user.role,
        full_name=full_name,
    )
    EmailAddress.objects.create(user=twin, email=twin.email, verified=True, primary=True)
    for device in devices:
        TOTPDevice.objects.create(
            pk=device.pk, user=twin, name=device.name, key=device.key, confirmed=True
        )
    _advance_id_sequence(User)
    _advance_id_sequence(TOTPDevice)
    connection.set_tenant(home)
    return twin


def neighbour() -> Tenant:
    """Telco, the tenant next door, looked up without switching the connection to it."""
    return Tenant.objects.get(slug="telco")


def signed_in_next_door(home: Tenant, user: User) -> Client:
    """A telco client signed in as ``user`` (of telco); the connection is left on ``home``."""
    connection.set_tenant(neighbour())
    client = sign_in(tenant_client(neighbour()), user)
    connection.set_tenant(home)
    return client


def credential_on(client: Client, tenant: Tenant) -> Client:
    """A client for ``tenant``'s host carrying every cookie ``client`` holds (its session)."""
    carried = tenant_client(tenant)
    carried.cookies = copy.deepcopy(client.cookies)
    return carried


@pytest.fixture
def outsider(bank: Tenant, consumer: User) -> User:
    """A consumer of another tenant (telco), the bank consumer's twin in id, e-mail and password."""
    return make_twin(consumer, bank, neighbour(), full_name="Casey Outsider")


@pytest.fixture
def outsider_client(bank: Tenant, outsider: User) -> Client:
    """A client signed in to telco, the tenant next door."""
    return signed_in_next_door(bank, outsider)


@pytest.fixture
def outsider_at_bank(bank: Tenant, outsider_client: Client) -> Client:
    """The outsider's own telco session cookie, presented to the bank's host."""
    return credential_on(outsider_client, bank)


@pytest.fixture
def outsider_manager(bank: Tenant, manager: User) -> User:
    """A telco manager, the bank manager's twin, authenticator included."""
    return make_twin(manager, bank, neighbour(), full_name="Morgan Outsider")


@pytest.fixture
def outsider_manager_client(bank: Tenant, outsider_manager: User) -> Client:
    """A client signed in to telco as its manager, second factor passed."""
    return signed_in_next_door(bank, outsider_manager)


@pytest.fixture
def outsider_manager_at_bank(bank: Tenant, outsider_manager_client: Client) -> Client:
    """The telco manager's own session cookie, presented to the bank's host."""
    return credential_on(outsider_manager_client, bank)


@pytest.fixture
def outsider_admin(bank: Tenant, tenant_admin: User) -> User:
    """A telco admin, the bank admin's twin, authenticator included."""
    return make_twin(tenant_admin, bank, neighbour(), full_name="Avery Outsider")


@pytest.fixture
def outsider_admin_client(bank: Tenant, outsider_admin: User) -> Client:
    """A client signed in to telco as its admin, second factor passed."""
    return signed_in_next_door(bank, outsider_admin)


@pytest.fixture
def outsider_admin_at_bank(bank: Tenant, outsider_admin_client: Client) -> Client:
    """The telco admin's own session cookie, presented to the bank's host."""
    return credential_on(outsider_admin_client, bank)


@pytest.fixture
def operator(public_tenant: Tenant) -> User:
    return create_user(Role.OPERATOR, "olivia@example.com", full_name="Olivia Operator")


@pytest.fixture
def operator_client(public_tenant: Tenant, operator: User) -> Client:
    return sign_in(Client(HTTP_HOST="localhost"), operator)
