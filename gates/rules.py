"""Who may do what in the gate engine. Services enforce these; pages use them
to show only the actions a person can take."""

from __future__ import annotations

from typing import Any

from gates.models import GateReview, ReviewStatus
from usecases import access
from usecases.models import MemberRole, Status, UseCase

UPLOADER_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.CONTRIBUTOR, MemberRole.TECHNICAL_LEAD})
SUBMITTER_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD})


def is_team_member(user: Any, use_case: UseCase) -> bool:
    return bool(access.member_roles(user, use_case))


def can_upload(user: Any, use_case: UseCase) -> bool:
    if use_case.status == Status.KILLED:
        return False
    return access.is_program_lead(user) or bool(
        access.member_roles(user, use_case) & UPLOADER_ROLES
    )


def can_open_review(user: Any, use_case: UseCase) -> bool:
    return access.is_program_lead(user) and use_case.status == Status.ACTIVE


def can_assess(user: Any, review: GateReview) -> bool:
    return review.status == ReviewStatus.OPEN and (
        access.is_program_lead(user) or is_team_member(user, review.use_case)
    )


def can_submit(user: Any, review: GateReview) -> bool:
    return review.status == ReviewStatus.OPEN and (
        access.is_program_lead(user)
        or bool(access.member_roles(user, review.use_case) & SUBMITTER_ROLES)
    )


def can_decide(user: Any, review: GateReview) -> bool:
    return review.is_open and review.chair_id == user.pk


def can_resume(user: Any, use_case: UseCase) -> bool:
    return access.is_program_lead(user) and use_case.status == Status.ON_HOLD
