"""Branding: name, colours readable under white text, and a small image logo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent
from configuration.models import TenantSettings
from organisation.services import contrast_with_white

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# A phone photo: accepted as an attachment to download, but no browser shows it as a logo.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
GOOD = {"display_name": "Northwind", "primary_colour": "#1e3a8a", "accent_colour": "#1d4ed8"}


def test_admin_saves_branding_with_a_png_logo_and_it_is_audited(
    admin_client: Client, audit_rows: Callable[..., list[AuditEvent]]
) -> None:
    logo = SimpleUploadedFile("whatever.gif", PNG, content_type="image/gif")
    response = admin_client.post("/settings/branding/", {**GOOD, "logo": logo})

    assert response.status_code == 302
    branding = TenantSettings.current()
    assert branding.display_name == "Northwind"
    assert branding.logo.name.startswith("t_bank/branding/")
    assert branding.logo.name.endswith(".png")
    served = admin_client.get("/branding/logo/")
    assert served["Content-Type"] == "image/png"
    (event,) = audit_rows(AuditEvent.Action.BRANDING_CHANGED)
    assert event.actor_email == "avery@example.com"
    assert event.ip_address == "127.0.0.1"
    assert event.detail["changes"]["display_name"] == ["", "Northwind"]
    assert event.target == "Northwind"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_colour", "red", "Use a colour like"),
        ("accent_colour", "#12345", "Use a colour like"),
        ("primary_colour", "#ffff00", "hard to read"),
        ("accent_colour", "#f0f0f0", "hard to read"),
    ],
)
def test_bad_or_unreadable_colours_are_refused_and_nothing_changes(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    response = admin_client.post("/settings/branding/", {**GOOD, field: value})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    # The page around the refused form still shows the stored colours.
    assert "--brand-dark: #1e3a8a;" in page
    stored = TenantSettings.objects.get()
    assert (stored.display_name, stored.primary_colour, stored.accent_colour) == (
        "",
        "#1e3a8a",
        "#1d4ed8",
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BRANDING_CHANGED).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not an image", "PNG, JPEG, GIF or WebP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "PNG, JPEG, GIF"),
        (HEIC, "PNG, JPEG, GIF or WebP"),
        (PNG + b"\x00" * 1_048_576, "1 MB or smaller"),
    ],
)
def test_logos_that_are_not_small_browser_images_are_refused(
    admin_client: Client, content: bytes, message: str
) -> None:
    logo = SimpleUploadedFile("logo.png", content, content_type="image/png")
    response = admin_client.post("/settings/branding/", {**GOOD, "logo": logo})

    assert response.status_code == 400
    assert message in response.content.decode()
    stored = TenantSettings.objects.get()
    assert (stored.display_name, stored.logo.name) == ("", "")


def test_a_gif_logo_is_accepted_stored_as_gif_and_served_as_gif(admin_client: Client) -> None:
    logo = SimpleUploadedFile("logo.png", GIF, content_type="image/png")

    response = admin_client.post("/settings/branding/", {**GOOD, "logo": logo})

    assert response.status_code == 302
    assert TenantSettings.current().logo.name.endswith(".gif")
    served = admin_client.get("/branding/logo/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/gif"
    assert b"".join(served.streaming_content) == GIF


def test_a_stored_logo_that_is_not_an_accepted_image_is_not_served(admin_client: Client) -> None:
    branding = TenantSettings.current()
    branding.logo.save("old.heic", ContentFile(HEIC))

    assert admin_client.get("/branding/logo/").status_code == 404


def test_white_on_navy_passes_and_white_on_yellow_fails_the_contrast_check() -> None:
    assert contrast_with_white("#1e3a8a") > 4.5
    assert contrast_with_white("#ffff00") < 1.1


def test_removing_the_logo(admin_client: Client) -> None:
    admin_client.post("/settings/branding/", {**GOOD, "logo": SimpleUploadedFile("l.png", PNG)})
    admin_client.post("/settings/branding/", {**GOOD, "remove_logo": "on"})

    assert not TenantSettings.current().logo
    assert admin_client.get("/branding/logo/").status_code == 404
