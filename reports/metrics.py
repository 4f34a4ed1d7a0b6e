"""The figures of the manager dashboard and the regulatory return.

Each figure is one or two aggregate queries. Counts of complaints received, closed (in the
FCA bands), still open at a period's end, being worked now (by team, assignee and day of
receipt), response and resolution times (as histograms of banded hours) and ratings are
sums of the daily rollups (``reports.models.DailyCount``) kept with each change. The
at-risk and breached counts (they depend on "now") and the root causes are index-only
scans; the at-risk and breached lists are the first rows of the deadline queue index; SLA
compliance and the generic return's deadline figures read the period's deadlines and
closed complaints through indexed timestamps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from complaints.models import Complaint, Outcome, Status
from complaints.money import format_amount
from configuration.models import TenantSettings
from deadlines.models import SETTLED_AT, Clock, Deadline, at_risk_condition, breached_condition
from deadlines.regulation import regulator_for
from deadlines.regulation.base import Regulator
from reports.charts import bar_chart
from reports.models import DailyCount, SettledDeadlineCount
from reports.rollups import CLOSED_MOMENT, HOURLY_BANDS_UNTIL
from reports.settled import quarter_ceiling, quarter_floor
from tenancy.current import readable_moment

LIST_LENGTH = 20
# (label, from, to) in whole days since receipt; the last bucket is open-ended.
BACKLOG_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2 days", 0, 3),
    ("3-7 days", 3, 8),
    ("8-14 days", 8, 15),
    ("15-28 days", 15, 29),
    ("29-56 days", 29, 57),
    ("Over 56 days", 57, None),
)
# More than the longest clock of the FCA return (8 weeks): a complaint received this many
# days before the period began cannot have been closed within it during the period.
RETURN_LOOKBACK_DAYS = 63
RESOLVED_OUTCOMES = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)
UPHELD_OUTCOMES = (Outcome.UPHELD, Outcome.PARTLY_UPHELD)
PRODUCT = Coalesce("category__parent__name", "category__name", Value("Uncategorised"))
CAUSE = Case(When(category__parent__isnull=False, then=F("category__name")), default=Value(""))


@dataclass(frozen=True)
class Period:
    """Whole days from ``first`` to ``last`` (inclusive) in the tenant's time zone."""

    first: date
    last: date
    time_zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=self.time_zone)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=self.time_zone)

    @property
    def slug(self) -> str:
        return f"{self.first:%Y-%m-%d}_{self.last:%Y-%m-%d}"

    def queue_dates(self, field: str) -> dict[str, str]:
        """The period as the queue's date filters ``<field>_from`` and ``<field>_to``."""
        return {f"{field}_from": self.first.isoformat(), f"{field}_to": self.last.isoformat()}

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def days(self) -> Q:
        """The rollup rows (``DailyCount``) of the period's days."""
        return Q(day__gte=self.first, day__lte=self.last)


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere on screen and is plain text in a CSV file."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


class Amount(Decimal):
    """A sum of money in ``currency``: a plain number everywhere (sums, CSV files), written
    as the tenant's locale writes money on screen (``£1,234.50``)."""

    currency: str

    def __new__(cls, value: Decimal | int | str, currency: str) -> Amount:
        amount = super().__new__(cls, value)
        amount.currency = currency
        return amount

    def __reduce__(self) -> tuple[type[Amount], tuple[str, str]]:  # type: ignore[override]
        # Cached tables are pickled: an amount comes back with its currency.
        return (Amount, (str(Decimal(self)), self.currency))


class Counted(int):
    """A count of complaints that opens them in the console queue (``url``): a number
    everywhere (sums, charts, CSV files), a link on screen."""

    url: str

    def __new__(cls, count: int, url: str) -> Counted:
        counted = super().__new__(cls, count)
        counted.url = url
        return counted

    def __getnewargs__(self) -> tuple[int, str]:  # type: ignore[override]
        # Cached tables are pickled: a count comes back with its link.
        return (int(self), self.url)


def queue_link(count: Any, **filters: Any) -> Any:
    """``count``, opening the console queue filtered to the complaints it counts (the
    queue's own filter names); a zero or an empty count stays plain."""
    if not count:
        return count
    given = {name: value for name, value in filters.items() if value not in (None, "")}
    return Counted(count, queue_url(**given))


def bar_links(rows: Sequence[Sequence[Any]], column: int = 1) -> list[str | None]:
    """The queue link of each row's counted column, for the bars of its chart."""
    return [getattr(row[column], "url", None) for row in rows]


def queue_url(**filters: Any) -> str:
    """The console queue with ``filters`` (names as the queue's filter form reads them)."""
    return f"{reverse('console_queue')}?{urlencode(filters)}"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    chart: SafeString | None = None
    note: str = ""
    # The queue listing what the whole table counts, when there is one.
    queue_url: str = ""

    @property
    def body_html(self) -> SafeString:
        """The rows as HTML table rows, each cell labelled with its column header (for
        tables that stack on small screens), the first a row header; a ``Link`` is a link,
        an empty cell a dash, other values as a template prints them (localized, escaped).

        Built here rather than by a template loop over every cell, which cost a report page
        more than its figures.
        """
        return format_html_join(
            "\n",
            "<tr>{}</tr>",
            (
                (
                    mark_safe(  # noqa: S308 - every part is escaped by format_html
                        "".join(
                            format_html(
                                '<th scope="row" data-label="{}">{}</th>'
                                if index == 0
                                else '<td data-label="{}">{}</td>',
                                header,
                                _cell_html(cell),
                            )
                            for index, (header, cell) in enumerate(
                                zip(self.headers, row, strict=True)
                            )
                        )
                    ),
                )
                for row in self.rows
            ),
        )


def _cell_html(cell: Any) -> SafeString | str:
    if isinstance(cell, Link):
        return format_html('<a href="{}">{}</a>', cell.url, cell.text)
    if isinstance(cell, Counted):
        return format_html('<a href="{}">{}</a>', cell.url, localize(int(cell)))
    if isinstance(cell, Amount):
        return format_amount(cell, cell.currency)
    if isinstance(cell, datetime):
        return readable_moment(cell, cell.tzinfo)
    if cell is None or cell == "":
        return "—"
    return localize(cell)


@dataclass
class Scope:
    """What the dashboard's figures depend on: the period chosen and the present moment."""

    period: Period
    now: datetime

    @cached_property
    def at_risk_margin(self) -> timedelta:
        return TenantSettings.current().at_risk_margin

    def at_risk(self) -> Q:
        """Complaints at risk now, as Complaint.objects.at_risk defines them."""
        return at_risk_condition(self.now, self.at_risk_margin, "next_due_at")

    def breached(self) -> Q:
        """Complaints breached now, as Complaint.objects.breached defines them."""
        return breached_condition(self.now, "next_due_at")

    def local(self, moment: datetime | None) -> datetime | None:
        """``moment`` in the tenant's time zone: a page writes it as every page does, a CSV
        file as a spreadsheet reads it."""
        return moment.astimezone(self.period.time_zone) if moment else None


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is nothing to share."""
    return round(100 * part / whole, 1) if whole else None


def hours(duration: timedelta | None) -> float | None:
    return round(duration.total_seconds() / 3600, 1) if duration is not None else None


# --- Dashboard: the work in hand ----------------------------------------------------------


def _workload(scope: Scope, key: str, title: str, group: str, label: str) -> Table:
    """Open (and assigned) complaints from the rollups, by ``group``; at risk and breached
    from the active complaints due by the end of the at-risk margin (a range of the
    deadline queue index)."""
    counts: dict[str, Any] = {"open": Sum("count")}
    if group == "team":
        counts["assigned"] = Sum("count", filter=Q(assignee__isnull=False), default=0)
    active = DailyCount.objects.filter(measure=DailyCount.Measure.ACTIVE)
    due = Complaint.objects.active().filter(next_due_at__lte=scope.now + scope.at_risk_margin)
    if group == "assignee":
        active = active.filter(assignee__isnull=False)
        due = due.filter(assignee__isnull=False)
    urgent = {
        row[group]: (row["at_risk"], row["breached"])
        for row in due.values(group)
        .annotate(
            # Counted by a column of the index, so the index alone answers.
            at_risk=Count("next_due_at", filter=scope.at_risk()),
            breached=Count("next_due_at", filter=scope.breached()),
        )
        .order_by()
    }
    views = {"open": "team", "at_risk": "at_risk", "breached": "breached"}
    rows = []
    for row in (
        active.values(group)
        .annotate(name=_group_name(group), **counts)
        .filter(open__gt=0)
        .order_by("name", group)
    ):
        at_risk, breached = urgent.get(row[group], (0, 0))
        figures = {**{name: row[name] for name in counts}, "at_risk": at_risk, "breached": breached}
        rows.append(
            (
                row["name"] or label,
                *(
                    queue_link(value, view=views[name], **{group: row[group]})
                    if name in views and row[group] is not None
                    else value
                    for name, value in figures.items()
                ),
            )
        )
    headers = ["Team" if group == "team" else "Agent", "Open"]
    headers += ["Assigned"] if "assigned" in counts else []
    whose = (
        "by the team whose queue holds them (No team: not routed); Assigned: those with an assignee"
        if group == "team"
        else "by their assignee (complaints nobody holds are not counted here)"
    )
    return Table(
        key=key,
        title=title,
        headers=[*headers, "At risk", "Breached"],
        rows=rows,
        queue_url=queue_url(view="team"),
        chart=bar_chart(
            f"{title}: open complaints",
            [(row[0], row[1]) for row in rows],
            links=bar_links(rows),
        ),
        note=f"Now, whatever the period: complaints still being worked (new, open, awaiting "
        f"the consumer, reopened), {whose}. {_due_words(scope)}",
    )


def _due_words(scope: Scope) -> str:
    """What "at risk" and "breached" mean on the dashboard, with the tenant's margin."""
    margin = hours(scope.at_risk_margin)
    return (
        f"At risk: the next running deadline is after now and at most {margin:g} "
        f"hour{'' if margin == 1 else 's'} away "
        "(the tenant's at-risk margin). Breached: the next running deadline is now or past."
    )


def _group_name(group: str) -> Any:
    if group == "assignee":
        return Coalesce(
            Case(When(assignee__full_name="", then=None), default=F("assignee__full_name")),
            F("assignee__email"),
            output_field=CharField(),
        )
    return F("team__name")


def workload_by_team(scope: Scope) -> Table:
    return _workload(scope, "workload-teams", "Workload by team", "team", "No team")


def workload_by_agent(scope: Scope) -> Table:
    return _workload(scope, "workload-agents", "Workload by agent", "assignee", "")


def backlog_by_age(scope: Scope) -> Table:
    """From the rollups: the bounded buckets sum the complaints being worked by local day of
    receipt; the open-ended bucket is every complaint being worked less those."""
    *bounded, (_, open_ended_age, _) = BACKLOG_BUCKETS
    today = scope.now.astimezone(scope.period.time_zone).date()
    by_day = dict(
        DailyCount.objects.filter(
            measure=DailyCount.Measure.AGEING,
            day__gt=today - timedelta(days=open_ended_age),
        )
        .values_list("day")
        .annotate(count=Sum("count"))
        .order_by()
    )
    totals = {
        f"bucket{index}": sum(
            count
            for day, count in by_day.items()
            if youngest <= (today - day).days < (oldest or open_ended_age)
        )
        for index, (_, youngest, oldest) in enumerate(bounded)
    }
    active = DailyCount.objects.filter(measure=DailyCount.Measure.ACTIVE)
    open_now = active.aggregate(open=Sum("count", default=0))["open"]
    totals[f"bucket{len(bounded)}"] = open_now - sum(by_day.values())
    rows = [
        (label, queue_link(totals[f"bucket{index}"], age_min=youngest, age_max=oldest))
        for index, (label, youngest, oldest) in enumerate(BACKLOG_BUCKETS)
    ]
    title = "Backlog by age"
    return Table(
        key="backlog",
        title=title,
        headers=["Days since receipt", "Open complaints"],
        rows=rows,
        queue_url=queue_url(view="team"),
        chart=bar_chart(
            f"{title}: open complaints by days since receipt", rows, links=bar_links(rows)
        ),
        note="Now, whatever the period: complaints still being worked, by whole days from "
        "the day of receipt to today, in the tenant's time zone; a complaint received on "
        "Monday is 0 days old all Monday and 3 days old on Thursday (3-7 days).",
    )


def _due_list(scope: Scope, key: str, title: str, condition: Q) -> Table:
    """The first complaints of the at-risk or breached queue (``key`` is also the view)."""
    complaints = (
        Complaint.objects.active()
        .filter(condition)
        .order_by("next_due_at", "id")
        .annotate(assignee_name=_group_name("assignee"))
        .values_list(
            "reference", "subject", "status", "team__name", "assignee_name", "next_due_at"
        )[:LIST_LENGTH]
    )
    rows = [
        (
            Link(reference, reverse("console_complaint", args=[reference])),
            subject,
            Status(status).label,
            team or "",
            assignee or "",
            scope.local(due),
        )
        for reference, subject, status, team, assignee, due in complaints
    ]
    return Table(
        key=key,
        title=title,
        headers=["Reference", "Subject", "Status", "Team", "Assignee", "Next deadline"],
        rows=rows,
        queue_url=queue_url(view=key.replace("-", "_")),
        note=f"Now, whatever the period: the {LIST_LENGTH} complaints still being worked "
        f"with the earliest next deadline, in the tenant's local time. {_due_words(scope)}",
    )


def at_risk_list(scope: Scope) -> Table:
    return _due_list(scope, "at-risk", "At risk", scope.at_risk())


def breached_list(scope: Scope) -> Table:
    return _due_list(scope, "breached", "Breached", scope.breached())


# --- Dashboard: the period ----------------------------------------------------------------


def median_of_bands(counts: dict[int, int]) -> float | None:
    """The median of values given as how many there are of each (``{value: count}``): the
    middle value, or the mean of the two middle ones for an even number of values."""
    total = sum(counts.values())
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    middle: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            middle.append(value)
            wanted.pop(0)
    return sum(middle) / 2


def _durations(period: Period, measure: DailyCount.Measure) -> dict[str, Any]:
    """How many complaints, and the median and average hours of their times, from the
    rollup of ``measure`` over the period's days."""
    bands = {
        bucket: (count, seconds)
        for bucket, count, seconds in _counts(measure, period.days())
        .values_list("bucket")
        .annotate(complaints=Sum("count"), seconds=Sum("amount"))
        .filter(complaints__gt=0)
        .order_by()
    }
    count = sum(count for count, _ in bands.values())
    median = median_of_bands({bucket: count for bucket, (count, _) in bands.items()})
    seconds = sum(seconds for _, seconds in bands.values())
    return {
        "count": count,
        "median": None if median is None else round(median, 1),
        "average": round(float(seconds) / count / 3600, 1) if count else None,
    }


def response_times(scope: Scope) -> Table:
    period = scope.period
    first = _durations(period, DailyCount.Measure.RESPONDED)
    resolution = _durations(period, DailyCount.Measure.RESOLUTION)
    return Table(
        key="response-times",
        title="Response and resolution times",
        headers=["Measure", "Complaints", "Median (hours)", "Average (hours)"],
        rows=[
            (
                "First response (complaints received in the period)",
                queue_link(
                    first["count"], status="all", responded="yes", **period.queue_dates("received")
                ),
                first["median"],
                first["average"],
            ),
            (
                "Resolution (complaints resolved in the period)",
                queue_link(resolution["count"], status="all", **period.queue_dates("resolved")),
                resolution["median"],
                resolution["average"],
            ),
        ],
        note="First response: complaints received in the period that have had a first "
        "reply from staff, from receipt to that reply. Resolution: complaints resolved in the "
        "period (the latest resolution if one was rejected), from receipt to resolution. "
        "Elapsed calendar hours, nights, weekends and time awaiting the consumer included. "
        "The median is the middle time counted in whole hours (rounded down) up to "
        f"{HOURLY_BANDS_UNTIL} hours and in whole days (24-hour spans) beyond, so a median "
        f"over {HOURLY_BANDS_UNTIL} hours is a multiple of 24; the average is of the times "
        "to the second. A period runs from 00:00 on its first day to 00:00 after its last, in "
        "the tenant's time zone.",
    )


# Stopped with its complaint (withdrawn, merged, closed) before it fell due, never met.
STOPPED_BEFORE_DUE = Q(met_at__isnull=True, stopped_at__isnull=False, stopped_at__lte=F("due_at"))


def sla_compliance(scope: Scope) -> Table:
    """Per clock, the binding deadlines that settled in the period: met in time (counted at
    the moment met, even when due after the period) or missed (counted at their due time,
    if that has passed). Stopped clocks that never fell due are not counted at all.

    The whole quarter hours of the period up to now are read from the rollup
    (``SettledDeadlineCount``, a range of its key), so the cost does not grow with the
    tenant's deadlines; what lies outside them (at most the last quarter hour up to now, and
    the period's edges if they are not on a quarter hour) from the deadlines themselves,
    through ``deadline_settled_idx``.
    """
    period = scope.period
    until = min(period.end, scope.now)
    first, last = quarter_ceiling(period.start), quarter_floor(until)
    # Each part read from the deadlines is a range of the index (an OR of conditions would
    # scan the whole period and filter).
    live = Q(settled_at__gte=period.start, settled_at__lt=period.end, settled_at__lte=scope.now)
    if first < last:
        live = Q(settled_at__gte=last, settled_at__lt=period.end, settled_at__lte=scope.now)
        if period.start < first:
            live |= Q(settled_at__gte=period.start, settled_at__lt=first)
    figures: Any = (
        Deadline.objects.filter(enforced=True)
        .exclude(STOPPED_BEFORE_DUE)
        .alias(settled_at=SETTLED_AT)
        .filter(live)
        .values("clock")
        # Counted by a column the index holds (every column read is in it), not the key.
        .annotate(due=Count("clock"), in_time=Count("clock", filter=Q(met_at__lte=F("due_at"))))
        .order_by()
    )
    if first < last:
        rolled = (
            SettledDeadlineCount.objects.filter(bucket__gte=first, bucket__lt=last)
            .values("clock")
            .annotate(due=Sum("count"), in_time=Sum("count", filter=Q(in_time=True)))
            .order_by()
        )
        # One statement, so one snapshot: a deadline moving between the rollup's quarters and
        # the current one as the figures are read is counted once.
        figures = rolled.union(figures, all=True)
    counted: dict[str, list[int]] = {}
    for row in figures:
        totals = counted.setdefault(row["clock"], [0, 0])
        totals[0] += row["due"] or 0
        totals[1] += row["in_time"] or 0
    rows = [
        (Clock(clock).label, due, in_time, due - in_time, share(in_time, due))
        for clock, (due, in_time) in sorted(counted.items())
        if due
    ]
    title = "SLA compliance"
    return Table(
        key="sla",
        title=title,
        headers=["Clock", "Deadlines due", "Met in time", "Missed or late", "Compliance (%)"],
        rows=rows,
        chart=bar_chart(
            f"{title}: share of deadlines met in time",
            [(row[0], row[4] or 0.0) for row in rows],
            unit="%",
        ),
        note="Each binding deadline counts once, in the period in which it settled: when it "
        "was met, if met by its due time (even if due after the period); otherwise at its "
        "due time, as missed or late. Clocks that stopped with their complaint (withdrawn, "
        "merged, closed) before falling due are not applicable and not counted; nor is the "
        "FCA's 3-business-day summary resolution, which is an opportunity, not a duty.",
    )


def satisfaction(scope: Scope) -> Table:
    scores = range(1, 6)
    counted = dict(
        _counts(DailyCount.Measure.RATED, scope.period.days())
        .values_list("bucket")
        .annotate(complaints=Sum("count"))
        .order_by()
    )
    ratings = sum(counted.values())
    figures: dict[str, Any] = {
        "ratings": ratings,
        "average": sum(score * count for score, count in counted.items()) / ratings
        if ratings
        else None,
        **{f"score{score}": counted.get(score, 0) for score in scores},
    }
    resolved = scope.period.queue_dates("resolved")
    rows: list[tuple[str, Any, Any]] = [
        (
            f"{score} out of 5",
            queue_link(figures[f"score{score}"], status="all", rating=score, **resolved),
            share(figures[f"score{score}"], figures["ratings"]),
        )
        for score in scores
    ]
    average = round(figures["average"], 2) if figures["average"] is not None else None
    title = "Satisfaction"
    return Table(
        key="satisfaction",
        title=title,
        headers=["Rating", "Complaints", "Share (%)"],
        rows=[*rows, ("Average rating", average, None)],
        chart=bar_chart(
            f"{title}: ratings of complaints resolved in the period",
            [row[:2] for row in rows],
            links=bar_links(rows),
        ),
        note=f"{figures['ratings']} ratings (1 to 5, given by the consumer) of complaints "
        "resolved in the period; each score's share of those ratings, and their average.",
    )


def root_causes(scope: Scope) -> Table:
    figures = list(
        Complaint.objects.filter(scope.period.within("resolved_at"), root_cause__isnull=False)
        .values_list("root_cause__name", "root_cause")
        # Counted by a column of the index, so the index alone answers.
        .annotate(complaints=Count("root_cause"))
        .order_by("-complaints", "root_cause__name")
    )
    resolved = scope.period.queue_dates("resolved")
    rows = [
        (name, queue_link(count, status="all", root_cause=pk, **resolved))
        for name, pk, count in figures
    ]
    title = "Root causes"
    return Table(
        key="root-causes",
        title=title,
        headers=["Root cause", "Complaints"],
        rows=rows,
        chart=bar_chart(
            f"{title} of complaints resolved in the period", rows, links=bar_links(rows)
        ),
        note="Complaints resolved in the period, by the root cause recorded with the "
        "resolution, most common first.",
    )


DASHBOARD_TABLES: dict[str, Callable[[Scope], Table]] = {
    "workload-teams": workload_by_team,
    "workload-agents": workload_by_agent,
    "backlog": backlog_by_age,
    "at-risk": at_risk_list,
    "breached": breached_list,
    "response-times": response_times,
    "sla": sla_compliance,
    "satisfaction": satisfaction,
    "root-causes": root_causes,
}


# --- Regulatory return --------------------------------------------------------------------


def _closed_in(period: Period) -> Any:
    """Complaints whose closing moment (``CLOSED_MOMENT``, an indexed expression) is in the
    period."""
    return Complaint.objects.alias(closed_moment=CLOSED_MOMENT).filter(
        period.within("closed_moment")
    )


def _counts(measure: DailyCount.Measure, condition: Q) -> Any:
    return DailyCount.objects.filter(condition, measure=measure)


def _outcome_counts() -> dict[str, Any]:
    return {
        "closed": Count("pk"),
        "resolved": Count("pk", filter=Q(outcome__in=RESOLVED_OUTCOMES)),
        "upheld": Count("pk", filter=Q(outcome__in=UPHELD_OUTCOMES)),
    }


def received_by_product(period: Period) -> Table:
    rows = list(
        _counts(DailyCount.Measure.RECEIVED, period.days())
        .annotate(product=PRODUCT, cause=CAUSE)
        .values_list("product", "cause")
        .annotate(received=Sum("count"))
        .filter(received__gt=0)
        .order_by("product", "cause")
    )
    return Table(
        key="received",
        title="Complaints received, by product and cause",
        headers=["Product", "Cause", "Received"],
        rows=[*rows, ("Total", "", sum(row[2] for row in rows))],
    )


def closed_by_product(period: Period) -> Table:
    """Complaints closed in the period by product, in the bands of the FCA return, from the
    rollups (``reports.rollups.Bands`` works out each complaint's band when it closes)."""
    band = DailyCount.Band
    rows: list[tuple[str, int, int, int, int, int, int, float | None]] = [
        (
            row["product"],
            row["three_days"],
            row["eight_weeks"],
            row["closed"] - row["three_days"] - row["eight_weeks"],
            row["closed"],
            row["resolved"],
            row["upheld"],
            share(row["upheld"], row["resolved"]),
        )
        for row in _counts(DailyCount.Measure.CLOSED, period.days())
        .annotate(product=PRODUCT)
        .values("product")
        .annotate(
            three_days=Sum("count", filter=Q(band=band.SUMMARY), default=0),
            eight_weeks=Sum("count", filter=Q(band=band.FINAL), default=0),
            closed=Sum("count"),
            resolved=Sum("count", filter=Q(outcome__in=RESOLVED_OUTCOMES), default=0),
            upheld=Sum("count", filter=Q(outcome__in=UPHELD_OUTCOMES), default=0),
        )
        .filter(closed__gt=0)
        .order_by("product")
    ]
    totals = [sum(int(row[column] or 0) for row in rows) for column in range(1, 7)]
    return Table(
        key="closed",
        title="Complaints closed, by product",
        headers=[
            "Product",
            "Within 3 business days",
            "After 3 business days, within 8 weeks",
            "After 8 weeks",
            "Closed",
            "Resolved with an outcome",
            "Upheld or partly upheld",
            "Upheld share (%)",
        ],
        rows=[*rows, ("Total", *totals, share(totals[5], totals[4]))],
        note="Upheld share: upheld and partly upheld over complaints resolved with an outcome.",
    )


def redress_paid(period: Period) -> Table:
    rows = [
        (currency, complaints, Amount(total, currency))
        for currency, complaints, total in _counts(DailyCount.Measure.CLOSED, period.days())
        .filter(redress_currency__isnull=False)
        .values_list("redress_currency")
        .annotate(complaints=Sum("count"), total=Sum("amount"))
        .filter(complaints__gt=0)
        .order_by("redress_currency")
    ]
    return Table(
        key="redress",
        title="Redress paid",
        headers=["Currency", "Complaints", "Total"],
        rows=rows,
        note="Complaints closed in the period with redress.",
    )


def open_at_end(period: Period) -> int:
    """Complaints received before the period ended and not closed by then: those received
    by its last day less those received and settled by then, from the daily counts.

    A complaint is still open at the end when it is being worked now, or its closing moment
    (``CLOSED_MOMENT``) is after the end; one closed by then and reopened since counts as
    open, as it is being worked now.
    """
    measures = (DailyCount.Measure.RECEIVED, DailyCount.Measure.SETTLED)
    totals = DailyCount.objects.filter(measure__in=measures, day__lte=period.last).aggregate(
        received=Sum("count", filter=Q(measure=DailyCount.Measure.RECEIVED), default=0),
        settled=Sum("count", filter=Q(measure=DailyCount.Measure.SETTLED), default=0),
    )
    return int(totals["received"] - totals["settled"])


def received_in(period: Period) -> int:
    """Complaints received in the period, from the daily counts."""
    totals = _counts(DailyCount.Measure.RECEIVED, period.days()).aggregate(
        received=Sum("count", default=0)
    )
    return int(totals["received"])


def _summary(rows: Sequence[tuple[str, Any]]) -> Table:
    return Table(key="summary", title="Summary", headers=["Figure", "Value"], rows=rows)


def fca_return(period: Period) -> list[Table]:
    """The FCA complaints return: received by product and cause, closed by product, redress."""
    received = received_by_product(period)
    closed = closed_by_product(period)
    _, three_days, eight_weeks, later, total_closed, resolved, upheld, _ = closed.rows[-1]
    summary = _summary(
        [
            ("Complaints received", received.rows[-1][2]),
            ("Closed within 3 business days", three_days),
            ("Closed after 3 business days, within 8 weeks", eight_weeks),
            ("Closed after 8 weeks", later),
            ("Complaints closed", total_closed),
            ("Upheld share (%)", share(upheld, resolved)),
            ("Still open at the end of the period", open_at_end(period)),
        ]
    )
    return [summary, received, closed, redress_paid(period)]


def generic_return(period: Period, regulator: Regulator) -> list[Table]:
    """Received, closed within the regulator's main deadline, upheld share, redress, open."""
    clock = regulator.main_clock
    closed = (
        _closed_in(period)
        .alias(main=FilteredRelation("deadlines", condition=Q(deadlines__clock=clock)))
        .aggregate(
            in_time=Count("pk", filter=Q(main__met_at__lte=F("main__due_at"))),
            stopped=Count(
                "pk",
                filter=Q(
                    main__met_at__isnull=True,
                    main__stopped_at__isnull=False,
                    main__stopped_at__lte=F("main__due_at"),
                ),
            ),
            **_outcome_counts(),
        )
    )
    deadline = Clock(clock).label
    summary = _summary(
        [
            ("Complaints received", received_in(period)),
            ("Complaints closed", closed["closed"]),
            (f"Closed with the {deadline} deadline met", closed["in_time"]),
            (
                f"Closed without the {deadline} deadline met",
                closed["closed"] - closed["in_time"] - closed["stopped"],
            ),
            (
                f"Closed before the {deadline} deadline applied (withdrawn, merged)",
                closed["stopped"],
            ),
            ("Upheld share (%)", share(closed["upheld"], closed["resolved"])),
            ("Still open at the end of the period", open_at_end(period)),
        ]
    )
    return [summary, redress_paid(period)]


def regulatory_return(period: Period, profile: str) -> list[Table]:
    """The return of ``profile``'s regulator."""
    regulator = regulator_for(profile)
    if regulator.fca_return:
        return fca_return(period)
    return generic_return(period, regulator)
