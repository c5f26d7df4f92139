"""Who may change a use case's money, and what a cost line may say.

Costs and benefits follow the rule for editing the use case itself: program
leads and the use case's sponsor, never on a killed, withdrawn or retired use
case. Everyone who sees the use case reads them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError, TransitionRefused
from usecases import rules as usecase_rules
from usecases.models import Stage, UseCase

EDIT_REFUSAL = gettext_lazy(
    "Only program leads and the use case's sponsor change its costs and benefits."
)


def edit_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """Read-only (409) before not yours (403), as for editing the use case."""
    return usecase_rules.edit_refusal(user, use_case, message=EDIT_REFUSAL)


def can_edit(user: Any, use_case: UseCase) -> bool:
    return edit_refusal(user, use_case) is None


def ensure_can_edit(user: Any, use_case: UseCase) -> None:
    refusal = edit_refusal(user, use_case)
    if refusal is not None:
        raise refusal


def stage_reached(use_case: UseCase, stage: str) -> bool:
    order = Stage.ordered()
    return order.index(Stage(stage)) <= order.index(Stage(use_case.stage))


def actual_refusal(use_case: UseCase, stage: str) -> TransitionRefused | None:
    """Money is spent in a stage the use case has reached: an actual cost for
    a later stage would be spending in the future. Plans may run ahead."""
    if stage_reached(use_case, stage):
        return None
    return TransitionRefused(
        gettext("No actual cost can be recorded for %(stage)s yet.")
        % {"stage": Stage(stage).label},
        [
            gettext(
                "The use case is in %(stage)s; actual costs are recorded "
                "for the stages it has reached, plans for any stage."
            )
            % {"stage": Stage(use_case.stage).label}
        ],
    )
