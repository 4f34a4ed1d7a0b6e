"""Checking uploaded files by their content, not their names."""

from __future__ import annotations

import math
from dataclasses import dataclass

import filetype
from django.core.files.uploadedfile import UploadedFile

MAX_FILES_PER_MESSAGE = 5
SNIFF_BYTES = 8192

# The images every browser shows, by MIME type with the extension they are stored under:
# accepted as attachments and as the tenant's logo, and the only types the logo is served as.
IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
IMAGE_DESCRIPTION = "PNG, JPEG, GIF or WebP"

# What consumers and staff may attach: documents, images and plain text. HEIC (phone photos)
# is accepted as a file to download, not as an image a page shows.
ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    **IMAGE_TYPES,
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}
ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, GIF, WebP, HEIC, Word (.docx), Excel (.xlsx) or plain text"


class AttachmentError(Exception):
    """A refused file; the message names the file and the reason."""


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        return error.start >= len(head) - 3
    return True


def image_type(head: bytes) -> str | None:
    """The MIME type of an image in IMAGE_TYPES that ``head`` (the file's first bytes) is.

    Decided by magic bytes (``filetype``), never by the name; None for anything else.
    """
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in IMAGE_TYPES else None


def sniff(head: bytes) -> str | None:
    """The MIME type the bytes really are, if it is one we accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    return "text/plain" if head and _looks_like_text(head) else None


def check_upload(upload: UploadedFile, *, max_bytes: int) -> CheckedFile:
    """Accept a file only if its size is within the limit and its content an allowed type."""
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    size = upload.size or 0
    if size == 0:
        raise AttachmentError(f"“{name}” is empty.")
    if size > max_bytes:
        # Rounded up, so a file just over the limit never reads as being at it.
        shown = math.ceil(size * 10 / 1_048_576) / 10
        raise AttachmentError(
            f"“{name}” is {shown:.1f} MB; the limit is {max_bytes // 1_048_576} MB."
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise AttachmentError(f"“{name}” is not a file type we accept. Send {ALLOWED_DESCRIPTION}.")
    return CheckedFile(upload=upload, name=name, content_type=content_type, size=size)


def check_uploads(uploads: list[UploadedFile], *, max_bytes: int) -> list[CheckedFile]:
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise AttachmentError(f"Attach at most {MAX_FILES_PER_MESSAGE} files at a time.")
    return [check_upload(upload, max_bytes=max_bytes) for upload in uploads]
