"""Setting the budget grid: who may, what each cell takes, the actual costs of
stages not reached, and the one audit event listing every cell changed."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from usecases.models import Status, UseCase
from value import services
from value.models import CostLine

from .helpers import at_stage

pytestmark = pytest.mark.django_db


def cells(use_case):
    return {
        (line.stage, line.category): (line.planned, line.actual, line.note)
        for line in CostLine.objects.filter(use_case=use_case)
    }


def test_it_sets_cells_and_audits_each_before_and_after(use_case, sponsor):
    at_stage(use_case, "poc")
    services.cost_lines_set(
        use_case=use_case,
        by=sponsor,
        rows=[
            {"stage": "poc", "category": "development", "planned": "80000", "actual": "95000.5"},
            {"stage": "pilot", "category": "infrastructure", "planned": 12000, "note": "GPUs"},
        ],
    )
    assert cells(use_case) == {
        ("poc", "development"): (D("80000.00"), D("95000.50"), ""),
        ("pilot", "infrastructure"): (D("12000.00"), None, "GPUs"),
    }
    event = AuditEvent.objects.get(action="value.costs_set")
    assert event.actor == sponsor
    assert event.use_case_id == use_case.pk
    assert event.payload["cells"][0] == {
        "stage": "poc",
        "category": "development",
        "before": {"planned": None, "actual": None, "note": ""},
        "after": {"planned": "80000.00", "actual": "95000.50", "note": ""},
    }


def test_a_key_left_out_keeps_the_value_and_a_blank_clears_it(use_case, lead):
    at_stage(use_case, "poc")
    rows = [{"stage": "poc", "category": "development", "planned": "100", "actual": "90"}]
    services.cost_lines_set(use_case=use_case, by=lead, rows=rows)
    services.cost_lines_set(
        use_case=use_case, by=lead, rows=[{"stage": "poc", "category": "development", "actual": ""}]
    )
    assert cells(use_case) == {("poc", "development"): (D("100.00"), None, "")}
    event = AuditEvent.objects.filter(action="value.costs_set").latest("seq")
    assert event.payload["cells"][0]["before"]["actual"] == "90.00"
    assert event.payload["cells"][0]["after"] == {"planned": "100.00", "actual": None, "note": ""}
    # Both amounts cleared: the cell goes.
    services.cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "poc", "category": "development", "planned": None}],
    )
    assert cells(use_case) == {}


def test_an_unchanged_grid_writes_no_audit_event(use_case, lead):
    rows = [{"stage": "discovery", "category": "development", "planned": "10"}]
    services.cost_lines_set(use_case=use_case, by=lead, rows=rows)
    services.cost_lines_set(use_case=use_case, by=lead, rows=rows)
    assert AuditEvent.objects.filter(action="value.costs_set").count() == 1


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            {"stage": "poc", "category": "development", "planned": "-1"},
            "cells.0.planned",
            "cannot be negative",
        ),
        (
            {"stage": "poc", "category": "development", "planned": "10000000000000.01"},
            "cells.0.planned",
            "too large",
        ),
        (
            {"stage": "poc", "category": "development", "planned": "1.005"},
            "cells.0.planned",
            "more than two decimals",
        ),
        (
            {"stage": "poc", "category": "development", "planned": "lots"},
            "cells.0.planned",
            "is not an amount",
        ),
        (
            {"stage": "poc", "category": "development", "planned": "NaN"},
            "cells.0.planned",
            "is not an amount",
        ),
        (
            {"stage": "moon", "category": "development", "planned": "1"},
            "cells.0.stage",
            "Unknown stage",
        ),
        (
            {"stage": "poc", "category": "snacks", "planned": "1"},
            "cells.0.category",
            "Unknown category",
        ),
        (
            {"stage": "poc", "category": "development", "note": "x" * 501},
            "cells.0.note",
            "longer than 500",
        ),
    ],
)
def test_it_refuses_bad_cells_naming_the_field_and_changes_nothing(
    use_case, lead, row, field, message
):
    with pytest.raises(InvalidInput) as refused:
        services.cost_lines_set(use_case=use_case, by=lead, rows=[row])
    assert refused.value.field == field
    assert message in refused.value.message
    assert not CostLine.objects.exists()
    assert not AuditEvent.objects.filter(action="value.costs_set").exists()


@pytest.mark.parametrize(("raw", "stored"), [("1,234,567.5", "1234567.50"), ("12,000", "12000.00")])
def test_commas_between_thousands_are_read(use_case, lead, raw, stored):
    services.cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "discovery", "category": "development", "planned": raw}],
    )
    assert str(CostLine.objects.get().planned) == stored


@pytest.mark.parametrize("raw", ["1,5", "12,00", "1,2345"])
def test_a_decimal_comma_is_refused_not_misread(use_case, lead, raw):
    with pytest.raises(InvalidInput) as refused:
        services.cost_lines_set(
            use_case=use_case,
            by=lead,
            rows=[{"stage": "discovery", "category": "development", "planned": raw}],
        )
    assert "commas only between thousands" in refused.value.message
    assert not CostLine.objects.exists()


def test_the_largest_amount_is_taken(use_case, lead):
    services.cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "discovery", "category": "development", "planned": "10000000000000"}],
    )
    assert CostLine.objects.get().planned == D("10000000000000.00")


def test_one_bad_cell_refuses_the_whole_change(use_case, lead):
    with pytest.raises(InvalidInput) as refused:
        services.cost_lines_set(
            use_case=use_case,
            by=lead,
            rows=[
                {"stage": "discovery", "category": "development", "planned": "10"},
                {"stage": "discovery", "category": "development", "planned": "20"},
            ],
        )
    assert refused.value.field == "cells.1.category"
    assert "given twice" in refused.value.message
    assert not CostLine.objects.exists()


def test_an_actual_cost_for_a_stage_not_reached_is_refused(use_case, lead):
    at_stage(use_case, "poc")
    with pytest.raises(TransitionRefused) as refused:
        services.cost_lines_set(
            use_case=use_case,
            by=lead,
            rows=[
                {"stage": "poc", "category": "development", "actual": "10"},
                {"stage": "pilot", "category": "development", "actual": "10"},
            ],
        )
    assert refused.value.message == "No actual cost can be recorded for Pilot yet."
    assert "The use case is in POC" in refused.value.reasons[0]
    assert not CostLine.objects.exists()
    # A plan for a later stage is fine.
    services.cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "pilot", "category": "development", "planned": "10"}],
    )


@pytest.mark.parametrize("who", ["techlead", "contributor", "buhead", "executive", "outsider"])
def test_only_program_leads_and_the_sponsor_set_costs(use_case, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionRefused) as refused:
        services.cost_lines_set(
            use_case=use_case,
            by=user,
            rows=[{"stage": "discovery", "category": "development", "planned": "1"}],
        )
    assert "program leads and the use case's sponsor" in refused.value.message
    assert not CostLine.objects.exists()


@pytest.mark.parametrize("status", [Status.KILLED, Status.WITHDRAWN, Status.RETIRED])
def test_a_read_only_use_case_takes_no_costs(use_case, lead, status):
    UseCase.objects.filter(pk=use_case.pk).update(status=status)
    use_case.refresh_from_db()
    with pytest.raises(TransitionRefused):
        services.cost_lines_set(
            use_case=use_case,
            by=lead,
            rows=[{"stage": "discovery", "category": "development", "planned": "1"}],
        )
    assert not CostLine.objects.exists()
