"""The dashboard's value exports, under /dashboard/ (included by ``reporting.urls``)."""

from __future__ import annotations

from django.urls import path

from reporting import value_export

urlpatterns = [
    path("value.csv", value_export.value_csv, name="value-export-csv"),
    path("value.xlsx", value_export.value_xlsx, name="value-export-xlsx"),
    path("portfolio.xlsx", value_export.portfolio_xlsx, name="portfolio-export-xlsx"),
]
