from __future__ import annotations

from django.urls import path

from readiness import views

urlpatterns = [
    path("use-cases/<id:pk>/readiness/", views.usecase_readiness, name="usecase-readiness"),
    path(
        "use-cases/<id:pk>/readiness/prioritization/",
        views.prioritization_save,
        name="usecase-readiness-prioritization",
    ),
    path(
        "use-cases/<id:pk>/readiness/scorecard/",
        views.scorecard_save,
        name="usecase-readiness-scorecard",
    ),
    path(
        "use-cases/<id:pk>/readiness/checklist/<id:number>/",
        views.checklist_item_save,
        name="usecase-readiness-checklist-item",
    ),
    path("use-cases/<id:pk>/readiness/kpis/", views.kpi_create, name="usecase-readiness-kpi"),
    path(
        "use-cases/<id:pk>/readiness/kpis/<id:kpi_id>/measurements/",
        views.measurement_record,
        name="usecase-readiness-measurement",
    ),
    path(
        "use-cases/<id:pk>/readiness/kpis/import/",
        views.kpi_import,
        name="usecase-readiness-kpi-import",
    ),
]
