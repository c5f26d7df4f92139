"""Who may do what with gate packs and the dashboard.

- See and download a pack: anyone who sees the review's use case
  (``usecases.access.use_cases_visible_to``); executives see every use case,
  so they download any pack.
- Request a pack: program leads, executives, the use case's team (sponsor,
  technical lead, contributors) and the review's named approvers. A business
  unit head who is not an approver reads packs but does not request them.
- The dashboard and the portfolio export: program leads and executives.
- How often: ``THROTTLE_PACK_REQUESTS`` pack requests per person.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from core.throttling import ScopedUserThrottle
from gates.models import GateReview, ReviewApprover
from usecases import access

REQUEST_REFUSAL = gettext_lazy(
    "Only program leads, executives, the use case's team and the review's named approvers "
    "request gate packs."
)
DASHBOARD_REFUSAL = gettext_lazy("The executive dashboard is for program leads and executives.")


def can_request_pack(user: Any, review: GateReview, *, is_approver: bool | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if access.sees_whole_portfolio(user):
        return True
    if access.member_roles(user, review.use_case):
        return True
    if is_approver is not None:
        return is_approver
    return ReviewApprover.objects.filter(review=review, user=user).exists()


def can_see_dashboard(user: Any) -> bool:
    return access.sees_whole_portfolio(user)


class PackRequestThrottle(ScopedUserThrottle):
    """Gate pack requests per person (``THROTTLE_PACK_REQUESTS``), page and
    API together. A request answered with an existing pack counts too."""

    scope = "pack_requests"
    subject = "pack requests"
