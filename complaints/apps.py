from __future__ import annotations

from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        from typing import Any

        from django_tenants.utils import get_public_schema_name

        from complaints.services.letters import letter_settled
        from outbox.models import Message
        from outbox.services import message_settled
        from tenancy import current

        def on_settled(sender: type[Message], message: Message, delivered: bool, **_: Any) -> None:
            # The platform's own e-mails (public schema) are no complaint's letters.
            if current.schema_name() != get_public_schema_name():
                letter_settled(message, delivered=delivered)

        message_settled.connect(on_settled, sender=Message, dispatch_uid="letter_settled")
