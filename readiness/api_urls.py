from __future__ import annotations

from django.urls import path

from readiness import api

urlpatterns = [
    path("use-cases/<id:pk>/readiness/", api.ReadinessView.as_view(), name="api-usecase-readiness"),
    path(
        "use-cases/<id:pk>/prioritization/",
        api.PrioritizationView.as_view(),
        name="api-usecase-prioritization",
    ),
    path("use-cases/<id:pk>/scorecard/", api.ScorecardView.as_view(), name="api-usecase-scorecard"),
    path("use-cases/<id:pk>/checklist/", api.ChecklistView.as_view(), name="api-usecase-checklist"),
    path(
        "use-cases/<id:pk>/checklist/<id:item_id>/",
        api.ChecklistItemView.as_view(),
        name="api-usecase-checklist-item",
    ),
    path("use-cases/<id:pk>/kpis/", api.KpiListView.as_view(), name="api-usecase-kpis"),
    path(
        "use-cases/<id:pk>/kpis/import/",
        api.KpiImportView.as_view(),
        name="api-usecase-kpi-import",
    ),
    path(
        "kpis/<id:kpi_id>/measurements/",
        api.KpiMeasurementView.as_view(),
        name="api-kpi-measurements",
    ),
    path(
        "reviews/<id:review_id>/criteria/<id:criterion_id>/kpi-rule/",
        api.KpiRuleView.as_view(),
        name="api-criterion-kpi-rule",
    ),
    path(
        "reviews/<id:review_id>/criteria/<id:criterion_id>/scorecard/",
        api.CriterionScorecardView.as_view(),
        name="api-criterion-scorecard",
    ),
]
