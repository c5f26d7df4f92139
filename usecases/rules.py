"""The portfolio's refusals, each written once.

Each ``*_refusal`` returns the domain error a service raises, or None when the
action is allowed. Services raise it; views and the API ask the same function
before reading a form, and templates show its message, so a refusal reads the
same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import DomainError, PermissionRefused, TransitionRefused
from core.throttling import ScopedUserThrottle
from usecases import access
from usecases.models import BusinessUnit, OrgRole, RiskTier, Status, UseCase

# Refusal texts in English, marked for the catalogue: a domain error
# translates them when it is raised (core.errors).
EDIT_REFUSAL = gettext_noop("Only program leads and the use case's sponsor may edit it.")
TEAM_REFUSAL = gettext_noop("Only program leads and the use case's sponsor may change the team.")
READ_ONLY_MESSAGE = gettext_noop("This use case was killed at a gate; it is read-only.")
WITHDRAWN_MESSAGE = gettext_noop("This use case was withdrawn; it is read-only.")
RETIRED_MESSAGE = gettext_noop("This use case was retired after operation; it is read-only.")


def read_only_refusal(use_case: UseCase) -> TransitionRefused | None:
    """A killed, withdrawn or retired use case takes no change of any kind."""
    if use_case.status == Status.KILLED:
        return TransitionRefused(READ_ONLY_MESSAGE, [_("Killed use cases are terminal.")])
    if use_case.status == Status.WITHDRAWN:
        return TransitionRefused(WITHDRAWN_MESSAGE, [_("Withdrawn use cases are terminal.")])
    if use_case.status == Status.RETIRED:
        return TransitionRefused(RETIRED_MESSAGE, [_("Retired use cases are terminal.")])
    return None


def ensure_writable(use_case: UseCase) -> None:
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        raise refusal


NO_UNIT_REASON = gettext_noop(
    "You hold no role in any business unit: a program lead or an administrator adds "
    "you to one (Admin → Business units), or names you on one of its use cases."
)


def _proposable_reasons(user: Any) -> list[str]:
    names = list(access.proposable_business_units(user).values_list("name", flat=True))
    if not names:
        return [NO_UNIT_REASON]
    return [_("You may propose use cases in: %(units)s.") % {"units": ", ".join(names)}]


def create_refusal(
    user: Any, business_unit: BusinessUnit | None = None
) -> PermissionRefused | None:
    """Executives propose nothing; program leads propose anywhere; everyone
    else proposes in the business units where they hold a role (head, member,
    or on the team of one of its use cases). Without ``business_unit``: may
    this person propose anywhere at all."""
    if not access.can_create_use_case(user):
        return PermissionRefused(_("You may not propose use cases."))
    if access.is_program_lead(user):
        return None
    if business_unit is None:
        if not access.proposable_business_units(user).exists():
            return PermissionRefused(
                _("You may propose use cases only in a business unit where you hold a role."),
                [NO_UNIT_REASON],
            )
        return None
    if not access.holds_role_in(user, business_unit):
        return PermissionRefused(
            _(
                "You hold no role in %(unit)s: you may propose use cases only "
                "in business units where you hold a role."
            )
            % {"unit": business_unit.name},
            _proposable_reasons(user),
        )
    return None


def business_unit_move_refusal(user: Any, business_unit: BusinessUnit) -> PermissionRefused | None:
    """Moving a use case to another business unit follows the rule for
    proposing one there."""
    if access.is_program_lead(user) or access.holds_role_in(user, business_unit):
        return None
    return PermissionRefused(
        _(
            "You hold no role in %(unit)s: only a program lead may move a use "
            "case to a business unit where you hold none."
        )
        % {"unit": business_unit.name},
        _proposable_reasons(user),
    )


def edit_refusal(user: Any, use_case: UseCase, message: str = EDIT_REFUSAL) -> DomainError | None:
    """Killed (409) before not yours (403), so a sponsor learns why their own
    use case no longer takes changes."""
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not access.can_edit_use_case(user, use_case):
        return PermissionRefused(message)
    return None


# --- The facts that decide who approves ----------------------------------------------

# Risk tier, regulations, business unit (its head approves) and the team
# (sponsors and technical leads approve; sponsors and contributors may not
# fill independent seats).
APPROVER_FACTS = ("risk_tier", "regulatory_constraints", "business_unit")
RISK_ORDER = {tier: index for index, tier in enumerate(RiskTier.values)}  # low < medium < high
RECLASSIFY_MESSAGE = gettext_noop(
    "Lowering the risk tier or removing a regulation is a reclassification: "
    "the risk and compliance role records it, with a reason."
)

# What freezes those facts, registered by the apps above at start-up (gates:
# an open or submitted review fixed its approvers when it opened). Each
# returns the reason, or None.
Freeze = Callable[[UseCase], str | None]
FREEZES: list[Freeze] = []


def register_freeze(freeze: Freeze) -> Freeze:
    if freeze not in FREEZES:
        FREEZES.append(freeze)
    return freeze


def facts_frozen_refusal(use_case: UseCase, what: str) -> TransitionRefused | None:
    """While something has fixed who approves (an open review), the facts
    that decide it do not move."""
    reasons = [reason for freeze in FREEZES if (reason := freeze(use_case))]
    if reasons:
        return TransitionRefused(_("%(what)s cannot change now.") % {"what": _(what)}, reasons)
    return None


def is_risk_officer(user: Any) -> bool:
    return user.is_authenticated and OrgRole.RISK_COMPLIANCE in access.org_roles(user)


def lowers_classification(
    *, risk_before: str, risk_after: str, regulations_before: list, regulations_after: list
) -> bool:
    return RISK_ORDER.get(risk_after, 0) < RISK_ORDER.get(risk_before, 0) or bool(
        set(regulations_before) - set(regulations_after)
    )


def reclassify_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not is_risk_officer(user):
        return PermissionRefused(
            _("Only the risk and compliance role reclassifies a use case's risk.")
        )
    return facts_frozen_refusal(use_case, gettext_noop("The risk classification"))


# --- Withdrawing a use case ----------------------------------------------------------

WITHDRAW_REFUSAL = gettext_noop("Only program leads and the use case's sponsor may withdraw it.")
WITHDRAW_REASON_REQUIRED = gettext_noop("Say why the use case is withdrawn.")

# What keeps a use case from being withdrawn, registered by the apps above at
# start-up (gates: a gate it has passed, a review open or submitted). Each
# returns the reason, or None.
WithdrawBlock = Callable[[UseCase], str | None]
WITHDRAW_BLOCKS: list[WithdrawBlock] = []


def register_withdraw_block(block: WithdrawBlock) -> WithdrawBlock:
    if block not in WITHDRAW_BLOCKS:
        WITHDRAW_BLOCKS.append(block)
    return block


def withdraw_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """The sponsor or a program lead withdraws a use case that has never
    passed a gate and has no review under way. Read-only (409) before not
    yours (403) before what the gates say (409)."""
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not access.can_edit_use_case(user, use_case):
        return PermissionRefused(WITHDRAW_REFUSAL)
    reasons = [reason for block in WITHDRAW_BLOCKS if (reason := block(use_case))]
    if reasons:
        return TransitionRefused(_("This use case cannot be withdrawn."), reasons)
    return None


# --- The risk questionnaire ----------------------------------------------------------

RISK_ANSWER_REFUSAL = gettext_noop(
    "Only the use case's team (sponsor, technical lead, contributors) or a program lead "
    "answers the risk questionnaire."
)
RISK_DECIDE_REFUSAL = gettext_noop(
    "Only the risk and compliance role confirms or overrides a risk classification."
)
RISK_SEGREGATION_REFUSAL = gettext_noop(
    "You are on this use case's team: segregation of duties keeps its risk classification "
    "with someone independent of it in risk and compliance."
)


def _on_team(user: Any, use_case: UseCase) -> bool:
    return use_case.members.filter(user=user).exists()


def risk_answer_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not user.is_authenticated or not (access.is_program_lead(user) or _on_team(user, use_case)):
        return PermissionRefused(RISK_ANSWER_REFUSAL)
    return None


def risk_decide_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """Risk and compliance only, and never someone on the use case's team."""
    refusal = read_only_refusal(use_case)
    if refusal is not None:
        return refusal
    if not is_risk_officer(user):
        return PermissionRefused(RISK_DECIDE_REFUSAL)
    if _on_team(user, use_case):
        return PermissionRefused(RISK_SEGREGATION_REFUSAL)
    return None


class UseCaseImportThrottle(ScopedUserThrottle):
    """Use case imports and their dry runs per person (``THROTTLE_IMPORTS``,
    counted with the KPI imports: one allowance of imports), page and API together."""

    scope = "imports"
    subject = "imports"


def password_sign_in_refusal(username: str) -> PermissionRefused | None:
    """Sign-in with a password, refused when LOCAL_LOGIN is off to everyone but
    the break-glass accounts (BREAK_GLASS_USERS): the sign-in page, the admin's
    and the API token endpoint ask this before checking the password."""
    if settings.LOCAL_LOGIN or username in settings.BREAK_GLASS_USERS:
        return None
    return PermissionRefused(
        _("Signing in with a password is turned off: sign in with %(provider)s instead.")
        % {"provider": settings.OIDC_PROVIDER_NAME}
    )
