"""What every gate-engine action shares: locks in one order, the killed-use-case
refusal, the activity and revision bump, and the registries of Go checks and
assessment guards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from core.errors import DomainError
from gates.models import GateReview
from usecases.models import UseCase
from usecases.rules import ensure_writable

User = get_user_model()

# Extra checks a Go must pass, registered by other apps (readiness adds the
# production readiness checklist at Gate 3). Each returns refusal reasons.
GoCheck = Callable[[GateReview], list[str]]
GO_CHECKS: list[GoCheck] = []


# Checks of a Go or Conditional Go that depend on the decision and on the
# conditions recorded with it (readiness: the PoC scorecard's bands at Gate 2).
# Each receives the review, the decision and the descriptions of the
# conditions being recorded, and returns refusal reasons.
DecisionCheck = Callable[[GateReview, str, Sequence[str]], list[str]]
DECISION_CHECKS: list[DecisionCheck] = []


def register_decision_check(check: DecisionCheck) -> DecisionCheck:
    if check not in DECISION_CHECKS:
        DECISION_CHECKS.append(check)
    return check


# Criteria another app assesses from data, registered by that app (readiness:
# a criterion bound to a KPI rule is assessed only from measurements). Each
# returns the refusal of a hand assessment, or None.
AssessmentGuard = Callable[[Any], DomainError | None]
ASSESSMENT_GUARDS: list[AssessmentGuard] = []


def register_assessment_guard(guard: AssessmentGuard) -> AssessmentGuard:
    if guard not in ASSESSMENT_GUARDS:
        ASSESSMENT_GUARDS.append(guard)
    return guard


def register_go_check(check: GoCheck) -> GoCheck:
    if check not in GO_CHECKS:
        GO_CHECKS.append(check)
    return check


def _lock_use_case(use_case_id: int) -> UseCase:
    return UseCase.objects.select_for_update().get(pk=use_case_id)


def _lock_review(review_id: int) -> tuple[UseCase, GateReview]:
    use_case_id = GateReview.objects.values_list("use_case_id", flat=True).get(pk=review_id)
    use_case = _lock_use_case(use_case_id)
    review = GateReview.objects.select_for_update().get(pk=review_id)
    review.use_case = use_case
    return use_case, review


def _ensure_not_killed(use_case: UseCase) -> None:
    ensure_writable(use_case)


def touch(use_case: UseCase, review: GateReview | None = None) -> None:
    """Record activity on the use case (stalled detection) and, given the
    review, a new revision of it (packs made before are stale)."""
    now = timezone.now()
    UseCase.objects.filter(pk=use_case.pk).update(last_activity_at=now)
    if review is not None:
        GateReview.objects.filter(pk=review.pk).update(revision=F("revision") + 1, updated_at=now)
