from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from tenancy import current


class TenantPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Password-reset tokens that only validate in the schema that issued them."""

    key_salt = "accounts.tokens.TenantPasswordResetTokenGenerator"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{current.schema_name()}:{super()._make_hash_value(user, timestamp)}"
