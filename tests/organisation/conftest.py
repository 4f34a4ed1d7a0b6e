"""Fixtures for the tenant settings pages: objects to edit, clients of other tenants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import User
from audit.models import AuditEvent
from complaints.models import Category, RootCause
from tenancy.models import Tenant
from tests.conftest import sign_in, tenant_client


@pytest.fixture(autouse=True)
def media(settings: Settings, tmp_path: Path) -> Path:
    """Uploaded logos go to a temporary folder, not the developer's media folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def product(bank: Tenant) -> Category:
    return Category.objects.create(name="Current account")


@pytest.fixture
def cause(product: Category) -> Category:
    return Category.objects.create(name="Fees and charges", parent=product)


@pytest.fixture
def root_cause(bank: Tenant) -> RootCause:
    return RootCause.objects.create(name="Staff error")


@pytest.fixture
def unverified_admin_client(bank: Tenant, tenant_admin: User) -> Client:
    return sign_in(tenant_client(bank), tenant_admin, second_factor=False)


@pytest.fixture
def audit_rows() -> Callable[..., list[AuditEvent]]:
    def rows(action: AuditEvent.Action) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action=action).order_by("id"))

    return rows


def errors_in(response: object) -> str:
    """The page's text, for asserting on the error messages it shows."""
    return response.content.decode()  # type: ignore[attr-defined]
