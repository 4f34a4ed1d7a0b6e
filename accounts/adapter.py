from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts.models import Role
from tenancy import current


class AccountAdapter(DefaultAccountAdapter):
    """Consumers sign themselves up in a tenant; staff and operators never do."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        tenant = getattr(request, "tenant", None)
        return tenant is not None and not tenant.is_public

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=False)
        user.role = Role.CONSUMER
        if commit:
            user.save()
        return user

    def add_message(
        self,
        request: HttpRequest,
        level: int,
        message_template: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # Staff are not signed in until their second factor passes; say nothing yet.
        user = getattr(request, "user", None)
        if message_template == "account/messages/logged_in.txt" and getattr(
            user, "is_staff_member", False
        ):
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return "/"

    def build_absolute_uri(self, request: HttpRequest | None, location: str) -> str:
        # Links in e-mails always point at the tenant that issued them.
        if request is not None:
            return request.build_absolute_uri(location)
        return f"{current.tenant().base_url}{location}"
