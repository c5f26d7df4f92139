"""Every change to a use case's readiness: one function per action.

Each one is atomic, locks the use case row first (the order the gate engine
uses, so the two never deadlock), checks who is asking and the current state,
raises a domain error carrying the reasons, touches the use case's activity
time and writes its audit event in the same transaction.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from config.domain import InvalidInput, TransitionRefused
from gates import services as gate_services
from gates.audit import audit_record
from gates.models import AssessmentStatus, ReviewCriterion, ReviewStatus
from readiness import rules
from readiness.models import (
    OPERATOR_SYMBOLS,
    ChecklistItem,
    ChecklistItemDefinition,
    ChecklistStatus,
    Kpi,
    KpiDirection,
    KpiKind,
    KpiMeasurement,
    KpiOperator,
    KpiRule,
    PocScore,
    PocScorecard,
    Prioritization,
    PriorityDimension,
    ScorecardBand,
    ScorecardItem,
    format_value,
)
from usecases.models import Stage, UseCase

DEFAULT_PRIORITIZATION_WEIGHTS = {d.value: 0.25 for d in PriorityDimension}
# Items scored at or below this need work first when the PoC lands in the
# conditional band; when none do, the lowest-scored items are named instead.
LOW_SCORE_AT_MOST = 2
MAX_IMPORT_BYTES = 1024 * 1024
MAX_REPORTED_ERRORS = 50
MAX_VALUE = Decimal("1e14")


def _lock(use_case: UseCase, by: Any) -> UseCase:
    locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
    rules.ensure_can_write(by, locked)
    return locked


def _score(raw: Any, field: str, label: str) -> int:
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip() in {"1", "2", "3", "4", "5"}:
        value = int(raw.strip())
    if value is None or not 1 <= value <= 5:
        raise InvalidInput(f"{label} must be a whole number from 1 to 5.", field=field)
    return value


# --- Prioritization --------------------------------------------------------


def prioritization_weights() -> dict[str, float]:
    """The weights of the four dimensions, from PRIORITIZATION_WEIGHTS;
    a dimension the setting leaves out weighs nothing."""
    configured = getattr(settings, "PRIORITIZATION_WEIGHTS", DEFAULT_PRIORITIZATION_WEIGHTS)
    weights = {d.value: float(configured.get(d.value, 0)) for d in PriorityDimension}
    if sum(weights.values()) <= 0 or any(w < 0 for w in weights.values()):
        return dict(DEFAULT_PRIORITIZATION_WEIGHTS)
    return weights


def priority_score(scores: Mapping[str, int]) -> Decimal:
    """The weighted mean of the scores, on the same 1-5 scale, two decimals."""
    weights = prioritization_weights()
    total = sum(weights.values())
    value = sum(weights[d] * scores[d] for d in weights) / total
    return Decimal(str(value)).quantize(Decimal("0.01"))


@transaction.atomic
def prioritization_save(
    *, use_case: UseCase, by: Any, scores: Mapping[str, Any], rationales: Mapping[str, str]
) -> Prioritization:
    """Score the use case at Discovery, 1-5 on each dimension with a rationale."""
    use_case = _lock(use_case, by)
    cleaned: dict[str, Any] = {}
    for dimension in PriorityDimension:
        cleaned[dimension.value] = _score(
            scores.get(dimension.value), dimension.value, dimension.label
        )
        rationale = str(rationales.get(dimension.value) or "").strip()
        field = f"{dimension.value}_rationale"
        if not rationale:
            raise InvalidInput(f"Say why {dimension.label.lower()} scores as it does.", field=field)
        if len(rationale) > 2000:
            raise InvalidInput("The rationale is longer than 2,000 characters.", field=field)
        cleaned[field] = rationale
    if use_case.stage != Stage.DISCOVERY:
        raise TransitionRefused(
            "The prioritization is scored at Discovery.",
            [f"The use case is in {use_case.get_stage_display()}."],
        )
    existing = Prioritization.objects.select_for_update().filter(use_case=use_case).first()
    before = {d.value: getattr(existing, d.value) for d in PriorityDimension} if existing else None
    if existing is None:
        prioritization = Prioritization.objects.create(use_case=use_case, updated_by=by, **cleaned)
    else:
        for name, value in cleaned.items():
            setattr(existing, name, value)
        existing.updated_by = by
        existing.save()
        prioritization = existing
    score = priority_score(prioritization.scores())
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="prioritization.saved",
        summary=f"Prioritization scored {score} (weighted, out of 5)",
        use_case=use_case,
        obj=prioritization,
        payload={"before": before, "after": cleaned, "weighted_score": str(score)},
    )
    return prioritization


# --- PoC evaluation scorecard ----------------------------------------------


def scorecard_band(total: int) -> ScorecardBand:
    """The seed's thresholds: 24+, 18-23, 17 or below."""
    if total >= 24:
        return ScorecardBand.RECOMMENDED
    if total >= 18:
        return ScorecardBand.CONDITIONAL
    return ScorecardBand.MORE_POC


def items_to_improve(scores: list[tuple[ScorecardItem, int]]) -> list[ScorecardItem]:
    """The low-scoring items to improve first: those scored 2 or below, or,
    when none is, those with the lowest score (if it is below 5)."""
    low = [item for item, score in scores if score <= LOW_SCORE_AT_MOST]
    if low or not scores:
        return low
    lowest = min(score for _, score in scores)
    return [item for item, score in scores if score == lowest and score < 5]


@transaction.atomic
def scorecard_save(
    *,
    use_case: UseCase,
    by: Any,
    scores: Mapping[int, Any],
    comments: Mapping[int, str] | None = None,
    note: str = "",
) -> PocScorecard:
    """Score the PoC on every active scorecard item (keyed by item id). Each
    save is a new version; the latest is the use case's scorecard."""
    use_case = _lock(use_case, by)
    comments = comments or {}
    items = list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))
    known = {item.pk for item in items}
    unknown = [key for key in scores if key not in known]
    if unknown:
        raise InvalidInput(
            "These are not items of the scorecard: " + ", ".join(map(str, unknown)) + ".",
            field="scores",
        )
    missing = [item.name for item in items if scores.get(item.pk) in (None, "")]
    if missing:
        raise InvalidInput(
            "Score every item of the scorecard.", [f"Not scored: {m}" for m in missing], "scores"
        )
    cleaned = [(item, _score(scores[item.pk], f"item_{item.pk}", item.name)) for item in items]
    for item in items:
        if len(str(comments.get(item.pk) or "")) > 1000:
            raise InvalidInput(
                f"The comment on {item.name} is longer than 1,000 characters.",
                field=f"item_{item.pk}",
            )
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput("The note is longer than 2,000 characters.", field="note")
    if use_case.stage != Stage.POC:
        raise TransitionRefused(
            "The PoC evaluation scorecard is scored while the use case is in POC.",
            [f"The use case is in {use_case.get_stage_display()}."],
        )
    total = sum(score for _, score in cleaned)
    band = scorecard_band(total)
    latest = PocScorecard.objects.filter(use_case=use_case).aggregate(v=Max("version"))["v"]
    scorecard = PocScorecard.objects.create(
        use_case=use_case,
        version=(latest or 0) + 1,
        total=total,
        band=band,
        note=note,
        scored_by=by,
    )
    PocScore.objects.bulk_create(
        PocScore(
            scorecard=scorecard,
            item=item,
            score=score,
            comment=str(comments.get(item.pk) or "").strip(),
        )
        for item, score in cleaned
    )
    improve = items_to_improve(cleaned) if band == ScorecardBand.CONDITIONAL else []
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="scorecard.saved",
        summary=f"PoC scorecard v{scorecard.version}: {total}/30, {band.label}",
        use_case=use_case,
        obj=scorecard,
        payload={
            "version": scorecard.version,
            "scores": {item.name: score for item, score in cleaned},
            "total": total,
            "band": band.value,
            "improve_first": [item.name for item in improve],
        },
    )
    return scorecard


# --- Production readiness checklist ----------------------------------------


def _start_checklist(use_case: UseCase, by: Any) -> int:
    definitions = list(ChecklistItemDefinition.objects.filter(is_active=True))
    existing = set(
        ChecklistItem.objects.filter(use_case=use_case).values_list("definition_id", flat=True)
    )
    new = [
        ChecklistItem(use_case=use_case, definition=d) for d in definitions if d.pk not in existing
    ]
    ChecklistItem.objects.bulk_create(new)
    if new:
        audit_record(
            actor=by,
            action="checklist.started" if not existing else "checklist.extended",
            summary=f"Production readiness checklist: {len(new)} item(s) added",
            use_case=use_case,
            payload={"items": [row.definition.number for row in new]},
        )
    return len(new)


@transaction.atomic
def checklist_start(*, use_case: UseCase, by: Any) -> list[ChecklistItem]:
    """Create the use case's checklist from the active items (idempotent)."""
    use_case = _lock(use_case, by)
    if _start_checklist(use_case, by):
        gate_services.touch(use_case)
    return list(
        ChecklistItem.objects.filter(use_case=use_case).select_related("definition", "owner")
    )


@transaction.atomic
def checklist_item_update(
    *,
    use_case: UseCase,
    item: ChecklistItem | ChecklistItemDefinition | int,
    by: Any,
    status: str,
    owner: Any = None,
    evidence: str = "",
) -> ChecklistItem:
    """Record an item's status, owner and evidence. ``item`` is the use case's
    row, its definition or the item's number (1-15). Done and not applicable
    need evidence: what shows it is done, or why it does not apply."""
    use_case = _lock(use_case, by)
    if isinstance(item, ChecklistItem):
        if item.use_case_id != use_case.pk:
            raise InvalidInput("That checklist item belongs to another use case.", field="item")
        number = item.definition.number
    elif isinstance(item, ChecklistItemDefinition):
        number = item.number
    else:
        number = item
    try:
        definition = ChecklistItemDefinition.objects.get(number=number)
    except (ChecklistItemDefinition.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(f"There is no checklist item {number}.", field="item") from None
    if status not in ChecklistStatus.values:
        raise InvalidInput(
            f"Status must be one of: {', '.join(ChecklistStatus.values)}.", field="status"
        )
    evidence = (evidence or "").strip()
    if len(evidence) > 5000:
        raise InvalidInput("The evidence is longer than 5,000 characters.", field="evidence")
    if status == ChecklistStatus.DONE and not evidence:
        raise InvalidInput("Say what shows the item is done.", field="evidence")
    if status == ChecklistStatus.NOT_APPLICABLE and not evidence:
        raise InvalidInput("Say why the item does not apply.", field="evidence")
    if owner is not None and not getattr(owner, "is_active", False):
        raise InvalidInput("The owner must be an active user.", field="owner")
    _start_checklist(use_case, by)
    row, _ = ChecklistItem.objects.select_for_update().get_or_create(
        use_case=use_case, definition=definition
    )
    before = {"status": row.status, "owner": row.owner_id, "evidence": row.evidence}
    row.status = status
    row.owner = owner
    row.evidence = evidence
    row.updated_by = by
    row.save()
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="checklist.item_updated",
        summary=f"Checklist item {definition.number} “{definition.text}”: "
        f"{row.get_status_display()}",
        use_case=use_case,
        obj=row,
        payload={
            "number": definition.number,
            "before": before,
            "after": {"status": status, "owner": row.owner_id, "evidence": evidence},
        },
    )
    return row


def checklist_open_items(use_case_id: int) -> list[str] | None:
    """The texts of the active items not done or not applicable, or None
    when the checklist has not been started."""
    answers = dict(
        ChecklistItem.objects.filter(use_case_id=use_case_id).values_list("definition_id", "status")
    )
    if not answers:
        return None
    return [
        d.text
        for d in ChecklistItemDefinition.objects.filter(is_active=True).order_by("number")
        if answers.get(d.pk, ChecklistStatus.OPEN) == ChecklistStatus.OPEN
    ]


# --- KPIs ------------------------------------------------------------------


def clean_value(raw: Any, label: str = "value") -> Decimal:
    """A measurement or target as a Decimal, refusing what the column cannot
    hold. Raises ValueError with a message a person can act on."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{label} is required")
    text = raw.strip() if isinstance(raw, str) else str(raw)
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label} “{str(raw)[:40]}” is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{label} “{str(raw)[:40]}” is not a number")
    if abs(value) >= MAX_VALUE:
        raise ValueError(f"{label} is too large")
    return value.quantize(Decimal("0.0001"))


def _choice(raw: Any, choices: type, field: str) -> str:
    if raw not in choices.values:
        raise InvalidInput(f"Must be one of: {', '.join(choices.values)}.", field=field)
    return raw


def _decimal_field(raw: Any, field: str, label: str, required: bool = True) -> Decimal | None:
    if raw in (None, "") and not required:
        return None
    try:
        return clean_value(raw, label)
    except ValueError as exc:
        message = str(exc)
        raise InvalidInput(message[0].upper() + message[1:] + ".", field=field) from None


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
        raise InvalidInput("Name the KPI.", field="name")
    if len(name) > 120:
        raise InvalidInput("The name is longer than 120 characters.", field="name")
    unit = (unit or "").strip()
    if len(unit) > 30:
        raise InvalidInput("The unit is longer than 30 characters.", field="unit")
    kind = _choice(kind, KpiKind, "kind")
    direction = _choice(direction, KpiDirection, "direction")
    target_value = _decimal_field(target, "target", "target")
    baseline_value = _decimal_field(baseline, "baseline", "baseline", required=False)
    if Kpi.objects.filter(use_case=use_case, name__iexact=name).exists():
        raise InvalidInput(f"This use case already has a KPI named “{name}”.", field="name")
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
        raise InvalidInput("The note is longer than 1,000 characters.", field="note")
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
    data = file.read(MAX_IMPORT_BYTES + 1)
    if isinstance(data, str):
        data = data.encode()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("The file is larger than 1 MB.", field="file")
    if not data.strip():
        raise InvalidInput("The file is empty.", field="file")
    if b"\x00" in data:
        raise InvalidInput("The file contains NUL bytes: it is not a CSV text file.", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read); "
            "save it as CSV UTF-8 and try again.",
            field="file",
        ) from None


def parse_measurements_csv(text: str, kpis: list[Kpi]) -> tuple[list[ParsedRow], list[str]]:
    """Parse every row; return the rows and, per bad line, what is wrong.
    Line numbers count the header as line 1."""
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
    if not rows and not errors:
        errors.append("The file has no measurements below its header.")
    return rows, errors


@transaction.atomic
def kpi_measurements_import(*, use_case: UseCase, by: Any, file: IO[bytes]) -> list[KpiMeasurement]:
    """Import measurements from CSV (kpi, measured_at, value, note). All or
    nothing: any bad row refuses the whole file, naming each bad line."""
    use_case = _lock(use_case, by)
    text = _read_upload(file)
    rows, errors = parse_measurements_csv(text, list(Kpi.objects.filter(use_case=use_case)))
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(f"…and {len(errors) - MAX_REPORTED_ERRORS} more lines with errors.")
        raise InvalidInput(
            "Nothing was imported: fix these lines and upload the file again.", shown, "file"
        )
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
    _reevaluate_rules({row.kpi.pk for row in rows}, by)
    return created


# --- KPI rules on gate criteria --------------------------------------------


def _ensure_review_open(review: Any, what: str) -> None:
    """Read under the use case's lock: the review may have been submitted since."""
    review.refresh_from_db(fields=["status"])
    if review.status != ReviewStatus.OPEN:
        raise TransitionRefused(
            f"{what} only while its review is open.",
            [f"The review is {review.get_status_display().lower()}."],
        )


def kpi_rule_evidence(rule: KpiRule, measurement: KpiMeasurement) -> str:
    kpi = rule.kpi
    return (
        f"{kpi.name} {format_value(measurement.value, kpi.unit)} on "
        f"{measurement.measured_at.isoformat()} (rule: {OPERATOR_SYMBOLS[rule.operator]} "
        f"{format_value(rule.threshold, kpi.unit)})"
    )


def latest_measurement(kpi: Kpi) -> KpiMeasurement | None:
    return kpi.measurements.order_by("-measured_at", "-id").first()


def kpi_rule_evaluate(*, review_criterion: ReviewCriterion, by: Any) -> ReviewCriterion | None:
    """Assess a KPI-bound criterion from the KPI's latest measurement, as
    ``by``. Does nothing while the review is not open, when the KPI has no
    measurement yet, or when the assessment would not change."""
    try:
        rule = KpiRule.objects.select_related("kpi", "review_criterion__review").get(
            review_criterion=review_criterion
        )
    except KpiRule.DoesNotExist:
        return None
    criterion = rule.review_criterion
    if criterion.review.status != ReviewStatus.OPEN:
        return None
    measurement = latest_measurement(rule.kpi)
    if measurement is None:
        return None
    status = AssessmentStatus.MET if rule.holds_for(measurement.value) else AssessmentStatus.NOT_MET
    evidence = kpi_rule_evidence(rule, measurement)
    if criterion.status == status and criterion.evidence == evidence:
        return criterion
    return gate_services.criterion_assess(
        review=criterion.review, criterion=criterion, by=by, status=status, evidence=evidence
    )


@transaction.atomic
def kpi_rule_bind(
    *, review_criterion: ReviewCriterion, kpi: Kpi, by: Any, operator: str, threshold: Any
) -> KpiRule:
    """Bind a criterion of an open review to a KPI rule (replacing any rule it
    had) and assess it at once from the latest measurement."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    if kpi.use_case_id != use_case.pk:
        raise InvalidInput("The KPI must belong to the review's use case.", field="kpi")
    operator = _choice(operator, KpiOperator, "operator")
    value = _decimal_field(threshold, "threshold", "threshold")
    _ensure_review_open(review, "A criterion is bound to a KPI")
    before = (
        KpiRule.objects.filter(review_criterion=review_criterion)
        .values("kpi_id", "operator", "threshold")
        .first()
    )
    rule, _ = KpiRule.objects.update_or_create(
        review_criterion=review_criterion,
        defaults={"kpi": kpi, "operator": operator, "threshold": value, "created_by": by},
    )
    gate_services.touch(use_case, review)  # packs name the rule: earlier ones are stale
    audit_record(
        actor=by,
        action="kpi_rule.bound",
        summary=f"Criterion “{review_criterion.name}” assessed from {kpi.name} "
        f"{OPERATOR_SYMBOLS[operator]} {format_value(value, kpi.unit)}",
        use_case=use_case,
        obj=rule,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": {"kpi_id": kpi.pk, "operator": operator, "threshold": value},
        },
    )
    kpi_rule_evaluate(review_criterion=review_criterion, by=by)
    return rule


@transaction.atomic
def kpi_rule_unbind(*, review_criterion: ReviewCriterion, by: Any) -> None:
    """Unbind a criterion of an open review from its KPI rule. The criterion
    keeps its last assessment; from now on it is assessed by hand."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    _ensure_review_open(review, "A criterion is unbound from a KPI")
    rule = KpiRule.objects.select_related("kpi").filter(review_criterion=review_criterion).first()
    if rule is None:
        raise TransitionRefused(
            "This criterion is not bound to a KPI.",
            [f"“{review_criterion.name}” is assessed by hand."],
        )
    label = rule.label
    before = {"kpi_id": rule.kpi_id, "operator": rule.operator, "threshold": rule.threshold}
    rule.delete()
    gate_services.touch(use_case, review)  # packs name the rule: earlier ones are stale
    audit_record(
        actor=by,
        action="kpi_rule.unbound",
        summary=f"Criterion “{review_criterion.name}” no longer assessed from {label}",
        use_case=use_case,
        obj=review_criterion,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": None,
        },
    )


@transaction.atomic
def criterion_scorecard_cite(
    *, review_criterion: ReviewCriterion, by: Any, scorecard: PocScorecard | None
) -> None:
    """Cite a version of the use case's PoC scorecard as evidence for a
    criterion of an open review, or with ``None`` cite none."""
    review = review_criterion.review
    use_case = _lock(review.use_case, by)
    _ensure_review_open(review, "A criterion cites the PoC scorecard")
    if scorecard is not None and scorecard.use_case_id != use_case.pk:
        raise InvalidInput("Cite a scorecard of this use case.", field="scorecard")
    before = sorted(review_criterion.scorecards.values_list("version", flat=True))
    after = [scorecard.version] if scorecard is not None else []
    if before == after:
        return
    review_criterion.scorecards.set([scorecard] if scorecard is not None else [])
    gate_services.touch(use_case, review)  # the evidence changed: earlier packs are stale
    audit_record(
        actor=by,
        action="criterion.scorecard_cited",
        summary=(
            f"Criterion “{review_criterion.name}” cites {scorecard.label}"
            if scorecard is not None
            else f"Criterion “{review_criterion.name}” no longer cites the PoC scorecard"
        ),
        use_case=use_case,
        obj=review_criterion,
        payload={
            "review": review.pk,
            "criterion": review_criterion.pk,
            "before": before,
            "after": after,
        },
    )


__all__ = [
    "criterion_scorecard_cite",
    "checklist_item_update",
    "checklist_open_items",
    "checklist_start",
    "kpi_create",
    "kpi_measurement_record",
    "kpi_measurements_import",
    "kpi_rule_bind",
    "kpi_rule_evaluate",
    "kpi_rule_unbind",
    "prioritization_save",
    "priority_score",
    "scorecard_band",
    "scorecard_save",
]
