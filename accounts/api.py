"""API token endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django_otp import match_token, user_has_device
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.authentication import (
    SECOND_FACTOR_CLAIM,
    TENANT_CLAIM,
    TenantJWTAuthentication,
    require_this_tenant,
)
from accounts.models import User
from accounts.predicates import second_factor_required
from audit.models import AuditEvent
from audit.services import record_event
from tenancy import current

# Longer than any passphrase a person types or a manager generates.
PASSWORD_MAX_LENGTH = 256


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    # Bounded before any hashing: a megabyte of password must not cost a second of CPU.
    password = serializers.CharField(
        trim_whitespace=False, max_length=PASSWORD_MAX_LENGTH, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="One-time code from the authenticator app; required for staff accounts.",
    )


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            require_this_tenant(RefreshToken(attrs["refresh"]))  # type: ignore[arg-type]
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        try:
            return super().validate(attrs)
        except User.DoesNotExist as error:
            # simplejwt looks the user up with .get(): a deleted account would be a 500.
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            ) from error


def issue_tokens(user: User, *, second_factor: bool) -> dict[str, str]:
    """A refresh and access token pair for ``user``, bound to the current tenant."""
    refresh = RefreshToken.for_user(user)
    refresh[TENANT_CLAIM] = current.schema_name()
    refresh[SECOND_FACTOR_CLAIM] = second_factor
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class TokenObtainView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        # Without one, DRF turns a refused sign-in into 403; it is a 401 like any bad credential.
        return TenantJWTAuthentication().authenticate_header(request)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenPairSerializer},
        summary="Obtain an access and refresh token",
        description=(
            "Exchange e-mail and password (and, for staff, a one-time code) for a token pair. "
            "Tokens are valid only on the host name of the organisation that issued them."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request._request, email=data["email"], password=data["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed("E-mail or password is not correct.")
        second_factor = False
        # Staff prove a second factor when they must, or when they enrolled one anyway.
        if user.is_staff_member and (second_factor_required(user) or user_has_device(user)):
            if not data.get("otp") or match_token(user, data["otp"]) is None:
                record_event(AuditEvent.Action.API_TOKEN_REFUSED, actor=user, request=request)
                raise AuthenticationFailed(
                    "Staff accounts need a valid one-time code in the 'otp' field."
                )
            second_factor = True
        record_event(AuditEvent.Action.API_TOKEN_ISSUED, actor=user, request=request)
        return Response(issue_tokens(user, second_factor=second_factor), status=status.HTTP_200_OK)
