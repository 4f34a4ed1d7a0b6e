from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, ClassVar

import rules
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.crypto import salted_hmac

from configuration.cache import ConfigurationQuerySet

# The longest address a mailbox can have (RFC 5321's 256-character path less its angle
# brackets), and the length of every e-mail column: forms refuse longer ones plainly.
EMAIL_MAX_LENGTH = 254


class Role(models.TextChoices):
    CONSUMER = "consumer", "Consumer"
    AGENT = "agent", "Agent"
    SPECIALIST = "specialist", "Support specialist"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Administrator"
    OPERATOR = "operator", "Platform operator"
    # The identity an integration (API client) acts as; it signs in only with client
    # credentials, never with a password or a browser session.
    CLIENT = "client", "API client"


class ClientScope(models.TextChoices):
    """What an API client may do; views name the scope they need (``client_scope``)."""

    READ_COMPLAINTS = "complaints.read", "Read complaints"
    LOG_COMPLAINTS = "complaints.log", "Log complaints"
    ACT_ON_COMPLAINTS = "complaints.act", "Act on complaints"
    READ_REPORTS = "reports.read", "Reports"


STAFF_ROLES = frozenset({Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.ADMIN, Role.OPERATOR})
# Roles a tenant admin may give to staff in their organisation.
TENANT_STAFF_ROLES = (Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.ADMIN)


class ContactChannel(models.TextChoices):
    """How a consumer prefers us to contact them."""

    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter by post"


class SystemActor:
    """The product itself as the actor of a change nobody asked for at that moment.

    The deadline scan, automatic closure and the letters a regulator requires on time are
    made by the system actor. It is named explicitly: a service never treats a missing actor
    as permission. It holds no role, so no role predicate admits it; rules name it with
    ``accounts.predicates.is_system``.
    """

    pk = None
    role = None
    is_authenticated = False
    is_active = True
    display_name = "the complaints system"
    email = ""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


class UserManager(BaseUserManager["User"]):
    """Accounts; a bulk write of them forgets the cached staff lists
    (``configuration.cache.ConfigurationQuerySet``) unless it writes only
    ``User.UNCACHED_FIELDS``."""

    use_in_migrations = True

    def get_queryset(self) -> ConfigurationQuerySet[User]:
        return ConfigurationQuerySet(self.model, using=self._db)

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def staff(self) -> models.QuerySet[User]:
        return self.filter(role__in=STAFF_ROLES)


class User(AbstractBaseUser, PermissionsMixin):
    """A person in one schema: a tenant's consumer or staff member, or a platform operator."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # How to reach a consumer besides the e-mail address, and what they need from us.
    phone = models.CharField(max_length=40, blank=True)
    postal_address = models.TextField(max_length=500, blank=True)
    preferred_channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    accessibility_needs = models.TextField(
        max_length=1000,
        blank=True,
        help_text="Anything we should do differently when we contact or help this person.",
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.CONSUMER)
    is_active = models.BooleanField(default=True)
    is_available = models.BooleanField(
        default=True, help_text="Available agents receive automatically assigned complaints."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Every credential (session, access and refresh token) carries the value it was issued
    # under; the events that must end them (password change or reset, deactivation, role
    # change, second-factor reset, closure, "sign out everywhere") bump it.
    credential_version = models.PositiveIntegerField(default=1, db_index=True)
    # Wrong second-factor codes in a row, and until when staff sign-in is locked after too many.
    second_factor_failures = models.PositiveIntegerField(default=0)
    second_factor_locked_until = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()
    # Bookkeeping no cached staff list shows: a bulk update of these alone forgets nothing.
    UNCACHED_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "credential_version",
            "last_login",
            "password",
            "second_factor_failures",
            "second_factor_locked_until",
        }
    )

    # The scopes of the API client this identity belongs to, set on the instance by the API
    # authentication for the request's token (``integrations.authentication``); empty for
    # everyone else, so no scope predicate admits a user loaded any other way.
    client_scopes: frozenset[str] = frozenset()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        # Staff pickers and lists filter by role; staff are a few among millions of consumers.
        indexes = [
            models.Index(
                fields=["role", "full_name", "email"],
                condition=~models.Q(role="consumer"),
                name="user_staff_idx",
            ),
            # Look-ups by address ignore case (``email__iexact`` is ``UPPER(email) = UPPER(%s)``
            # in PostgreSQL): staff logging a complaint for a consumer name them by e-mail.
            models.Index(Upper("email"), name="user_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Whether the ``rules`` predicates give this user ``perm`` (on ``obj``).

        ``rules`` is the only source of permissions: the product never grants Django's model
        permissions (groups, per-user grants, superuser), so they are not looked up, which
        saves two queries on every page that checks a permission the user does not hold.
        """
        return bool(rules.has_perm(perm, self, obj))

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool:
        """Whether the user holds every permission of ``perm_list``, as ``has_perm`` says."""
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        """No app-wide model permissions exist in the product (there is no Django admin)."""
        return False

    @property
    def is_staff_member(self) -> bool:
        """Staff work in the console and must use a second factor."""
        return self.role in STAFF_ROLES

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def set_password(self, raw_password: str | None) -> None:
        """Set the password and end every credential issued under the previous one."""
        super().set_password(raw_password)
        if self.pk is not None:
            self.credential_version += 1

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A save of the password alone must carry the version its change bumped.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "password" in update_fields:
            kwargs["update_fields"] = {*update_fields, "credential_version"}
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """The session's proof of the account state: the password and the credential version.

        Django signs a session out when this changes (``django.contrib.auth.get_user``).
        """
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.credential_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use, expiring invitation for a staff member of this tenant."""

    VALID_FOR = timedelta(days=7)

    email = models.EmailField()
    role = models.CharField(max_length=12, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        # Pending invitations are found by address, ignoring case (``email__iexact``).
        indexes = [models.Index(Upper("email"), name="invitation_email_upper_idx")]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class CredentialQuerySet(models.QuerySet[Any]):
    def active(self) -> CredentialQuerySet:
        """Credentials not revoked and not yet expired (UTC)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class IssuedRefreshToken(models.Model):
    """One API refresh token issued by this tenant; rotated on use, revocable.

    Tokens of one ``family`` descend from one sign-in: presenting a token that was already
    rotated away means it was copied, so the whole family is revoked.
    """

    jti = models.CharField(max_length=64, unique=True)
    family = models.UUIDField(db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    credential_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CredentialQuerySet] = CredentialQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="refresh_user_idx")]

    def __str__(self) -> str:
        return f"Refresh token {self.jti[:8]}… of user {self.user_id}"


class SignedInSession(models.Model):
    """Where and when a browser session of this tenant was signed in, to list and revoke it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    credential_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CredentialQuerySet] = CredentialQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="session_user_idx")]

    def __str__(self) -> str:
        return f"Session of user {self.user_id} from {self.created_at:%Y-%m-%d %H:%M}"
