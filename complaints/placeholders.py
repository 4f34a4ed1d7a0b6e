"""``{placeholder}`` wording: the one engine behind letters and canned responses.

Each use has its own list of names. Wording is checked against that list when it is saved
(letter templates in the settings, canned responses in the console), so filling never meets
an unknown name; should it, filling refuses rather than sending braces to a consumer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Any {word}, so a misspelt name ({Reference}, {name2}) is refused instead of sent as text.
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PlaceholderError(ValueError):
    """Wording that names a placeholder its use does not have; the message lists the valid ones."""


@dataclass(frozen=True)
class Placeholders:
    """The names one kind of wording may use, each with what it stands for."""

    names: Mapping[str, str]

    def listed(self) -> str:
        """The names as written in wording: ``{reference}, {organisation}``."""
        return ", ".join(f"{{{name}}}" for name in self.names)

    def unknown(self, *texts: str) -> list[str]:
        """The names in ``texts`` that this list does not have, sorted, each once."""
        return sorted(
            {name for text in texts for name in PLACEHOLDER.findall(text)} - set(self.names)
        )

    def problem(self, *texts: str) -> str:
        """Why ``texts`` cannot be saved as wording for this use; empty when they can."""
        unknown = self.unknown(*texts)
        if not unknown:
            return ""
        named = ", ".join(f"{{{name}}}" for name in unknown)
        plural = "s" if len(unknown) > 1 else ""
        return f"Unknown placeholder{plural} {named}. Use {self.listed()}."

    def check(self, *texts: str) -> None:
        """Raise PlaceholderError when ``texts`` name a placeholder this use does not have."""
        problem = self.problem(*texts)
        if problem:
            raise PlaceholderError(problem)

    def fill(self, text: str, values: Mapping[str, str]) -> str:
        """``text`` with each ``{name}`` replaced by its value ("" when the value is absent).

        Raises PlaceholderError for a name not on this list.
        """
        self.check(text)
        return PLACEHOLDER.sub(lambda match: values.get(match[1], ""), text)


LETTER_PLACEHOLDERS = Placeholders(
    {
        "consumer_name": "the consumer's name (“customer” when we do not have it)",
        "reference": "the complaint reference",
        "subject": "the complaint summary",
        "organisation": "your organisation's name",
        "received_date": "the date the complaint was received",
        "final_response_due": "the date by which a final response is due",
        "response_promise": "“by <date> at the latest”, or “as soon as we can” without a deadline",
        "outcome": "the outcome (upheld, partly upheld, not upheld)",
        "redress": "the redress offered, e.g. £50.00, or 'none'",
        "resolution_summary": "the resolution summary written by staff",
        "holding_reason": "why a final response is not possible yet",
        "expected_date": "when a final response will be sent",
        "progress_steps": "the steps taken so far, in a response saying the complaint is in progress",
        "fos_website": "the Financial Ombudsman Service website",
        "adr_scheme": "the approved ADR scheme",
    }
)

CANNED_RESPONSE_PLACEHOLDERS = Placeholders(
    {
        "consumer_name": "the consumer's name (“customer” when we do not have it)",
        "reference": "the complaint reference",
        "agent_name": "the name of the agent replying",
        "organisation": "your organisation's name",
    }
)


def consumer_name(consumer: Any, regulatory_profile: str) -> str:
    """The consumer as letters and replies address them: their name, or, when we do not have
    one, the neutral word of the tenant's regulator ("customer", "passenger"); never their
    e-mail address.
    """
    name = " ".join((consumer.full_name or "").split())
    if name:
        return name
    from deadlines.regulation import regulator_for

    return regulator_for(regulatory_profile).addressee
