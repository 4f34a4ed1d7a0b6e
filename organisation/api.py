"""The organisation in the API: categories, root causes, teams, staff, invitations and the
audit log.

Staff read them (consumers read the active categories, whose ids ``POST complaints/``
takes); admins change them through the settings pages' own forms and services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.db.models import Model, Prefetch, QuerySet
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services as account_services
from accounts.models import TENANT_STAFF_ROLES, Invitation, User
from accounts.services import AccountError
from audit.models import AuditEvent
from complaints.api.common import (
    LOG,
    READ,
    ScopedView,
    as_checkbox,
    form_errors,
    form_input,
    serializer_for_form,
    with_unsent_flags,
)
from complaints.api.views import CURSOR, PAGE_SIZE_PARAMETER, page_schema, page_size, paginated
from complaints.idempotency import idempotent
from complaints.models import Category, RootCause, Team
from complaints.pagination import CursorError, keyset_page
from complaints.services import deactivate_staff_member
from organisation import services
from organisation.forms import (
    AuditFilterForm,
    CategoryForm,
    InviteForm,
    RoleForm,
    RootCauseForm,
    TeamForm,
)
from organisation.services import SettingsError
from organisation.views import PERMISSION, filtered_events

MANAGE = PERMISSION


class CategorySerializer(serializers.ModelSerializer):
    parent_id = serializers.IntegerField(allow_null=True, read_only=True)
    team_id = serializers.IntegerField(allow_null=True, read_only=True)
    causes = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "parent_id", "team_id", "payment_services", "is_active", "causes"]

    def get_causes(self, category: Category) -> list[dict[str, Any]]:
        """The causes filed under a product (those shown to the caller); empty for a cause."""
        children = getattr(category, "shown_children", [])
        return [{"id": child.pk, "name": child.name} for child in children]


class RootCauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = RootCause
        fields = ["id", "name", "is_active"]


class TeamSerializer(serializers.ModelSerializer):
    manager_id = serializers.IntegerField(allow_null=True, read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "manager_id", "is_default", "members"]

    def get_members(self, team: Team) -> list[int]:
        return [member.pk for member in team.members.all()]


class StaffSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "email", "role", "is_active"]


def _is_staff(user: Any) -> bool:
    return bool(user.role in TENANT_STAFF_ROLES)


class SettingsResource(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """A list of settings rows that staff read and admins change through the settings form
    and service. Writes are for admins only; machine clients never write settings."""

    form_class: ClassVar[type[forms.ModelForm]]  # type: ignore[type-arg]
    model: ClassVar[type[Model]]
    list_operation: ClassVar[str]
    pagination_class = None

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.all()  # type: ignore[attr-defined]

    def get_client_scope(self, request: Any) -> str | tuple[str, ...] | None:
        # A client that logs complaints reads the ids they are filed under.
        return (READ, LOG) if request.method == "GET" else None

    def check_reader(self, request: Request) -> None:
        if not _is_staff(request.user):
            raise PermissionDenied("Only staff may read this.")

    def save(self, form: forms.ModelForm, request: Request) -> Any:  # type: ignore[type-arg]
        raise NotImplementedError

    def write(self, request: Request, instance: Model | None) -> Response:
        """Create (``instance`` None) or change a row: the page's form, then its service."""
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied("Only admins may change the organisation's settings.")
        data = form_input(request.data, lists=True)
        if instance is not None:
            current = {
                key: (as_checkbox(value) if isinstance(value, bool) else value)
                for key, value in model_to_dict(instance).items()
                if value is not None
            }
            if isinstance(current.get("members"), list):
                current["members"] = [getattr(m, "pk", m) for m in current["members"]]
            data = {**current, **data}
        else:
            data = with_unsent_flags(self.form_class.base_fields, data)
        form = self.form_class(_querydict(data), instance=instance)
        if not form.is_valid():
            raise form_errors(form)
        try:
            row = self.save(form, request)
        except SettingsError as error:
            field = error.field if error.field in form.fields else "non_field_errors"
            raise serializers.ValidationError({field: [str(error)]}) from error
        row = self.rows().get(pk=row.pk)
        serializer = self.get_serializer(row)
        return Response(serializer.data, status=201 if instance is None else 200)

    def one(self, pk: str) -> Any:
        if not (pk.isascii() and pk.isdigit() and len(pk) < 19):
            raise NotFound()
        row = self.rows().filter(pk=int(pk)).first()
        if row is None:
            raise NotFound()
        return row


def _querydict(data: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        if isinstance(value, list):
            query.setlist(key, [str(item) for item in value])
        else:
            query[key] = value
    return query


def _list_and_create(resource: type[SettingsResource], summary: str) -> type[SettingsResource]:
    body = serializer_for_form(f"{resource.model.__name__}Input", resource.form_class)

    @extend_schema(operation_id=resource.list_operation, summary=f"List {summary}")
    def get(self: SettingsResource, request: Request) -> Response:
        self.check_reader(request)
        return Response(self.get_serializer(self.rows(), many=True).data)

    @extend_schema(summary="Create one (admins)", request=body)
    @idempotent
    def post(self: SettingsResource, request: Request) -> Response:
        return self.write(request, None)

    return type(
        f"{resource.__name__}List", (resource,), {"get": get, "post": post, "__doc__": summary}
    )


def _detail(resource: type[SettingsResource], summary: str) -> type[SettingsResource]:
    body = serializer_for_form(f"Patched{resource.model.__name__}Input", resource.form_class)
    for field in body._declared_fields.values():  # type: ignore[attr-defined]
        field.required = False

    @extend_schema(summary=f"One of the {summary}")
    def get(self: SettingsResource, request: Request, pk: str) -> Response:
        self.check_reader(request)
        return Response(self.get_serializer(self.one(pk)).data)

    @extend_schema(
        summary="Change or deactivate one (admins)",
        description="Only the fields given change; `is_active: false` deactivates.",
        request=body,
    )
    def patch(self: SettingsResource, request: Request, pk: str) -> Response:
        if not request.user.has_perm(MANAGE):
            # Settings rows exist for staff to see; a consumer learns nothing of them.
            self.check_reader(request)
            raise PermissionDenied("Only admins may change the organisation's settings.")
        return self.write(request, self.one(pk))

    return type(
        f"{resource.__name__}Detail", (resource,), {"get": get, "patch": patch, "__doc__": summary}
    )


class Categories(SettingsResource):
    """Products and their causes. Consumers see the active ones (they file complaints under
    them); staff see all."""

    list_operation = "categories_list"
    model = Category
    form_class = CategoryForm
    serializer_class = CategorySerializer

    def check_reader(self, request: Request) -> None:
        return None

    def rows(self) -> QuerySet[Any]:
        user = self.request.user
        shown = (
            Category.objects.all() if _is_staff(user) else Category.objects.filter(is_active=True)
        )
        if self.request.method == "GET" and "pk" not in self.kwargs:
            shown = shown.filter(parent__isnull=True)
        causes = (
            Category.objects.all() if _is_staff(user) else Category.objects.filter(is_active=True)
        )
        return shown.prefetch_related(
            Prefetch("children", queryset=causes.order_by("name"), to_attr="shown_children")
        ).order_by("name")

    def save(self, form: forms.ModelForm, request: Request) -> Any:  # type: ignore[type-arg]
        return services.save_category(form.instance, actor=request.user)  # type: ignore[arg-type]


class RootCauses(SettingsResource):
    list_operation = "root_causes_list"
    model = RootCause
    form_class = RootCauseForm
    serializer_class = RootCauseSerializer

    def rows(self) -> QuerySet[Any]:
        return RootCause.objects.order_by("name")

    def save(self, form: forms.ModelForm, request: Request) -> Any:  # type: ignore[type-arg]
        return services.save_root_cause(form.instance, actor=request.user)  # type: ignore[arg-type]


class Teams(SettingsResource):
    list_operation = "teams_list"
    model = Team
    form_class = TeamForm
    serializer_class = TeamSerializer

    def rows(self) -> QuerySet[Any]:
        # Read as a plain QuerySet: the stubs cannot check a Prefetch on a generic subclass.
        teams: QuerySet[Team] = Team.objects.order_by("name")
        return teams.prefetch_related(Prefetch("members", queryset=User.objects.only("pk")))

    def save(self, form: forms.ModelForm, request: Request) -> Any:  # type: ignore[type-arg]
        return services.save_team(
            form.instance,
            form.cleaned_data["members"],
            actor=request.user,  # type: ignore[arg-type]
        )


@extend_schema_view(
    get=extend_schema(operation_id="staff_list", summary="Staff members (staff roles only)"),
)
class StaffList(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """Staff read their colleagues (ids for assigning); consumers never do."""

    client_scope = READ
    serializer_class = StaffSerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        if not _is_staff(request.user):
            raise PermissionDenied("Only staff may read this.")
        members = User.objects.filter(role__in=TENANT_STAFF_ROLES).order_by("full_name", "email")
        return Response(StaffSerializer(members, many=True).data)


class StaffChange(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=list(RoleForm.base_fields["role"].choices),  # type: ignore[attr-defined]
        required=False,
    )
    is_active = serializers.BooleanField(required=False)


@extend_schema_view(
    get=extend_schema(summary="One staff member"),
    patch=extend_schema(
        summary="Change a role, deactivate or reactivate (admins)",
        description=(
            "Deactivating hands the person's open complaints and referrals back to the queue, "
            "as the settings page does."
        ),
        request=StaffChange,
    ),
)
class StaffDetail(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    serializer_class = StaffSerializer

    def get_client_scope(self, request: Any) -> str | None:
        return READ if request.method == "GET" else None

    def _member(self, request: Request, pk: str) -> User:
        if not _is_staff(request.user):
            raise PermissionDenied("Only staff may read this.")
        if not (pk.isascii() and pk.isdigit() and len(pk) < 19):
            raise NotFound()
        member = User.objects.filter(role__in=TENANT_STAFF_ROLES, pk=int(pk)).first()
        if member is None:
            raise NotFound()
        return member

    def get(self, request: Request, pk: str) -> Response:
        return Response(StaffSerializer(self._member(request, pk)).data)

    def patch(self, request: Request, pk: str) -> Response:
        member = self._member(request, pk)
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied("Only admins may change staff.")
        change = StaffChange(data=request.data)
        change.is_valid(raise_exception=True)
        data = change.validated_data
        actor: Any = request.user
        try:
            if "role" in data:
                account_services.change_role(member, data["role"], actor=actor)
            if data.get("is_active") is False and member.is_active:
                deactivate_staff_member(member, actor=actor)
            elif data.get("is_active") is True and not member.is_active:
                account_services.set_staff_active(member, True, actor=actor)
        except AccountError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error
        member.refresh_from_db()
        return Response(StaffSerializer(member).data)


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]


class NewInvitation(serializers.Serializer):
    email = serializers.CharField()
    role = serializers.ChoiceField(
        choices=list(InviteForm.base_fields["role"].choices)  # type: ignore[attr-defined]
    )


class ManageStaff(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """Admins only, as on the staff settings page; closed to machine clients, whose invitations
    would carry no person's name."""

    client_scope = None
    serializer_class = InvitationSerializer
    pagination_class = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied("Only admins may invite staff.")

    def _pending(self, pk: str) -> Invitation:
        if not (pk.isascii() and pk.isdigit() and len(pk) < 19):
            raise NotFound()
        invitation = Invitation.objects.pending().filter(pk=int(pk)).first()
        if invitation is None:
            raise NotFound()
        return invitation


@extend_schema_view(
    get=extend_schema(
        operation_id="staff_invitations_list",
        summary="Pending staff invitations, newest first (admins)",
    ),
    post=extend_schema(
        summary="Invite a staff member (admins)",
        description=(
            "Sends the invitation e-mail with a single-use link valid for 7 days, as the staff "
            "settings page does; an earlier pending invitation to the address is revoked. The "
            "link is only in the e-mail. Honours `Idempotency-Key`."
        ),
        request=NewInvitation,
        responses={201: InvitationSerializer},
    ),
)
class Invitations(ManageStaff):
    def get(self, request: Request) -> Response:
        pending = Invitation.objects.pending().select_related("invited_by")
        return Response(InvitationSerializer(pending, many=True).data)

    @idempotent
    def post(self, request: Request) -> Response:
        form = InviteForm(form_input(request.data))
        if not form.is_valid():
            raise form_errors(form)
        try:
            invitation, _token = account_services.invite_staff(
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except AccountError as error:
            raise serializers.ValidationError({"email": [str(error)]}) from error
        return Response(InvitationSerializer(invitation).data, status=201)


@extend_schema_view(
    get=extend_schema(summary="One pending invitation (admins)"),
    delete=extend_schema(summary="Revoke a pending invitation (admins)", responses={204: None}),
)
class InvitationDetail(ManageStaff):
    def get(self, request: Request, pk: str) -> Response:
        return Response(InvitationSerializer(self._pending(pk)).data)

    def delete(self, request: Request, pk: str) -> Response:
        try:
            account_services.revoke_invitation(self._pending(pk), actor=request.user)  # type: ignore[arg-type]
        except AccountError as error:  # accepted or revoked meanwhile
            raise NotFound() from error
        return Response(status=204)


@extend_schema_view(
    post=extend_schema(
        summary="Send a pending invitation again, with a fresh link (admins)",
        description="The old link stops working. Honours `Idempotency-Key`.",
        request=None,
        responses={201: InvitationSerializer},
    ),
)
class InvitationResend(ManageStaff):
    @idempotent
    def post(self, request: Request, pk: str) -> Response:
        try:
            invitation, _token = account_services.resend_invitation(
                self._pending(pk),
                actor=request.user,  # type: ignore[arg-type]
            )
        except AccountError as error:
            raise serializers.ValidationError({"email": [str(error)]}) from error
        return Response(InvitationSerializer(invitation).data, status=201)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "action", "actor_email", "ip_address", "target", "detail", "created_at"]


@extend_schema_view(
    get=extend_schema(
        summary="The audit log (admins), newest first",
        description="Dates are local dates in the organisation's time zone.",
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, enum=list(AuditEvent.Action.values)),
            OpenApiParameter("actor", OpenApiTypes.STR, description="E-mail contains"),
            OpenApiParameter("target", OpenApiTypes.STR),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
            CURSOR,
            PAGE_SIZE_PARAMETER,
        ],
        responses={200: page_schema("AuditEventPage", AuditEventSerializer)},
    )
)
class AuditEvents(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    client_scope = None
    serializer_class = AuditEventSerializer

    def get(self, request: Request) -> Response:
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied("Only admins may read the audit log.")
        form = AuditFilterForm(request.query_params)
        if not form.is_valid():
            raise form_errors(form)
        try:
            page = keyset_page(
                filtered_events(form),
                field="created_at",
                after=request.query_params.get("cursor"),
                size=page_size(request),
                descending=True,
                strict=True,
            )
        except CursorError as error:
            raise ParseError("The cursor is not valid; start again from the first page.") from error
        data = AuditEventSerializer(page.rows, many=True).data
        return paginated(request, page.rows, page.next_cursor, data)


def _views(
    resource: type[SettingsResource], summary: str
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return _list_and_create(resource, summary).as_view(), _detail(resource, summary).as_view()


_categories, _category = _views(Categories, "categories (products, each with its causes)")
_root_causes, _root_cause = _views(RootCauses, "root causes")
_teams, _team = _views(Teams, "teams")
ID = "<str:pk>/"

urlpatterns = [
    path("categories/", _categories, name="api_categories"),
    path(f"categories/{ID}", _category, name="api_category"),
    path("root-causes/", _root_causes, name="api_root_causes"),
    path(f"root-causes/{ID}", _root_cause, name="api_root_cause"),
    path("teams/", _teams, name="api_teams"),
    path(f"teams/{ID}", _team, name="api_team"),
    path("staff/", StaffList.as_view(), name="api_staff"),
    path(f"staff/{ID}", StaffDetail.as_view(), name="api_staff_member"),
    path("staff-invitations/", Invitations.as_view(), name="api_staff_invitations"),
    path(f"staff-invitations/{ID}", InvitationDetail.as_view(), name="api_staff_invitation"),
    path(
        f"staff-invitations/{ID}resend/",
        InvitationResend.as_view(),
        name="api_staff_invitation_resend",
    ),
    path("audit-events/", AuditEvents.as_view(), name="api_audit_events"),
]
