"""Configuration from the environment, and production's refusal of an insecure one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from project.env import env_bool, env_int, env_list, env_str
from tests.project.conftest import run_project, secure_production_env

SETUP = "import django; django.setup()"
SHOW = SETUP + (
    "; from django.conf import settings as s"
    "; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
    " s.SECURE_HSTS_SECONDS > 0, s.PUBLIC_SCHEME, s.LOG_FORMAT, s.ALLOWED_HOSTS)"
)
REFUSAL = "Refusing to start in production with an insecure configuration"


def test_secure_production_configuration_starts_with_secure_defaults() -> None:
    result = run_project("-c", SHOW, env=secure_production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "True",
        "https",
        "json",
        "['.complaints.example.com']",
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"SECRET_KEY": None},
            "SECRET_KEY must be set to a random value of at least 50 characters",
        ),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY must be set"),
        (
            {"SECRET_KEY": "development-only-key-never-use-in-production-0123456789abcdef"},
            "SECRET_KEY must be set",
        ),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must not contain a wildcard"),
        ({"ALLOWED_HOSTS": ".complaints.example.com,*"}, "ALLOWED_HOSTS must not contain"),
        ({"BASE_DOMAIN": None}, "BASE_DOMAIN must be the real domain"),
        ({"DATABASE_URL": None}, "DATABASE_URL must point at the production PostgreSQL"),
        ({"REDIS_URL": None}, "REDIS_URL must point at the shared Redis cache"),
        ({"REDIS_URL": ""}, "REDIS_URL must point at the shared Redis cache"),
    ],
)
def test_production_refuses_to_start_naming_the_insecure_setting(
    changes: dict[str, str | None], problem: str
) -> None:
    env = secure_production_env()
    for name, value in changes.items():
        if value is None:
            del env[name]
        else:
            env[name] = value

    result = run_project("-c", SETUP, env=env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {REFUSAL}")
    assert problem in last_line


def test_production_lists_every_problem_at_once() -> None:
    result = run_project("-c", SETUP, env={"DJANGO_ENV": "production", "DEBUG": "1"})

    assert result.returncode != 0
    for setting in ("SECRET_KEY", "DEBUG", "BASE_DOMAIN", "DATABASE_URL", "REDIS_URL"):
        assert f"{setting} must" in result.stderr


def test_garbage_boolean_in_the_environment_stops_the_start_with_its_name() -> None:
    env = secure_production_env() | {"DEBUG": "maybe"}

    result = run_project("-c", SETUP, env=env)

    assert result.returncode != 0
    assert "DEBUG must be one of true/false/1/0/yes/no, not 'maybe'." in result.stderr


# --- Typed readers --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_env_bool_reads_true_words(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FEATURE_FLAG", raw)

    assert env_bool("FEATURE_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_env_bool_reads_false_words(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FEATURE_FLAG", raw)

    assert env_bool("FEATURE_FLAG", True) is False


def test_env_bool_uses_the_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEATURE_FLAG", raising=False)

    assert env_bool("FEATURE_FLAG", True) is True
    assert env_bool("FEATURE_FLAG", False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "t", "y", "truee"])
def test_env_bool_rejects_garbage_naming_the_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("FEATURE_FLAG", raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env_bool("FEATURE_FLAG", False)

    assert str(error.value) == (f"FEATURE_FLAG must be one of true/false/1/0/yes/no, not {raw!r}.")


def test_env_int_reads_numbers_and_rejects_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOL_SIZE", "12")
    assert env_int("POOL_SIZE", 3) == 12
    monkeypatch.setenv("POOL_SIZE", " ")
    assert env_int("POOL_SIZE", 3) == 3
    monkeypatch.setenv("POOL_SIZE", "twelve")
    with pytest.raises(
        ImproperlyConfigured, match="POOL_SIZE must be a whole number, not 'twelve'"
    ):
        env_int("POOL_SIZE", 3)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example, ,b.example,")
    assert env_list("HOSTS", ["default"]) == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["default"]) == ["default"]


def test_env_str_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGION", raising=False)
    assert env_str("REGION", "eu") == "eu"
    monkeypatch.setenv("REGION", "us")
    assert env_str("REGION", "eu") == "us"
