from __future__ import annotations

import hashlib
from typing import Any, NamedTuple

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from accounts.credentials import CredentialRefused, check_credential
from accounts.middleware import page_to_return_to
from accounts.models import Role
from outbox.services import current_brand, enqueue_email
from tenancy import current
from tenancy.models import canonical_url, is_on_current_host


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
        user.full_name = form.cleaned_data.get("full_name", "")
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
        tenant = current.tenant()
        # allauth builds its links (confirmation, reset, sign-up) from the request's Host:
        # every absolute URL it hands over is re-rooted at the tenant's canonical base URL.
        links = {
            name: canonical_url(value)
            for name, value in context.items()
            if isinstance(value, str) and value.startswith(("http://", "https://"))
        }
        rendered = self.render_mail(
            template_prefix,
            email,
            {
                **context,
                **links,
                "email": email,
                "current_site": CanonicalSite(name=current_brand().name, domain=tenant.host),
                "organisation": current_brand().name,
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

    def is_safe_url(self, url: str) -> bool:
        """``next=`` redirects stay on the current tenant's own host and lead to a page to
        return to: never a used one-time link or a POST-only action (else sign-in goes home)."""
        request = getattr(self, "request", None)
        if request is None:
            return is_on_current_host(url)
        return page_to_return_to(request, url) is not None

    def pre_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        """Refuse the sign-in when the account may not hold a session now.

        Staff are checked in full (tenant, active, sign-in lock); consumers' addresses are
        proven by allauth's mandatory verification step that follows.
        """
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        try:
            check_credential(user, issuing=user.is_staff_member)
        except CredentialRefused as refusal:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            messages.error(request, str(refusal))
            return redirect("account_login")
        return None


class CanonicalSite(NamedTuple):
    """What allauth's mail templates call the current site, from the tenant, not the Host."""

    name: str
    domain: str
