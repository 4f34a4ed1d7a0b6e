from __future__ import annotations

from django.urls import path

from organisation import views

urlpatterns = [
    path("", views.settings_home, name="settings_home"),
    path("branding/", views.branding, name="settings_branding"),
    path("categories/", views.categories, name="settings_categories"),
    path("categories/new/", views.category_create, name="settings_category_create"),
    path("categories/<int:pk>/", views.category_edit, name="settings_category_edit"),
    path("categories/<int:pk>/delete/", views.category_delete, name="settings_category_delete"),
    path("root-causes/new/", views.root_cause_create, name="settings_root_cause_create"),
    path("root-causes/<int:pk>/", views.root_cause_edit, name="settings_root_cause_edit"),
    path(
        "categories/<int:pk>/active/",
        views.set_active,
        {"kind": "categories"},
        name="settings_category_active",
    ),
    path(
        "root-causes/<int:pk>/active/",
        views.set_active,
        {"kind": "root-causes"},
        name="settings_root_cause_active",
    ),
    path("teams/", views.teams, name="settings_teams"),
    path("teams/<int:pk>/", views.team_edit, name="settings_team_edit"),
    path("sla/", views.sla, name="settings_sla"),
    path("sla/<str:priority>/", views.sla_edit, name="settings_sla_edit"),
    path("hours/", views.hours, name="settings_hours"),
    path("hours/closures/", views.closure_add, name="settings_closure_add"),
    path("hours/closures/<int:pk>/remove/", views.closure_remove, name="settings_closure_remove"),
    path("profile/", views.profile, name="settings_profile"),
    path("policy/", views.complaint_policy, name="settings_policy"),
    path("security/", views.security, name="settings_security"),
    path("staff/", views.staff, name="settings_staff"),
    path("staff/<int:pk>/", views.staff_member, name="settings_staff_member"),
    path("staff/<int:pk>/active/", views.staff_set_active, name="settings_staff_active"),
    path(
        "staff/<int:pk>/security/<slug:action>/",
        views.staff_security,
        name="settings_staff_security",
    ),
    path(
        "invitations/<int:pk>/<slug:action>/",
        views.invitation_action,
        name="settings_invitation_action",
    ),
    path("letters/", views.letters, name="settings_letters"),
    path("letters/<str:kind>/", views.letter_edit, name="settings_letter_edit"),
    path("letters/<str:kind>/reset/", views.letter_reset, name="settings_letter_reset"),
    path("audit/", views.audit_log, name="settings_audit"),
    path("audit/export.csv", views.audit_export, name="settings_audit_export"),
]
