"""The portfolio's refusals, each written once.

Each ``*_refusal`` returns the domain error a service raises, or None when the
action is allowed. Services raise it; views and the API ask the same function
before reading a form, and templates show its message, so a refusal reads the
same everywhere.
"""

from __future__ import annotations

from typing import Any

from core.errors import DomainError, PermissionRefused, TransitionRefused
from usecases import access
from usecases.models import Status, UseCase

EDIT_REFUSAL = "Only program leads and the use case's sponsor may edit it."
TEAM_REFUSAL = "Only program leads and the use case's sponsor may change the team."
READ_ONLY_MESSAGE = "This use case was killed at a gate; it is read-only."


def read_only_refusal(use_case: UseCase) -> TransitionRefused | None:
    """A killed use case takes no change of any kind."""
    if use_case.status == Status.KILLED:
        return TransitionRefused(READ_ONLY_MESSAGE, ["Killed use cases are terminal."])
    return None


def ensure_writable(use_case: UseCase) -> None:
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        raise refusal


def create_refusal(user: Any) -> PermissionRefused | None:
    if not access.can_create_use_case(user):
        return PermissionRefused("You may not propose use cases.")
    return None


def edit_refusal(user: Any, use_case: UseCase, message: str = EDIT_REFUSAL) -> DomainError | None:
    """Killed (409) before not yours (403), so a sponsor learns why their own
    use case no longer takes changes."""
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not access.can_edit_use_case(user, use_case):
        return PermissionRefused(message)
    return None
