from __future__ import annotations

from django.urls import path

from complaints import views

urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/", views.my_complaints, name="my_complaints"),
    path("complaints/new/", views.new_complaint, name="new_complaint"),
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<str:reference>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("complaints/<str:reference>/<slug:action>/", views.portal_action, name="portal_action"),
    path("console/", views.console_queue, name="console_queue"),
    path("console/bulk/", views.console_bulk, name="console_bulk"),
    path("console/canned-responses/", views.canned_responses, name="canned_responses"),
    path(
        "console/canned-responses/<int:pk>/",
        views.canned_response_edit,
        name="canned_response_edit",
    ),
    path("console/complaints/new/", views.console_intake, name="console_intake"),
    path("console/complaints/<str:reference>/", views.console_complaint, name="console_complaint"),
    path(
        "console/complaints/<str:reference>/presence/",
        views.console_presence,
        name="console_presence",
    ),
    path(
        "console/complaints/<str:reference>/canned/",
        views.console_canned_fill,
        name="console_canned_fill",
    ),
    path(
        "console/complaints/<str:reference>/<slug:action>/",
        views.console_action,
        name="console_action",
    ),
]
