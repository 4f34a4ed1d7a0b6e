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
    path("console/complaints/new/", views.console_intake, name="console_intake"),
    path("console/complaints/<str:reference>/", views.console_complaint, name="console_complaint"),
    path(
        "console/complaints/<str:reference>/<slug:action>/",
        views.console_action,
        name="console_action",
    ),
]
