"""The value tables of the dashboard as CSV and XLSX, and the portfolio
export as XLSX. Program leads and executives, like the dashboard. The files
are written by ``reporting.exports`` (text cells defused against formulas)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from reporting import selectors
from reporting.exports import (
    CSV_TYPE,
    XLSX_TYPE,
    Table,
    attachment,
    csv_text,
    tables_workbook,
    workbook,
)
from reporting.value_selectors import PortfolioValue, portfolio_value
from reporting.views import EXPORT_HEADER, _dashboard_user
from usecases import custom_fields

__all__ = ["XLSX_TYPE", "portfolio_xlsx", "value_csv", "value_tables", "value_xlsx"]


def _days(value: float | None) -> Any:
    return "" if value is None else round(value, 1)


def value_tables(data: PortfolioValue) -> list[Table]:
    """The panel's figures as tables: what the CSV and the workbook hold."""
    return [
        Table(
            "headline",
            f"Portfolio value ({data.currency})",
            ["figure", "amount"],
            [
                ["cost so far (actual)", data.spent],
                ["pipeline to production (planned one-off)", data.pipeline_planned],
                ["pipeline projected from PoC actuals (low)", data.pipeline_projected.low],
                ["pipeline projected from PoC actuals (high)", data.pipeline_projected.high],
                ["realised benefits", data.realised],
                ["annual benefits hoped for (in play)", data.hypothesis_annual],
                ["kills", data.kills],
                ["spent before the kill", data.killed_spent],
            ],
        ),
        Table(
            "money_by_stage",
            "Money by stage (use cases in play, by their stage now)",
            [
                "stage",
                "use_cases",
                "planned",
                "actual",
                "projected_low",
                "projected_high",
                "use_cases_with_poc_actuals",
                "pipeline_planned",
                "benefits_annual_hypothesis",
                "benefits_realised",
            ],
            [
                [
                    s.stage.label,
                    s.use_cases,
                    s.planned,
                    s.actual,
                    s.projected.low,
                    s.projected.high,
                    s.with_poc_actuals,
                    s.pipeline_planned,
                    s.hypothesis_annual,
                    s.realised,
                ]
                for s in data.stages
            ],
        ),
        Table(
            "roi_3y",
            "3-year ROI (use cases in play with costs)",
            ["roi_percent", "use_cases"],
            [[b.label, b.count] for b in data.roi],
        ),
        Table(
            "payback_month",
            "Payback month (use cases in play with costs)",
            ["payback_month", "use_cases"],
            [[b.label, b.count] for b in data.payback],
        ),
        Table(
            "kills_by_gate",
            "Kills by gate",
            ["gate", "kills", "average_days_before_kill", "spent_before_kill"],
            [[r.label, r.kills, _days(r.days), r.spent] for r in data.kills_by_gate],
        ),
        Table(
            "kills_by_reason",
            "Kills by reason",
            ["reason_code", "reason", "kills", "average_days_before_kill", "spent_before_kill"],
            [[r.key, r.label, r.kills, _days(r.days), r.spent] for r in data.kills_by_reason],
        ),
    ]


@login_required
@require_GET
def value_csv(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = value_tables(portfolio_value(user=request.user))
    return attachment(csv_text(tables), CSV_TYPE, "portfolio-value", "csv")


@login_required
@require_GET
def value_xlsx(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = value_tables(portfolio_value(user=request.user))
    return attachment(tables_workbook(tables), XLSX_TYPE, "portfolio-value", "xlsx")


@login_required
@require_GET
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    """The portfolio export's rows in a workbook (built in memory: a few MB
    at 10,000 use cases)."""
    _dashboard_user(request)
    fields = custom_fields.active_fields()
    rows = selectors.portfolio_export_rows(user=request.user, fields=fields)
    header = [*EXPORT_HEADER, *selectors.export_columns(fields)]
    content = workbook([("portfolio", header, rows)])
    return attachment(content, XLSX_TYPE, "portfolio", "xlsx")
