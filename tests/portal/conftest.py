"""The portal tests share the complaint fixtures (other consumers, other teams, tenants)."""

from tests.complaints.conftest import back_to_bank, other_consumer_client  # noqa: F401
