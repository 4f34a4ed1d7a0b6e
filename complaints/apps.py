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
        # Connects the receivers that drop cached choice lists, in every process.
        import complaints.choices  # noqa: F401

        self._index_consumer_words()

    @staticmethod
    def _index_consumer_words() -> None:
        """Keep a consumer's name and e-mail in the search words of their complaints.

        The values an account was loaded with are remembered, so a save that changes neither
        (a sign-in, a password change) costs nothing; a change of name or address, account
        closure's anonymisation included, re-indexes the person's complaints in one statement.
        """
        from typing import Any

        from django.db.models.signals import post_init, post_save

        from accounts.models import Role, User
        from complaints.models import Complaint

        def words(user: User) -> tuple[Any, Any]:
            # Read from the instance's own values: a deferred field is never loaded here.
            return (user.__dict__.get("full_name"), user.__dict__.get("email"))

        def remember(sender: type[User], instance: User, **_: Any) -> None:
            instance._indexed_words = words(instance)  # type: ignore[attr-defined]

        def reindex(sender: type[User], instance: User, created: bool, **_: Any) -> None:
            before = getattr(instance, "_indexed_words", None)
            remember(sender, instance)
            if created or instance.role != Role.CONSUMER or before == words(instance):
                return
            Complaint.objects.filter(consumer=instance).refresh_search()

        post_init.connect(remember, sender=User, dispatch_uid="complaints_remember_words")
        post_save.connect(reindex, sender=User, dispatch_uid="complaints_reindex_words")
