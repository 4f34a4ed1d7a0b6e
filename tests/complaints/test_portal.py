from __future__ import annotations

from django.test import Client

from complaints.models import Complaint, Event


def test_consumer_submits_complaint_and_sees_it_on_their_timeline(
    consumer_client: Client, category
) -> None:
    response = consumer_client.post(
        "/complaints/new/",
        {"subject": "Card payment taken twice", "category": category.pk, "description": "Twice!"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    assert list(complaint.events.values_list("kind", flat=True)) == [Event.Kind.SUBMITTED]
    page = consumer_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Card payment taken twice" in page.content


def test_outsider_gets_404_for_a_bank_complaint_reference(
    outsider_client: Client, complaint: Complaint
) -> None:
    response = outsider_client.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 404
