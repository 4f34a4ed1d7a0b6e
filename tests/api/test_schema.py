"""The OpenAPI schema and its Swagger UI: public, complete, self-hosted and warning-free."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS

from complaints.api.actions import VERBS
from complaints.models import Status
from tenancy.models import Tenant

SCHEMA_URL = "/api/v1/schema/"
DOCS_URL = "/api/v1/docs/"
API_PATHS = {
    "/api/v1/auth/token/",
    "/api/v1/auth/token/refresh/",
    "/api/v1/auth/credentials/",
    "/api/v1/auth/credentials/{kind}/{id}/",
    "/api/v1/complaints/",
    "/api/v1/complaints/{reference}/",
    "/api/v1/auth/client-token/",
    "/api/v1/integrations/api-clients/",
    "/api/v1/integrations/api-clients/{client_id}/",
    "/api/v1/integrations/webhooks/",
    "/api/v1/integrations/webhooks/{id}/",
    "/api/v1/integrations/webhooks/{id}/deliveries/",
    "/api/v1/integrations/webhooks/{id}/deliveries/{delivery_id}/redeliver/",
    "/api/v1/complaints/{reference}/messages/",
    "/api/v1/complaints/{reference}/attachments/",
    "/api/v1/complaints/{reference}/attachments/{attachment_id}/",
    "/api/v1/complaints/{reference}/deadlines/",
    *(f"/api/v1/complaints/{{reference}}/actions/{verb}/" for verb in VERBS),
    "/api/v1/categories/",
    "/api/v1/categories/{id}/",
    "/api/v1/root-causes/",
    "/api/v1/root-causes/{id}/",
    "/api/v1/teams/",
    "/api/v1/teams/{id}/",
    "/api/v1/staff/",
    "/api/v1/staff/{id}/",
    "/api/v1/staff-invitations/",
    "/api/v1/staff-invitations/{id}/",
    "/api/v1/staff-invitations/{id}/resend/",
    "/api/v1/reports/dashboard/",
    "/api/v1/reports/return/",
    "/api/v1/audit-events/",
}
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com")


def test_schema_is_openapi_3_yaml_listing_every_path(anonymous_api: Client) -> None:
    response = anonymous_api.get(SCHEMA_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == API_PATHS


def test_schema_as_json_describes_bearer_jwt_on_the_complaint_endpoints(
    anonymous_api: Client,
) -> None:
    response = anonymous_api.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == API_PATHS
    (scheme_name, scheme), *_ = schema["components"]["securitySchemes"].items()
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    complaints = schema["paths"]["/api/v1/complaints/"]
    assert {scheme_name: []} in complaints["get"]["security"]
    assert {scheme_name: []} in complaints["post"]["security"]
    token_security = schema["paths"]["/api/v1/auth/token/"]["post"].get("security", [])
    assert {scheme_name: []} not in token_security


def test_schema_names_the_complaint_status_choices_once(anonymous_api: Client) -> None:
    response = anonymous_api.get(SCHEMA_URL, {"format": "json"})
    schemas = json.loads(response.content)["components"]["schemas"]

    status_enums = [name for name, item in schemas.items() if item.get("enum") == Status.values]

    assert status_enums == ["ComplaintStatusEnum"]


@pytest.mark.parametrize("client_fixture", ["consumer_api", "outsider_on_bank"])
def test_schema_ignores_tokens_so_even_a_foreign_one_gets_the_public_schema(
    client_fixture: str, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get(SCHEMA_URL, {"format": "json"})

    assert response.status_code == 200
    assert set(json.loads(response.content)["paths"]) == API_PATHS


def test_docs_page_serves_swagger_ui_from_our_own_static_files(anonymous_api: Client) -> None:
    response = anonymous_api.get(DOCS_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"([^\"]+)\"", html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert any(asset.endswith("swagger-ui.css") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file"
    for host in CDN_HOSTS:
        assert host not in html
    assert '"/api/v1/schema/"' in html


def test_schema_generation_emits_no_warnings(db: None, tmp_path: Path) -> None:
    """The same check as `manage.py spectacular --validate --fail-on-warn` in CI."""
    GENERATOR_STATS.reset()
    output = tmp_path / "schema.yaml"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "project.urls",
        "--file",
        str(output),
    )

    assert not GENERATOR_STATS
    assert set(yaml.safe_load(output.read_text())["paths"]) == API_PATHS


def test_schema_is_not_served_on_the_platform_host(public_tenant: Tenant) -> None:
    response = Client(HTTP_HOST="localhost").get(SCHEMA_URL)

    assert response.status_code == 404
    assert response.json()["detail"]


def test_every_operation_documents_its_errors_as_problem_details(anonymous_api: Client) -> None:
    schema = json.loads(anonymous_api.get(SCHEMA_URL, {"format": "json"}).content)

    assert schema["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "409", "412", "415", "422", "429"):
                response = operation["responses"][status]
                media = response["content"]["application/problem+json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, (path, method)


def test_a_complaint_answer_documents_its_etag(anonymous_api: Client) -> None:
    schema = json.loads(anonymous_api.get(SCHEMA_URL, {"format": "json"}).content)
    claim = schema["paths"]["/api/v1/complaints/{reference}/actions/claim/"]["post"]

    assert "ETag" in claim["responses"]["200"]["headers"]
    assert any(p["name"] == "If-Match" for p in claim["parameters"])
