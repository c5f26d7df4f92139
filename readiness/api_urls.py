from __future__ import annotations

from django.urls import path

from readiness import api

urlpatterns = [
    path(
        "use-cases/<int:pk>/readiness/", api.ReadinessView.as_view(), name="api-usecase-readiness"
    ),
    path(
        "use-cases/<int:pk>/prioritization/",
        api.PrioritizationView.as_view(),
        name="api-usecase-prioritization",
    ),
    path(
        "use-cases/<int:pk>/scorecard/", api.ScorecardView.as_view(), name="api-usecase-scorecard"
    ),
    path(
        "use-cases/<int:pk>/checklist/", api.ChecklistView.as_view(), name="api-usecase-checklist"
    ),
    path(
        "use-cases/<int:pk>/checklist/<int:item_id>/",
        api.ChecklistItemView.as_view(),
        name="api-usecase-checklist-item",
    ),
    path("use-cases/<int:pk>/kpis/", api.KpiListView.as_view(), name="api-usecase-kpis"),
    path(
        "use-cases/<int:pk>/kpis/import/",
        api.KpiImportView.as_view(),
        name="api-usecase-kpi-import",
    ),
    path(
        "kpis/<int:kpi_id>/measurements/",
        api.KpiMeasurementView.as_view(),
        name="api-kpi-measurements",
    ),
    path(
        "reviews/<int:review_id>/criteria/<int:criterion_id>/kpi-rule/",
        api.KpiRuleView.as_view(),
        name="api-criterion-kpi-rule",
    ),
    path(
        "reviews/<int:review_id>/criteria/<int:criterion_id>/scorecard/",
        api.CriterionScorecardView.as_view(),
        name="api-criterion-scorecard",
    ),
]
