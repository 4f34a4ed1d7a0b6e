"""The API of integrations: client credentials for a token, and admins' API clients."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import TokenEndpoint
from accounts.models import ClientScope, User
from audit.models import AuditEvent
from audit.services import record_event
from integrations.clients import (
    NAME_MAX_LENGTH,
    ClientError,
    authenticate_client,
    create_client,
    issue_client_token,
    revoke_client,
)
from integrations.models import ApiClient

MANAGE = "integrations.manage_integrations"


class ClientTokenRequestSerializer(serializers.Serializer):
    grant_type = serializers.ChoiceField(
        choices=["client_credentials"], required=False, default="client_credentials"
    )
    client_id = serializers.CharField(max_length=40)
    client_secret = serializers.CharField(max_length=100, trim_whitespace=False)


class ClientTokenSerializer(serializers.Serializer):
    access = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the token is valid for.")
    scope = serializers.CharField(help_text="The client's scopes, separated by spaces.")


class ClientTokenView(TokenEndpoint):
    @extend_schema(
        request=ClientTokenRequestSerializer,
        responses={200: ClientTokenSerializer},
        summary="Obtain an API client's access token (client credentials)",
        description=(
            "Exchange an API client's id and secret for a short-lived access token carrying "
            "the client's scopes. It is valid only on this organisation's host name and stops "
            "working as soon as an administrator revokes the client. There is no refresh "
            "token: ask again with the credentials."
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = ClientTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = authenticate_client(data["client_id"], data["client_secret"])
        if client is None:
            record_event(
                AuditEvent.Action.API_TOKEN_REFUSED,
                request=request,
                target=data["client_id"],
                reason="client_credentials",
            )
            raise AuthenticationFailed("The client id or secret is not correct.")
        return Response(issue_client_token(client, request=request._request))


class ApiClientSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientScope.choices), allow_empty=False
    )
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)

    class Meta:
        model = ApiClient
        fields = ["client_id", "name", "scopes", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["client_id", "created_at", "last_used_at", "revoked_at"]


class NewApiClientSerializer(ApiClientSerializer):
    client_secret = serializers.CharField(
        read_only=True, help_text="Shown once: store it now, it cannot be read again."
    )

    class Meta(ApiClientSerializer.Meta):
        fields = [*ApiClientSerializer.Meta.fields, "client_secret"]


class ManageIntegrations(APIView):
    """Admins only; closed to machine clients (no ``client_scope``)."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied("Only administrators manage integrations.")


class ApiClientListView(ManageIntegrations):
    @extend_schema(
        responses={200: ApiClientSerializer(many=True)},
        summary="The organisation's API clients (administrators)",
    )
    def get(self, request: Request) -> Response:
        return Response(ApiClientSerializer(ApiClient.objects.all(), many=True).data)

    @extend_schema(
        request=ApiClientSerializer,
        responses={201: NewApiClientSerializer},
        summary="Create an API client; its secret is in this answer only (administrators)",
    )
    def post(self, request: Request) -> Response:
        serializer = ApiClientSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        try:
            client, secret = create_client(
                serializer.validated_data["name"], serializer.validated_data["scopes"], actor=user
            )
        except ClientError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error
        answer = NewApiClientSerializer(client).data
        answer["client_secret"] = secret
        return Response(answer, status=status.HTTP_201_CREATED)


class ApiClientDetailView(ManageIntegrations):
    def _client(self, client_id: str) -> ApiClient:
        client = ApiClient.objects.filter(client_id=client_id).first()
        if client is None:
            raise NotFound()
        return client

    @extend_schema(responses={200: ApiClientSerializer}, summary="One API client (administrators)")
    def get(self, request: Request, client_id: str) -> Response:
        return Response(ApiClientSerializer(self._client(client_id)).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Revoke an API client at once (administrators)",
    )
    def delete(self, request: Request, client_id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        revoke_client(self._client(client_id), actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
