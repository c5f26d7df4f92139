from __future__ import annotations

from django.urls import path

from front.views import portfolio, review, usecase

urlpatterns = [
    path("", portfolio.home, name="home"),
    path("my-work/", portfolio.my_work, name="my-work"),
    path("my-work/<slug:queue>/", portfolio.my_work_queue, name="my-work-queue"),
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("use-cases/<id:pk>/", usecase.usecase_detail, name="usecase-detail"),
    path("use-cases/<id:pk>/team/", usecase.member_add, name="usecase-member-add"),
    path(
        "use-cases/<id:pk>/team/<id:member_id>/remove/",
        usecase.member_remove,
        name="usecase-member-remove",
    ),
    path("reviews/<id:pk>/", review.review_detail, name="review-detail"),
    path(
        "reviews/<id:pk>/criteria/<id:criterion_id>/",
        review.criterion_assess,
        name="criterion-assess",
    ),
    path(
        "reviews/<id:pk>/criteria/<id:criterion_id>/kpi-rule/",
        review.criterion_kpi_rule,
        name="criterion-kpi-rule",
    ),
    path(
        "reviews/<id:pk>/criteria/<id:criterion_id>/value-rule/",
        review.criterion_value_rule,
        name="criterion-value-rule",
    ),
    path("reviews/<id:pk>/approval/", review.approval_record, name="review-approval"),
    path("reviews/<id:pk>/decision/", review.gate_decide, name="review-decision"),
    path("reviews/<id:pk>/return/", review.review_return, name="review-return"),
    path(
        "reviews/<id:pk>/approvers/<id:approver_id>/reassign/",
        review.approver_reassign,
        name="review-approver-reassign",
    ),
]
