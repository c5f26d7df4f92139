from __future__ import annotations

from django.urls import path

from value import api_rollout as api

urlpatterns = [
    path("use-cases/<id:pk>/rollout/", api.RolloutView.as_view(), name="api-usecase-rollout"),
    path(
        "use-cases/<id:pk>/rollout/pilot/",
        api.PilotScopeView.as_view(),
        name="api-usecase-rollout-pilot",
    ),
    path(
        "use-cases/<id:pk>/rollout/waves/",
        api.WavesPlanView.as_view(),
        name="api-usecase-rollout-waves",
    ),
    path("rollout-waves/<id:pk>/start/", api.WaveStartView.as_view(), name="api-wave-start"),
    path(
        "rollout-waves/<id:pk>/validate/",
        api.WaveValidateView.as_view(),
        name="api-wave-validate",
    ),
    path(
        "reviews/<id:review_id>/criteria/<id:criterion_id>/value-rule/",
        api.ValueRuleView.as_view(),
        name="api-criterion-value-rule",
    ),
]
