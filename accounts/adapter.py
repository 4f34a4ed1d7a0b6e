from __future__ import annotations

import hashlib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role
from outbox.services import current_brand, enqueue_email
from tenancy import current


def account_mail_key(template_prefix: str, email: str, context: dict[str, Any]) -> str:
    """The outbox key of one of allauth's e-mails.

    A mail carrying a token (confirmation key, reset key or code) is keyed by it, so the same
    link is queued once and every new link is a new message. A mail without one (e.g.
    "account already exists") is keyed by address and UTC minute, so a retried request queues
    it once while a later one queues it again. Tokens are hashed: keys are not secrets.
    """
    token = context.get("key") or context.get("code")
    discriminator = str(token) if token else timezone.now().strftime("%Y-%m-%dT%H:%M")
    digest = hashlib.sha256(f"{email.lower()}\n{discriminator}".encode()).hexdigest()
    return f"account:{template_prefix.rsplit('/', 1)[-1]}:{digest}"


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Queue one of allauth's e-mails in the outbox, rendered from allauth's templates.

        Nothing is sent from the request: the message commits with the change that caused
        it and a worker delivers it, in the organisation's branding.
        """
        request = allauth_context.request
        rendered = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                "organisation": current_brand().name,
                **context,
            },
        )
        enqueue_email(
            key=account_mail_key(template_prefix, email, context),
            recipient=email,
            subject=str(rendered.subject),
            body=str(rendered.body),
        )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return "/"

    def build_absolute_uri(self, request: HttpRequest | None, location: str) -> str:
        # Links in e-mails always point at the tenant that issued them.
        if request is not None:
            return request.build_absolute_uri(location)
        return f"{current.tenant().base_url}{location}"
