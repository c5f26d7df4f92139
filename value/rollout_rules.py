"""Who may change a use case's rollout and bind gate criteria to its value,
and the playbook's bounds the rollout is read against.

- The pilot's scope and the production waves: program leads and the use
  case's sponsor and technical lead (contributors and executives read only).
- A criterion bound to ROI, NPV, payback or adoption: program leads, who own
  the gate framework's measures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError, PermissionRefused
from usecases import access
from usecases.models import MemberRole, UseCase
from usecases.rules import read_only_refusal

ROLLOUT_REFUSAL = gettext_lazy(
    "Only program leads and the use case's sponsor and technical lead plan and validate "
    "its rollout."
)
VALUE_RULE_REFUSAL = gettext_lazy(
    "Only program leads bind a gate criterion to the use case's value."
)
ROLLOUT_ROLES = frozenset({MemberRole.SPONSOR, MemberRole.TECHNICAL_LEAD})

# The playbook's pilot: 5-15% of the target deployment scale. Outside it the
# page and the API warn; nothing is refused (a pilot of 3 branches out of 40
# is 7.5%, one of 1 out of 4 sites is 25% and may still be right).
PILOT_SHARE_LOW = Decimal("5")
PILOT_SHARE_HIGH = Decimal("15")
# The playbook's production expansion.
DEFAULT_WAVE_SHARES = (Decimal("25"), Decimal("50"), Decimal("100"))
# A wave's adoption threshold when none is given: the pilot's adoption rate
# once measured (Gate 4 asks for adoption at or above the pilot rate), else
# the framework's Gate 3 floor of 60%.
DEFAULT_ADOPTION_THRESHOLD = Decimal("60")


def may_plan_rollout(user: Any, use_case: UseCase) -> bool:
    return access.is_program_lead(user) or bool(access.member_roles(user, use_case) & ROLLOUT_ROLES)


def rollout_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """403 before 409: a person without the role learns nothing more."""
    if not may_plan_rollout(user, use_case):
        return PermissionRefused(ROLLOUT_REFUSAL)
    return read_only_refusal(use_case)


def can_plan_rollout(user: Any, use_case: UseCase) -> bool:
    return rollout_refusal(user, use_case) is None


def value_rule_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    if not access.is_program_lead(user):
        return PermissionRefused(VALUE_RULE_REFUSAL)
    return read_only_refusal(use_case)


def exact_share(pilot_units: int, target_units: int) -> Decimal:
    return Decimal(pilot_units) * 100 / Decimal(target_units)


def pilot_share_warning(pilot_units: int | None, target_units: int | None) -> str:
    """Empty inside the playbook's 5-15% (bounds included), else why not.
    Judged on the exact share: 1,504 of 10,000 is outside, though shown 15.0%."""
    if pilot_units is None or not target_units:
        return ""
    exact = exact_share(pilot_units, target_units)
    if PILOT_SHARE_LOW <= exact <= PILOT_SHARE_HIGH:
        return ""
    shown = exact.quantize(Decimal("0.1"))
    if exact < PILOT_SHARE_LOW:
        return gettext(
            "The pilot reaches %(share)s%% of the target: below the playbook's 5–15%%, "
            "it may not show how the use case behaves at scale."
        ) % {"share": shown}
    return gettext(
        "The pilot reaches %(share)s%% of the target: above the playbook's 5–15%%, "
        "it is already a rollout."
    ) % {"share": shown}
