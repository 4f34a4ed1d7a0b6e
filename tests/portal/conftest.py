"""The portal tests share the complaint fixtures (other consumers, other teams, tenants)."""

from tests.complaints.conftest import (  # noqa: F401
    back_to_bank,
    other_consumer_client,
    root_cause,
)
