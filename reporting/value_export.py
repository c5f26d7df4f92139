"""The value tables of the dashboard as CSV and XLSX, and the portfolio
export as XLSX. Program leads and executives, like the dashboard.

Every text cell goes through ``views.csv_safe``: a label an administrator
typed (an exit reason) that starts with = + - @ is never read as a formula,
in the CSV as in the workbook (openpyxl writes such a string as a formula)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from reporting import selectors
from reporting.value_selectors import PortfolioValue, portfolio_value
from reporting.views import EXPORT_HEADER, _dashboard_user, csv_safe
from usecases import custom_fields

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    name: str  # the XLSX sheet's name (31 characters at most)
    title: str
    header: list[str]
    rows: list[list[Any]]


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


def _csv_text(tables: Sequence[Table]) -> str:
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


def _workbook(sheets: Iterable[tuple[str, list[str], Iterable[list[Any]]]]) -> bytes:
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


def _attachment(content: bytes | str, content_type: str, stem: str, extension: str):
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def value_csv(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = value_tables(portfolio_value(user=request.user))
    return _attachment(_csv_text(tables), "text/csv; charset=utf-8", "portfolio-value", "csv")


@login_required
@require_GET
def value_xlsx(request: HttpRequest) -> HttpResponse:
    _dashboard_user(request)
    tables = value_tables(portfolio_value(user=request.user))
    content = _workbook((t.name, t.header, t.rows) for t in tables)
    return _attachment(content, XLSX_TYPE, "portfolio-value", "xlsx")


@login_required
@require_GET
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    """The portfolio export's rows in a workbook (built in memory: a few MB
    at 10,000 use cases)."""
    _dashboard_user(request)
    fields = custom_fields.active_fields()
    rows = selectors.portfolio_export_rows(user=request.user, fields=fields)
    header = [*EXPORT_HEADER, *selectors.export_columns(fields)]
    content = _workbook([("portfolio", header, rows)])
    return _attachment(content, XLSX_TYPE, "portfolio", "xlsx")
