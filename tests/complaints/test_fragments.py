"""The queue's rows and the timeline's entries are Jinja2 fragments (complaints/fragments.py):
the markup is the one the Django templates wrote, dates read the same, everything is escaped."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Role, User
from complaints.fragments import render_fragment
from complaints.models import QUEUE_COLUMNS, Category, Complaint, Event, Status, Team
from complaints.services import (
    add_internal_note,
    assign_complaint,
    change_status,
    merge_complaint,
    reply_to_complaint,
)
from complaints.views import reference_paths, timeline, timeline_entries
from tenancy.current import readable_moment
from tenancy.models import Tenant
from tests.complaints.test_attachments import PDF

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # an hour before British Summer Time begins

# The rows as the queue page's Django template wrote them.
DJANGO_ROWS = """{% for c in rows %}
    <tr data-reference="{{ c.reference }}">
      {% if bulk %}<td data-label="Select"><input type="checkbox" name="complaints" value="{{ c.reference }}" form="bulk-form" aria-label="Select {{ c.reference }}"{% if c.reference in selected %} checked{% endif %}></td>{% endif %}
      <td data-label="Reference"><a class="row-link" href="{% url 'console_complaint' c.reference %}">{{ c.reference }}</a></td>
      <td data-label="Subject">{{ c.subject }}{% if c.category %}<div class="muted">{{ c.category }}</div>{% endif %}</td>
      {% if "consumer" in columns %}<td data-label="Consumer">{{ c.consumer.display_name }}</td>{% endif %}
      {% if "status" in columns %}<td data-label="Status"><span class="badge status-{{ c.status }}">{{ c.get_status_display }}</span>{% if c.escalation_level %} <span class="badge priority-urgent" title="Escalation level">E{{ c.escalation_level }}</span>{% endif %}</td>{% endif %}
      {% if "priority" in columns %}<td data-label="Priority"><span class="badge priority-{{ c.priority }}">{{ c.get_priority_display }}</span></td>{% endif %}
      {% if "team" in columns %}<td data-label="Team">{{ c.team|default:"—" }}</td>{% endif %}
      {% if "assignee" in columns %}<td data-label="Assignee">{{ c.assignee.display_name|default:"—" }}</td>{% endif %}
      {% if "due" in columns %}<td data-label="Next deadline">{% if c.next_due_at %}{% if c.next_due_at < now %}<span class="overdue">Overdue {{ c.next_due_at|timesince:now }}</span>{% else %}{{ c.next_due_at|date:"j M Y, H:i" }}{% endif %}{% else %}—{% endif %}</td>{% endif %}
      {% if "received" in columns %}<td data-label="Received">{{ c.received_at|date:"j M Y, H:i" }}</td>{% endif %}
    </tr>
  {% empty %}
    <tr><td colspan="{{ column_count }}">Nothing in this queue.</td></tr>
  {% endfor %}"""


def normalised(html: str) -> str:
    """Markup without the whitespace between tags; both escapes of ``'`` read alike."""
    return re.sub(r">\s+<", "><", html.replace("&#39;", "&#x27;")).strip()


@pytest.fixture
def rows(
    make_complaint: Callable[..., Complaint],
    make_user: Callable[..., User],
    category: Category,
    front_line: Team,
    agent: User,
) -> list[Complaint]:
    """Complaints showing every kind of cell: overdue, due later, none due, escalated, with
    and without category, team and assignee, and text that must be escaped."""
    tricky = make_user(Role.CONSUMER, full_name="O'Brien <b>&</b>")
    made = []
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        for number in range(6):
            complaint = make_complaint(
                owner=tricky if number % 2 else None,
                subject=f"Fee <script>alert({number})</script> & 'quotes'",
                category=category if number % 3 else None,
            )
            made.append(complaint)
    due = [NOW - timedelta(days=3, hours=2), NOW + timedelta(hours=5), None]
    for number, complaint in enumerate(made):
        Complaint.objects.filter(pk=complaint.pk).update(
            team=front_line if number % 2 else None,
            assignee=agent if number % 3 == 0 else None,
            escalation_level=number % 2,
            next_due_at=due[number % 3],
            received_at=NOW - timedelta(days=number, minutes=7 * number),
        )
    return list(Complaint.objects.filter(pk__in=[c.pk for c in made]).for_list())


def as_plain(rows: list[Complaint]) -> list[Any]:
    """The same complaints as the queue lists them (plain rows), in the same order."""
    plain = {
        row.pk: row for row in Complaint.objects.filter(pk__in=[r.pk for r in rows]).for_queue()
    }
    return [plain[row.pk] for row in rows]


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("bulk", [True, False])
@pytest.mark.parametrize("columns", [set(QUEUE_COLUMNS), {"status", "due"}, set()])
def test_the_rows_are_the_markup_the_django_template_wrote(
    rows: list[Complaint], bulk: bool, columns: set[str], plain: bool
) -> None:
    """Of model rows and of the queue's plain rows alike."""
    context = {
        "rows": rows,
        "columns": columns,
        "bulk": bulk,
        "selected": {rows[1].reference},
        "column_count": len(columns) + 3,
        "now": NOW,
    }
    with timezone.override(ZoneInfo("Europe/London")):
        django = engines["django"].from_string(DJANGO_ROWS).render(context)
        jinja = render_fragment(
            "complaints/queue_rows.jinja",
            {
                **context,
                "rows": as_plain(rows) if plain else rows,
                "complaint_url": reference_paths("console_complaint"),
                "refused": False,
                "zone": timezone.get_current_timezone(),
            },
        )

    assert normalised(jinja) == normalised(django)
    assert "<script>" not in jinja
    assert "Fee &lt;script&gt;" in jinja


@pytest.mark.parametrize(
    ("refused", "said"),
    [(False, "Nothing in this queue."), (True, "Nothing listed: correct the filters.")],
)
def test_an_empty_queue_says_so(refused: bool, said: str) -> None:
    context = {"rows": [], "columns": set(), "bulk": False, "selected": set()}
    html = render_fragment(
        "complaints/queue_rows.jinja",
        {
            **context,
            "column_count": 4,
            "now": NOW,
            "zone": UTC,
            "complaint_url": str,
            "refused": refused,
        },
    )
    assert normalised(html) == f'<tr><td colspan="4">{said}</td></tr>'


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Kolkata", "America/New_York"])
def test_a_readable_moment_reads_as_the_django_date_filter(zone: str) -> None:
    date = engines["django"].from_string('{{ d|date:"j M Y, H:i" }}')
    for hours in range(0, 24 * 400, 37):
        moment = NOW + timedelta(hours=hours, minutes=hours % 60)
        with timezone.override(ZoneInfo(zone)):
            expected = date.render({"d": moment})
            assert readable_moment(moment) == expected
        # A zone given wins over the active one.
        assert readable_moment(moment, ZoneInfo(zone)) == expected


def test_a_fragment_naming_something_undefined_fails_loudly() -> None:
    with pytest.raises(Exception, match="undefined"):
        render_fragment("complaints/queue_rows.jinja", {"rows": []})


# The timeline entries as the Django template wrote them.
DJANGO_TIMELINE = """{% load portal %}{% if earlier %}
<li class="earlier"><a href="?timeline=all#timeline" hx-get="{% url 'timeline_earlier' complaint.reference %}?before={{ events.0.pk }}" hx-target="closest li" hx-swap="outerHTML">Show {{ earlier }} earlier entr{{ earlier|pluralize:"y,ies" }}</a></li>
{% endif %}
{% for event in events %}
  <li class="event kind-{{ event.kind }}{% if event.is_internal %} internal{% endif %}" id="event-{{ event.pk }}">
    <div class="event-head">
      <strong>{% if event.actor_id and event.actor_id == complaint.consumer_id %}{% if user.pk == complaint.consumer_id %}You{% else %}{{ complaint.consumer.display_name }} (consumer){% endif %}{% elif user.pk == complaint.consumer_id %}{{ tenant.name }}{% elif event.actor %}{{ event.actor.display_name }}{% else %}System{% endif %}</strong>
      <span>{{ event.headline }}{% if event.to_status and event.kind != "submitted" %} · {{ event.get_from_status_display }} → {{ event.get_to_status_display }}{% endif %}</span>
      {% if event.complaint_id != complaint.pk %}<span class="badge">on {{ event.complaint.reference }}, merged into this complaint</span>{% endif %}
      {% if event.is_internal %}<span class="badge internal-badge">Internal</span>{% endif %}
      <time datetime="{{ event.created_at|date:'c' }}">{{ event.created_at|date:"j M Y, H:i" }}</time>
    </div>
    {% if event.body %}<div class="event-body{% if event.kind == 'letter' %} letter{% endif %}">{% if event.written_in_markdown and event.actor_id != complaint.consumer_id %}{{ event.body|markdown }}{% else %}{{ event.body|linebreaks }}{% endif %}</div>{% endif %}
    {% if event.files %}
    <ul class="files" aria-label="Attachments">
      {% for file in event.files %}<li><a href="{% url 'attachment_download' event.complaint.reference file.pk %}">{{ file.original_name }}</a> <span class="muted">{{ file.size|filesizeformat }}</span></li>{% endfor %}
    </ul>
    {% endif %}
  </li>
{% endfor %}
"""


@pytest.fixture
def thread(
    make_complaint: Callable[..., Complaint],
    consumer: User,
    agent: User,
    front_line: Team,
) -> tuple[Complaint, list[Event]]:
    """A complaint with every kind of entry: the consumer's and staff's replies with files,
    an internal note in Markdown, a status change, an assignment, a system entry, a letter
    and the entries of a duplicate merged into it."""
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        complaint = make_complaint(subject="Card <b>fee</b>")
        duplicate = make_complaint(subject="The same fee again")
        reply_to_complaint(
            complaint,
            "Any news?\n\nIt's been <b>days</b>.",
            actor=consumer,
            files=[SimpleUploadedFile("statement.pdf", PDF, content_type="application/pdf")],
        )
        assign_complaint(complaint, agent, actor=agent)
        add_internal_note(complaint, "**Checked** the [ledger](https://example.com).", actor=agent)
        reply_to_complaint(complaint, "We are *looking* into it.", actor=agent)
        change_status(
            complaint, Status.AWAITING_CONSUMER, actor=agent, note="Asked for a statement"
        )
        reply_to_complaint(duplicate, "Same again on the card.", actor=consumer)
        merge_complaint(duplicate, complaint, actor=agent)
        Event.objects.create(
            complaint=complaint,
            kind=Event.Kind.LETTER,
            body="Dear customer,\n\nYours.",
            data={"subject": "Holding response"},
        )
    complaint.refresh_from_db()
    return complaint, timeline(complaint, agent, shown=100)[0]


@pytest.mark.parametrize("viewer", ["agent", "consumer"])
@pytest.mark.parametrize("earlier", [0, 1, 7])
def test_the_timeline_is_the_markup_the_django_template_wrote(
    request: pytest.FixtureRequest,
    rf: RequestFactory,
    bank: Tenant,
    thread: tuple[Complaint, list[Event]],
    viewer: str,
    earlier: int,
) -> None:
    complaint, events = thread
    user = request.getfixturevalue(viewer)
    if viewer == "consumer":
        events = timeline(complaint, user, shown=100)[0]
    assert len({event.kind for event in events}) >= 5
    page = rf.get("/")
    page.user, page.tenant = user, bank
    context = {"complaint": complaint, "events": events, "earlier": earlier, "user": user}
    with timezone.override(ZoneInfo("Europe/London")):
        django = engines["django"].from_string(DJANGO_TIMELINE).render({**context, "tenant": bank})
        jinja = timeline_entries(page, complaint, events, earlier)

    assert normalised(jinja) == normalised(django)
    assert "<b>" not in jinja
