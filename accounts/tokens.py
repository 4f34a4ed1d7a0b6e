from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from tenancy import current


class TenantPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens that only validate in the schema that issued them, and only
    while the account's credential version is the one they were made under (a password
    change, deactivation, role change, second-factor reset or closure ends them)."""

    key_salt = "accounts.tokens.TenantPasswordResetTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        version = getattr(user, "credential_version", 0)
        return f"{current.schema_name()}:{version}:{super()._make_hash_value(user, timestamp)}"
