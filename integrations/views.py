"""The admin's pages for API clients and webhook endpoints."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from integrations.clients import ClientError, create_client, revoke_client
from integrations.forms import ApiClientForm, WebhookEndpointForm
from integrations.models import ApiClient, WebhookDelivery, WebhookEndpoint
from integrations.webhooks import (
    WebhookError,
    create_endpoint,
    redeliver,
    remove_endpoint,
    set_enabled,
)

manage_integrations = permission_required("integrations.manage_integrations")
DELIVERY_LOG_SIZE = 50


@require_http_methods(["GET", "POST"])
@manage_integrations
def api_clients(request: AuthenticatedRequest) -> HttpResponse:
    """List, and create: the new client's secret is on this answer only."""
    form = ApiClientForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = create_client(
                form.cleaned_data["name"], form.cleaned_data["scopes"], actor=request.user
            )
        except ClientError as error:
            form.add_error(None, str(error))
        else:
            form = ApiClientForm()
    status = 400 if form.is_bound and form.errors else 200
    context = {
        "clients": ApiClient.objects.all(),
        "form": form,
        "created": created,
        "secret": secret,
    }
    response = render(request, "integrations/api_clients.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@manage_integrations
def api_client_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(ApiClient, pk=pk)
    revoke_client(client, actor=request.user)
    messages.success(request, f"{client.name} is revoked; its tokens no longer work.")
    return redirect("settings_api_clients")


@require_http_methods(["GET", "POST"])
@manage_integrations
def webhooks(request: AuthenticatedRequest) -> HttpResponse:
    """List, and register: the new endpoint's signing secret is shown on this answer."""
    form = WebhookEndpointForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = create_endpoint(
                form.cleaned_data["url"],
                form.cleaned_data["events"],
                internal=form.cleaned_data["internal"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except WebhookError as error:
            form.add_error("url", str(error))
        else:
            form = WebhookEndpointForm()
    status = 400 if form.is_bound and form.errors else 200
    context = {"endpoints": WebhookEndpoint.objects.all(), "form": form, "created": created}
    response = render(request, "integrations/webhooks.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@manage_integrations
def webhook(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One endpoint and its delivery log, newest first."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    deliveries = endpoint.deliveries.prefetch_related("attempt_log")[:DELIVERY_LOG_SIZE]
    return render(
        request, "integrations/webhook.html", {"endpoint": endpoint, "deliveries": deliveries}
    )


@require_POST
@manage_integrations
def webhook_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if action == "remove":
        remove_endpoint(endpoint, actor=request.user)
        messages.success(request, f"{endpoint.url} is removed.")
        return redirect("settings_webhooks")
    if action not in ("enable", "disable"):
        raise Http404
    set_enabled(endpoint, action == "enable", actor=request.user)
    messages.success(request, f"{endpoint.url} is {action}d.")
    return redirect("settings_webhook", pk=endpoint.pk)


@require_POST
@vary_on_headers("HX-Request")
@manage_integrations
def webhook_redeliver(request: AuthenticatedRequest, pk: int, delivery: int) -> HttpResponse:
    """Send one delivery again; htmx swaps its row of the log, a plain form reloads the page."""
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    row = get_object_or_404(WebhookDelivery, endpoint=endpoint, pk=delivery)
    redeliver(row, actor=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        row.refresh_from_db()
        return render(request, "integrations/webhook.html#delivery", {"delivery": row})
    messages.success(request, f"{row.get_event_type_display()} of {row.reference} is sent again.")
    return redirect("settings_webhook", pk=endpoint.pk)
