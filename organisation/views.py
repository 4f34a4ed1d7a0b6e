from __future__ import annotations

import filetype
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from organisation.models import Branding

LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


@require_GET
def branding_logo(request: HttpRequest) -> FileResponse:
    """The tenant's logo; public, since it is shown on the sign-in page."""
    branding = Branding.current()
    if not branding.logo:
        raise Http404
    with branding.logo.open("rb") as logo:
        kind = filetype.guess(logo.read(512))
    if kind is None or kind.mime not in LOGO_TYPES:
        raise Http404
    response = FileResponse(branding.logo.open("rb"), content_type=kind.mime)
    response["Cache-Control"] = "public, max-age=300"
    return response
