"""CSV downloads that spreadsheets open safely: one writer for every CSV the product serves."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

# Excel reads a CSV as the machine's legacy code page unless it starts with the UTF-8
# byte-order mark; with it, accented names (Café, Zoë) open as written.
BYTE_ORDER_MARK = "\ufeff"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection
# rule); names, subjects and audit targets are typed by consumers, so such cells become text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """``value`` as cell text, with ``'`` put before a leading formula character.

    None is an empty cell; a date and time is written ``2026-12-01 07:41``, in its own time
    zone. A negative number such as ``-5`` is prefixed too: OWASP's rule
    makes no exception, and the quote shows as text rather than changing the figure.
    """
    if isinstance(value, datetime):
        # A moment in its own time zone, as spreadsheets read a date and time.
        return f"{value:%Y-%m-%d %H:%M}"
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write hands back the line, so csv.writer output can stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """UTF-8 CSV lines, the first starting with the byte-order mark, every cell made safe."""
    writer = csv.writer(_Echo())
    yield (BYTE_ORDER_MARK + writer.writerow([spreadsheet_safe(cell) for cell in headers])).encode()
    for row in rows:
        yield writer.writerow([spreadsheet_safe(cell) for cell in row]).encode()


def csv_download(
    filename: str, headers: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streamed CSV attachment named ``filename``; ``rows`` is read lazily while sending.

    The file may hold personal data, so no shared cache keeps it.
    """
    response = StreamingHttpResponse(
        csv_lines(headers, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response
