"""Tables as downloads, written once for every export of the app: CSV (one
table after the other, each under its title) and XLSX (a sheet per table,
openpyxl in write-only mode, built in memory).

Every text cell goes through ``csv_safe``: a text a person typed (a title,
an exit reason's label) that starts with = + - @ is never read as a formula,
in the CSV as in the workbook (openpyxl writes such a string as a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Defuse spreadsheet formula injection: a text cell that starts with
    = + - @ (or a tab or carriage return) gets a leading quote. A translated
    label (a choice's) is written as the text it reads in."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    name: str  # the XLSX sheet's name (31 characters at most)
    title: str
    header: list[str]
    rows: list[list[Any]]


def csv_text(tables: Sequence[Table]) -> str:
    """The tables one after the other, each under its title, a blank row
    between them."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([csv_safe(table.title)])
        writer.writerow(table.header)
        for row in table.rows:
            writer.writerow([csv_safe(cell) for cell in row])
    return out.getvalue()


def workbook(sheets: Iterable[tuple[str, list[str], Iterable[list[Any]]]]) -> bytes:
    """A workbook with a sheet per (name, header, rows)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, header, rows in sheets:
        sheet = book.create_sheet(title=name[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([csv_safe(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def tables_workbook(tables: Sequence[Table]) -> bytes:
    return workbook((t.name, t.header, t.rows) for t in tables)


def attachment(content: bytes | str, content_type: str, stem: str, extension: str) -> HttpResponse:
    """A download named ``<stem>-<today>.<extension>``, never cached or sniffed."""
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
