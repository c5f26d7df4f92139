from __future__ import annotations

from django.urls import path

from gates import views

urlpatterns = [
    path("use-cases/<id:pk>/artifacts/", views.usecase_artifacts, name="usecase-artifacts"),
    path("use-cases/<id:pk>/audit/", views.usecase_audit, name="usecase-audit"),
    path("use-cases/<id:pk>/controls/", views.usecase_controls, name="usecase-controls"),
    path("use-cases/<id:pk>/open-review/", views.review_open, name="review-open"),
    path("use-cases/<id:pk>/resume/", views.usecase_resume, name="usecase-resume"),
    path("artifacts/<id:pk>/download/", views.artifact_download, name="artifact-download"),
    path("reviews/<id:pk>/submit/", views.review_submit, name="review-submit"),
    path("reviews/<id:pk>/schedule/", views.review_schedule, name="review-schedule"),
    path("conditions/<id:pk>/close/", views.condition_close, name="condition-close"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<id:pk>/revoke/", views.delegation_revoke, name="delegation-revoke"),
]
