from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from complaints.forms import CalendarDateField

MAX_PERIOD_DAYS = 2 * 365 + 1  # two years, a leap day included
DEFAULT_PERIOD_DAYS = 30


class DateInput(forms.DateInput):
    input_type = "date"


def check_period(form: forms.Form, first: date | None, last: date | None) -> None:
    """Add a form error unless ``first``..``last`` is a forward period of at most two years."""
    if first is None or last is None:
        return
    if first > last:
        form.add_error("date_to", "The end date must be on or after the start date.")
    elif (last - first).days >= MAX_PERIOD_DAYS:
        form.add_error("date_to", "Choose a period of at most two years.")


class PeriodForm(forms.Form):
    """A period of whole days; the last 30 days when nothing is chosen."""

    date_from = CalendarDateField(label="From", widget=DateInput)
    date_to = CalendarDateField(label="To", widget=DateInput)

    @classmethod
    def for_request(cls, data: Any, today: date) -> PeriodForm:
        """Bound to the query string when it names a period, else to the default period."""
        if "date_from" in data or "date_to" in data:
            return cls(data)
        first = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return cls({"date_from": first.isoformat(), "date_to": today.isoformat()})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        check_period(self, cleaned.get("date_from"), cleaned.get("date_to"))
        return cleaned

    def dates(self) -> tuple[date, date]:
        return self.cleaned_data["date_from"], self.cleaned_data["date_to"]


class ReturnPeriodForm(forms.Form):
    """A reporting period: the first or second half of a year, or custom dates."""

    FIRST_HALF = "first_half"
    SECOND_HALF = "second_half"
    CUSTOM = "custom"

    period = forms.ChoiceField(
        choices=[
            (FIRST_HALF, "1 January to 30 June"),
            (SECOND_HALF, "1 July to 31 December"),
            (CUSTOM, "Custom dates"),
        ]
    )
    year = forms.IntegerField(
        min_value=2000, max_value=2100, required=False, help_text="For the half-years."
    )
    date_from = CalendarDateField(label="From", widget=DateInput, required=False)
    date_to = CalendarDateField(label="To", widget=DateInput, required=False)

    @classmethod
    def for_request(cls, data: Any, today: date) -> ReturnPeriodForm:
        """Bound to the query string when it names a period, else to the last complete half-year."""
        if "period" in data:
            return cls(data)
        if today.month > 6:
            return cls({"period": cls.FIRST_HALF, "year": today.year})
        return cls({"period": cls.SECOND_HALF, "year": today.year - 1})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("period") in (self.FIRST_HALF, self.SECOND_HALF):
            if cleaned.get("year") is None and "year" not in self.errors:
                self.add_error("year", "Enter the year of the half-year.")
        elif cleaned.get("period") == self.CUSTOM:
            for name in ("date_from", "date_to"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "Enter a date for a custom period.")
            check_period(self, cleaned.get("date_from"), cleaned.get("date_to"))
        return cleaned

    def dates(self) -> tuple[date, date]:
        data = self.cleaned_data
        if data["period"] == self.FIRST_HALF:
            return date(data["year"], 1, 1), date(data["year"], 6, 30)
        if data["period"] == self.SECOND_HALF:
            return date(data["year"], 7, 1), date(data["year"], 12, 31)
        return data["date_from"], data["date_to"]
