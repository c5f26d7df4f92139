"""Reading a file of use cases to import: the columns, and CSV and XLSX parsing.

The columns are ``COLUMNS``, a list of ``Column`` objects (name, label,
required, parse function, what it allows, an example): a new column is one
more entry. Header names are matched case-insensitively against a column's
name or its label; a header no column knows is a problem of the file.

A file is read into ``Sheet``: the header row and the data rows, each with
the row number a person sees in a spreadsheet program (the header is row 1;
a CSV record spanning lines for a quoted line break is one row, as a
spreadsheet shows it). Every cell is text: XLSX cells are read as their
values (a formula cell as the value the spreadsheet program last saved).

CSV: UTF-8, with or without a byte-order mark; the delimiter is a comma or a
semicolon, whichever the header row has more of (a spreadsheet program in a
locale with a decimal comma writes semicolons).
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput
from usecases import custom_fields
from usecases.models import BusinessUnit, CustomFieldKind, MemberRole, UseCase

User = get_user_model()

XLSX_SIGNATURE = b"PK\x03\x04"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A header wider than this is not a use case sheet: refuse it rather than
# reading thousands of empty columns of every row.
MAX_COLUMNS = 100
MAX_EMPTY_ROWS = 10_000


class FileRefused(Exception):
    """The file as a whole cannot be read (type, encoding, size, no header)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One problem of one cell, row or the file: ``row`` as a spreadsheet
    program numbers it (the header is row 1), ``column`` a column's name (or
    the header as written for an unknown column; empty for a whole row)."""

    row: int
    column: str
    message: str


class CellRefused(ValueError):
    """A parse function's refusal of one cell; its message is shown to the user."""


@dataclass
class Lookups:
    """What the parse functions look values up in, read once per file:
    business units by code and name, active people by username and e-mail."""

    units: dict[str, BusinessUnit] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, values: dict[str, set[str]]) -> Lookups:
        units: dict[str, BusinessUnit] = {}
        for unit in BusinessUnit.objects.all():
            units[unit.name.casefold()] = unit
            units[unit.code.casefold()] = unit
        people: dict[str, Any] = {}
        wanted = {value.casefold() for value in values.get("person", set()) if value}
        if wanted:
            found = (
                User.objects.filter(is_active=True)
                .annotate(username_lower=Lower("username"), email_lower=Lower("email"))
                .filter(Q(username_lower__in=wanted) | Q(email_lower__in=wanted))
            )
            emails: dict[str, list[Any]] = {}
            for user in found:
                people[user.get_username().casefold()] = user
                if user.email:
                    emails.setdefault(user.email.casefold(), []).append(user)
            for email, users in emails.items():
                # An e-mail address two accounts share names neither.
                people.setdefault(email, users[0] if len(users) == 1 else None)
        return cls(units=units, people=people)


def _text(limit: int | None) -> Callable[[str, Lookups], str]:
    def parse(value: str, lookups: Lookups) -> str:
        if limit is not None and len(value) > limit:
            raise CellRefused(
                _("At most %(limit)s characters; this has %(count)s.")
                % {"limit": f"{limit:,}", "count": f"{len(value):,}"}
            )
        return value

    return parse


def _business_unit(value: str, lookups: Lookups) -> BusinessUnit:
    unit = lookups.units.get(value.casefold())
    if unit is None:
        raise CellRefused(
            _("No business unit has the code or name “%(value)s”.") % {"value": value[:120]}
        )
    return unit


def _person(value: str, lookups: Lookups) -> Any:
    key = value.casefold()
    if key in lookups.people and lookups.people[key] is None:
        raise CellRefused(
            _("Several people have the e-mail address “%(value)s”: give a username.")
            % {"value": value[:120]}
        )
    user = lookups.people.get(key)
    if user is None:
        raise CellRefused(
            _("No active person has the username or e-mail address “%(value)s”.")
            % {"value": value[:120]}
        )
    return user


@dataclass(frozen=True)
class Column:
    """One column of the import. ``parse`` turns the cell's text (stripped,
    never empty: an empty optional cell is skipped) into the value the
    service takes under the column's name, or raises ``CellRefused``. ``kind`` names
    the lookups a column needs read before the rows are parsed."""

    name: str
    label: Any
    required: bool
    parse: Callable[[str, Lookups], Any]
    allowed: Any
    example: str
    kind: str = "text"
    # A person column naming someone in this team role once the use case
    # exists (``member_add``); the others are ``usecase_create``'s arguments.
    role: str = ""


def _max_length(name: str) -> int | None:
    return UseCase._meta.get_field(name).max_length


def _text_column(name: str, label: Any, example: str, *, required: bool = False) -> Column:
    limit = _max_length(name)
    allowed = (
        gettext_lazy("Text, one line, at most %(limit)s characters.")
        if name == "title"
        else gettext_lazy("Text, at most %(limit)s characters.")
    )
    return Column(
        name=name,
        label=label,
        required=required,
        parse=_text(limit),
        allowed=allowed,
        example=example,
    )


# The facts the propose form takes, in its order, then the team. The risk tier
# and the regulations are not columns: the risk classification sets them
# (the form and the API refuse them too).
COLUMNS: list[Column] = [
    _text_column("title", gettext_lazy("Title"), "Invoice matching assistant", required=True),
    _text_column(
        "summary",
        gettext_lazy("Summary"),
        "Matches supplier invoices to purchase orders and flags mismatches.",
        required=True,
    ),
    Column(
        name="business_unit",
        label=gettext_lazy("Business unit"),
        required=True,
        parse=_business_unit,
        allowed=gettext_lazy(
            "The code or the name of a business unit where you may propose use cases."
        ),
        example="",
        kind="business_unit",
    ),
    _text_column(
        "business_problem",
        gettext_lazy("Business problem"),
        "Invoice matching takes three people two days a week.",
    ),
    _text_column(
        "value_hypothesis",
        gettext_lazy("Value hypothesis"),
        "Automated matching frees most of that time.",
    ),
    _text_column(
        "quantified_outcome", gettext_lazy("Quantified outcome"), "Cut matching time by 60%"
    ),
    _text_column("assumptions", gettext_lazy("Assumptions"), "Purchase orders are in the ERP."),
    _text_column(
        "success_metrics", gettext_lazy("Success metrics"), "Share of invoices matched unaided"
    ),
    _text_column("data_sources", gettext_lazy("Data sources"), "ERP invoices and orders"),
    Column(
        name="sponsor",
        label=gettext_lazy("Sponsor"),
        required=False,
        parse=_person,
        allowed=gettext_lazy(
            "Username or e-mail address of an active person. Empty: you. Only program "
            "leads name someone else."
        ),
        example="",
        kind="person",
    ),
    Column(
        name="technical_lead",
        label=gettext_lazy("Technical lead"),
        required=False,
        parse=_person,
        allowed=gettext_lazy("Username or e-mail address of an active person, or empty."),
        example="",
        kind="person",
        role=MemberRole.TECHNICAL_LEAD,
    ),
]


CUSTOM_PREFIX = "cf_"


def _custom_parse(field: Any) -> Callable[[str, Lookups], Any]:
    def parse(value: str, lookups: Lookups) -> Any:
        try:
            return custom_fields.parse_value(field, value)
        except InvalidInput as exc:
            raise CellRefused(exc.message) from None

    return parse


def _custom_allowed(field: Any) -> str:
    kind = CustomFieldKind(field.kind)
    if kind == CustomFieldKind.CHOICE:
        return _("One of: %(choices)s.") % {"choices": ", ".join(field.choices)}
    if kind == CustomFieldKind.MULTI_CHOICE:
        return _("Any of %(choices)s, separated by “%(separator)s”.") % {
            "choices": ", ".join(field.choices),
            "separator": custom_fields.MULTI_SEPARATOR,
        }
    if kind == CustomFieldKind.DATE:
        return _("A date, YYYY-MM-DD.")
    if kind == CustomFieldKind.PERSON:
        return _("The username of an active person.")
    if kind == CustomFieldKind.NUMBER:
        return _("A number.")
    return _("Text.")


def import_columns(fields: Iterable[Any] | None = None) -> list[Column]:
    """The columns of an import: ``COLUMNS``, then one per active custom
    field, named ``cf_<key>`` as the exports name them (optional here: a
    field required from a stage blocks that stage's gate, not the proposal)."""
    fields = custom_fields.active_fields() if fields is None else fields
    return [
        *COLUMNS,
        *(
            Column(
                name=f"{CUSTOM_PREFIX}{field.key}",
                label=field.label,
                required=False,
                parse=_custom_parse(field),
                allowed=_custom_allowed(field),
                example="",
                kind="custom",
            )
            for field in fields
        ),
    ]


def column_allowed(column: Column) -> str:
    """What a column takes, in words (the template's notes)."""
    limit = _max_length(column.name) if column.kind == "text" else None
    return str(column.allowed) % {"limit": f"{limit:,}"} if limit else str(column.allowed)


def column_index(columns: Iterable[Column] = COLUMNS) -> dict[str, Column]:
    """Each column by its name and its label, case-folded: the label in the
    reader's language and in the default one (a template downloaded in
    English still imports for someone reading German)."""
    index: dict[str, Column] = {}
    for column in columns:
        index[column.name.casefold()] = column
        index[str(column.label).casefold()] = column
        with translation.override(settings.LANGUAGE_CODE):
            index.setdefault(str(column.label).casefold(), column)
    return index


# --- Reading a file -------------------------------------------------------------------


@dataclass
class Sheet:
    header: list[str]
    # (row number, cells) for each row with any content
    rows: list[tuple[int, list[str]]]
    # The first row past the limit (its number), when the file has more rows.
    over_limit_row: int | None = None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _rows(numbered: Iterator[tuple[int, list[str]]], max_rows: int) -> Sheet:
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in numbered:
        cells = [cell.strip() for cell in cells]
        if header is None:
            if number != 1 or not any(cells):
                raise FileRefused(_("The first row must be the header: the column names."))
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > MAX_COLUMNS:
                raise FileRefused(
                    _("The header has %(count)s columns; an import takes at most %(max)s.")
                    % {"count": len(cells), "max": MAX_COLUMNS}
                )
            header = cells
            continue
        if not any(cells):
            if number - len(rows) > MAX_EMPTY_ROWS:
                # A sheet of endless empty rows (a few bytes each, compressed).
                raise FileRefused(
                    _("The file has more than %(count)s empty rows.")
                    % {"count": f"{MAX_EMPTY_ROWS:,}"}
                )
            continue
        if len(rows) >= max_rows:
            return Sheet(header, rows, over_limit_row=number)
        rows.append((number, cells))
    if header is None:
        raise FileRefused(_("The file is empty."))
    return Sheet(header, rows)


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, record in enumerate(reader, start=1):
        yield number, record[: MAX_COLUMNS + 1]


def read_csv(content: bytes, *, max_rows: int) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            _("The CSV file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")
        ) from exc
    if "\x00" in text:
        raise FileRefused(_("The file is not a CSV text file."))
    try:
        return _rows(_csv_records(text), max_rows)
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV file cannot be read: %(error)s.") % {"error": str(exc)}
        ) from exc


def _xlsx_records(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(
        sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1
    ):
        yield number, [_cell_text(value) for value in values]


def read_xlsx(content: bytes, *, max_rows: int) -> Sheet:
    """The first sheet of a workbook, read only, its cells as values."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise FileRefused(_("The file is not a readable XLSX workbook.")) from exc
    try:
        if not book.worksheets:
            raise FileRefused(_("The workbook has no sheet."))
        return _rows(_xlsx_records(book.worksheets[0]), max_rows)
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed sheet inside a valid zip
        raise FileRefused(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        book.close()


def read_file(name: str, content: bytes, *, max_rows: int) -> Sheet:
    """A CSV or XLSX file, told apart by its name and checked by its bytes."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not content:
        raise FileRefused(_("The file is empty."))
    if extension == "xlsx":
        if not content.startswith(XLSX_SIGNATURE) or not _is_zip(content):
            raise FileRefused(_("The file is named .xlsx but is not an XLSX workbook."))
        return read_xlsx(content, max_rows=max_rows)
    if extension == "csv":
        if content.startswith(XLSX_SIGNATURE):
            raise FileRefused(_("The file is named .csv but is a workbook: name it .xlsx."))
        return read_csv(content, max_rows=max_rows)
    raise FileRefused(_("Upload a .csv or .xlsx file (the template shows the columns)."))


def _is_zip(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


# --- Header and rows --------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]  # column name -> parsed value (present cells only)
    problems: list[Problem]


def match_header(
    header: list[str], columns: list[Column]
) -> tuple[list[Column | None], list[Problem]]:
    """The column of each header cell (None for an unknown or repeated one),
    and the header's problems: unknown, repeated and missing required columns."""
    index = column_index(columns)
    problems: list[Problem] = []
    matched: list[Column | None] = []
    seen: set[str] = set()
    for cell in header:
        column = index.get(cell.casefold()) if cell else None
        if column is None:
            matched.append(None)
            if cell:
                problems.append(
                    Problem(
                        1,
                        cell[:60],
                        _("Unknown column. The columns are: %(names)s.")
                        % {"names": ", ".join(c.name for c in columns)},
                    )
                )
            continue
        if column.name in seen:
            matched.append(None)
            problems.append(Problem(1, column.name, _("This column appears twice.")))
            continue
        seen.add(column.name)
        matched.append(column)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append(Problem(1, column.name, _("This column is required and missing.")))
    return matched, problems


def lookup_values(sheet: Sheet, matched: list[Column | None]) -> dict[str, set[str]]:
    """The cell values each lookup kind needs, across all rows."""
    wanted: dict[str, set[str]] = {}
    for _number, cells in sheet.rows:
        for position, column in enumerate(matched):
            if column is None or column.kind in {"text", "custom"}:
                continue
            if position < len(cells) and cells[position]:
                wanted.setdefault(column.kind, set()).add(cells[position])
    return wanted


def parse_rows(
    sheet: Sheet, matched: list[Column | None], columns: list[Column], lookups: Lookups
) -> list[ParsedRow]:
    parsed: list[ParsedRow] = []
    width = len(matched)
    for number, cells in sheet.rows:
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        if any(cells[width:]):
            problems.append(
                Problem(number, "", _("This row has cells to the right of the last column."))
            )
        for position, column in enumerate(matched):
            if column is None:
                continue
            text = cells[position] if position < len(cells) else ""
            if not text:
                if column.required:
                    problems.append(Problem(number, column.name, _("This column is required.")))
                continue
            try:
                values[column.name] = column.parse(text, lookups)
            except CellRefused as exc:
                problems.append(Problem(number, column.name, str(exc)))
        parsed.append(ParsedRow(number, values, problems))
    return parsed
