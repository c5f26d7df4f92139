from __future__ import annotations

from django.urls import path

from front.views import portfolio, review, usecase

urlpatterns = [
    path("", portfolio.home, name="home"),
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("use-cases/<int:pk>/", usecase.usecase_detail, name="usecase-detail"),
    path("use-cases/<int:pk>/team/", usecase.member_add, name="usecase-member-add"),
    path(
        "use-cases/<int:pk>/team/<int:member_id>/remove/",
        usecase.member_remove,
        name="usecase-member-remove",
    ),
    path("reviews/<int:pk>/", review.review_detail, name="review-detail"),
    path(
        "reviews/<int:pk>/criteria/<int:criterion_id>/",
        review.criterion_assess,
        name="criterion-assess",
    ),
    path(
        "reviews/<int:pk>/criteria/<int:criterion_id>/kpi-rule/",
        review.criterion_kpi_rule,
        name="criterion-kpi-rule",
    ),
    path("reviews/<int:pk>/approval/", review.approval_record, name="review-approval"),
    path("reviews/<int:pk>/decision/", review.gate_decide, name="review-decision"),
    path(
        "reviews/<int:pk>/approvers/<int:approver_id>/reassign/",
        review.approver_reassign,
        name="review-approver-reassign",
    ),
]
