"""Who may change a use case's readiness assessments: program leads and the
use case's team (sponsor, technical lead, contributors). Everyone who sees the
use case may read them; executives read only."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError, PermissionRefused
from usecases import access
from usecases.models import MemberRole, Status, UseCase
from usecases.rules import read_only_refusal

WRITE_REFUSAL = (
    "Only program leads and the use case's sponsor, technical lead and contributors "
    "change its readiness assessments."
)
WRITER_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD, MemberRole.CONTRIBUTOR})


def may_write(user: Any, use_case: UseCase) -> bool:
    """Whether the person holds a role that edits readiness (killed or not)."""
    return access.is_program_lead(user) or bool(access.member_roles(user, use_case) & WRITER_ROLES)


def can_write(user: Any, use_case: UseCase) -> bool:
    return use_case.status != Status.KILLED and may_write(user, use_case)


def write_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """403 before 409: a person without the role learns nothing more."""
    if not may_write(user, use_case):
        return PermissionRefused(WRITE_REFUSAL)
    return read_only_refusal(use_case)


def ensure_can_write(user: Any, use_case: UseCase) -> None:
    refusal = write_refusal(user, use_case)
    if refusal is not None:
        raise refusal
