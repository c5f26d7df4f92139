"""Importing use cases from a CSV or XLSX file, all or nothing.

Every row goes through the same service as the propose form and the API
(``usecase_create``, then ``member_add`` for the team columns), so every rule
applies to it: who may propose in which business unit, who may name a
sponsor, the field limits. Each created use case is audited as any other
(``usecase.created``, ``usecase.member_added``), and the import as a whole
once more (``usecase.imported``: the file's name, its rows, the ids).

A dry run runs exactly that, each row in a savepoint it rolls back at once:
it reports every problem of every row and changes nothing. An import with any
problem rolls back too, and is refused with the same report. A title the
file repeats in one business unit, or one a use case of that unit already
has, is a problem of the row (the second row in the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import audit_record
from core.errors import DomainError, InvalidInput, PermissionRefused
from usecases import imports, rules
from usecases.imports import Column, FileRefused, ParsedRow, Problem
from usecases.models import UseCase
from usecases.services.portfolio import member_add, usecase_create, usecase_ensure_creatable

# Fields a service names in its refusal, and the column that holds them.
FIELD_COLUMNS = {"user": "technical_lead"}


@dataclass
class ImportReport:
    """What a dry run or an import found and did. ``rows``: the data rows
    read; ``created``: the ids of the new use cases (none on a dry run or a
    refusal)."""

    file_name: str
    dry_run: bool
    rows: int = 0
    created: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


class ImportRefused(InvalidInput):
    """An import refused for the problems of its rows: nothing was created.
    The API answers 400 with the report; the page shows it."""

    def __init__(self, report: ImportReport) -> None:
        count = len(report.problems)
        super().__init__(
            ngettext(
                "The file has %(count)s problem; nothing was imported.",
                "The file has %(count)s problems; nothing was imported.",
                count,
            )
            % {"count": count},
            [_problem_text(p) for p in report.problems[:50]],
            field="file",
        )
        self.report = report


def _problem_text(problem: Problem) -> str:
    if problem.column:
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": problem.row,
            "column": problem.column,
            "message": problem.message,
        }
    return _("Row %(row)s: %(message)s") % {"row": problem.row, "message": problem.message}


def _read(file: IO[bytes]) -> bytes:
    limit = settings.IMPORT_MAX_BYTES
    file.seek(0)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise InvalidInput(
            _("The file is larger than %(limit)s bytes, the most one import takes.")
            % {"limit": f"{limit:,}"},
            field="file",
        )
    return content


def _duplicate_problems(rows: list[ParsedRow]) -> None:
    """A title twice in one business unit, in the file or against the unit's
    use cases: a problem of the row (of the later row in the file)."""
    keyed = [
        (row, row.values["business_unit"], row.values["title"].casefold())
        for row in rows
        if "business_unit" in row.values and "title" in row.values
    ]
    if not keyed:
        return
    existing = set(
        UseCase.objects.annotate(title_lower=Lower("title"))
        .filter(
            business_unit__in={unit.pk for _row, unit, _title in keyed},
            title_lower__in={title for _row, _unit, title in keyed},
        )
        .values_list("business_unit_id", "title_lower")
    )
    first: dict[tuple[int, str], int] = {}
    for row, unit, title in keyed:
        key = (unit.pk, title)
        if key in existing:
            row.problems.append(
                Problem(
                    row.number,
                    "title",
                    _("%(unit)s already has a use case with this title.") % {"unit": unit.name},
                )
            )
        elif key in first:
            row.problems.append(
                Problem(
                    row.number,
                    "title",
                    _("Row %(row)s has the same title in the same business unit.")
                    % {"row": first[key]},
                )
            )
        else:
            first[key] = row.number


def _refusal_problems(number: int, error: Exception, column: str) -> list[Problem]:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                Problem(number, "" if name == "__all__" else FIELD_COLUMNS.get(name, name), m)
                for name, messages in error.message_dict.items()
                for m in messages
            ]
        return [Problem(number, column, m) for m in error.messages]
    if isinstance(error, InvalidInput) and error.field:
        column = FIELD_COLUMNS.get(error.field, error.field)
        if column.startswith("custom_fields."):
            column = imports.CUSTOM_PREFIX + column.removeprefix("custom_fields.")
    return [Problem(number, column, str(error))]


class _Discard(Exception):
    """Roll a checked row back at once (see ``_create_row``)."""


def _create_row(by: Any, row: ParsedRow, team: list[Column], *, keep: bool) -> UseCase | None:
    """Create one row's use case and its team through the services, in a
    savepoint: a refused row leaves nothing behind and the next row goes on.
    A row that will not be kept (a dry run, or an import already refused) is
    rolled back as soon as it passed: rolling back to the savepoint releases
    the audit chain's lock its events took, so a long dry run does not hold
    every other audited action of the application until it ends."""
    fields = {k: v for k, v in row.values.items() if k not in {c.name for c in team}}
    custom = {
        name.removeprefix(imports.CUSTOM_PREFIX): fields.pop(name)
        for name in list(fields)
        if name.startswith(imports.CUSTOM_PREFIX)
    }
    try:
        with transaction.atomic():
            use_case = usecase_create(by=by, custom_values=custom or None, **fields)
            for column in team:
                person = row.values.get(column.name)
                if person is not None:
                    member_add(use_case=use_case, by=by, user=person, role=column.role)
            if not keep:
                raise _Discard
            return use_case
    except _Discard:
        return None
    except PermissionRefused as exc:
        # The unit refused first (usecase_create checks it before the sponsor).
        unit = fields.get("business_unit")
        column = "business_unit" if rules.create_refusal(by, unit) is not None else "sponsor"
        row.problems.extend(_refusal_problems(row.number, exc, column))
    except (DomainError, ValidationError) as exc:
        row.problems.extend(_refusal_problems(row.number, exc, ""))
    return None


def usecase_import(
    *, by: Any, file: IO[bytes], dry_run: bool, file_name: str | None = None
) -> ImportReport:
    """Import the use cases of a CSV or XLSX file (``imports.import_columns()``:
    the facts, the team and a ``cf_<key>`` column per active custom field), all
    or none. A dry run reports and changes nothing; an import with any
    problem raises ``ImportRefused`` with the same report. A file that cannot
    be read at all (type, size, encoding, no header) is ``InvalidInput`` on
    ``file``; more rows than ``IMPORT_MAX_ROWS`` is a problem of the first
    row past the limit, and nothing else is checked."""
    usecase_ensure_creatable(by=by)
    name = file_name or getattr(file, "name", "") or ""
    content = _read(file)
    try:
        sheet = imports.read_file(name, content, max_rows=settings.IMPORT_MAX_ROWS)
    except FileRefused as exc:
        raise InvalidInput(exc.message, field="file") from exc
    report = ImportReport(file_name=name, dry_run=dry_run, rows=len(sheet.rows))
    columns = imports.import_columns()
    matched, report.problems = imports.match_header(sheet.header, columns)
    if sheet.over_limit_row is not None:
        report.problems.append(
            Problem(
                sheet.over_limit_row,
                "",
                _("An import takes at most %(max)s rows: split the file.")
                % {"max": f"{settings.IMPORT_MAX_ROWS:,}"},
            )
        )
    elif not sheet.rows:
        report.problems.append(Problem(2, "", _("The file has no use case below its header.")))
    if report.problems:
        return _answer(report)
    lookups = imports.Lookups.load(imports.lookup_values(sheet, matched))
    rows = imports.parse_rows(sheet, matched, columns, lookups)
    _duplicate_problems(rows)
    team = [c for c in columns if c.role]
    with transaction.atomic():
        created: list[UseCase] = []
        refused = any(row.problems for row in rows)
        for row in rows:
            if row.problems:
                continue
            use_case = _create_row(by, row, team, keep=not (dry_run or refused))
            if use_case is not None:
                created.append(use_case)
            refused = refused or bool(row.problems)
        report.problems = sorted((p for row in rows for p in row.problems), key=lambda p: p.row)
        if report.problems or dry_run:
            # Nothing of a dry run or a refused import stays: the use cases,
            # their teams and their audit events roll back together.
            transaction.set_rollback(True)
        else:
            report.created = [use_case.pk for use_case in created]
            # The trail is written in one language, as every other event's.
            audit_record(
                actor=by,
                action="usecase.imported",
                summary=f"Imported {len(created)} use case(s) from {name[:150]}",
                payload={"file": name, "rows": report.rows, "ids": report.created},
            )
    return _answer(report)


def _answer(report: ImportReport) -> ImportReport:
    if report.problems and not report.dry_run:
        raise ImportRefused(report)
    return report
