from __future__ import annotations

from django.urls import path

from reporting import api
from reporting.value_api import DashboardValueView

urlpatterns = [
    path("reviews/<id:pk>/packs/", api.ReviewPacksView.as_view(), name="api-review-packs"),
    path("packs/<id:pk>/", api.PackDetailView.as_view(), name="api-pack-detail"),
    path("packs/<id:pk>/download/", api.PackDownloadView.as_view(), name="api-pack-download"),
    path("dashboard/", api.DashboardView.as_view(), name="api-dashboard"),
    path("dashboard/value/", DashboardValueView.as_view(), name="api-dashboard-value"),
]
