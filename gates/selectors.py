"""Read queries of the gate engine, shaped for a page or endpoint."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gates.models import ApprovalDecision, ReviewApprover, ReviewStatus


def approvals_pending_for(user: Any) -> QuerySet[ReviewApprover]:
    """The reviews waiting for this person's own decision, oldest first."""
    return (
        ReviewApprover.objects.filter(
            user=user,
            decision=ApprovalDecision.PENDING,
            review__status=ReviewStatus.SUBMITTED,
        )
        .select_related("review", "review__use_case", "review__chair")
        .order_by("review__submitted_at", "id")
    )
