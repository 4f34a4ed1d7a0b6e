"""Pieces every complaint endpoint shares: the one accessor, ETags and ``If-Match``, form input.

Machine-client scopes: every API view declares ``client_scope``, the scope a machine client
needs to call it ("complaints.read", "complaints.log", "complaints.act", "reports.read"), or
None where no machine client may call it (administration, the audit log). A view whose
methods need different scopes answers ``get_client_scope(request)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.db import transaction
from django.utils.http import parse_etags
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request

from complaints.api_fields import MAX_ID
from complaints.models import TEXT_MAX_LENGTH, Complaint, ComplaintQuerySet

READ, LOG, ACT, REPORTS = "complaints.read", "complaints.log", "complaints.act", "reports.read"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

Result = TypeVar("Result")


class ScopedView:
    """A view that says which machine-client scope calls it; reads and changes may differ."""

    #: A scope, or several of which any one is enough.
    client_scope: str | tuple[str, ...] | None = READ
    #: The scope of unsafe methods, when it is not ``client_scope``.
    change_scope: str | None = None

    def get_client_scope(self, request: Any) -> str | tuple[str, ...] | None:
        if request.method not in SAFE_METHODS and self.change_scope is not None:
            return self.change_scope
        return self.client_scope


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "The complaint changed since you read it (its ETag is not the one in If-Match). "
        "Read it again and decide afresh."
    )
    default_code = "precondition_failed"


class Refused(APIException):
    """A change the complaint's present state or the rules refuse (``ComplaintError``)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The complaint cannot be changed that way now."
    default_code = "refused"


def complaint_for(
    request: Request, reference: str, permission: str, queryset: ComplaintQuerySet | None = None
) -> Complaint:
    """The complaint if the caller may see it (else 404) and has ``permission`` (else 403)."""
    base = queryset if queryset is not None else Complaint.objects.all()
    complaint = base.visible_to(request.user).filter(reference=reference).first()
    if complaint is None:
        raise NotFound("No complaint with this reference is visible to you.")
    if not request.user.has_perm(permission, complaint):
        raise PermissionDenied("You may not do this to this complaint.")
    return complaint


def etag_for(complaint: Complaint) -> str:
    """The complaint's entity tag: changes whenever the complaint does (every change through
    the gate writes ``updated_at``)."""
    version = f"{complaint.pk}:{complaint.updated_at.isoformat()}"
    return f'"{hashlib.sha256(version.encode()).hexdigest()[:24]}"'


def if_match(request: Request, complaint: Complaint, run: Callable[[], Result]) -> Result:
    """Run a change only if ``If-Match`` (when sent) names the complaint's current ETag.

    The row is locked before the comparison and stays locked through ``run`` (the gate locks
    it again in the same transaction), so of two clients sending the same ETag one changes
    the complaint and the other gets ``PreconditionFailed`` (412).
    """
    header = request.headers.get("If-Match")
    with transaction.atomic():
        if header is not None:
            current = (
                Complaint.objects.select_for_update(of=("self",))
                .only("pk", "updated_at")
                .get(pk=complaint.pk)
            )
            if header.strip() != "*" and etag_for(current) not in parse_etags(header):
                raise PreconditionFailed()
        return run()


def as_checkbox(ticked: bool) -> str:
    """A yes/no value as an HTML checkbox sends it: ``on`` when ticked, nothing when not."""
    return "on" if ticked else ""


def with_unsent_flags(fields: Mapping[str, forms.Field], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each yes/no field it leaves out at the field's initial value (a new
    category is in use), not the unticked box an HTML form would send."""
    unsent = {
        name: as_checkbox(bool(field.initial))
        for name, field in fields.items()
        if isinstance(field, forms.BooleanField) and name not in data
    }
    return {**data, **unsent}


def form_input(
    data: Any, fixed: dict[str, str] | None = None, *, lists: bool = False
) -> dict[str, Any]:
    """A JSON object or a multipart form as the data of a Django form, the way a browser would
    send it: numbers as their digits, ``true``/``false`` as ``on``/empty. Nested values, and
    numbers that are not whole where a whole one is needed, are refused as the form would
    refuse them; a number beyond a bigint is a 400 here, never an overflow later. With
    ``lists``, a list of such values (several choices) is kept as a list."""
    if hasattr(data, "getlist"):
        converted: dict[str, Any] = {key: data.get(key) for key in data}
    elif isinstance(data, dict):
        converted = {}
        for key, value in data.items():
            if lists and isinstance(value, list):
                converted[key] = [form_input({key: item})[key] for item in value]
            elif isinstance(value, bool):
                converted[key] = as_checkbox(value)
            elif isinstance(value, int):
                if abs(value) > MAX_ID:
                    raise ValidationError({key: ["This number is out of range."]})
                converted[key] = str(value)
            elif isinstance(value, float):
                converted[key] = repr(value)
            elif value is None or isinstance(value, str):
                converted[key] = value or ""
            else:
                raise ValidationError({key: ["Give a single value: text or a number."]})
    else:
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return {**converted, **(fixed or {})}


def form_errors(form: forms.BaseForm) -> ValidationError:
    """A form's errors as a 400 with the errors of each field."""
    errors = {
        ("non_field_errors" if field == "__all__" else field): [str(e) for e in messages]
        for field, messages in form.errors.items()
    }
    return ValidationError(errors)


def serializer_for_form(
    name: str, form_class: type[forms.BaseForm]
) -> type[serializers.Serializer]:
    """The request body of an action as the schema describes it, read from its form's fields;
    the form itself still validates (the same rules as the pages)."""
    fields: dict[str, serializers.Field] = {}
    for field_name, field in form_class.base_fields.items():  # type: ignore[attr-defined]
        common: dict[str, Any] = {"required": field.required, "help_text": str(field.label or "")}
        if isinstance(field, forms.FileField):
            continue
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = [(value, label) for value, label in field.choices if value != ""]  # type: ignore[misc,union-attr]
            fields[field_name] = serializers.ChoiceField(choices=choices, **common)
        elif isinstance(field, forms.DecimalField):
            fields[field_name] = serializers.DecimalField(
                max_digits=field.max_digits,
                decimal_places=field.decimal_places,
                min_value=0,
                allow_null=not field.required,
                coerce_to_string=True,
                **common,
            )
        elif isinstance(field, forms.DateField):
            fields[field_name] = serializers.DateField(**common)
        elif isinstance(field, forms.BooleanField):
            fields[field_name] = serializers.BooleanField(**common)
        elif isinstance(field, forms.CharField):
            fields[field_name] = serializers.CharField(
                max_length=field.max_length or TEXT_MAX_LENGTH,
                allow_blank=not field.required,
                **common,
            )
        else:
            # Related rows (teams, categories, people, proposals) by id.
            fields[field_name] = serializers.IntegerField(
                min_value=1, max_value=MAX_ID, allow_null=not field.required, **common
            )
    return type(name, (serializers.Serializer,), fields)
