from __future__ import annotations

from django.urls import path

from value import views_rollout as views

urlpatterns = [
    path("use-cases/<id:pk>/rollout/", views.usecase_rollout, name="usecase-rollout"),
    path("use-cases/<id:pk>/rollout/pilot/", views.pilot_scope_save, name="usecase-rollout-pilot"),
    path("use-cases/<id:pk>/rollout/waves/", views.waves_plan, name="usecase-rollout-waves"),
    path(
        "use-cases/<id:pk>/rollout/waves/<id:wave_id>/start/",
        views.wave_start,
        name="usecase-rollout-wave-start",
    ),
    path(
        "use-cases/<id:pk>/rollout/waves/<id:wave_id>/validate/",
        views.wave_validate,
        name="usecase-rollout-wave-validate",
    ),
]
