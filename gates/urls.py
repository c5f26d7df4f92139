from __future__ import annotations

from django.urls import path

from gates import views

urlpatterns = [
    path("use-cases/<int:pk>/artifacts/", views.usecase_artifacts, name="usecase-artifacts"),
    path("use-cases/<int:pk>/audit/", views.usecase_audit, name="usecase-audit"),
    path("use-cases/<int:pk>/open-review/", views.review_open, name="review-open"),
    path("use-cases/<int:pk>/resume/", views.usecase_resume, name="usecase-resume"),
    path("artifacts/<int:pk>/download/", views.artifact_download, name="artifact-download"),
    path("reviews/<int:pk>/submit/", views.review_submit, name="review-submit"),
    path("conditions/<int:pk>/close/", views.condition_close, name="condition-close"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/revoke/", views.delegation_revoke, name="delegation-revoke"),
]
