"""The PoC-to-production multipliers: framework data an administrator edits
in the admin. Each change is atomic, checks the admin's model permission and
records the values before and after, as the gate and readiness framework
edits do."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.audit import audit_record
from core.errors import InvalidInput
from gates import services as gate_services
from value.models import CostCategory, CostMultiplier

# Operations is an annual figure, projected as a share of the investment.
NOT_MULTIPLIED = (CostCategory.OPERATIONS,)


def _validate(row: CostMultiplier) -> None:
    # Stored with two decimals: audit the values as they will be kept.
    for name in ("low", "high"):
        value = getattr(row, name)
        if isinstance(value, Decimal) and value.is_finite():
            setattr(row, name, value.quantize(Decimal("0.01")))
    if row.category in NOT_MULTIPLIED:
        raise InvalidInput(
            gettext("Operations is projected as 20–30% of the investment a year, not multiplied."),
            field="category",
        )
    if row.low is not None and row.high is not None and row.high < row.low:
        raise InvalidInput(gettext("The high end is below the low end."), field="high")


def _values(row: CostMultiplier) -> dict[str, Any]:
    return gate_services.framework_values(row, gate_services.framework_fields(CostMultiplier))


@transaction.atomic
def cost_multiplier_create(*, by: Any, multiplier: CostMultiplier) -> CostMultiplier:
    gate_services.framework_ensure_allowed(by, "add", CostMultiplier)
    _validate(multiplier)
    gate_services.framework_validate(multiplier)
    multiplier.save()
    audit_record(
        actor=by,
        action="framework.cost_multiplier_created",
        summary=f"Added cost multiplier “{multiplier}”",
        obj=multiplier,
        payload={"before": {}, "after": _values(multiplier)},
    )
    return multiplier


@transaction.atomic
def cost_multiplier_change(
    *, by: Any, multiplier: CostMultiplier, fields: Sequence[str]
) -> CostMultiplier:
    gate_services.framework_ensure_allowed(by, "change", CostMultiplier)
    _validate(multiplier)
    saved, before, after = gate_services.framework_row_change(multiplier, fields)
    if not before:
        return saved
    audit_record(
        actor=by,
        action="framework.cost_multiplier_changed",
        summary=f"Changed {', '.join(before)} of cost multiplier “{saved}”",
        obj=saved,
        payload={"before": before, "after": after},
    )
    return saved


@transaction.atomic
def cost_multiplier_delete(*, by: Any, multiplier: CostMultiplier) -> None:
    gate_services.framework_ensure_allowed(by, "delete", CostMultiplier)
    row = CostMultiplier.objects.select_for_update().get(pk=multiplier.pk)
    audit_record(
        actor=by,
        action="framework.cost_multiplier_deleted",
        summary=f"Deleted cost multiplier “{row}”",
        obj=row,
        payload={"before": _values(row), "after": {}},
    )
    gate_services.framework_row_delete(row)
