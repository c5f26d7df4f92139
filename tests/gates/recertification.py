"""Reach a recertification review with the real services: a use case taken
through Gates 1-4 into operation, then its Recertification opened."""

from __future__ import annotations

from gates import services
from gates.models import DecommissioningStep, GateReview
from tests.gates.helpers import advance, ready_for_decision


def operating(use_case, lead, sponsor):
    advance(use_case, lead, sponsor, 4)
    return use_case


def recertification_open(use_case, lead, sponsor) -> GateReview:
    operating(use_case, lead, sponsor)
    return services.review_open(use_case=use_case, by=lead)


def recertification_ready(use_case, lead, sponsor) -> GateReview:
    """Operating, its Recertification submitted with every approval in."""
    operating(use_case, lead, sponsor)
    return ready_for_decision(use_case, lead, sponsor)


def checklist(**overrides) -> list[dict]:
    """Every active decommissioning step done; ``overrides`` by step order
    (``s3={"status": "not_applicable", "note": "…"}``) change one answer."""
    rows = []
    for step in DecommissioningStep.objects.filter(is_active=True).order_by("order"):
        row = {"step": step.pk, "status": "done", "note": ""}
        row.update(overrides.get(f"s{step.order}", {}))
        rows.append(row)
    return rows
