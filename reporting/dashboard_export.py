"""The executive dashboard's tables as CSV and XLSX: what the page shows, from
the same read (``dashboard_read.dashboard``, a fixed number of queries), one
table per panel. Program leads and executives, like the page. The figures
are in ``GET /api/v1/dashboard/`` too, typed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.web import display_name
from reporting import dashboard_read
from reporting.dashboard_read import Dashboard
from reporting.exports import CSV_TYPE, XLSX_TYPE, Table, attachment, csv_text, tables_workbook
from reporting.views import _dashboard_user
from usecases.models import RiskTier


def _yes(flag: object) -> str:
    return "yes" if flag else "no"


def _norm(norm: object) -> str:
    return norm.describe() if norm is not None else ""  # type: ignore[attr-defined]


def _days(value: float | None) -> object:
    return "" if value is None else round(value)


def _stage_tables(data: Dashboard) -> list[Table]:
    return [
        Table(
            "stages",
            "Use cases per stage",
            [
                "stage",
                "active",
                "on_hold",
                "killed",
                "retired",
                "overdue",
                "stalled",
                "recertification_due",
                "recertification_overdue",
                "median_days_in_stage",
                "norm",
                "median_over_norm",
            ],
            [
                [
                    row.stage.label,
                    row.active,
                    row.on_hold,
                    row.killed,
                    row.retired,
                    row.overdue,
                    row.stalled,
                    row.recertification_due,
                    row.recertification_overdue,
                    _days(row.median_days),
                    _norm(row.norm),
                    _yes(row.median_over_norm),
                ]
                for row in data.stages
            ],
        ),
        Table(
            "gate_conversion",
            "Conversion through each gate",
            ["gate", "from_stage", "to_stage", "reached", "passed", "rate_percent"],
            [
                [
                    f"Gate {gate.number}",
                    gate.from_stage.label,
                    gate.to_stage.label,
                    gate.reached,
                    gate.passed,
                    "" if gate.percent is None else gate.percent,
                ]
                for gate in data.conversions
            ],
        ),
        Table(
            "decisions",
            f"Gate decisions in {data.quarter}",
            ["decision", "count"],
            [[label, count] for _code, label, count in data.decisions],
        ),
        Table(
            "risk_tiers",
            "Risk tier mix per stage (active and on hold)",
            ["stage", *(tier.lower() for tier in RiskTier.labels)],
            [[row.stage.label, *row.risk_tier_counts] for row in data.stages],
        ),
        Table(
            "regulations",
            "Regulations in force (active and on hold)",
            ["regulation", "use_cases"],
            [[label, count] for _code, label, count in data.regulations],
        ),
    ]


def _list_tables(data: Dashboard) -> list[Table]:
    today = timezone.localdate(data.now)
    operation, ended = data.operation, data.end_of_life
    return [
        Table(
            "attention",
            "Overdue and stalled (longest in stage first)",
            [
                "id",
                "title",
                "business_unit",
                "stage",
                "days_in_stage",
                "norm",
                "days_idle",
                "overdue",
                "stalled",
            ],
            [
                [
                    uc.pk,
                    uc.title,
                    uc.business_unit.name,
                    uc.get_stage_display(),
                    uc.days_in_stage_now,
                    _norm(uc.norm),
                    uc.days_idle,
                    _yes(uc.is_overdue),
                    _yes(uc.is_stalled),
                ]
                for uc in data.attention
            ],
        ),
        Table(
            "upcoming_reviews",
            "Upcoming gate reviews",
            [
                "review",
                "use_case",
                "business_unit",
                "gate",
                "status",
                "planned_date",
                "late",
                "chair",
            ],
            [
                [
                    item.review.pk,
                    item.review.use_case.title,
                    item.review.use_case.business_unit.name,
                    item.review.heading,
                    item.review.get_status_display(),
                    item.review.planned_date.isoformat() if item.review.planned_date else "",
                    _yes(item.review.is_late_on(today)),
                    display_name(item.review.chair),
                ]
                for item in data.upcoming
            ],
        ),
        Table(
            "recertifications",
            "In operation: recertifications due and overdue (most urgent first)",
            ["use_case", "business_unit", "owner", "due_on", "overdue", "open_review"],
            [
                [
                    item.use_case.title,
                    item.use_case.business_unit.name,
                    display_name(item.use_case.operating_owner),
                    item.due_on.isoformat(),
                    _yes(item.overdue),
                    item.open_review_id or "",
                ]
                for item in operation.urgent
            ],
        ),
        Table(
            "recertification_decisions",
            "Recertifications decided in the last 12 months",
            ["decision", "count"],
            [[label, count] for _code, label, count in operation.decisions],
        ),
        Table(
            "retired_vs_killed",
            "Retired vs killed",
            ["ended", "use_cases"],
            [
                ["retired", ended.retired],
                ["retired in the last 12 months", ended.retired_last_year],
                ["killed", ended.killed],
                *[[f"killed at {gate} ({stage})", n] for gate, stage, n in ended.killed_by_gate],
            ],
        ),
        Table(
            "expiring_evidence",
            "Expiring evidence (soonest first)",
            ["use_case", "evidence", "version", "expires_on", "expired"],
            [
                [
                    row.artifact.use_case.title,
                    row.artifact.artifact_type.name,
                    row.artifact.version,
                    row.expires_on.isoformat(),
                    _yes(row.expired),
                ]
                for row in data.expiring
            ],
        ),
    ]


def dashboard_tables(data: Dashboard) -> list[Table]:
    """The page's tables, in its order: what the CSV and the workbook hold."""
    return [*_stage_tables(data), *_list_tables(data)]


@login_required
@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = dashboard_tables(dashboard_read.dashboard(user=request.user))
    return attachment(csv_text(tables), CSV_TYPE, "dashboard", "csv")


@login_required
@require_GET
def dashboard_xlsx(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = dashboard_tables(dashboard_read.dashboard(user=request.user))
    return attachment(tables_workbook(tables), XLSX_TYPE, "dashboard", "xlsx")
