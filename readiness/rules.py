"""Who may change a use case's readiness assessments: program leads and the
use case's team (sponsor, technical lead, contributors). Everyone who sees the
use case may read them; executives read only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, PermissionRefused, TransitionRefused
from core.throttling import ScopedUserThrottle
from usecases import access
from usecases.models import TERMINAL_STATUSES, MemberRole, UseCase
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
    return use_case.status not in TERMINAL_STATUSES and may_write(user, use_case)


def write_refusal(user: Any, use_case: UseCase) -> DomainError | None:
    """403 before 409: a person without the role learns nothing more."""
    if not may_write(user, use_case):
        return PermissionRefused(WRITE_REFUSAL)
    return read_only_refusal(use_case)


def ensure_can_write(user: Any, use_case: UseCase) -> None:
    refusal = write_refusal(user, use_case)
    if refusal is not None:
        raise refusal


# --- Bounds on measurements -----------------------------------------------------


class ImportThrottle(ScopedUserThrottle):
    """KPI CSV imports per person (``THROTTLE_IMPORTS``), page and API together."""

    scope = "imports"
    subject = gettext_lazy("imports")


def measurement_cap_refusal(
    counts: list[tuple[str, int, int]], *, nothing_imported: bool = False
) -> TransitionRefused | None:
    """A KPI keeps at most ``KPI_MAX_MEASUREMENTS`` measurements. ``counts``
    names, per KPI written to, the measurements it holds and those to add;
    checked under the use case's lock, the lock every measurement write takes."""
    cap = settings.KPI_MAX_MEASUREMENTS
    over = [
        _("“%(name)s” holds %(held)s and this adds %(adding)s: %(total)s in all.")
        % {
            "name": name,
            "held": f"{held:,}",
            "adding": f"{adding:,}",
            "total": f"{held + adding:,}",
        }
        for name, held, adding in counts
        if held + adding > cap
    ]
    if not over:
        return None
    if nothing_imported:
        message = _("Nothing was imported: a KPI keeps at most %(cap)s measurements.")
    else:
        message = _("A KPI keeps at most %(cap)s measurements.")
    return TransitionRefused(message % {"cap": f"{cap:,}"}, over)
