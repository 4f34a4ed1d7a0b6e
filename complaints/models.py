from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Lower
from django.db.models.query import BaseIterable, ModelIterable
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.directory import STAFF
from accounts.models import ClientScope, Role, SystemActor, User
from complaints.placeholders import CANNED_RESPONSE_PLACEHOLDERS, consumer_name
from complaints.predicates import sees_internal
from configuration.cache import CachedRows, ConfigurationQuerySet, TenantCached
from deadlines.models import Clock, Deadline, at_risk_condition, breached_condition
from deadlines.regulation.base import Letter

SUBJECT_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000


def reference_of(year: Any) -> Func:
    """A new complaint's human reference, unique in the tenant: ``C-<year>-<number>``, the
    number (at least six digits) drawn from the schema's sequence by the INSERT itself, which
    returns the reference. ``year`` is an expression (the year of receipt as a ``Value``)."""
    return Func(
        year,
        template=(
            "'C-' || %(expressions)s || '-' || "
            "to_char(nextval('complaint_reference_seq'), 'FM9999999999999000000')"
        ),
        output_field=models.CharField(),
    )


def reference_for(received_at: datetime) -> Func:
    """The reference of a complaint received at ``received_at`` (the year as it is written)."""
    return reference_of(Value(f"{received_at:%Y}"))


# The year of a complaint inserted without a reference: the statement's, in UTC.
INSERTED_YEAR = Func(
    template="to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY')",
    output_field=models.CharField(),
)


class Category(models.Model):
    """Two levels: a product (no parent) and the causes filed under it."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    team = models.ForeignKey(
        "Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
        help_text="The queue new complaints in this category go to.",
    )
    payment_services = models.BooleanField(
        default=False,
        help_text="Payment services or e-money: the shorter FCA clock (15/35 business days).",
    )

    objects: ClassVar[ConfigurationQuerySet[Category]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name_plural = "categories"
        # Each product first, then its causes, products in alphabetical order.
        ordering = [
            Coalesce("parent__name", "name"),
            F("parent").asc(nulls_first=True),
            "name",
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="category_unique_name_per_parent",
                violation_error_message="This product already has a cause with this name.",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent=None),
                name="category_unique_product_name",
                violation_error_message="A product with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name  # type: ignore[union-attr]


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        help_text="Told when a complaint in this queue is at risk or breached.",
    )
    # Round-robin assignment continues after the member who was given the last complaint.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_default = models.BooleanField(
        "Default team",
        default=False,
        help_text="The queue for complaints whose category names no team.",
    )

    objects: ClassVar[ConfigurationQuerySet[Team]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]
    # Round robin moves its pointer on every complaint routed, and reads it under a lock.
    UNCACHED_FIELDS: ClassVar[frozenset[str]] = frozenset({"last_assignee"})

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="team_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> Team | None:
        """The queue for complaints whose category names no team, if the tenant chose one
        (from the tenant's cache: its last assignee may be stale; round robin reads it under a
        lock)."""
        return DEFAULT_TEAM.get()


# Every complaint logged reads these; teams and categories change rarely.
DEFAULT_TEAM = TenantCached("default-team", lambda: Team.objects.filter(is_default=True).first())
DEFAULT_TEAM.forget_on_change(Team)


def active_categories() -> dict[int, Category]:
    """The categories complaints may be logged under, by id, with their product and team
    (from the tenant's cache, forgotten when a category or a team changes)."""
    return ACTIVE_CATEGORIES.get()


ACTIVE_CATEGORIES = TenantCached(
    "active-categories",
    lambda: {
        category.pk: category
        for category in Category.objects.filter(is_active=True).select_related("parent", "team")
    },
)
ACTIVE_CATEGORIES.forget_on_change(Category, Team)

# What list rows show of every category (with its product) and team, active or not.
CATEGORY_ROWS: CachedRows[Category] = CachedRows(
    "category-rows", lambda: Category.objects.select_related("parent")
)
CATEGORY_ROWS.forget_on_change(Category)
TEAM_ROWS: CachedRows[Team] = CachedRows("team-rows", lambda: Team.objects.only("name"))
TEAM_ROWS.forget_on_change(Team)


class RootCause(models.Model):
    """Why complaints happen, recorded at resolution for root-cause analysis."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)

    objects: ClassVar[ConfigurationQuerySet[RootCause]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    AWAITING_CONSUMER = "awaiting_consumer", "Awaiting consumer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Statuses in which the complaint still needs work from the organisation.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.AWAITING_CONSUMER, Status.REOPENED)


def active_queue_index(
    *fields: str,
    name: str,
    include: Sequence[str] = (),
    kind: type[models.Index] = models.Index,
    **condition: object,
) -> models.Index:
    """A partial index over the active complaints (narrowed by ``condition``), ordered like a
    queue's keyset; ``include`` lets its counts be index-only scans."""
    return kind(
        fields=list(fields),
        include=list(include),
        condition=Q(status__in=ACTIVE_STATUSES, **condition),
        name=name,
    )


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Outcome(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    PARTLY_UPHELD = "partly_upheld", "Partly upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Channel(models.TextChoices):
    PORTAL = "portal", "Web portal"
    API = "api", "API"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    EMAIL = "email", "E-mail"
    SOCIAL = "social", "Social media"
    IN_PERSON = "in_person", "In person"


# What the consumer is promised, in this order of preference among the clocks still
# running: the regulator's final response, its first response, the ADR letter, then the
# tenant's own resolution target. The list and the complaint page say the same date.
PROMISE_CLOCKS = (
    Clock.FINAL_RESPONSE,
    Clock.INITIAL_RESPONSE,
    Clock.ADR_LETTER,
    Clock.RESOLUTION,
)


# What a row of the queue, the consumer's own list and the API's list shows, and what the
# queue's change fingerprint reads (``updated_at``).
LIST_COLUMNS = (
    "reference",
    "subject",
    "status",
    "priority",
    "priority_rank",
    "channel",
    "escalation_level",
    "received_at",
    "updated_at",
    "closed_at",
    "next_due_at",
    "consumer__full_name",
    "consumer__email",
    # Their rows come from the tenant's configuration cache (``ListRowIterable``).
    "category",
    "team",
    "assignee",
)


# A search ranks at most this many of its most recent matches.
SEARCH_CANDIDATES = 200
# How fast a match loses rank with age: at this age it needs twice the text rank.
SEARCH_HALF_LIFE = timedelta(days=30)


# The text search configuration of stored vectors and queries: PostgreSQL's English with
# accents folded (``unaccent``) where the server has that extension (migration 0014).
SEARCH_CONFIG = "complaints_english"


# Endings the English stemmer removes (Snowball's English, as PostgreSQL's ``english_stem``
# applies it), alone and in the combinations words carry. Stored vectors hold stems, so a word
# typed partway into one of these endings is longer than the stem it is stored as ("standi"
# of "standing", stored as "stand") and no prefix of it can match; the word completed with the
# ending can (see ``_completions``).
STEMMED_ENDINGS = (
    "ing",
    "ings",
    "ingly",
    "ed",
    "edly",
    "es",
    "ies",
    "ied",
    "ly",
    "ness",
    "ful",
    "fully",
    "ation",
    "ations",
    "ational",
    "ization",
    "isation",
    "ize",
    "ized",
    "izing",
    "ise",
    "ised",
    "ising",
    "ement",
    "ements",
    "ment",
    "ments",
    "ence",
    "ance",
    "able",
    "ible",
    "ive",
    "ous",
    "ism",
    "ist",
    "ity",
    "ities",
    "ical",
    "ically",
    "er",
    "ers",
    "al",
    "ally",
)


def _completions(start: str) -> list[str]:
    """``start`` completed with each stemmed ending it stops partway into: ``standi`` gives
    ``standing`` (stemmed by the query to "stand", as the stored word is), ``standies``,
    ``standity``...; none when it ends in no ending's beginning. Letters and digits only, as
    ``start`` is."""
    lower = start.lower()
    completions = {
        start + ending[cut:]
        for ending in STEMMED_ENDINGS
        for cut in range(1, len(ending))
        if lower.endswith(ending[:cut])
    }
    return sorted(completions)


# PostgreSQL's English stop words (``tsearch_data/english.stop``, which ``SEARCH_CONFIG``'s
# stemmer uses): never indexed, so a last word typed that is one is not read as the start of
# a word (it would leave only its made-up completions to match).
ENGLISH_STOP_WORDS = frozenset(
    [
        "i",
        "me",
        "my",
        "myself",
        "we",
        "our",
        "ours",
        "ourselves",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "he",
        "him",
        "his",
        "himself",
        "she",
        "her",
        "hers",
        "herself",
        "it",
        "its",
        "itself",
        "they",
        "them",
        "their",
        "theirs",
        "themselves",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "a",
        "an",
        "the",
        "and",
        "but",
        "if",
        "or",
        "because",
        "as",
        "until",
        "while",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
    ]
)


def _search_query(text: str) -> SearchQuery:
    """The text search ``text`` asks for: web-search syntax (``"a phrase"``, ``-excluded``,
    ``or``), with the last word typed read as the start of a word (``refun`` finds
    "refund", ``standi`` finds "standing").

    The last word is matched as the start of a stored stem, or, when it stops partway into an
    ending the stemmer removes, as the stem of each word it may be the start of (``standi``:
    the stems starting "standi", or "stand" of "standing"); every one an index lookup. The
    prefix is written into ``to_tsquery`` only when it is letters and digits alone, in quotes,
    so no character typed can change the query's syntax. A last word that is a stop word
    (``card the``) is left to the web-search syntax, which drops it. Words joined by ``or``
    up to the last (``card or mortga``) are alternatives to it, as web-search syntax reads
    ``or``: ``card or mortgage`` finds either.
    """
    words = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    typed = text.rstrip()
    tokens = typed.split()
    if not tokens or typed.count('"') % 2 or typed.endswith('"'):
        return words
    # Only a plain word is a prefix: an e-mail address, a hyphenated word or an exclusion is
    # matched whole, as the words it is indexed as.
    start = tokens[-1]
    if not re.fullmatch(r"[^\W_]+", start) or start.lower() in ENGLISH_STOP_WORDS:
        return words
    alternatives = " | ".join([f"'{start}':*", *(f"'{word}'" for word in _completions(start))])
    prefix = SearchQuery(alternatives, search_type="raw", config=SEARCH_CONFIG)
    # The words before the last, and those joined to it by "or" ("a or b or c").
    rest, either = tokens[:-1], []
    while len(rest) >= 2 and rest[-1].lower() == "or" and '"' not in rest[-2]:
        either.append(SearchQuery(rest[-2], search_type="websearch", config=SEARCH_CONFIG))
        rest = rest[:-2]
    for alternative in either:
        prefix = alternative | prefix
    before = " ".join(rest)
    if not re.search(r"[^\W_]", before):
        return prefix
    return SearchQuery(before, search_type="websearch", config=SEARCH_CONFIG) & prefix


# A complaint's public and internal words together (what staff search), for the exclusions
# of a search: ``-card`` must hold for both texts, not for either.
EVERY_WORD = CombinedExpression(
    Coalesce(F("search_vector"), Value("", output_field=SearchVectorField())),
    "||",
    Coalesce(F("internal_search_vector"), Value("", output_field=SearchVectorField())),
    output_field=SearchVectorField(),
)


# The sequence number of a reference (``000083`` of ``C-2026-000083``), which a search by a
# bare number looks up in its own index (``complaint_reference_number_idx``), every year.
REFERENCE_NUMBER = Func(
    F("reference"), Value("-"), Value(3), function="split_part", output_field=models.CharField()
)


def reference_in(text: str) -> str | None:
    """The complaint reference ``text`` names, if it is one: ``C-2026-000042``, any case,
    with or without the ``C-`` prefix or the number's leading zeros. ``None`` for anything
    else."""
    found = re.fullmatch(r"(?:C-)?([0-9]{4})-([0-9]{1,12})", text.strip(), flags=re.IGNORECASE)
    if found is None:
        return None
    candidate = f"C-{found[1]}-{int(found[2]):06d}"
    return candidate if re.fullmatch(REFERENCE_PATTERN, candidate) else None


def reference_number_in(text: str) -> str | None:
    """The sequence number ``text`` names as a bare number (``83``, ``000083``), written as
    references write it (``000083``); ``None`` for anything else."""
    candidate = text.strip()
    if not (candidate.isascii() and candidate.isdigit()) or len(candidate) > 12:
        return None
    number = int(candidate)
    return f"{number:06d}" if number else None


def _reference_match(text: str) -> Q | None:
    """The condition for the complaints a reference or a bare reference number names."""
    reference = reference_in(text)
    if reference is not None:
        return Q(reference=reference)
    number = reference_number_in(text)
    if number is not None:
        return Q(reference_number=number)
    return None


def _correspondence(kind: str, *, internal: bool) -> Subquery:
    """All message bodies of one kind on the outer complaint, as one text."""
    return Subquery(
        Event.objects.filter(complaint=OuterRef("pk"), kind=kind, is_internal=internal)
        .order_by()
        .values("complaint")
        .annotate(text=StringAgg("body", "\n"))
        .values("text")
    )


def attach_related(rows: list[Any], field: str, found: dict[int, Any]) -> None:
    """Give each of ``rows`` its ``field`` (a foreign key) from ``found``, by id, as
    ``select_related`` would: reading it then costs no query."""
    descriptor = getattr(type(rows[0]), field).field
    for row in rows:
        related = found.get(getattr(row, descriptor.attname))
        if related is not None:
            descriptor.set_cached_value(row, related)


# The foreign keys of a list row read from the cache, and the entry each is read from.
LIST_RELATIONS: tuple[tuple[str, CachedRows[Any]], ...] = (
    ("category", CATEGORY_ROWS),
    ("team", TEAM_ROWS),
    ("assignee", STAFF),
    ("specialist", STAFF),
)


class ListRowIterable(ModelIterable):
    """Complaints of a list page with their category (and its product), team, assignee and
    specialist taken from the tenant's configuration cache (``CATEGORY_ROWS``, ``TEAM_ROWS``,
    ``accounts.directory.STAFF``) instead of four joins, which cost PostgreSQL more to plan
    than the page's query costs to run, and a model instance each per row. A row whose
    related id the cache lacks gets it from one query per model. The related instances are
    shared between rows and requests: pages read them, nothing changes them.
    """

    def __iter__(self) -> Iterator[Any]:
        rows = list(super().__iter__())
        if not rows:
            return iter(rows)
        deferred = rows[0].get_deferred_fields()
        for field, cached in LIST_RELATIONS:
            attname = f"{field}_id"
            if attname in deferred:
                continue
            ids = {pk for row in rows if (pk := getattr(row, attname)) is not None}
            attach_related(rows, field, cached.by_id(ids) if ids else {})
        return iter(rows)


class RowPerson:
    """The consumer of a plain list row (``ListRow``): what the row shows of them, named by
    the account's own rule (``User.display_name``)."""

    __slots__ = ("email", "full_name", "id")
    display_name = User.display_name

    def __init__(self, pk: int, full_name: str, email: str) -> None:
        self.id, self.full_name, self.email = pk, full_name, email

    @property
    def pk(self) -> int:
        return self.id


class ListRow:
    """A complaint as the console's queue lists it, without a model instance: the columns of
    ``LIST_COLUMNS`` as attributes of the same names (``category_id``, ``team_id``,
    ``assignee_id`` for the relations), ``pk``, the consumer (``RowPerson``), and the
    category, team and assignee from the tenant's configuration cache (shared read-only
    instances, None where there is none). Only to be shown: it has no methods of a complaint
    and cannot be saved."""

    __dict__: dict[str, Any]

    @property
    def pk(self) -> int:
        return self.__dict__["id"]  # type: ignore[no-any-return]


# The columns a plain list row reads: those of LIST_COLUMNS, the relations by their ids.
PLAIN_RELATIONS = tuple(
    (field, cached) for field, cached in LIST_RELATIONS if field in LIST_COLUMNS
)
PLAIN_COLUMNS: tuple[str, ...] = (
    "id",
    "consumer_id",
    *(
        f"{column}_id" if column in dict(PLAIN_RELATIONS) else column
        for column in LIST_COLUMNS
        if not column.startswith("consumer__")
    ),
    "consumer__full_name",
    "consumer__email",
)


class PlainRowIterable(BaseIterable):
    """The rows of a queryset as ``ListRow``s: one statement reading ``PLAIN_COLUMNS`` (the
    consumer joined) and the related rows from the tenant's configuration cache, as
    ``ListRowIterable`` gives them but without building a model instance per complaint and
    per consumer (half of what a queue page's rows cost the processor)."""

    def __iter__(self) -> Iterator[ListRow]:
        rows = []
        own = len(PLAIN_COLUMNS) - 2
        names = PLAIN_COLUMNS[:own]
        for values in self.queryset.values_list(*PLAIN_COLUMNS):
            row = ListRow()
            # The row's own columns; the consumer's name and address go to ``consumer``.
            row.__dict__.update(zip(names, values, strict=False))
            row.__dict__["consumer"] = RowPerson(values[1], values[own], values[own + 1])
            rows.append(row)
        for field, cached in PLAIN_RELATIONS:
            attname = f"{field}_id"
            ids = {pk for row in rows if (pk := row.__dict__[attname]) is not None}
            found = cached.by_id(ids) if ids else {}
            for row in rows:
                row.__dict__[field] = found.get(row.__dict__[attname])
        return iter(rows)


@lru_cache(maxsize=4096)
def _seen_by_agent(agent_id: int) -> Q:
    """The complaints agent ``agent_id`` sees: unrouted, assigned to them, or in a team they
    are a member of. The membership is a subquery, read by PostgreSQL each time the condition
    runs (never out of date), so the condition itself is built once per agent and process
    and shared (Django copies what it resolves)."""
    teams = Team.members.through.objects.filter(user_id=agent_id).values("team_id")
    return Q(team__isnull=True) | Q(assignee_id=agent_id) | Q(team_id__in=teams)


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def active(self) -> ComplaintQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def visible_to(self, actor: Any) -> ComplaintQuerySet:
        """The complaints ``actor`` may see: the ``complaints.view_complaint`` rule as a query.

        Consumers see their own; managers and admins all; agents their teams' queues, unrouted
        complaints and those assigned to them; specialists those referred to them; the system
        actor all; API clients by their scopes. Team membership is a subquery, so no row is
        repeated and no DISTINCT is needed. ``tests/complaints/test_read_path.py`` checks this
        agrees with the rule.
        """
        if sees_every_complaint(actor):
            return self.all()
        if not getattr(actor, "is_authenticated", False):
            return self.none()
        role = actor.role
        if role == Role.CONSUMER:
            return self.filter(consumer=actor)
        if role == Role.AGENT:
            return self.filter(_seen_by_agent(actor.pk))
        if role == Role.SPECIALIST:
            return self.filter(specialist=actor)
        if role == Role.CLIENT:
            return self._visible_to_client(actor)
        return self.none()

    def _visible_to_client(self, client: Any) -> ComplaintQuerySet:
        """An API client's identity reads every complaint with the "read" or "act" scope, and
        with only the "log" scope the complaints it logged itself."""
        scopes = client.client_scopes
        if ClientScope.READ_COMPLAINTS in scopes or ClientScope.ACT_ON_COMPLAINTS in scopes:
            return self.all()
        if ClientScope.LOG_COMPLAINTS in scopes:
            logged = Event.objects.filter(kind=Event.Kind.SUBMITTED, actor_id=client.pk)
            return self.filter(pk__in=logged.values("complaint_id"))
        return self.none()

    def at_risk(self, now: datetime, margin: timedelta) -> ComplaintQuerySet:
        """Complaints whose next running deadline is after ``now`` and at most ``margin`` later.

        ``next_due_at`` is kept only for active complaints and leaves out the SLA clocks while
        the complaint awaits the consumer; the boundaries are those of at_risk_condition.
        """
        return self.filter(at_risk_condition(now, margin, "next_due_at"))

    def breached(self, now: datetime) -> ComplaintQuerySet:
        """Complaints whose next running deadline was due at ``now`` or earlier."""
        return self.filter(breached_condition(now, "next_due_at"))

    def for_list(self, *also: str) -> ComplaintQuerySet:
        """Rows for a list page: the columns a row shows (``LIST_COLUMNS``) and ``also``, with
        the consumer joined and the category, team and staff from the cache (``ListRowIterable``).

        Never the search vectors or the long texts a row does not show; reading a column
        left out costs a query per row, which the pages' exact query counts would catch.
        """
        rows = self.select_related("consumer").only(*LIST_COLUMNS, *also)
        rows._iterable_class = ListRowIterable
        return rows

    def for_queue(self) -> ComplaintQuerySet:
        """Rows for the console's queue: ``for_list``'s columns as plain rows (``ListRow``,
        by ``PlainRowIterable``), only to be shown."""
        rows = self.for_list()
        rows._iterable_class = PlainRowIterable
        return rows

    def for_page(self, *, shown: bool = False) -> ComplaintQuerySet:
        """One complaint's row for its page or an action on it, without the search vectors.

        ``shown`` (only to show it): the consumer joined and the category, team, assignee and
        specialist from the tenant's configuration cache, as list rows have them
        (``ListRowIterable``; shared instances, never to be changed or followed further, e.g.
        to a team's manager). Otherwise (an action) those the complaint usually has joined
        and the rest read when first used.
        """
        rows = self.defer("search_vector", "internal_search_vector")
        if not shown:
            return rows.select_related(
                "consumer", "category", "category__parent", "team", "assignee"
            )
        rows = rows.select_related("consumer")
        rows._iterable_class = ListRowIterable
        return rows

    def with_promise(self) -> ComplaintQuerySet:
        """Annotate ``promised_at``: the due time of the deadline the consumer is promised
        (``PROMISE_CLOCKS``, the first that is still running), as the complaint page says."""
        rank = Case(
            *[When(clock=clock, then=Value(order)) for order, clock in enumerate(PROMISE_CLOCKS)],
            output_field=IntegerField(),
        )
        running = (
            Deadline.objects.filter(complaint=OuterRef("pk"), clock__in=PROMISE_CLOCKS)
            .open()
            .alias(rank=rank)
            .order_by("rank")
            .values("due_at")[:1]
        )
        return self.annotate(promised_at=Subquery(running))

    def refresh_search(self) -> int:
        """Index the words of these complaints again, in one statement; returns the count.

        The public vector holds the subject (weight A), the consumer's name and e-mail (A),
        the description (B) and the public replies (C); internal notes have a vector of their
        own so that no search a consumer can run ever matches them. Both use
        ``SEARCH_CONFIG``, so accents are folded where the server can.
        """

        def words(expression: Any, weight: str | None = None) -> SearchVector:
            return SearchVector(expression, weight=weight, config=SEARCH_CONFIG)

        consumer = User.objects.filter(pk=OuterRef("consumer_id"))
        return self.update(
            search_vector=words("subject", "A")
            + words(Subquery(consumer.values("full_name")), "A")
            + words(Subquery(consumer.values("email")), "A")
            + words("description", "B")
            + words(_correspondence(Event.Kind.REPLY, internal=False), "C"),
            internal_search_vector=words(_correspondence(Event.Kind.NOTE, internal=True)),
        )

    def search(self, text: str, *, actor: Any) -> ComplaintQuerySet:
        """Complaints matching a web-search style query (``"exact words" -excluded or``),
        or the one complaint a reference names (``C-2026-000042``, ``2026-000042``, any case),
        or the complaints of every year a bare reference number names (``42``, ``000042``).

        Words match the subject, description, correspondence and the consumer's name and
        e-mail, accents folded. Internal notes are searched only for those who may read them
        (``sees_internal``).
        """
        by_reference = _reference_match(text)
        if by_reference is not None:
            return self.alias(reference_number=REFERENCE_NUMBER).filter(by_reference)
        query = _search_query(text)
        match = Q(search_vector=query)
        if not sees_internal(actor):
            return self.filter(match)
        match |= Q(internal_search_vector=query)
        if not re.search(r'(?:^|\s)-[^\W_"]|(?:^|\s)-"', text):
            return self.filter(match)
        # An excluded word is excluded from the complaint's words as a whole: either text
        # alone may lack it while the other has it. The indexes still find the candidates.
        return self.alias(every_word=EVERY_WORD).filter(match, every_word=query)

    def best_matches(self, text: str, *, actor: Any, now: datetime) -> RankedMatches:
        """These complaints, the matches of ``text`` (narrowed by ``search`` with the same
        ``text`` and ``actor``), best first, to be read a slice at a time (``RankedMatches``).

        ``now`` (an aware datetime) is the moment recency is counted from.
        """
        return RankedMatches(self, text, actor=actor, now=now)


class RankedMatches:
    """The matches of a search, best first, read a slice at a time: ``matches[0:26]`` is a list.

    The candidates are the ``SEARCH_CANDIDATES`` most recently received matches (so the cost
    stays bounded however common the words are); they are ordered by text rank (``ts_rank``:
    subject above description above replies, internal notes for those who may read them)
    divided by ``1 + age / SEARCH_HALF_LIFE``, so a match received a month ago needs twice the
    rank of one received now; ties by most recently received. A search for a reference is
    ordered by recency alone.

    A slice costs two statements: one ranks the candidates in a derived table read from the
    text index and the table once (their vectors come with them) and returns the slice's
    ids; the other reads those rows in the shape of the searched queryset (its columns and
    joins), so a list page joins the consumer of 26 rows, not of every candidate.
    """

    def __init__(self, matches: ComplaintQuerySet, text: str, *, actor: Any, now: datetime):
        self.matches = matches
        self.text = text
        self.internal = sees_internal(actor)
        self.now = now

    def __getitem__(self, window: slice) -> list[Complaint]:
        start, stop = window.start or 0, window.stop
        assert stop is not None and window.step is None, "a slice with an end"
        if stop <= start:
            return []
        recent = self.matches.order_by("-received_at", "-id")
        if _reference_match(self.text) is not None:
            return list(recent[start:stop])
        ids = self._ranked_ids(recent, start, stop)
        if not ids:
            return []
        found = {row.pk: row for row in self._rows(ids)}
        return [found[pk] for pk in ids if pk in found]

    def _rows(self, ids: list[int]) -> ComplaintQuerySet:
        """The complaints ``ids`` (found by the ranking, which applied every condition) with
        the columns, joins and row class of the searched queryset but none of its conditions,
        which PostgreSQL would plan again for nothing."""
        shape = self.matches
        rows = shape.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = shape.query.select_related
        rows.query.deferred_loading = shape.query.deferred_loading
        rows._iterable_class = shape._iterable_class
        return rows

    def _ranked_ids(self, recent: ComplaintQuerySet, start: int, stop: int) -> list[int]:
        """The ids of the ranked matches ``start`` to ``stop`` (positions, from 0)."""
        vectors = ["search_vector", *(["internal_search_vector"] if self.internal else [])]
        candidates = recent.values("id", "received_at", *vectors)[:SEARCH_CANDIDATES]
        compiler = candidates.query.get_compiler(connection=connection)
        words_sql, words_params = compiler.compile(
            _search_query(self.text).resolve_expression(candidates.query)
        )
        rank = " + ".join(
            f"COALESCE(ts_rank(candidates.{vector}, {words_sql}), 0)" for vector in vectors
        )
        try:
            candidates_sql, candidates_params = candidates.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing (``none()``): no statement
            return []
        # Only compiled ORM fragments are joined in; every value is a parameter.
        statement = (
            f"SELECT id FROM (SELECT candidates.id, candidates.received_at, ({rank}) / "  # noqa: S608
            "(1 + EXTRACT(epoch FROM %s - candidates.received_at) / %s) AS score "
            f"FROM ({candidates_sql}) AS candidates) AS ranked "
            "ORDER BY score DESC, received_at DESC, id DESC LIMIT %s OFFSET %s"
        )
        params = (
            *(words_params * len(vectors)),
            self.now,
            SEARCH_HALF_LIFE.total_seconds(),
            *candidates_params,
            stop - start,
            start,
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return [pk for (pk,) in cursor.fetchall()]


class Complaint(models.Model):
    # Intake gives the year of receipt (``reference_for``); the default numbers any other row.
    reference = models.CharField(
        max_length=20, unique=True, editable=False, db_default=reference_of(INSERTED_YEAR)
    )
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints"
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    description = models.TextField(max_length=TEXT_MAX_LENGTH)
    desired_outcome = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # The priority's severity (low 0 to urgent 3), kept by the database: the queue sorts by
    # it through an index, where the stored words would sort alphabetically.
    priority_rank = models.GeneratedField(
        expression=Case(
            *[When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)],
            default=Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_complaints",
    )
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when a resolution is rejected or a closed complaint reopened: the resolution SLA
    # runs again from here.
    reopened_at = models.DateTimeField(null=True, blank=True)
    # The earliest unmet deadline, kept current by the deadline service so queues sort by it.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Business time spent awaiting the consumer; the tenant's SLA clocks stop meanwhile.
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    sla_paused_for = models.DurationField(default=timedelta)
    holding_response_sent_at = models.DateTimeField(null=True, blank=True)
    # A response saying the complaint is still in progress (CFPB: starts the 60-day clock).
    in_progress_at = models.DateTimeField(null=True, blank=True)
    adr_letter_sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    redress_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    redress_currency = models.CharField(max_length=3, blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    resolution_summary = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    satisfaction_score = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.TextField(max_length=2000, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    # What anyone allowed to see the complaint may search: subject, description and the
    # public replies. Internal notes have a vector of their own so that no search a consumer
    # can run ever matches them.
    search_vector = SearchVectorField(null=True, editable=False)
    internal_search_vector = SearchVectorField(null=True, editable=False)

    objects: ClassVar[ComplaintQuerySet] = ComplaintQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The consumer's own list, newest first.
            models.Index(fields=["consumer", "-received_at", "-id"], name="complaint_consumer_idx"),
            # The work queues: active complaints, oldest first, per team and per assignee.
            active_queue_index("team", "received_at", "id", name="complaint_team_queue_idx"),
            active_queue_index(
                "assignee", "received_at", "id", name="complaint_assignee_queue_idx"
            ),
            active_queue_index("received_at", "id", name="complaint_active_queue_idx"),
            # The queue by next deadline (keyset on ``(next_due_at, id)``) and, with the team
            # and assignee included, the dashboard's at-risk and breached counts per team and
            # per assignee as an index-only scan of the complaints due by the margin's end.
            active_queue_index(
                "next_due_at", "id", include=["team", "assignee"], name="complaint_due_queue_idx"
            ),
            # The dashboard's root causes of complaints resolved in a period (index only).
            models.Index(
                fields=["resolved_at"],
                include=["root_cause"],
                condition=Q(root_cause__isnull=False),
                name="complaint_resolved_cause_idx",
            ),
            # The console queues sorted by the next deadline, per team and per assignee.
            active_queue_index("team", "next_due_at", "id", name="complaint_team_due_idx"),
            active_queue_index("assignee", "next_due_at", "id", name="complaint_assignee_due_idx"),
            # The active queue sorted by priority (by severity), reference or assignee.
            active_queue_index("priority_rank", "id", name="complaint_priority_queue_idx"),
            active_queue_index("reference", "id", name="complaint_reference_queue_idx"),
            active_queue_index("assignee", "id", name="complaint_assignee_order_idx"),
            # A search by a bare reference number, in every year and status.
            models.Index(REFERENCE_NUMBER, name="complaint_reference_number_idx"),
            # The "unassigned" queue, in both of its sort orders.
            active_queue_index(
                "received_at", "id", assignee__isnull=True, name="complaint_unassigned_idx"
            ),
            active_queue_index(
                "next_due_at", "id", assignee__isnull=True, name="complaint_unassigned_due_idx"
            ),
            # Search runs in the active queue: its words are indexed for active complaints
            # only, so a search reads neither the closed backlog nor a status bitmap.
            active_queue_index("search_vector", kind=GinIndex, name="complaint_active_search_idx"),
            active_queue_index(
                "internal_search_vector", kind=GinIndex, name="complaint_active_internal_idx"
            ),
            # Searches over every status (a closed complaint found by its words).
            GinIndex(fields=["search_vector"], name="complaint_search_idx"),
            GinIndex(fields=["internal_search_vector"], name="complaint_internal_search_idx"),
            # Reports: complaints received, resolved or closed in a date range; the queue
            # over every status, in order of receipt.
            models.Index(fields=["received_at", "id"], name="complaint_received_idx"),
            models.Index(
                fields=["resolved_at"],
                condition=Q(resolved_at__isnull=False),
                name="complaint_resolved_idx",
            ),
            models.Index(
                fields=["closed_at"],
                condition=Q(closed_at__isnull=False),
                name="complaint_closed_idx",
            ),
            # The closing moment of the reports: the resolution, else the closing.
            models.Index(Coalesce("resolved_at", "closed_at"), name="complaint_closed_moment_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction_score__isnull=True)
                | Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="complaint_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(redress_amount__isnull=True) | Q(redress_amount__gte=0),
                name="complaint_redress_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @cached_property
    def open_proposal(self) -> ResolutionProposal | None:
        """The resolution waiting for a manager's approval (at most one waits,
        ``resolution_proposal_one_open_per_complaint``), read once per instance."""
        waiting = ResolutionProposal.objects.filter(complaint_id=self.pk).open()
        return next(iter(waiting.select_related("root_cause", "proposed_by")[:1]), None)


# A complaint's reference: the letter C, the year of receipt and the tenant's sequence number.
REFERENCE_PATTERN = r"C-[0-9]{4}-[0-9]{6,12}"


def sees_every_complaint(actor: Any) -> bool:
    """Whether ``actor`` may see every complaint of the tenant (managers, admins and the
    system actor): their read path needs no visibility condition at all."""
    if isinstance(actor, SystemActor):
        return True
    return bool(getattr(actor, "is_authenticated", False)) and actor.role in (
        Role.MANAGER,
        Role.ADMIN,
    )


QS = TypeVar("QS", bound=models.QuerySet[Any])


def _on_visible_complaints(rows: QS, actor: Any) -> QS:
    """``rows`` (of a model with a ``complaint``) on complaints ``actor`` may see: a
    subquery of ``Complaint.objects.visible_to``, none for those who see every complaint
    (it would only cost the planner a join)."""
    if sees_every_complaint(actor):
        return rows
    return rows.filter(complaint__in=Complaint.objects.visible_to(actor).values("pk"))


class EventQuerySet(models.QuerySet["Event"]):
    def visible_to(self, actor: Any) -> EventQuerySet:
        """Timeline entries ``actor`` may read: those of complaints they may see, without
        internal notes and internal letters unless they may read internal notes.

        The only place internal entries are filtered out for consumers (with ``on_threads``).
        """
        return self._readable_by(_on_visible_complaints(self, actor), actor)

    def on_threads(self, threads: ComplaintQuerySet, actor: Any) -> EventQuerySet:
        """The entries of ``threads`` (complaints) that ``actor`` may read, as ``visible_to``
        has them: which of the threads they may see is asked in the threads' own subquery,
        so PostgreSQL plans one subquery, not two."""
        events = self.filter(complaint__in=threads.visible_to(actor).values("pk"))
        return self._readable_by(events, actor)

    @staticmethod
    def _readable_by(events: EventQuerySet, actor: Any) -> EventQuerySet:
        return events if sees_internal(actor) else events.filter(is_internal=False)


# Event kinds whose body staff write, in Markdown like the canned responses they start from.
MARKDOWN_EVENT_KINDS = frozenset(
    {"reply", "note", "resolved", "resolution_proposed", "resolution_returned"}
)


class Event(models.Model):
    """One entry on a complaint's timeline."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Complaint received"
        REPLY = "reply", "Reply"
        NOTE = "note", "Internal note"
        STATUS_CHANGED = "status_changed", "Status changed"
        ASSIGNED = "assigned", "Assignment"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        CATEGORY_CHANGED = "category_changed", "Category changed"
        REFERRED = "referred", "Referred to a specialist"
        HANDED_BACK = "handed_back", "Handed back by the specialist"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolution proposed"
        RESOLUTION_ACCEPTED = "resolution_accepted", "Resolution accepted"
        RESOLUTION_REJECTED = "resolution_rejected", "Resolution rejected"
        RESOLUTION_PROPOSED = "resolution_proposed", "Resolution sent for approval"
        RESOLUTION_RETURNED = "resolution_returned", "Resolution returned by a manager"
        LETTER = "letter", "Letter sent"
        RATED = "rated", "Satisfaction rating"
        MERGED = "merged", "Merged"
        DEADLINE = "deadline", "Deadline alert"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    is_internal = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    # Facts about the event for display and reports (letter kind, assignee, old and new values).
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[EventQuerySet] = EventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at", "id"], name="event_timeline_idx")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"

    @property
    def by_consumer(self) -> bool:
        return self.actor_id is not None and self.actor_id == self.complaint.consumer_id

    @property
    def written_in_markdown(self) -> bool:
        """Whether the body is staff writing, which may carry Markdown (canned responses
        are Markdown): pages render it formatted, e-mails and letters carry it as plain
        text. Consumers' words and the product's own texts are shown as typed."""
        return self.kind in MARKDOWN_EVENT_KINDS

    @property
    def headline(self) -> str:
        """One line saying what happened, for timelines."""
        data = self.data or {}
        kind = self.Kind
        if self.kind == kind.LETTER:
            return str(data.get("subject") or "Letter sent")
        if self.kind == kind.ASSIGNED:
            if data.get("team"):
                return f"Moved to the {data['team']} queue"
            return f"Assigned to {data['assignee']}" if data.get("assignee") else "Unassigned"
        if self.kind in (kind.PRIORITY_CHANGED, kind.CATEGORY_CHANGED):
            return f"{EVENT_KINDS.get(self.kind, self.kind)}: {data.get('previous_value') or 'none'} → {data.get('value')}"
        if self.kind == kind.REFERRED:
            return f"Referred to {data.get('specialist')}"
        if self.kind == kind.ESCALATED:
            return f"Escalated to level {data.get('level')}"
        if self.kind in (kind.RESOLVED, kind.RESOLUTION_PROPOSED) and data.get("outcome"):
            return (
                f"{EVENT_KINDS.get(self.kind, self.kind)}: {Outcome(data['outcome']).label.lower()}"
            )
        if self.kind == kind.RATED:
            return f"Rated {data.get('score')} out of 5"
        if self.kind == kind.MERGED:
            if data.get("into"):
                return f"Closed as a duplicate of {data['into']}"
            return f"{data.get('from')} merged into this complaint"
        return EVENT_KINDS.get(self.kind, self.kind)


# Each kind's label, looked up once: a timeline asks for hundreds of them per page.
EVENT_KINDS: dict[str, str] = dict(Event.Kind.choices)


class ResolutionProposalQuerySet(models.QuerySet["ResolutionProposal"]):
    def open(self) -> ResolutionProposalQuerySet:
        """Proposals still waiting for a manager's decision."""
        return self.filter(decision="")


class ResolutionProposal(models.Model):
    """An agent's resolution held back until a manager approves or returns it."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned"

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="resolution_proposals"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    summary = models.TextField(max_length=TEXT_MAX_LENGTH)
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="+")
    redress_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    redress_currency = models.CharField(max_length=3, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    manager_comment = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)

    objects: ClassVar[ResolutionProposalQuerySet] = ResolutionProposalQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"],
                condition=Q(decision=""),
                name="resolution_proposal_one_open_per_complaint",
            ),
            models.CheckConstraint(
                condition=Q(redress_amount__isnull=True) | Q(redress_amount__gte=0),
                name="resolution_proposal_redress_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_outcome_display()} ({self.decision or 'open'})"


def attachment_path(attachment: Attachment, filename: str) -> str:
    """Files live under their tenant's schema and complaint; the stored name is random."""
    from tenancy import current

    suffix = Path(filename).suffix.lower()[:10]
    reference = attachment.complaint.reference
    return f"{current.schema_name()}/complaints/{reference}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, actor: Any) -> AttachmentQuerySet:
        """Files ``actor`` may download: on complaints they may see, internal ones only for
        those who may read internal notes."""
        return _on_visible_complaints(self, actor).downloadable_by(actor)

    def downloadable_by(self, actor: Any) -> AttachmentQuerySet:
        """These files without the internal ones unless ``actor`` may read internal notes:
        ``visible_to`` for files already known to be on complaints ``actor`` may see, such as
        the files of timeline entries read through ``Event.objects.visible_to`` or
        ``on_threads`` (a timeline's prefetch), which then costs no second subquery."""
        return self if sees_internal(actor) else self.filter(is_internal=False)


class Attachment(models.Model):
    """A file on a complaint, served only through a permission-checked view."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[AttachmentQuerySet] = AttachmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def download(self) -> FileResponse:
        """The file as a download that is never cached and never runs in the browser; call
        only after the permission check (``visible_to``)."""
        response = FileResponse(
            self.file.open("rb"),
            as_attachment=True,
            filename=self.original_name,
            content_type=self.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


# The required communications are the regulators' vocabulary (deadlines.regulation).
LetterKind = Letter


class LetterTemplate(models.Model):
    """A tenant's own wording of a required communication; defaults apply when absent."""

    kind = models.CharField(max_length=24, choices=LetterKind.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=TEXT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ConfigurationQuerySet[LetterTemplate]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()


def own_letter_wording() -> dict[str, tuple[str, str]]:
    """The tenant's own (subject, body) of each kind of letter it worded, from its cache."""
    return OWN_LETTER_WORDING.get()


OWN_LETTER_WORDING = TenantCached(
    "letter-wording",
    lambda: {
        template.kind: (template.subject, template.body)
        for template in LetterTemplate.objects.all()
    },
)
OWN_LETTER_WORDING.forget_on_change(LetterTemplate)


class CannedResponse(models.Model):
    """A reply agents start from; ``{placeholders}`` are filled in for the complaint."""

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField(
        max_length=TEXT_MAX_LENGTH,
        help_text=f"Placeholders: {CANNED_RESPONSE_PLACEHOLDERS.listed()}.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ConfigurationQuerySet[CannedResponse]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def fill(self, complaint: Complaint, agent: Any) -> str:
        """The text for a reply to ``complaint`` by ``agent``.

        Raises PlaceholderError for an unknown name, which saving never lets through.
        """
        from tenancy import current

        values = {
            "consumer_name": consumer_name(complaint.consumer, current.tenant().regulatory_profile),
            "reference": complaint.reference,
            "agent_name": agent.display_name,
            "organisation": current.tenant().name,
        }
        return CANNED_RESPONSE_PLACEHOLDERS.fill(self.body, values)


def canned_response_titles() -> list[tuple[int, str]]:
    """Every canned response's id and title, by title, for the reply box's picker (from the
    tenant's cache, forgotten when a canned response changes)."""
    return CANNED_RESPONSE_TITLES.get()


CANNED_RESPONSE_TITLES = TenantCached(
    "canned-response-titles", lambda: list(CannedResponse.objects.values_list("pk", "title"))
)
CANNED_RESPONSE_TITLES.forget_on_change(CannedResponse)


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` an API client sent with a POST, and the answer it got.

    A retry with the same key and body gets the same answer without a second change; the
    same key with another body is refused. Keys are the client's, per user, for 24 hours.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body, in hex.
    request_hash = models.CharField(max_length=64)
    # Empty while the first request with the key is still being answered.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # The answer's headers a retry must see again (``idempotency.REPLAYED_HEADERS``).
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class CustomerNote(models.Model):
    """What staff keep in mind about a consumer across their complaints (staff only).

    Never shown in the portal, the consumer's data export or any consumer message; adding one
    is written to the audit log (``complaints.services.customers.add_customer_note``).
    """

    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consumer", "-created_at"], name="customer_note_idx")]

    def __str__(self) -> str:
        return f"Note about user {self.consumer_id}"


class Draft(models.Model):
    """Text a staff member or consumer is writing on a complaint and has not sent yet.

    One per person, complaint and box (reply or internal note); saved as they type, restored
    into the box when the page is opened again (also after signing in anew), deleted when the
    text is sent. A draft is not part of the complaint: it is nobody else's to read.
    """

    class Box(models.TextChoices):
        REPLY = "reply", "Reply"
        NOTE = "note", "Internal note"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+")
    box = models.CharField(max_length=10, choices=Box.choices)
    body = models.TextField(max_length=TEXT_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "complaint", "box"], name="draft_once_per_person_and_box"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.complaint_id} {self.box}"


# Columns of the console queue a saved view may show; the reference and subject always show.
QUEUE_COLUMNS = {
    "consumer": "Consumer",
    "status": "Status",
    "priority": "Priority",
    "team": "Team",
    "assignee": "Assignee",
    "due": "Next deadline",
    "received": "Received",
}


class SavedViewQuerySet(ConfigurationQuerySet["SavedView"]):
    """Saved views; a bulk write forgets the tenant's cached list (``SAVED_VIEWS``)."""

    def available_to(self, user: Any) -> SavedViewQuerySet:
        """The views ``user`` may open: their own and the shared ones, shared first."""
        return self.filter(Q(owner=user) | Q(shared=True)).order_by("-shared", "name", "id")


class SavedView(models.Model):
    """A queue someone saved: its filters and order (the queue's query string) and columns.

    A view is its owner's; a shared one (managers and admins share) is listed for all staff,
    each of whom sees in it only the complaints they may see.
    """

    name = models.CharField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    shared = models.BooleanField(default=False)
    # The queue's own parameters (view, filters, sort), as the filter form writes them.
    query = models.CharField(max_length=1000, blank=True)
    columns = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[SavedViewQuerySet] = SavedViewQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            # Names differing only in case are one name to the person choosing among them.
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="saved_view_unique_name_per_owner",
                violation_error_message="You already have a view with this name.",
            )
        ]
        indexes = [
            models.Index(fields=["name"], condition=Q(shared=True), name="saved_view_shared_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_columns(self) -> set[str]:
        """The columns to show: those saved that still exist, or all when none were."""
        chosen = {column for column in self.columns if column in QUEUE_COLUMNS}
        return chosen or set(QUEUE_COLUMNS)


@dataclass(frozen=True)
class SavedViewIndex:
    """Every saved view of a tenant, as ``available_to`` orders them (shared first, then by
    name and id): the shared ones, and each person's own that are not shared."""

    shared: tuple[SavedView, ...]
    own: dict[int, tuple[SavedView, ...]]


def _index_saved_views() -> SavedViewIndex:
    shared: list[SavedView] = []
    own: dict[int, list[SavedView]] = {}
    for view in SavedView.objects.order_by("-shared", "name", "id"):
        if view.shared:
            shared.append(view)
        else:
            own.setdefault(view.owner_id, []).append(view)
    return SavedViewIndex(tuple(shared), {owner: tuple(views) for owner, views in own.items()})


# The queue lists the saved views on every page; they change when someone saves, renames,
# shares or removes one (or their owner is deleted). The instances are shared between
# requests: read them, never change them.
SAVED_VIEWS = TenantCached("saved-views", _index_saved_views)
SAVED_VIEWS.forget_on_change(SavedView)


def saved_views_of(user: Any) -> list[SavedView]:
    """The saved views ``user`` may open, as ``SavedView.objects.available_to(user)`` lists
    them (their own and the shared ones, shared first), from the tenant's cache."""
    index = SAVED_VIEWS.get()
    return [*index.shared, *index.own.get(user.pk, ())]
