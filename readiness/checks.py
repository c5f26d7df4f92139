"""The production readiness checklist as a condition of Go at Gate 3."""

from __future__ import annotations

from django.conf import settings

from gates.models import GateReview
from readiness.services import checklist_open_items

CHECKLIST_GATE = 3


def production_readiness_blockers(review: GateReview) -> list[str]:
    """Why Go cannot be recorded at Gate 3 while the checklist has open items.
    Read at call time, so READINESS_GATE3_CHECKLIST_REQUIRED can be switched
    off (for example in a test's ``settings``) without a restart."""
    if review.gate_number != CHECKLIST_GATE:
        return []
    if not settings.READINESS_GATE3_CHECKLIST_REQUIRED:
        return []
    open_items = checklist_open_items(review.use_case_id)
    if open_items is None:
        return ["Production readiness checklist not started"]
    return [f"Production readiness item open: {text}" for text in open_items]
