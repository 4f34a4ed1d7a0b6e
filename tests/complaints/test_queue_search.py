"""Finding a complaint in the console: by reference, by the consumer, by its words with or
without accents, in any status, closed ones included; and sorting by a column header."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from complaints.forms import QUEUE_SORTS
from complaints.models import ENGLISH_STOP_WORDS, SEARCH_CONFIG, Complaint, Status, Team
from complaints.pagination import keyset_page
from complaints.services import add_internal_note
from tests.complaints.conftest import as_request_user, put_in_status, references_in


@pytest.fixture
def unaccent(bank: object) -> None:
    """Skip where the PostgreSQL server has no ``unaccent`` (the embedded one has none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        if cursor.fetchone() is None:
            pytest.skip("this PostgreSQL server has no unaccent extension")


@pytest.fixture
def mueller(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSUMER, "h.mueller@example.org", full_name="Hanna Müller")


@pytest.fixture
def theirs(make_complaint: Callable[..., Complaint], mueller: User, front_line: Team) -> Complaint:
    made = make_complaint(
        mueller, subject="Café card declined", description="My card was refused at the café."
    )
    Complaint.objects.filter(pk=made.pk).update(team=front_line)
    return made


@pytest.fixture
def bystander(make_complaint: Callable[..., Complaint], front_line: Team) -> Complaint:
    made = make_complaint(subject="Branch closed early", description="The doors were locked.")
    Complaint.objects.filter(pk=made.pk).update(team=front_line)
    return made


@pytest.mark.parametrize("how", ["exact", "lower", "without prefix", "padded"])
def test_a_reference_finds_its_complaint_alone(
    agent_client: Client, theirs: Complaint, bystander: Complaint, how: str
) -> None:
    reference = theirs.reference
    typed = {
        "exact": reference,
        "lower": reference.lower(),
        "without prefix": reference.removeprefix("C-"),
        "padded": f"  {reference.lower()} ",
    }[how]
    assert references_in(agent_client.get("/console/", {"q": typed})) == [reference]


def test_a_reference_the_agent_may_not_see_finds_nothing(
    agent_client: Client, theirs: Complaint, other_team: Team
) -> None:
    Complaint.objects.filter(pk=theirs.pk).update(team=other_team)
    assert references_in(agent_client.get("/console/", {"q": theirs.reference})) == []


@pytest.mark.parametrize("typed", ["h.mueller@example.org", "H.Mueller@Example.org", "Hanna"])
def test_the_consumers_name_or_e_mail_finds_their_complaints(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]


@pytest.mark.parametrize("typed", ["muller", "Muller", "MÜLLER", "cafe", "Café"])
def test_search_ignores_accents(
    unaccent: None, agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]


def test_a_new_name_is_searchable_and_the_old_one_forgotten(
    agent_client: Client, theirs: Complaint, mueller: User
) -> None:
    mueller.full_name = "Hanna Schmidt"
    mueller.save()
    assert references_in(agent_client.get("/console/", {"q": "Schmidt"})) == [theirs.reference]
    assert references_in(agent_client.get("/console/", {"q": "Hanna Müller"})) == []


def test_a_sign_in_does_not_index_the_consumers_complaints_again(
    theirs: Complaint, mueller: User, django_assert_num_queries: Callable[..., object]
) -> None:
    user = User.objects.get(pk=mueller.pk)
    with django_assert_num_queries(1):
        user.save(update_fields=["last_login"])


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_complaints_in_every_status_can_be_found(
    manager_client: Client, theirs: Complaint, bystander: Complaint, status: Status
) -> None:
    put_in_status(theirs, status)
    assert references_in(manager_client.get("/console/")) == [bystander.reference]
    by_status = manager_client.get("/console/", {"status": status.value})
    assert references_in(by_status) == [theirs.reference]
    every = references_in(manager_client.get("/console/", {"status": "all"}))
    assert sorted(every) == sorted([theirs.reference, bystander.reference])
    found = manager_client.get("/console/", {"status": "all", "q": "declined"})
    assert references_in(found) == [theirs.reference]
    by_reference = manager_client.get("/console/", {"status": "all", "q": theirs.reference})
    assert references_in(by_reference) == [theirs.reference]


def test_the_status_filter_offers_every_status_and_all(manager_client: Client) -> None:
    content = manager_client.get("/console/").content.decode()
    for value in [*Status.values, "all"]:
        assert f'<option value="{value}"' in content


def test_a_column_header_sorts_the_queue_and_a_second_click_reverses_it(
    manager_client: Client, theirs: Complaint, bystander: Complaint
) -> None:
    oldest_first = manager_client.get("/console/", {"priority": "normal"})
    content = oldest_first.content.decode()
    assert references_in(oldest_first) == [theirs.reference, bystander.reference]
    assert 'aria-sort="ascending"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=-received"' in content
    newest_first = manager_client.get("/console/", {"priority": "normal", "sort": "-received"})
    content = newest_first.content.decode()
    assert references_in(newest_first) == [bystander.reference, theirs.reference]
    assert 'aria-sort="descending"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=received"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=due"' in content


def _numbered(complaint: Complaint, reference: str) -> Complaint:
    """Test set-up: give a complaint the reference ``reference``, and another complaint of this
    test that already has it (the year's counter runs on across tests) one no test names."""
    for other in Complaint.objects.filter(reference=reference).exclude(pk=complaint.pk):
        Complaint.objects.filter(pk=other.pk).update(reference=f"C-1999-{other.pk:06d}")
    Complaint.objects.filter(pk=complaint.pk).update(reference=reference)
    complaint.refresh_from_db()
    return complaint


@pytest.mark.parametrize(
    "typed", ["83", "000083", " 0083 ", "2026-000083", "C-2026-000083", "c-2026-000083", "2026-83"]
)
def test_a_bare_reference_number_finds_its_complaint(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    _numbered(theirs, "C-2026-000083")
    _numbered(bystander, "C-2026-000084")
    assert references_in(agent_client.get("/console/", {"q": typed})) == ["C-2026-000083"]


def test_a_bare_number_finds_that_number_in_every_year(
    manager_client: Client, theirs: Complaint, bystander: Complaint
) -> None:
    _numbered(theirs, "C-2025-000083")
    _numbered(bystander, "C-2026-000083")
    found = references_in(manager_client.get("/console/", {"q": "83", "status": "all"}))
    assert sorted(found) == ["C-2025-000083", "C-2026-000083"]
    assert references_in(manager_client.get("/console/", {"q": "2025-83"})) == ["C-2025-000083"]
    assert references_in(manager_client.get("/console/", {"q": "0"})) == []


@pytest.mark.parametrize("typed", ["refun", "Refun", "card refun", "REFUND", "decl", "café decl"])
def test_the_last_word_typed_is_the_start_of_a_word(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    Complaint.objects.filter(pk=theirs.pk).update(subject="Café card declined, refund asked")
    Complaint.objects.filter(pk=theirs.pk).refresh_search()
    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]


WORDS_TYPED = ("standing", "payments", "charged", "complaining", "generalisation")


@pytest.mark.parametrize(
    "typed",
    sorted({word[:cut] for word in WORDS_TYPED for cut in range(3, len(word) + 1)}),
)
def test_every_start_of_a_word_finds_it_though_the_word_is_stored_as_its_stem(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    # Stored as the stems "stand", "payment", "charg", "complain", "general": "standi" and
    # "complaini" go past the stem and must still find the word.
    Complaint.objects.filter(pk=theirs.pk).update(
        subject="Standing order payments charged twice",
        description="Complaining about the generalisation of fees.",
    )
    Complaint.objects.filter(pk=theirs.pk).refresh_search()

    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]
    assert references_in(agent_client.get("/console/", {"q": f"order {typed}"})) == [
        theirs.reference
    ]


@pytest.mark.parametrize("typed", ["standix", "standingx", "chargex", "paymentsi"])
def test_a_word_that_is_no_start_of_a_stored_word_finds_nothing(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    Complaint.objects.filter(pk=theirs.pk).update(subject="Standing order payments charged")
    Complaint.objects.filter(pk=theirs.pk).refresh_search()

    assert references_in(agent_client.get("/console/", {"q": typed})) == []


def test_only_the_last_word_is_a_prefix_and_exclusions_stay_whole(
    agent_client: Client, theirs: Complaint, bystander: Complaint
) -> None:
    # "decl" is a whole word when something follows it; "-bra" excludes the word "bra" only.
    assert references_in(agent_client.get("/console/", {"q": "decl card"})) == []
    found = references_in(agent_client.get("/console/", {"q": "-bra"}))
    assert sorted(found) == sorted([theirs.reference, bystander.reference])
    assert references_in(agent_client.get("/console/", {"q": '"doors were lo"'})) == []
    assert references_in(agent_client.get("/console/", {"q": "doors -lock"})) == []


@pytest.mark.parametrize(
    "typed",
    [
        "'",
        "refund'",
        "'a':* | 'b'",
        "card & !branch",
        "card | branch",
        "!!!",
        "(card",
        "card)",
        "car:",
        ":*",
        "ca\\",
        "\\'",
        "card:*A",
        "a & (b | !c) <-> d",
        '"unbalanced',
        '"',
        "- -- -",
        "or",
        "card or",
        "é:*",
        "²",
    ],
)
@pytest.mark.parametrize("sort", ["", "received"])
def test_hostile_search_text_is_searched_as_words(
    agent_client: Client, theirs: Complaint, typed: str, sort: str
) -> None:
    response = agent_client.get("/console/", {"q": typed, "sort": sort})
    assert response.status_code == 200


def test_a_hostile_prefix_cannot_widen_the_search(
    agent_client: Client, theirs: Complaint, bystander: Complaint
) -> None:
    # Quote and operator characters are not syntax: "card'|'branch" is the words card, branch.
    assert references_in(agent_client.get("/console/", {"q": "declined'|'branch"})) == []


@pytest.mark.parametrize(
    ("column", "orders"),
    [
        ("priority", ["-priority", "priority"]),
        ("reference", ["reference", "-reference"]),
        ("assignee", ["assignee", "-assignee"]),
    ],
)
def test_priority_reference_and_assignee_headers_sort_both_ways(
    manager_client: Client,
    theirs: Complaint,
    bystander: Complaint,
    manager: User,
    column: str,
    orders: list[str],
) -> None:
    Complaint.objects.filter(pk=theirs.pk).update(priority="low")
    Complaint.objects.filter(pk=bystander.pk).update(priority="urgent", assignee=manager)
    first, second = orders
    content = manager_client.get("/console/").content.decode()
    assert f'href="?view=team&amp;sort={first}"' in content
    expected = {
        "-priority": [bystander, theirs],
        "priority": [theirs, bystander],
        "reference": sorted([theirs, bystander], key=lambda c: c.reference),
        "-reference": sorted([theirs, bystander], key=lambda c: c.reference, reverse=True),
        # Grouped by assignee, the unassigned last in either direction.
        "assignee": [bystander, theirs],
        "-assignee": [bystander, theirs],
    }
    for order, following in ((first, second), (second, first)):
        response = manager_client.get("/console/", {"sort": order})
        content = response.content.decode()
        assert references_in(response) == [c.reference for c in expected[order]], order
        state = "descending" if order.startswith("-") else "ascending"
        assert f'aria-sort="{state}"' in content
        assert f'href="?view=team&amp;sort={following}"' in content


@pytest.mark.parametrize("order", ["-priority", "priority", "reference", "-reference", "assignee"])
def test_every_sort_pages_through_the_whole_queue_once(
    manager_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    manager: User,
    order: str,
) -> None:
    made = [make_complaint() for _ in range(7)]
    for index, complaint in enumerate(made):
        Complaint.objects.filter(pk=complaint.pk).update(
            team=front_line,
            priority=["low", "normal", "high", "urgent"][index % 4],
            assignee=manager if index % 3 else None,
        )
    field, descending = QUEUE_SORTS[order]
    queryset = Complaint.objects.active().for_list()
    seen: list[str] = []
    after = None
    while True:
        page = keyset_page(queryset, field=field, after=after, size=2, descending=descending)
        seen += [row.reference for row in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert sorted(seen) == sorted(c.reference for c in made)
    assert len(seen) == len(set(seen))
    if field == "priority_rank":
        ranks = [Complaint.objects.get(reference=r).priority_rank for r in seen]
        assert ranks == sorted(ranks, reverse=descending)


@pytest.mark.parametrize(
    "position",
    [
        "priority_rank|abc|1",
        "priority_rank|99999999999999999999|1",
        "priority_rank|--1|1",
        "reference|C-2026-\x00|1",
        "reference|" + "x" * 41 + "|1",
        "assignee_id|1.5|1",
        "assignee_id||x",
        "received_at|2026-01-01T00:00:00|1",
    ],
)
@pytest.mark.parametrize("order", ["-priority", "reference", "assignee", "received"])
def test_a_forged_cursor_in_any_order_starts_over(
    manager_client: Client, theirs: Complaint, position: str, order: str
) -> None:
    forged = base64.urlsafe_b64encode(position.encode()).decode()
    response = manager_client.get("/console/", {"sort": order, "after": forged})
    assert response.status_code == 200
    assert references_in(response) == [theirs.reference]


def test_an_excluded_word_is_excluded_from_the_public_text_and_the_notes_together(
    agent_client: Client, agent: User, theirs: Complaint, bystander: Complaint
) -> None:
    add_internal_note(theirs, "Zebrafinch ledger checked.", actor=as_request_user(agent))
    Complaint.objects.filter(pk=theirs.pk).refresh_search()

    assert references_in(agent_client.get("/console/", {"q": "zebrafinch"})) == [theirs.reference]
    assert references_in(agent_client.get("/console/", {"q": "-zebrafinch"})) == [
        bystander.reference
    ]
    assert references_in(agent_client.get("/console/", {"q": "card -zebrafinch"})) == []
    assert references_in(agent_client.get("/console/", {"q": "-card"})) == [bystander.reference]


@pytest.mark.parametrize(
    ("typed", "finds"),
    [
        ("card the", ["theirs"]),
        ("the card", ["theirs"]),
        ("card was", ["theirs"]),
        ("card or locked", ["theirs", "bystander"]),
        ("card OR lock", ["theirs", "bystander"]),
        ("doors or cafe or refus", ["theirs", "bystander"]),
        ("declined or lock", ["theirs", "bystander"]),
        ("card declined or lock", ["theirs"]),
        ("branch or", ["bystander"]),
    ],
)
def test_a_last_word_that_is_a_stop_word_or_an_alternative_is_read_as_web_search_reads_it(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str, finds: list[str]
) -> None:
    names = {theirs.reference: "theirs", bystander.reference: "bystander"}
    found = [
        names[reference] for reference in references_in(agent_client.get("/console/", {"q": typed}))
    ]
    assert sorted(found) == sorted(finds)


def test_the_stop_words_are_those_the_server_drops(bank: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM unnest(%s::text[]) AS word"
            " WHERE numnode(plainto_tsquery(%s::regconfig, word)) > 0",
            [sorted(ENGLISH_STOP_WORDS), SEARCH_CONFIG],
        )
        assert cursor.fetchall() == []
        cursor.execute("SELECT numnode(plainto_tsquery(%s::regconfig, 'card'))", [SEARCH_CONFIG])
        assert cursor.fetchone() == (1,)


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "bogus"},
        {"priority": "x"},
        {"category": "abc"},
        {"age_min": "-1"},
        {"received_from": "2026-13-45"},
        {"received_from": "2027-01-01", "received_to": "2026-01-01"},
        {"sort": "bogus"},
    ],
)
def test_a_search_with_a_filter_that_does_not_fit_lists_nothing_and_says_why(
    agent_client: Client, theirs: Complaint, filters: dict[str, str]
) -> None:
    for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = agent_client.get("/console/", {"q": "card", **filters}, **htmx)
        assert response.status_code == 200
        assert references_in(response) == []
        assert 'class="error"' in response.content.decode()


@pytest.mark.parametrize("typed", ["the", "or", "-", '"', "&", "the or a", "!!!"])
def test_a_search_without_a_word_to_look_for_says_so(
    agent_client: Client, theirs: Complaint, typed: str
) -> None:
    response = agent_client.get("/console/", {"q": typed})
    assert response.status_code == 200
    assert references_in(response) == []
    assert "Type a word to search for" in response.content.decode()
