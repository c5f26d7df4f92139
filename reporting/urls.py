from __future__ import annotations

from django.urls import include, path

from reporting import views

urlpatterns = [
    path("reviews/<id:pk>/packs/", views.pack_panel, name="review-packs"),
    path("reviews/<id:pk>/packs/request/", views.pack_request, name="review-pack-request"),
    path("packs/<id:pk>/download/", views.pack_download, name="pack-download"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/portfolio.csv", views.portfolio_export, name="portfolio-export"),
    path("dashboard/", include("reporting.value_urls")),
]
