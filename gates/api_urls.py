from __future__ import annotations

from django.urls import path

from gates import api

urlpatterns = [
    path("gate-templates/", api.GateTemplateListView.as_view(), name="api-gate-templates"),
    path(
        "use-cases/<int:pk>/artifacts/",
        api.UseCaseArtifactsView.as_view(),
        name="api-usecase-artifacts",
    ),
    path(
        "artifacts/<int:pk>/download/",
        api.ArtifactDownloadView.as_view(),
        name="api-artifact-download",
    ),
    path(
        "use-cases/<int:pk>/reviews/", api.UseCaseReviewsView.as_view(), name="api-usecase-reviews"
    ),
    path("use-cases/<int:pk>/resume/", api.UseCaseResumeView.as_view(), name="api-usecase-resume"),
    path("reviews/<int:pk>/", api.ReviewDetailView.as_view(), name="api-review-detail"),
    path(
        "reviews/<int:pk>/criteria/<int:criterion_id>/",
        api.CriterionAssessView.as_view(),
        name="api-review-criterion",
    ),
    path("reviews/<int:pk>/submit/", api.ReviewSubmitView.as_view(), name="api-review-submit"),
    path(
        "reviews/<int:pk>/approvals/", api.ApprovalRecordView.as_view(), name="api-review-approvals"
    ),
    path(
        "reviews/<int:pk>/approvers/<int:approver_id>/reassign/",
        api.ApproverReassignView.as_view(),
        name="api-review-approver-reassign",
    ),
    path("reviews/<int:pk>/decision/", api.GateDecideView.as_view(), name="api-review-decision"),
    path("delegations/", api.DelegationListView.as_view(), name="api-delegations"),
    path(
        "delegations/<int:pk>/revoke/",
        api.DelegationRevokeView.as_view(),
        name="api-delegation-revoke",
    ),
    path(
        "conditions/<int:pk>/close/", api.ConditionCloseView.as_view(), name="api-condition-close"
    ),
]
