"""Required communications: what each regulator insists a letter says, placeholders, templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from complaints.letters import (
    DEFAULT_LETTERS,
    SIGN_OFF,
    LetterError,
    check_required_content,
    compose,
    default_letter,
)
from complaints.models import (
    Category,
    Complaint,
    Event,
    LetterKind,
    LetterTemplate,
    Outcome,
    RootCause,
    Status,
)
from complaints.placeholders import LETTER_PLACEHOLDERS
from complaints.services import ComplaintError, resolve_complaint
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline, SlaPolicy
from deadlines.regulation import regulators
from outbox.models import Message
from tenancy.models import RegulatoryProfile, Tenant
from tests.complaints.conftest import as_request_user

LONDON = ZoneInfo("Europe/London")
ACK = LetterKind.ACKNOWLEDGEMENT
SUMMARY = LetterKind.SUMMARY_RESOLUTION
HOLDING = LetterKind.HOLDING_RESPONSE
FINAL = LetterKind.FINAL_RESPONSE
ADR = LetterKind.ADR_LETTER

MakeComplaint = Callable[..., Complaint]

REFERENCE = "Your reference is C-2026-000123."
FOS_NAMED = "You may refer your complaint to the Financial Ombudsman Service."
FOS_LINKED = "See www.financial-ombudsman.org.uk for how."

# For every letter a regulator prescribes: a sentence per requirement, keyed by words the
# refusal must use to name it. Each sentence meets its own requirement and no other.
REQUIRED_PARTS: dict[tuple[str, LetterKind], dict[str, str]] = {
    ("uk_fca", ACK): {
        "complaint reference": REFERENCE,
        "deadline that applies": "We will send our final response by 28 May 2026.",
    },
    ("uk_fca", SUMMARY): {
        "complaint reference": REFERENCE,
        "treated as resolved": "We now treat your complaint as resolved.",
        "the Financial Ombudsman Service": FOS_NAMED,
        "www.financial-ombudsman.org.uk": FOS_LINKED,
    },
    ("uk_fca", HOLDING): {
        "complaint reference": REFERENCE,
        "why a final response is not possible yet": "We cannot answer because we await a report.",
        "when a final response is expected": "Expect our answer by 14 December 2026.",
        "the Financial Ombudsman Service": FOS_NAMED,
        "www.financial-ombudsman.org.uk": FOS_LINKED,
    },
    ("uk_fca", FINAL): {
        "complaint reference": REFERENCE,
        "outcome": "Outcome: not upheld.",
        "the Financial Ombudsman Service": FOS_NAMED,
        "www.financial-ombudsman.org.uk": FOS_LINKED,
        "six-month limit": "You must do so within six months.",
    },
    ("uk_ofcom", ADR): {
        "complaint reference": REFERENCE,
        "alternative dispute resolution": "Take it to our alternative dispute resolution scheme.",
        "free": "It costs you nothing: the service is free.",
    },
    ("us_cfpb", FINAL): {
        "complaint reference": REFERENCE,
        "steps taken and the outcome": "We refunded the fee. Outcome: upheld.",
    },
    ("us_cfpb", LetterKind.IN_PROGRESS): {
        "complaint reference": REFERENCE,
        "in progress": "Your complaint is in progress.",
    },
    ("us_dot_airline", ACK): {"complaint reference": REFERENCE},
    ("us_dot_airline", FINAL): {
        "complaint reference": REFERENCE,
        "substantive response with the outcome": "Outcome: partly upheld.",
    },
    ("eu_air", FINAL): {
        "complaint reference": REFERENCE,
        "national enforcement body": "You may escalate to the national enforcement body.",
    },
}

MISSING_ONE = [
    pytest.param(profile, kind, name, id=f"{profile}-{kind.value}-without-{name}")
    for (profile, kind), parts in REQUIRED_PARTS.items()
    for name in parts
]


def letter(parts: dict[str, str], without: str | None = None) -> str:
    return "\n".join(text for name, text in parts.items() if name != without)


# --- the regulators' requirements -----------------------------------------------------------


def test_the_requirement_table_covers_every_prescribed_letter() -> None:
    assert {
        (code, kind): len(requirements)
        for code, regulator in regulators().items()
        for kind, requirements in regulator.required.items()
    } == {key: len(parts) for key, parts in REQUIRED_PARTS.items()}


@pytest.mark.parametrize(("profile", "kind"), list(REQUIRED_PARTS))
def test_letter_saying_everything_required_is_accepted(profile: str, kind: LetterKind) -> None:
    check_required_content(profile, kind, letter(REQUIRED_PARTS[profile, kind]))


@pytest.mark.parametrize(("profile", "kind", "name"), MISSING_ONE)
def test_letter_missing_a_requirement_is_refused_naming_it(
    profile: str, kind: LetterKind, name: str
) -> None:
    text = letter(REQUIRED_PARTS[profile, kind], without=name)

    with pytest.raises(LetterError) as refused:
        check_required_content(profile, kind, text)

    message = str(refused.value)
    assert message.startswith(f"The {kind.label.lower()} must mention: ")
    assert name in message
    assert ";" not in message, "only the missing requirement is named"


def test_every_missing_requirement_is_named_at_once() -> None:
    with pytest.raises(LetterError) as refused:
        check_required_content("uk_fca", FINAL, "Outcome: upheld.")

    assert str(refused.value) == (
        "The final response must mention: the complaint reference; the Financial Ombudsman "
        "Service; the ombudsman's website (www.financial-ombudsman.org.uk); the six-month "
        "limit for referring to the ombudsman."
    )


def test_requirements_ignore_letter_case() -> None:
    check_required_content(
        "uk_fca",
        SUMMARY,
        "C-2026-000123 is RESOLVED. Contact the financial ombudsman service at "
        "WWW.FINANCIAL-OMBUDSMAN.ORG.UK.",
    )


@pytest.mark.parametrize(
    ("profile", "kind"),
    [("generic", FINAL), ("uk_ofcom", ACK), ("us_cfpb", ACK), ("eu_air", ADR)],
)
def test_letters_no_regulator_prescribes_take_any_wording(profile: str, kind: LetterKind) -> None:
    check_required_content(profile, kind, "Thank you for your patience.")


# --- placeholders ---------------------------------------------------------------------------


def test_every_default_letter_uses_only_known_placeholders() -> None:
    used = {
        name
        for profile in RegulatoryProfile.values
        for kind in LetterKind
        for text in default_letter(profile, kind)
        for name in re.findall(r"\{(\w+)\}", text)
    }

    assert used <= set(LETTER_PLACEHOLDERS.names)
    assert set(DEFAULT_LETTERS) == set(LetterKind)


# --- composing real letters -----------------------------------------------------------------


@pytest.fixture
def staff(manager: User) -> User:
    return as_request_user(manager)


@pytest.fixture
def cause(bank: Tenant) -> RootCause:
    return RootCause.objects.create(name="Processing error")


@pytest.fixture
def england(bank: Tenant) -> TenantSettings:
    hours = TenantSettings.current()
    hours.subdivision = "ENG"
    hours.save(update_fields=["subdivision"])
    return hours


@pytest.mark.parametrize("kind", list(LetterKind))
@pytest.mark.parametrize("profile", RegulatoryProfile.values)
def test_default_letter_of_every_profile_passes_its_own_checks(
    complaint: Complaint, profile: str, kind: LetterKind
) -> None:
    complaint.outcome = Outcome.NOT_UPHELD
    complaint.resolution_summary = "We found no error in the fee."
    tenant = Tenant(name="Acme", regulatory_profile=profile, time_zone="Europe/London")

    subject, body = compose(
        complaint,
        tenant,
        kind,
        holding_reason="we are waiting for a report",
        expected_date="14 December 2026",
    )

    assert complaint.reference in subject
    assert complaint.reference in body
    assert "{" not in subject + body
    assert body.endswith("The complaints team, Acme")


def ack_letter(complaint: Complaint) -> Event:
    return Event.objects.get(
        complaint=complaint, kind=Event.Kind.LETTER, data__letter=LetterKind.ACKNOWLEDGEMENT
    )


def test_bank_acknowledgement_states_the_final_response_date(
    make_complaint: MakeComplaint, england: TenantSettings
) -> None:
    complaint = make_complaint(received_at=datetime(2026, 4, 2, 10, tzinfo=LONDON))

    body = ack_letter(complaint).body

    assert "which we received on 2 April 2026" in body
    assert "our final response by 28 May 2026 at the latest" in body
    assert f"Your reference is {complaint.reference}." in body


def test_payment_services_acknowledgement_states_the_15_business_day_date(
    make_complaint: MakeComplaint, england: TenantSettings
) -> None:
    product = Category.objects.create(name="Payments")
    payments = Category.objects.create(name="Card", parent=product, payment_services=True)

    complaint = make_complaint(
        received_at=datetime(2026, 4, 2, 10, tzinfo=LONDON), category=payments
    )

    assert "our final response by 27 April 2026 at the latest" in ack_letter(complaint).body


def test_acknowledgement_states_the_regulatory_date_not_an_earlier_internal_target(
    make_complaint: MakeComplaint, england: TenantSettings
) -> None:
    SlaPolicy.objects.create(priority="normal", first_response_hours=8, resolution_hours=40)

    complaint = make_complaint(received_at=datetime(2026, 4, 2, 10, tzinfo=LONDON))

    assert Deadline.objects.filter(complaint=complaint, clock=Clock.RESOLUTION).exists()
    assert "our final response by 28 May 2026 at the latest" in ack_letter(complaint).body


def test_dates_in_letters_are_the_tenants_local_dates(make_complaint: MakeComplaint) -> None:
    # 23:30 UTC on 1 June is already 2 June in London.
    complaint = make_complaint(received_at=datetime(2026, 6, 1, 23, 30, tzinfo=UTC))

    body = ack_letter(complaint).body

    assert "which we received on 2 June 2026" in body
    assert "our final response by 28 July 2026 at the latest" in body


# --- the tenant's own wording ---------------------------------------------------------------


def test_tenant_template_replaces_the_default_wording(
    make_complaint: MakeComplaint, consumer: User
) -> None:
    LetterTemplate.objects.create(
        kind=ACK,
        subject="Complaint {reference} logged",
        body="Hello {consumer_name}. Reference {reference}. Answer by {final_response_due}.",
    )
    LetterTemplate.objects.create(kind=FINAL, subject="Other", body="Not used for this letter.")

    complaint = make_complaint(received_at=datetime(2026, 4, 2, 10, tzinfo=LONDON))

    event = ack_letter(complaint)
    assert event.body == (
        f"Hello Casey Consumer. Reference {complaint.reference}. Answer by 28 May 2026."
    )
    assert event.data["subject"] == f"Complaint {complaint.reference} logged"
    message = Message.objects.get(key=f"letter:{event.pk}")
    assert message.subject == f"Complaint {complaint.reference} logged"
    assert message.recipient == consumer.email


def test_template_without_the_deadline_stops_the_submission(make_complaint: MakeComplaint) -> None:
    LetterTemplate.objects.create(
        kind=ACK, subject="Thanks", body="Thanks {consumer_name}, your reference is {reference}."
    )

    with pytest.raises(ComplaintError, match=re.escape("must mention: the deadline that applies")):
        make_complaint()

    assert not Complaint.objects.exists()
    assert not Event.objects.exists()
    assert not Message.objects.exists()


def test_template_with_an_unknown_placeholder_stops_the_letter(
    make_complaint: MakeComplaint,
) -> None:
    LetterTemplate.objects.create(
        kind=ACK, subject="Thanks", body="Ref {reference}, due {deadline} ({final_response_due})."
    )

    with pytest.raises(
        ComplaintError,
        match=re.escape("Unknown placeholder {deadline}. Use {consumer_name}, {reference}"),
    ):
        make_complaint()

    assert not Complaint.objects.exists()


def resolution_snapshot(complaint: Complaint) -> tuple[object, ...]:
    row = Complaint.objects.get(pk=complaint.pk)
    return (
        row.status,
        row.outcome,
        row.resolution_summary,
        row.root_cause_id,
        row.resolved_at,
        list(Event.objects.filter(complaint=row).values_list("pk", flat=True)),
        list(Message.objects.values_list("pk", flat=True)),
        list(Deadline.objects.filter(complaint=row).values_list("clock", "met_at")),
    )


@pytest.mark.parametrize(
    ("kind", "received_days_ago"),
    [
        pytest.param(SUMMARY, 0, id="summary-resolution-within-3-business-days"),
        pytest.param(FINAL, 30, id="final-response-after-3-business-days"),
    ],
)
def test_template_without_the_ombudsman_makes_resolving_fail_and_saves_nothing(
    make_complaint: MakeComplaint,
    staff: User,
    cause: RootCause,
    kind: LetterKind,
    received_days_ago: int,
) -> None:
    LetterTemplate.objects.create(
        kind=kind,
        subject="Complaint {reference}",
        body="Complaint {reference} is resolved; outcome: {outcome}. Within six months.",
    )
    complaint = make_complaint(received_at=timezone.now() - timedelta(days=received_days_ago))
    before = resolution_snapshot(complaint)

    with pytest.raises(ComplaintError) as refused:
        resolve_complaint(
            complaint,
            outcome=Outcome.NOT_UPHELD,
            summary="The fee is in the account terms.",
            root_cause=cause,
            actor=staff,
        )

    assert "the Financial Ombudsman Service" in str(refused.value)
    assert "www.financial-ombudsman.org.uk" in str(refused.value)
    assert resolution_snapshot(complaint) == before
    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW


def test_default_wording_lets_the_same_resolution_through(
    make_complaint: MakeComplaint, staff: User, cause: RootCause
) -> None:
    complaint = make_complaint(received_at=timezone.now() - timedelta(days=30))

    resolve_complaint(
        complaint,
        outcome=Outcome.NOT_UPHELD,
        summary="The fee is in the account terms.",
        root_cause=cause,
        actor=staff,
    )

    final = Event.objects.get(complaint=complaint, data__letter=FINAL)
    assert "Outcome: not upheld." in final.body
    assert "within six months" in final.body
    assert "www.financial-ombudsman.org.uk" in final.body


@pytest.mark.parametrize(
    ("profile", "names_the_ombudsman"),
    [("uk_fca", True), ("us_cfpb", False), ("uk_ofcom", False), ("generic", False)],
)
def test_a_holding_response_names_the_financial_ombudsman_only_under_the_fca(
    profile: str, names_the_ombudsman: bool
) -> None:
    _, body = default_letter(profile, LetterKind.HOLDING_RESPONSE)

    assert ("Financial Ombudsman Service" in body) is names_the_ombudsman
    assert body.endswith(SIGN_OFF)


def test_each_regulator_module_holds_its_own_letters() -> None:
    from deadlines.regulation import uk_fca, uk_ofcom, us_cfpb

    assert set(uk_fca.REGULATOR.letters) == {
        LetterKind.SUMMARY_RESOLUTION,
        LetterKind.HOLDING_RESPONSE,
    }
    assert set(uk_ofcom.REGULATOR.letters) == {LetterKind.ADR_LETTER}
    assert set(us_cfpb.REGULATOR.letters) == {LetterKind.IN_PROGRESS}
    assert default_letter("uk_ofcom", LetterKind.ADR_LETTER)[1].startswith(
        uk_ofcom.REGULATOR.letters[LetterKind.ADR_LETTER][1]
    )
