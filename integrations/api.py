"""The API of integrations: client credentials for a token; admins' API clients and webhooks."""

from __future__ import annotations

import uuid
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
from complaints.idempotency import idempotent
from integrations.addresses import URL_MAX_LENGTH
from integrations.clients import (
    NAME_MAX_LENGTH,
    ClientError,
    authenticate_client,
    create_client,
    issue_client_token,
    revoke_client,
)
from integrations.models import (
    ApiClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from integrations.webhooks import WebhookError, create_endpoint, redeliver, remove_endpoint

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


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )
    url = serializers.CharField(max_length=URL_MAX_LENGTH)
    enabled = serializers.BooleanField(source="is_enabled", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "internal",
            "enabled",
            "disabled_reason",
            "consecutive_failures",
            "created_at",
        ]
        read_only_fields = ["id", "disabled_reason", "consecutive_failures", "created_at"]


class NewWebhookEndpointSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret, shown once: store it now."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "status_code", "duration_ms", "error", "succeeded"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts = WebhookAttemptSerializer(many=True, source="attempt_log")

    class Meta:
        model = WebhookDelivery
        fields = [
            "delivery_id",
            "event_id",
            "event_type",
            "reference",
            "status",
            "created_at",
            "next_attempt_at",
            "sent_at",
            "last_status_code",
            "last_error",
            "attempts",
        ]


def _endpoint(pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


class WebhookListView(ManageIntegrations):
    @extend_schema(
        responses={200: WebhookEndpointSerializer(many=True)},
        summary="The organisation's webhook endpoints (administrators)",
    )
    def get(self, request: Request) -> Response:
        return Response(WebhookEndpointSerializer(WebhookEndpoint.objects.all(), many=True).data)

    @extend_schema(
        request=WebhookEndpointSerializer,
        responses={201: NewWebhookEndpointSerializer},
        summary="Register a webhook endpoint; its signing secret is in this answer only",
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user: User = request.user  # type: ignore[assignment]
        try:
            endpoint = create_endpoint(
                data["url"],
                data["events"],
                internal=data.get("internal", False),
                description=data.get("description", ""),
                actor=user,
            )
        except WebhookError as error:
            raise serializers.ValidationError({"url": [str(error)]}) from error
        answer = NewWebhookEndpointSerializer(endpoint).data
        return Response(answer, status=status.HTTP_201_CREATED)


class WebhookDetailView(ManageIntegrations):
    @extend_schema(responses={200: WebhookEndpointSerializer}, summary="One webhook endpoint")
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookEndpointSerializer(_endpoint(pk)).data)

    @extend_schema(request=None, responses={204: None}, summary="Remove a webhook endpoint")
    def delete(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        remove_endpoint(_endpoint(pk), actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(ManageIntegrations):
    @extend_schema(
        responses={200: WebhookDeliverySerializer(many=True)},
        summary="An endpoint's delivery log, newest first (the last 50 deliveries)",
    )
    def get(self, request: Request, pk: int) -> Response:
        deliveries = _endpoint(pk).deliveries.prefetch_related("attempt_log")[:50]
        return Response(WebhookDeliverySerializer(deliveries, many=True).data)


class WebhookRedeliverView(ManageIntegrations):
    @extend_schema(
        request=None,
        responses={202: None},
        summary="Send a delivery again, with the same delivery id",
        description=(
            "Honours `Idempotency-Key`: a retry with the key does not send it once more. "
            "Creating API clients and webhook endpoints does not take the key, because their "
            "secret is shown once and never stored to be replayed: after a timed-out create, "
            "list them and revoke a duplicate."
        ),
    )
    @idempotent
    def post(self, request: Request, pk: int, delivery_id: uuid.UUID) -> Response:
        delivery = _endpoint(pk).deliveries.filter(delivery_id=delivery_id).first()
        if delivery is None:
            raise NotFound()
        user: User = request.user  # type: ignore[assignment]
        redeliver(delivery, actor=user)
        return Response(status=status.HTTP_202_ACCEPTED)
