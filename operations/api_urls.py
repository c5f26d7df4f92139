from __future__ import annotations

from django.urls import path

from operations import api

urlpatterns = [
    path(
        "use-cases/<id:pk>/operation/",
        api.OperationView.as_view(),
        name="api-usecase-operation",
    ),
    path(
        "use-cases/<id:pk>/operation/owner/",
        api.OperationOwnerView.as_view(),
        name="api-usecase-operation-owner",
    ),
    path(
        "use-cases/<id:pk>/incidents/",
        api.IncidentListView.as_view(),
        name="api-usecase-incidents",
    ),
    path("kpis/<id:kpi_id>/drift/", api.KpiDriftView.as_view(), name="api-kpi-drift"),
]
