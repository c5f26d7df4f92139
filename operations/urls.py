from __future__ import annotations

from django.urls import path

from operations import views

urlpatterns = [
    path("use-cases/<id:pk>/operation/", views.usecase_operation, name="usecase-operation"),
    path(
        "use-cases/<id:pk>/operation/owner/",
        views.owner_change,
        name="usecase-operation-owner",
    ),
    path(
        "use-cases/<id:pk>/operation/kpis/<id:kpi_id>/drift/",
        views.drift_save,
        name="usecase-operation-drift",
    ),
    path(
        "use-cases/<id:pk>/operation/incidents/",
        views.incident_create,
        name="usecase-operation-incidents",
    ),
]
