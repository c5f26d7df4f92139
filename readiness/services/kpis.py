"""KPIs with targets and measurements, by hand or from a CSV file."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from gates import services as gate_services
from gates.models import ReviewCriterion, ReviewStatus
from readiness import rules
from readiness.models import (
    Kpi,
    KpiDirection,
    KpiKind,
    KpiMeasurement,
    format_value,
)
from readiness.services._base import (
    IMPORT_TOO_LARGE,
    MAX_IMPORT_BYTES,
    MAX_REPORTED_ERRORS,
    _choice,
    _decimal_field,
    _lock,
    clean_value,
)
from readiness.services.kpi_rules import kpi_rule_evaluate
from usecases.models import UseCase

# What else runs when a measurement is recorded, inside its transaction and
# under the use case's lock: operations checks the KPI's drift bound (a
# registry, so readiness never imports the app above it). Each hook is called
# as ``hook(measurement=, kpi=, use_case=, by=)``.
MeasurementHook = Callable[..., None]
MEASUREMENT_HOOKS: list[MeasurementHook] = []


def register_measurement_hook(hook: MeasurementHook) -> MeasurementHook:
    if hook not in MEASUREMENT_HOOKS:
        MEASUREMENT_HOOKS.append(hook)
    return hook


def _run_measurement_hooks(measurements: list[KpiMeasurement], use_case: UseCase, by: Any) -> None:
    for measurement in measurements:
        for hook in MEASUREMENT_HOOKS:
            hook(measurement=measurement, kpi=measurement.kpi, use_case=use_case, by=by)


# --- KPIs ------------------------------------------------------------------


@transaction.atomic
def kpi_create(
    *,
    use_case: UseCase,
    by: Any,
    name: str,
    kind: str,
    target: Any,
    direction: str,
    unit: str = "",
    baseline: Any = None,
) -> Kpi:
    use_case = _lock(use_case, by)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Name the KPI."), field="name")
    if len(name) > 120:
        raise InvalidInput(_("The name is longer than 120 characters."), field="name")
    unit = (unit or "").strip()
    if len(unit) > 30:
        raise InvalidInput(_("The unit is longer than 30 characters."), field="unit")
    kind = _choice(kind, KpiKind, "kind")
    direction = _choice(direction, KpiDirection, "direction")
    target_value = _decimal_field(target, "target", "target")
    baseline_value = _decimal_field(baseline, "baseline", "baseline", required=False)
    if Kpi.objects.filter(use_case=use_case, name__iexact=name).exists():
        raise InvalidInput(
            _("This use case already has a KPI named “%(name)s”.") % {"name": name}, field="name"
        )
    kpi = Kpi.objects.create(
        use_case=use_case,
        name=name,
        kind=kind,
        unit=unit,
        baseline=baseline_value,
        target=target_value,
        direction=direction,
        created_by=by,
    )
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="kpi.created",
        summary=f"Added KPI “{name}” ({kpi.get_kind_display().lower()}, target "
        f"{format_value(kpi.target, unit)}, {kpi.get_direction_display().lower()})",
        use_case=use_case,
        obj=kpi,
        payload={
            "name": name,
            "kind": kind,
            "unit": unit,
            "baseline": baseline_value,
            "target": target_value,
            "direction": direction,
        },
    )
    return kpi


def _clean_date(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if not isinstance(raw, datetime.date):
        try:
            raw = datetime.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(f"measured_at “{str(raw)[:40]}” is not a date (YYYY-MM-DD)") from None
    if raw > timezone.localdate():
        raise ValueError(f"measured_at {raw.isoformat()} is in the future")
    return raw


def _reevaluate_rules(kpi_ids: set[int], by: Any) -> None:
    criteria = ReviewCriterion.objects.filter(
        kpi_rule__kpi_id__in=kpi_ids, review__status=ReviewStatus.OPEN
    ).order_by("id")
    for criterion in criteria:
        kpi_rule_evaluate(review_criterion=criterion, by=by)


@transaction.atomic
def kpi_measurement_record(
    *, kpi: Kpi, by: Any, value: Any, measured_at: Any, note: str = ""
) -> KpiMeasurement:
    """Record a measurement; criteria of open reviews bound to this KPI are
    assessed again from its latest measurement."""
    use_case = _lock(kpi.use_case, by)
    kpi = Kpi.objects.get(pk=kpi.pk)
    try:
        clean = clean_value(value)
    except ValueError as exc:
        raise InvalidInput(str(exc).capitalize() + ".", field="value") from None
    try:
        date = _clean_date(measured_at)
    except ValueError as exc:
        raise InvalidInput(str(exc)[0].upper() + str(exc)[1:] + ".", field="measured_at") from None
    note = (note or "").strip()
    if len(note) > 1000:
        raise InvalidInput(_("The note is longer than 1,000 characters."), field="note")
    # Counted under the use case's lock, which every measurement write takes:
    # two writers cannot both see room for one more.
    held = KpiMeasurement.objects.filter(kpi=kpi).count()
    refusal = rules.measurement_cap_refusal([(kpi.name, held, 1)])
    if refusal is not None:
        raise refusal
    measurement = KpiMeasurement.objects.create(
        kpi=kpi, value=clean, measured_at=date, note=note, recorded_by=by
    )
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="kpi.measured",
        summary=f"{kpi.name}: {format_value(clean, kpi.unit)} on {date.isoformat()}",
        use_case=use_case,
        obj=measurement,
        payload={"kpi": kpi.pk, "value": clean, "measured_at": date, "note": note},
    )
    _run_measurement_hooks([measurement], use_case, by)
    _reevaluate_rules({kpi.pk}, by)
    return measurement


@dataclass(frozen=True)
class ParsedRow:
    line: int
    kpi: Kpi
    value: Decimal
    measured_at: datetime.date
    note: str


def _read_upload(file: IO[bytes]) -> str:
    """The file's text, refused when it is not a small UTF-8 text file. The
    one check of the size limit: the API and the page hand the upload over
    unchecked. Reads at most one byte more than the limit."""
    data = file.read(MAX_IMPORT_BYTES + 1)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(IMPORT_TOO_LARGE, field="file")
    if not data.strip():
        raise InvalidInput(_("The file is empty."), field="file")
    if b"\x00" in data:
        raise InvalidInput(
            _("The file contains NUL bytes: it is not a CSV text file."), field="file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            _(
                "The file is not UTF-8 text (byte %(value)s cannot be read); save it "
                "as CSV UTF-8 and try again."
            )
            % {"value": exc.start + 1},
            field="file",
        ) from None


def parse_measurements_csv(
    text: str, kpis: list[Kpi], *, max_rows: int | None = None
) -> tuple[list[ParsedRow], list[str]]:
    """Parse every row; return the rows and, per bad line, what is wrong.
    Line numbers count the header as line 1. A file with more than
    ``max_rows`` measurement rows is refused whole (``InvalidInput``); past
    the cap its rows are only counted, not checked."""
    by_name = {k.name.casefold(): k for k in kpis}
    by_id = {str(k.pk): k for k in kpis}
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[str] = []
    rows: list[ParsedRow] = []
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except (StopIteration, csv.Error):
        return [], ["Line 1: the header row cannot be read."]
    required = ["kpi", "measured_at", "value"]
    absent = [name for name in required if name not in header]
    if absent:
        return [], [
            "Line 1: the header must name the columns kpi, measured_at, value and "
            f"(optionally) note; missing: {', '.join(absent)}."
        ]
    column = {name: header.index(name) for name in [*required, "note"] if name in header}
    data_rows = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"Line {reader.line_num}: {exc}.")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        data_rows += 1
        if max_rows is not None and data_rows > max_rows:
            continue
        problems: list[str] = []
        if len(record) < len(header):
            record = record + [""] * (len(header) - len(record))
        elif len(record) > len(header):
            problems.append(f"{len(record)} columns where the header has {len(header)}")
        key = record[column["kpi"]].strip()
        kpi = by_id.get(key) or by_name.get(key.casefold())
        if kpi is None:
            problems.append(f"no KPI of this use case is named or numbered “{key[:60]}”")
        value = measured_at = None
        try:
            value = clean_value(record[column["value"]])
        except ValueError as exc:
            problems.append(str(exc))
        try:
            measured_at = _clean_date(record[column["measured_at"]])
        except ValueError as exc:
            problems.append(str(exc))
        note = record[column["note"]].strip() if "note" in column else ""
        if len(note) > 1000:
            problems.append("note is longer than 1,000 characters")
        if problems:
            errors.append(f"Line {line}: " + "; ".join(problems) + ".")
        elif kpi is not None and value is not None and measured_at is not None:
            rows.append(ParsedRow(line, kpi, value, measured_at, note))
    if max_rows is not None and data_rows > max_rows:
        raise InvalidInput(
            _(
                "The file has %(data_rows)s measurement rows; one import takes at most "
                "%(max_rows)s. Nothing was imported: split the file and import the "
                "parts."
            )
            % {"data_rows": f"{data_rows:,}", "max_rows": f"{max_rows:,}"},
            field="file",
        )
    if not rows and not errors:
        errors.append("The file has no measurements below its header.")
    return rows, errors


@transaction.atomic
def kpi_measurements_import(*, use_case: UseCase, by: Any, file: IO[bytes]) -> list[KpiMeasurement]:
    """Import measurements from CSV (kpi, measured_at, value, note). All or
    nothing: any bad row refuses the whole file, naming each bad line; so do
    more rows than ``KPI_IMPORT_MAX_ROWS``, and a KPI that would hold more
    than ``KPI_MAX_MEASUREMENTS``."""
    use_case = _lock(use_case, by)
    text = _read_upload(file)
    rows, errors = parse_measurements_csv(
        text,
        list(Kpi.objects.filter(use_case=use_case)),
        max_rows=settings.KPI_IMPORT_MAX_ROWS,
    )
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(f"…and {len(errors) - MAX_REPORTED_ERRORS} more lines with errors.")
        raise InvalidInput(
            _("Nothing was imported: fix these lines and upload the file again."), shown, "file"
        )
    adding: dict[int, int] = {}
    for row in rows:
        adding[row.kpi.pk] = adding.get(row.kpi.pk, 0) + 1
    # Counted under the use case's lock (taken above), as in
    # kpi_measurement_record: no other write can slip in between.
    held = dict(
        KpiMeasurement.objects.filter(kpi_id__in=adding)
        .values("kpi_id")
        .annotate(n=Count("id"))
        .values_list("kpi_id", "n")
    )
    names = {row.kpi.pk: row.kpi.name for row in rows}
    refusal = rules.measurement_cap_refusal(
        [(names[pk], held.get(pk, 0), n) for pk, n in adding.items()], nothing_imported=True
    )
    if refusal is not None:
        raise refusal
    created = KpiMeasurement.objects.bulk_create(
        KpiMeasurement(
            kpi=row.kpi,
            value=row.value,
            measured_at=row.measured_at,
            note=row.note,
            recorded_by=by,
        )
        for row in rows
    )
    gate_services.touch(use_case)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kpi.name] = counts.get(row.kpi.name, 0) + 1
    audit_record(
        actor=by,
        action="kpi.imported",
        summary=f"Imported {len(created)} KPI measurement(s) from CSV",
        use_case=use_case,
        payload={"measurements": len(created), "per_kpi": counts},
    )
    _run_measurement_hooks(created, use_case, by)
    _reevaluate_rules({row.kpi.pk for row in rows}, by)
    return created
