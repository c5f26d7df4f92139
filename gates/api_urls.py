from __future__ import annotations

from django.urls import path

from gates import api

urlpatterns = [
    path("gate-templates/", api.GateTemplateListView.as_view(), name="api-gate-templates"),
    path(
        "use-cases/<id:pk>/artifacts/",
        api.UseCaseArtifactsView.as_view(),
        name="api-usecase-artifacts",
    ),
    path(
        "artifacts/<id:pk>/download/",
        api.ArtifactDownloadView.as_view(),
        name="api-artifact-download",
    ),
    path(
        "use-cases/<id:pk>/reviews/", api.UseCaseReviewsView.as_view(), name="api-usecase-reviews"
    ),
    path("use-cases/<id:pk>/resume/", api.UseCaseResumeView.as_view(), name="api-usecase-resume"),
    path("reviews/<id:pk>/", api.ReviewDetailView.as_view(), name="api-review-detail"),
    path(
        "reviews/<id:pk>/criteria/<id:criterion_id>/",
        api.CriterionAssessView.as_view(),
        name="api-review-criterion",
    ),
    path("reviews/<id:pk>/submit/", api.ReviewSubmitView.as_view(), name="api-review-submit"),
    path("reviews/<id:pk>/schedule/", api.ReviewScheduleView.as_view(), name="api-review-schedule"),
    path("me/queues/", api.MyQueuesView.as_view(), name="api-my-queues"),
    *(
        path(f"me/queues/{name}/", view.as_view(), name=f"api-my-queue-{name}")
        for name, view in api.MY_QUEUE_VIEWS.items()
    ),
    path(
        "reviews/<id:pk>/approvals/", api.ApprovalRecordView.as_view(), name="api-review-approvals"
    ),
    path(
        "reviews/<id:pk>/approvers/<id:approver_id>/reassign/",
        api.ApproverReassignView.as_view(),
        name="api-review-approver-reassign",
    ),
    path("reviews/<id:pk>/return/", api.ReviewReturnView.as_view(), name="api-review-return"),
    path("reviews/<id:pk>/decision/", api.GateDecideView.as_view(), name="api-review-decision"),
    path("delegations/", api.DelegationListView.as_view(), name="api-delegations"),
    path(
        "delegations/<id:pk>/revoke/",
        api.DelegationRevokeView.as_view(),
        name="api-delegation-revoke",
    ),
    path("conditions/<id:pk>/close/", api.ConditionCloseView.as_view(), name="api-condition-close"),
    path("controls/", api.ControlListView.as_view(), name="api-controls"),
    path("exit-reasons/", api.ExitReasonListView.as_view(), name="api-exit-reasons"),
    path(
        "decommissioning-steps/",
        api.DecommissioningStepListView.as_view(),
        name="api-decommissioning-steps",
    ),
    path(
        "use-cases/<id:pk>/controls/",
        api.UseCaseControlsView.as_view(),
        name="api-usecase-controls",
    ),
]
