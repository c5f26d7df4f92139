"""Files for the import tests, built as a person would save them: CSV text
and XLSX workbooks written with openpyxl."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER = ["title", "summary", "business_unit", "technical_lead"]


def csv_file(
    rows: list[list[str]], *, name: str = "use-cases.csv", delimiter: str = ",", bom=False
):
    lines = [delimiter.join(_quote(cell, delimiter) for cell in row) for row in rows]
    text = ("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _quote(cell: str, delimiter: str) -> str:
    if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_file(rows: list[list[object]], *, name: str = "use-cases.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows), content_type=XLSX_TYPE)


def sheet_rows(content: bytes, sheet: int = 0) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]
