"""Attachments: files judged by their content, stored under the tenant, nothing left on refusal."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings

from accounts.models import Role, User
from complaints.attachments import (
    ALLOWED_DESCRIPTION,
    MAX_FILES_PER_MESSAGE,
    AttachmentError,
    check_upload,
    check_uploads,
)
from complaints.models import (
    Attachment,
    Complaint,
    Event,
    LetterKind,
    LetterTemplate,
    Status,
)
from complaints.services import (
    ComplaintError,
    add_internal_note,
    reply_to_complaint,
    submit_complaint,
)
from configuration.models import TenantSettings
from outbox.models import Message
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user
from tests.conftest import create_user

MB = 1_048_576
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- real small files -----------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes() -> bytes:
    """A valid 1x1 red PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xdb\x00\x43\x00"
    + bytes(range(1, 65))
    + b"\xff\xd9"
)
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(44)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00"
TEXT = "Café receipt: £84.20 taken twice — ✓ 日本語 ok\n".encode()


def office_zip(*members: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
)
DOCX_BYTES = office_zip(
    ("[Content_Types].xml", CONTENT_TYPES),
    ("_rels/.rels", RELS),
    ("word/document.xml", "<w:document><w:body><w:p>My letter</w:p></w:body></w:document>"),
)
XLSX_BYTES = office_zip(
    ("[Content_Types].xml", CONTENT_TYPES),
    ("_rels/.rels", RELS),
    ("xl/workbook.xml", "<workbook/>"),
)
PLAIN_ZIP = office_zip(("notes.txt", "just a zip"), ("more.txt", "of text files"))


def exactly(message: str) -> str:
    """A ``pytest.raises`` pattern matching ``message`` and nothing more."""
    return f"^{re.escape(message)}$"


def upload(
    name: str, content: bytes, claimed: str = "application/octet-stream"
) -> SimpleUploadedFile:
    """A file as the browser sends it; the claimed content type is deliberately not trusted."""
    return SimpleUploadedFile(name, content, content_type=claimed)


ACCEPTED = [
    pytest.param("receipt.png", png_bytes(), "image/png", id="png"),
    pytest.param("photo.jpg", JPEG, "image/jpeg", id="jpeg"),
    pytest.param("pixel.gif", GIF, "image/gif", id="gif"),
    pytest.param("statement.pdf", PDF, "application/pdf", id="pdf"),
    pytest.param("letter.docx", DOCX_BYTES, DOCX, id="docx"),
    pytest.param("sums.xlsx", XLSX_BYTES, XLSX, id="xlsx"),
    pytest.param("notes.txt", TEXT, "text/plain", id="utf8-text-with-multibyte-characters"),
    pytest.param("notes", b"no extension at all", "text/plain", id="text-without-extension"),
    pytest.param("scan.txt", png_bytes(), "image/png", id="png-named-txt-is-a-png"),
    pytest.param("image.pdf", JPEG, "image/jpeg", id="jpeg-named-pdf-is-a-jpeg"),
    pytest.param(
        "long.txt",
        # The sample read to sniff the type ends in the middle of a three-byte character.
        ("a" * 8191 + "日本語").encode(),
        "text/plain",
        id="text-with-a-character-cut-at-the-end-of-the-sample",
    ),
]

REFUSED = [
    pytest.param("invoice.pdf", ELF, id="elf-executable-named-pdf"),
    pytest.param("invoice.pdf", EXE, id="windows-executable-named-pdf"),
    pytest.param("photo.png", random.Random(20261122).randbytes(4096), id="random-binary"),
    pytest.param("archive.docx", PLAIN_ZIP, id="plain-zip-named-docx"),
    pytest.param(
        "latin1.txt",
        "Café au lait, s'il vous plaît, merci beaucoup".encode("latin-1"),
        id="text-not-in-utf8",
    ),
    pytest.param("nul.txt", b"text with a \x00 NUL byte in it", id="text-with-nul-byte"),
]


# --- checking one file ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "expected_type"), ACCEPTED)
def test_allowed_content_is_accepted_and_typed_by_its_bytes(
    name: str, content: bytes, expected_type: str
) -> None:
    file = upload(name, content, claimed="application/x-whatever")

    checked = check_upload(file, max_bytes=MB)

    assert (checked.name, checked.content_type, checked.size) == (name, expected_type, len(content))
    # Sniffing must not consume the upload: it is stored whole afterwards.
    assert checked.upload.read() == content


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_disallowed_content_is_refused_whatever_its_name(name: str, content: bytes) -> None:
    with pytest.raises(AttachmentError) as refused:
        check_upload(upload(name, content, claimed="application/pdf"), max_bytes=MB)

    assert str(refused.value) == (
        f"“{name}” is not a file type we accept. Send {ALLOWED_DESCRIPTION}."
    )


def test_empty_file_is_refused() -> None:
    with pytest.raises(AttachmentError, match=exactly("“empty.txt” is empty.")):
        check_upload(upload("empty.txt", b""), max_bytes=MB)


def test_file_at_the_limit_is_accepted_and_one_byte_more_is_refused() -> None:
    at_limit = PDF + b"%" * (MB - len(PDF))
    assert check_upload(upload("big.pdf", at_limit), max_bytes=MB).size == MB

    with pytest.raises(AttachmentError) as refused:
        check_upload(upload("big.pdf", at_limit + b"%"), max_bytes=MB)

    # Rounded up: a file over the limit never reads as "1.0 MB" against a 1 MB limit.
    assert str(refused.value) == "“big.pdf” is 1.1 MB; the limit is 1 MB."


def test_oversized_file_message_states_its_size() -> None:
    content = PDF + b"%" * (int(2.5 * MB) - len(PDF))

    with pytest.raises(
        AttachmentError, match=re.escape("“scan.pdf” is 2.5 MB; the limit is 1 MB.")
    ):
        check_upload(upload("scan.pdf", content), max_bytes=MB)


def test_path_separators_in_the_name_are_neutralised() -> None:
    checked = check_upload(upload("C:\\Users\\casey\\scan.pdf", PDF), max_bytes=MB)

    assert checked.name == "C:_Users_casey_scan.pdf"


def test_very_long_name_keeps_its_end() -> None:
    checked = check_upload(upload("x" * 240 + ".pdf", PDF), max_bytes=MB)

    assert len(checked.name) <= 200
    assert checked.name.endswith("xx.pdf")


def test_at_most_five_files_at_a_time() -> None:
    files = [upload(f"p{number}.png", png_bytes()) for number in range(MAX_FILES_PER_MESSAGE + 1)]

    with pytest.raises(AttachmentError, match=exactly("Attach at most 5 files at a time.")):
        check_uploads(files, max_bytes=MB)
    assert len(check_uploads(files[:MAX_FILES_PER_MESSAGE], max_bytes=MB)) == 5


def test_one_bad_file_refuses_the_whole_batch_naming_it() -> None:
    files = [upload("ok.png", png_bytes()), upload("virus.pdf", ELF), upload("ok.txt", TEXT)]

    with pytest.raises(AttachmentError, match=re.escape("“virus.pdf” is not a file type")):
        check_uploads(files, max_bytes=MB)


# --- storing files with the services --------------------------------------------------------


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    """A private, empty media folder for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def one_mb_limit(bank: Tenant) -> TenantSettings:
    policy = TenantSettings.current()
    policy.max_attachment_mb = 1
    policy.save(update_fields=["max_attachment_mb"])
    return policy


@pytest.fixture
def owner(consumer: User) -> User:
    return as_request_user(consumer)


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def submit(consumer: User, files: list[SimpleUploadedFile]) -> Complaint:
    return submit_complaint(
        consumer=consumer,
        actor=consumer,
        subject="Card payment taken twice",
        description="Receipts attached.",
        files=files,
    )


def test_files_of_a_submission_are_stored_under_the_tenant_and_complaint(
    media: Path, consumer: User
) -> None:
    complaint = submit(
        consumer,
        [
            upload("receipt.png", png_bytes()),
            upload("scan.txt", png_bytes()),
            upload("letter.docx", DOCX_BYTES),
            upload("notes.txt", TEXT),
        ],
    )

    attachments = list(Attachment.objects.filter(complaint=complaint).order_by("pk"))
    submitted = Event.objects.get(complaint=complaint, kind=Event.Kind.SUBMITTED)
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("receipt.png", "image/png"),
        ("scan.txt", "image/png"),
        ("letter.docx", DOCX),
        ("notes.txt", "text/plain"),
    ]
    folder = f"t_bank/complaints/{complaint.reference}/"
    for attachment, content in zip(
        attachments, [png_bytes(), png_bytes(), DOCX_BYTES, TEXT], strict=True
    ):
        assert attachment.file.name.startswith(folder)
        # Stored under a random name, never the one the consumer chose.
        assert Path(attachment.file.name).name != attachment.original_name
        assert (media / attachment.file.name).read_bytes() == content
        assert attachment.size == len(content)
        assert attachment.event_id == submitted.pk
        assert attachment.uploaded_by_id == consumer.pk
        assert not attachment.is_internal
    assert len(stored_files(media)) == 4


def test_files_of_a_reply_belong_to_the_reply_and_are_visible_to_the_consumer(
    media: Path, complaint: Complaint, staff: User, owner: User
) -> None:
    staff_reply = reply_to_complaint(
        complaint, "Our statement.", actor=staff, files=[upload("statement.pdf", PDF)]
    )
    consumer_reply = reply_to_complaint(
        complaint, "My photo.", actor=owner, files=[upload("photo.jpg", JPEG)]
    )

    by_event = {a.event_id: a for a in Attachment.objects.filter(complaint=complaint)}
    assert by_event[staff_reply.pk].content_type == "application/pdf"
    assert by_event[staff_reply.pk].uploaded_by_id == staff.pk
    assert by_event[consumer_reply.pk].content_type == "image/jpeg"
    assert not any(a.is_internal for a in by_event.values())
    assert all(
        a.file.name.startswith(f"t_bank/complaints/{complaint.reference}/")
        for a in by_event.values()
    )


def test_files_of_an_internal_note_are_internal(
    media: Path, complaint: Complaint, staff: User
) -> None:
    note = add_internal_note(
        complaint, "Call recording transcript.", actor=staff, files=[upload("call.txt", TEXT)]
    )

    attachment = Attachment.objects.get(complaint=complaint)
    assert attachment.event_id == note.pk
    assert attachment.is_internal
    assert attachment.content_type == "text/plain"


def test_files_of_another_tenant_go_to_its_own_folder(media: Path, telco: Tenant) -> None:
    robin = create_user(Role.CONSUMER, "robin@example.com")

    complaint = submit(robin, [upload("bill.pdf", PDF)])

    attachment = Attachment.objects.get(complaint=complaint)
    assert attachment.file.name.startswith(f"t_telco/complaints/{complaint.reference}/")


REFUSALS = [
    pytest.param(
        [upload("receipt.png", png_bytes()), upload("invoice.pdf", ELF)],
        "“invoice.pdf” is not a file type we accept",
        id="one-executable-among-good-files",
    ),
    pytest.param(
        [upload(f"p{number}.png", png_bytes()) for number in range(6)],
        "Attach at most 5 files at a time.",
        id="six-files",
    ),
    pytest.param(
        [upload("big.pdf", PDF + b"%" * MB)], "“big.pdf” is 1.1 MB; the limit is 1 MB", id="too-big"
    ),
    pytest.param([upload("empty.pdf", b"")], "“empty.pdf” is empty.", id="empty"),
]


@pytest.mark.usefixtures("one_mb_limit")
@pytest.mark.parametrize(("files", "message"), REFUSALS)
def test_refused_file_leaves_no_complaint_event_attachment_or_stored_file(
    media: Path, consumer: User, files: list[SimpleUploadedFile], message: str
) -> None:
    with pytest.raises(ComplaintError, match=re.escape(message)):
        submit(consumer, files)

    assert not Complaint.objects.exists()
    assert not Event.objects.exists()
    assert not Attachment.objects.exists()
    assert not Message.objects.exists()
    assert stored_files(media) == []


@pytest.mark.usefixtures("one_mb_limit")
@pytest.mark.parametrize(("files", "message"), REFUSALS)
def test_refused_file_leaves_the_reply_unsent(
    media: Path,
    complaint: Complaint,
    staff: User,
    files: list[SimpleUploadedFile],
    message: str,
) -> None:
    events_before = Event.objects.count()
    messages_before = Message.objects.count()

    with pytest.raises(ComplaintError, match=re.escape(message)):
        reply_to_complaint(complaint, "See attached.", actor=staff, files=files)

    row = Complaint.objects.get(pk=complaint.pk)
    assert (row.status, row.first_responded_at) == (Status.NEW, None)
    assert Event.objects.count() == events_before
    assert Message.objects.count() == messages_before
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_refused_file_leaves_no_internal_note(
    media: Path, complaint: Complaint, staff: User
) -> None:
    with pytest.raises(ComplaintError, match="is not a file type"):
        add_internal_note(complaint, "Log file.", actor=staff, files=[upload("log.pdf", EXE)])

    assert not Event.objects.filter(kind=Event.Kind.NOTE).exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_the_tenants_size_limit_applies(media: Path, consumer: User) -> None:
    content = PDF + b"%" * (int(1.5 * MB) - len(PDF))
    # The default limit is 10 MB.
    submit(consumer, [upload("scan.pdf", content)])
    assert Attachment.objects.count() == 1

    policy = TenantSettings.current()
    policy.max_attachment_mb = 1
    policy.save(update_fields=["max_attachment_mb"])
    with pytest.raises(ComplaintError, match=re.escape("“scan.pdf” is 1.5 MB; the limit is 1 MB.")):
        submit(consumer, [upload("scan.pdf", content)])


def test_a_submission_refused_for_another_reason_leaves_no_stored_file(
    media: Path, consumer: User
) -> None:
    # A broken acknowledgement template stops the submission after the files were checked.
    LetterTemplate.objects.create(kind=LetterKind.ACKNOWLEDGEMENT, subject="Hi", body="Thanks.")

    with pytest.raises(ComplaintError, match="must mention"):
        submit(consumer, [upload("receipt.png", png_bytes())])

    assert not Attachment.objects.exists()
    assert stored_files(media) == []
