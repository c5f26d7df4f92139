"""Who may do what to a use case in operation. Each ``*_refusal`` returns
the domain error (403 before 409: a person without the role learns nothing
more) or None; services raise it, views, the API and templates ask it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError, PermissionRefused, TransitionRefused
from readiness import rules as readiness_rules
from usecases import access
from usecases.models import Stage, UseCase
from usecases.rules import read_only_refusal

OWNER_REFUSAL = gettext_lazy("Only a program lead names the operating owner.")
INCIDENT_REFUSAL = gettext_lazy(
    "Only program leads, the use case's sponsor, technical lead, contributors and its "
    "operating owner record incidents."
)


def not_operating_refusal(use_case: UseCase) -> DomainError | None:
    """A use case is in operation from Gate 4's Go until it is retired."""
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if use_case.stage != Stage.SCALE:
        return TransitionRefused(
            gettext("This use case is not in operation."),
            [
                f"It is in {Stage(use_case.stage).label}; operation starts when Gate 4 "
                "passes and the use case reaches Scale."
            ],
        )
    return None


def owner_change_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    if not access.is_program_lead(user):
        return PermissionRefused(OWNER_REFUSAL)
    return not_operating_refusal(use_case)


def may_record_incident(user: Any, use_case: UseCase) -> bool:
    return readiness_rules.may_write(user, use_case) or (
        user.is_authenticated and use_case.operating_owner_id == user.pk
    )


def incident_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    if not may_record_incident(user, use_case):
        return PermissionRefused(INCIDENT_REFUSAL)
    return not_operating_refusal(use_case)


def drift_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """Whoever edits the use case's KPIs sets their drift bounds."""
    return readiness_rules.write_refusal(user, use_case)


def can(refusal: DomainError | None) -> bool:
    return refusal is None
