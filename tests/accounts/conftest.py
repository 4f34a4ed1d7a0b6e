"""Helpers for the account, two-factor and audit tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.core.mail import EmailMessage

from accounts.models import User
from audit.models import AuditEvent

LINK = re.compile(r"https?://[^\s\"'<>]+")


def mailed_path(message: EmailMessage, contains: str) -> str:
    """The path of the one link in an e-mail whose URL contains ``contains``."""
    links = [url for url in LINK.findall(message.body) if contains in url]
    assert len(links) == 1, f"expected one {contains!r} link in: {message.body}"
    return urlsplit(links[0]).path


def mailed_host(message: EmailMessage, contains: str) -> str:
    """The host name of the one link in an e-mail whose URL contains ``contains``."""
    links = [url for url in LINK.findall(message.body) if contains in url]
    assert len(links) == 1, f"expected one {contains!r} link in: {message.body}"
    return urlsplit(links[0]).hostname or ""


@pytest.fixture
def audit_actions() -> Callable[..., list[str]]:
    """The actions in the current schema's audit log, oldest first, optionally for one e-mail."""

    def actions(actor_email: str | None = None) -> list[str]:
        events = AuditEvent.objects.order_by("created_at", "id")
        if actor_email is not None:
            events = events.filter(actor_email=actor_email)
        return list(events.values_list("action", flat=True))

    return actions


@pytest.fixture
def telco_twin(outsider: User) -> User:
    """A telco account identical to the bank's consumer in id, address and password hash.

    With it, a bank credential presented to telco can only be refused because of its tenant
    binding, not because the account it names happens not to exist there.
    """
    return outsider
