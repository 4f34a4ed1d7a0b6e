"""Complaint URLs of the API, each named (the isolation suite lists them all)."""

from __future__ import annotations

from django.urls import path, re_path

from complaints.api.actions import VERBS, action_view
from complaints.api.views import (
    AttachmentDownloadView,
    AttachmentListView,
    ComplaintDetailView,
    ComplaintListView,
    DeadlineListView,
    MessageListView,
)
from complaints.models import REFERENCE_PATTERN

# Only a well-formed reference reaches a view; anything else is simply not found.
ONE = rf"^complaints/(?P<reference>{REFERENCE_PATTERN})/"

urlpatterns = [
    path("complaints/", ComplaintListView.as_view(), name="complaint-list"),
    re_path(rf"{ONE}$", ComplaintDetailView.as_view(), name="complaint-detail"),
    re_path(rf"{ONE}messages/$", MessageListView.as_view(), name="api_complaint_messages"),
    re_path(rf"{ONE}attachments/$", AttachmentListView.as_view(), name="api_complaint_attachments"),
    re_path(
        rf"{ONE}attachments/(?P<attachment_id>[0-9]{{1,18}})/$",
        AttachmentDownloadView.as_view(),
        name="api_complaint_attachment",
    ),
    re_path(rf"{ONE}deadlines/$", DeadlineListView.as_view(), name="api_complaint_deadlines"),
    *[
        re_path(
            rf"{ONE}actions/{name}/$",
            action_view(name, verb).as_view(),
            name=f"api_complaint_{name.replace('-', '_')}",
        )
        for name, verb in VERBS.items()
    ],
]
