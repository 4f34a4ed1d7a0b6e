"""Demo data and demo two-factor codes never exist in production; demo accounts are quick to make."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context
from pytest_django import Settings

from accounts.models import Role, User
from operations.management.commands.seed_demo import (
    DEMO_PASSWORD,
    OPERATOR_EMAIL,
    current_demo_code,
    ensure_user,
)
from tenancy.models import Tenant
from tests.operations.conftest import creates_nothing
from tests.project.conftest import run_project, secure_production_env


def test_seed_demo_refuses_in_production_mode(settings: Settings, public_tenant: Tenant) -> None:
    settings.PRODUCTION = True

    with creates_nothing(), pytest.raises(CommandError, match="never created in production"):
        call_command("seed_demo", stdout=StringIO())

    with schema_context("public"):
        assert not User.objects.filter(email=OPERATOR_EMAIL).exists()


def test_seed_demo_refuses_in_a_production_process_before_touching_the_database() -> None:
    result = run_project("manage.py", "seed_demo", env=secure_production_env())

    assert result.returncode != 0
    assert "Demo data is never created in production mode." in result.stderr
    assert "Demo data is ready" not in result.stdout


def test_demo_code_refuses_in_production_mode(settings: Settings) -> None:
    settings.PRODUCTION = True
    out = StringIO()

    with pytest.raises(CommandError, match="no demo accounts in production"):
        call_command("demo_code", stdout=out)

    assert out.getvalue() == ""


def test_demo_code_refuses_in_a_production_process() -> None:
    result = run_project("manage.py", "demo_code", env=secure_production_env())

    assert result.returncode != 0
    assert "There are no demo accounts in production mode." in result.stderr
    assert result.stdout == ""


def test_demo_code_prints_the_current_six_digit_code_in_development() -> None:
    out = StringIO()

    call_command("demo_code", stdout=out)

    code = out.getvalue().strip()
    assert len(code) == 6
    assert code.isdigit()
    assert code in {current_demo_code(), f"{int(current_demo_code()):06d}"}


def test_demo_accounts_share_one_hash_of_the_demo_password(bank: Tenant) -> None:
    first = ensure_user("first@bank.example", Role.AGENT, "First", with_second_factor=False)
    second = ensure_user("second@bank.example", Role.CONSUMER, "Second", with_second_factor=False)

    assert first.password == second.password
    assert User.objects.get(pk=first.pk).check_password(DEMO_PASSWORD)
    assert authenticate(email="second@bank.example", password=DEMO_PASSWORD) == second
