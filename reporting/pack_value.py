"""The gate pack's "Value" section: a use case's money and rollout as the
pack prints them (issue #14 item 2), for every gate review.

Plain JSON-ready strings, so the pack's content hash changes only when one of
these figures does. Five queries whatever the number of cost lines, benefits
and waves: ``value.selectors.finances_of`` (cost lines, benefits with their
realised sums, the multipliers) and ``value.selectors_rollout.rollout_of``
(the pilot, the waves)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from readiness.models import format_value
from value import selectors as value_selectors
from value.finance import RULE_OF_THUMB, SURVEY_RANGE, Range
from value.selectors import Finances, format_money
from value.selectors_rollout import Rollout, rollout_of


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else format_value(value, "%")


def _factor(low: Decimal, high: Decimal) -> str:
    return f"{format_value(low)}–{format_value(high)}×"


def _range(span: Range, code: str) -> str:
    return f"{format_money(span.low, code)} – {format_money(span.high, code)}"


def _wave_state(wave: Any) -> tuple[str, str]:
    """The wave's validation state as a word and a badge class."""
    passed = wave.passed
    if passed is True:
        return gettext("Validated: passed"), "on"
    if passed is False:
        return gettext("Validated: not passed"), "off"
    if wave.started_on is not None:
        return gettext("Started, not validated"), "open"
    return gettext("Not started"), "pending"


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def _wave(wave: Any) -> dict[str, Any]:
    state, state_class = _wave_state(wave)
    return {
        "order": wave.order,
        "share": _percent(wave.share_percent),
        "planned_date": _day(wave.planned_date),
        "started_on": _day(wave.started_on),
        "threshold": _percent(wave.adoption_threshold_percent),
        "adoption": _percent(wave.adoption_percent),
        "validated_on": _day(wave.validated_on),
        "state": state,
        "state_class": state_class,
        "note": wave.validation_note,
    }


def _rollout(rollout: Rollout) -> dict[str, Any]:
    pilot = rollout.pilot
    return {
        "pilot": None
        if pilot is None
        else {
            "units": f"{pilot.pilot_units:,} of {pilot.target_units:,} {pilot.unit}",
            "share": _percent(pilot.share_percent),
            "adoption": _percent(pilot.adoption_percent),
            "warning": rollout.warning,
        },
        "waves": [_wave(row.wave) for row in rollout.waves],
    }


def _money(finances: Finances) -> dict[str, Any]:
    code = finances.currency
    projection = finances.projection
    returns = finances.returns
    return {
        "spent": format_money(finances.spent, code),
        "planned_one_off": format_money(finances.planned_one_off, code),
        "actual_one_off": format_money(finances.actual_one_off, code),
        "projection": {
            "poc_actual": format_money(projection.poc_actual, code),
            "range": _range(projection.total, code),
            "rule_of_thumb": _range(projection.rule_of_thumb, code),
            "rule_of_thumb_factor": _factor(*RULE_OF_THUMB),
            "survey": _range(projection.survey, code),
            "survey_factor": _factor(*SURVEY_RANGE),
            "operations_annual": _range(projection.operations_annual, code),
            "planned": format_money(projection.planned, code),
        },
        "warning": value_selectors.below_projection_warning(projection, code)
        if projection.below_projection
        else "",
        "shortfall": format_money(projection.shortfall, code)
        if projection.below_projection
        else "",
        "investment": format_money(returns.investment, code),
        "operations_annual": format_money(returns.operations_annual, code),
        "benefits_annual": format_money(returns.benefits_annual, code),
        "roi": gettext("Not computable: no cost recorded")
        if returns.roi_percent is None
        else _percent(returns.roi_percent),
        "npv": format_money(returns.npv, code),
        "payback": gettext("Never: the monthly net is not positive")
        if returns.payback_month is None
        else gettext("Month %(month)s") % {"month": returns.payback_month},
        "horizon_months": returns.horizon_months,
        "benefits": [
            {
                "name": b.name,
                "annual": format_money(b.annual_amount, code),
                "realised": format_money(b.realised or Decimal(0), code),
                "kpi": b.kpi.name if b.kpi_id else "",
            }
            for b in finances.benefits
        ],
        "realised": format_money(finances.realised, code),
    }


def _discount_rate_percent(rate: Decimal) -> str:
    return format_value(rate * 100, "%")


def pack_value(use_case_id: int) -> tuple[dict[str, Any], Decimal]:
    """The Value section's data, and the actual costs spent (what a Kill or
    Retire's "Why it ended" prints, so it costs no query of its own)."""
    finances = value_selectors.finances_of(use_case_id)
    rollout = rollout_of(use_case_id)
    recorded = bool(finances.grid) or bool(finances.benefits)
    data: dict[str, Any] = {
        "currency": finances.currency,
        "discount_rate": _discount_rate_percent(finances.returns.discount_rate),
        "recorded": recorded,
        **_rollout(rollout),
    }
    if recorded:
        data.update(_money(finances))
    return {"value": data}, finances.spent
