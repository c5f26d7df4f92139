"""Readiness test helpers: real gate journeys through the services."""

from __future__ import annotations

from readiness import services
from readiness.models import ChecklistItemDefinition
from tests.gates.helpers import pass_gate


def to_poc(use_case, lead, sponsor):
    pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()
    return use_case


def to_pilot(use_case, lead, sponsor):
    pass_gate(use_case, lead, sponsor)
    pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()
    return use_case


def complete_checklist(use_case, by, owner, *, except_numbers=()):
    for definition in ChecklistItemDefinition.objects.filter(is_active=True):
        if definition.number in except_numbers:
            continue
        services.checklist_item_update(
            use_case=use_case,
            item=definition,
            by=by,
            status="done",
            owner=owner,
            evidence=f"Evidence for item {definition.number}.",
        )


def pilot_adoption(use_case, by):
    """The seed's example KPI: pilot adoption in %, from 0 towards 60."""
    return services.kpi_create(
        use_case=use_case,
        by=by,
        name="Pilot adoption",
        kind="leading",
        unit="%",
        baseline="0",
        target="60",
        direction="higher",
    )
