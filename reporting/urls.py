from __future__ import annotations

from django.urls import include, path

from reporting import dashboard_export, views

urlpatterns = [
    path("reviews/<id:pk>/packs/", views.pack_panel, name="review-packs"),
    path("reviews/<id:pk>/packs/request/", views.pack_request, name="review-pack-request"),
    path("packs/<id:pk>/download/", views.pack_download, name="pack-download"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/portfolio.csv", views.portfolio_export, name="portfolio-export"),
    path("dashboard/tables.csv", dashboard_export.dashboard_csv, name="dashboard-export-csv"),
    path("dashboard/tables.xlsx", dashboard_export.dashboard_xlsx, name="dashboard-export-xlsx"),
    path("dashboard/", include("reporting.value_urls")),
]
