"""API token endpoints, and the caller's own sessions and tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TenantJWTAuthentication
from accounts.credentials import (
    CredentialRefused,
    active_refresh_tokens,
    active_sessions,
    check_credential,
    issue_tokens,
    needs_second_factor,
    revoke_refresh_token,
    revoke_session,
    rotate_refresh_token,
)
from accounts.models import IssuedRefreshToken, SignedInSession, User
from accounts.second_factor import verify_second_factor
from accounts.services import sign_out_everywhere
from accounts.throttling import TokenRateThrottle
from audit.models import AuditEvent
from audit.services import record_event

__all__ = ["TokenObtainView", "TokenRefreshView", "issue_tokens"]

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


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenEndpoint(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        # Without one, DRF turns a refused sign-in into 403; it is a 401 like any bad credential.
        return TenantJWTAuthentication().authenticate_header(request)


class TokenObtainView(TokenEndpoint):
    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenPairSerializer},
        summary="Obtain an access and refresh token",
        description=(
            "Exchange e-mail and password (and, for staff, a one-time code) for a token pair. "
            "Tokens are valid only on the host name of the organisation that issued them, "
            "and only while the account stays as it was (a password change, deactivation, "
            "role change or second-factor reset ends them). Consumers must have confirmed "
            "their e-mail address."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request._request, email=data["email"], password=data["password"])
        if user is None or not user.is_active:
            raise AuthenticationFailed("E-mail or password is not correct.")
        try:
            check_credential(user, issuing=True)
            second_factor = needs_second_factor(user)
            if second_factor:
                if not data.get("otp"):
                    raise CredentialRefused(
                        "Staff accounts need a valid one-time code in the 'otp' field.",
                        "second_factor_required",
                    )
                verify_second_factor(user, data["otp"], stage="api_token")
        except CredentialRefused as refusal:
            record_event(
                AuditEvent.Action.API_TOKEN_REFUSED,
                actor=user,
                request=request,
                reason=refusal.code,
            )
            message = str(refusal)
            if refusal.code == "code_invalid":
                message = "Staff accounts need a valid one-time code in the 'otp' field."
            raise AuthenticationFailed(message, refusal.code) from refusal
        record_event(AuditEvent.Action.API_TOKEN_ISSUED, actor=user, request=request)
        tokens = issue_tokens(user, second_factor=second_factor, request=request._request)
        return Response(tokens, status=status.HTTP_200_OK)


class TokenRefreshView(TokenEndpoint):
    @extend_schema(
        request=RefreshRequestSerializer,
        responses={200: TokenPairSerializer},
        summary="Exchange a refresh token for a new token pair",
        description=(
            "The refresh token is used up: keep the new one. Presenting a used refresh token "
            "again revokes every token descended from the same sign-in."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tokens = rotate_refresh_token(
                serializer.validated_data["refresh"], request=request._request
            )
        except CredentialRefused as refusal:
            raise AuthenticationFailed(str(refusal), refusal.code) from refusal
        return Response(tokens, status=status.HTTP_200_OK)


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignedInSession
        fields = ["id", "created_at", "expires_at", "ip_address", "user_agent"]


class RefreshTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = IssuedRefreshToken
        fields = ["id", "created_at", "last_used_at", "expires_at", "ip_address", "user_agent"]


class CredentialsSerializer(serializers.Serializer):
    sessions = SessionSerializer(many=True)
    refresh_tokens = RefreshTokenSerializer(many=True)


class CredentialListView(APIView):
    @extend_schema(
        responses={200: CredentialsSerializer},
        operation_id="auth_credentials_list",
        summary="My signed-in browser sessions and API refresh tokens",
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(
            CredentialsSerializer(
                {"sessions": active_sessions(user), "refresh_tokens": active_refresh_tokens(user)}
            ).data
        )

    @extend_schema(
        request=None,
        responses={204: None},
        operation_id="auth_credentials_revoke_all",
        summary="Sign out everywhere: revoke every session and token, this one included",
    )
    def delete(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        sign_out_everywhere(user, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialRevokeView(APIView):
    @extend_schema(
        request=None,
        responses={204: None},
        operation_id="auth_credential_revoke",
        summary="Revoke one session (kind 'sessions') or refresh token (kind 'refresh-tokens')",
    )
    def delete(self, request: Request, kind: str, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        try:
            if kind == "sessions":
                revoke_session(user, pk, actor=user)
            elif kind == "refresh-tokens":
                revoke_refresh_token(user, pk, actor=user)
            else:
                raise NotFound()
        except (SignedInSession.DoesNotExist, IssuedRefreshToken.DoesNotExist) as error:
            raise NotFound() from error
        return Response(status=status.HTTP_204_NO_CONTENT)
