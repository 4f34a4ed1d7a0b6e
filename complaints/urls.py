from __future__ import annotations

from django.urls import path

from accounts.decorators import permission_required
from complaints import views

# The console's change endpoints share their views with the portal but, like every console
# page, are for staff only.
console_only = permission_required("complaints.use_console")

urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/", views.my_complaints, name="my_complaints"),
    path("complaints/new/", views.new_complaint, name="new_complaint"),
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<str:reference>/reply/", views.post_reply, name="complaint_reply"),
    path("complaints/<str:reference>/status/", views.post_status, name="complaint_status"),
    path("console/", views.console_queue, name="console_queue"),
    path("console/complaints/<str:reference>/", views.console_complaint, name="console_complaint"),
    path(
        "console/complaints/<str:reference>/reply/",
        console_only(views.post_reply),
        name="console_reply",
    ),
    path(
        "console/complaints/<str:reference>/note/",
        console_only(views.post_note),
        name="console_note",
    ),
    path(
        "console/complaints/<str:reference>/status/",
        console_only(views.post_status),
        name="console_status",
    ),
]
